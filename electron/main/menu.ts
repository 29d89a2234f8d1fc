/**
 * The native menu: the usual roles and their standard shortcuts (copy/paste, undo, zoom, full
 * screen, reload, quit). App-level shortcuts such as Ctrl+K (command palette) belong to the
 * renderer. Only types come from electron, so the template is unit-tested under Node.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  devTools: boolean;
  productName?: string;
  /** File → Open Data Folder (the SQLite file, backups, key file). */
  openDataFolder?: () => void;
}

export function menuTemplate(platform: NodeJS.Platform, opts: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const name = opts.productName ?? 'Puesta';
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    { role: 'forceReload' },
    ...(opts.devTools ? ([{ role: 'toggleDevTools' }] as MenuItemConstructorOptions[]) : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(mac
      ? ([
          {
            label: name,
            submenu: [
              { role: 'about' },
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          },
        ] as MenuItemConstructorOptions[])
      : []),
    {
      label: '&File',
      submenu: [
        ...(opts.openDataFolder ? ([{ label: 'Open Data Folder', click: opts.openDataFolder }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        ...(mac ? ([{ role: 'pasteAndMatchStyle' }] as MenuItemConstructorOptions[]) : []),
        { role: 'delete' },
        { type: 'separator' },
        { role: 'selectAll' },
      ],
    },
    { label: '&View', submenu: view },
    { label: '&Window', submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, { type: 'separator' }, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }] },
  ];
}
