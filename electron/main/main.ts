/**
 * The desktop shell's main process (bundled by scripts/build.mjs to dist/electron/main.cjs and
 * started with `electron .` — package.json "main").
 *
 * Electron security checklist, all of it here or in the modules it calls:
 * sandbox for every renderer (app.enableSandbox), context isolation, no Node integration,
 * webSecurity on, a CSP on every response, the UI served from app://puesta (never file:// or
 * http), navigation and new windows denied (http(s) links go to the OS browser), permission
 * requests refused, remote requests cancelled, <webview> refused, IPC senders checked (ipc.ts),
 * secrets through safeStorage (safe-storage.ts).
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, Menu, safeStorage, session, shell, type Session } from 'electron';
import { createCore, type Core } from '../core/core.js';
import { ensurePrivateDir } from '../core/data-folder.js';
import { startBackground } from '../core/startup.js';
import { KeyFileCipher, type SecretCipher } from '../core/secrets.js';
import { bindIpc } from './ipc.js';
import { menuTemplate } from './menu.js';
import { electronSqliteBinding } from './native.js';
import { handleAppProtocol, registerAppScheme } from './protocol.js';
import { describeSafeStorage, SafeStorageCipher } from './safe-storage.js';
import { APP_ENTRY_URL, isExternalHttpUrl, isTrustedSender, permissionAllowed } from './security.js';

/** The repo root in development (`electron .`), the app.asar in a package. */
const appRoot = app.getAppPath();
const rendererDir = path.join(appRoot, 'dist', 'renderer');
const preloadPath = path.join(appRoot, 'dist', 'electron', 'preload.cjs');

let mainWindow: BrowserWindow | null = null;
let core: Core | null = null;
let disposeIpc: (() => void) | null = null;

function dataDir(): string {
  return process.env.PUESTA_DATA_DIR ? path.resolve(process.env.PUESTA_DATA_DIR) : app.getPath('userData');
}

function chooseCipher(dir: string): SecretCipher {
  const status = describeSafeStorage(safeStorage.isEncryptionAvailable(), process.platform, process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : undefined);
  if (status.usable) return new SafeStorageCipher(safeStorage, status);
  const keyFile = new KeyFileCipher(path.join(dir, 'secret.key'));
  return {
    kind: 'key-file',
    secure: false,
    warning: `${status.warning} (${keyFile.keyFile})`,
    encrypt: (plain) => keyFile.encrypt(plain),
    decrypt: (data) => keyFile.decrypt(data),
  };
}

function openExternally(url: string): void {
  if (isExternalHttpUrl(url)) void shell.openExternal(url);
}

function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin));
  // No remote content: the UI is local and talks to the core over IPC only.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) => callback({ cancel: true }));
}

// Applies to every webContents the app ever creates (windows, devtools, anything).
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.on('will-navigate', (e) => {
    if (!isTrustedSender(e.url)) {
      e.preventDefault();
      openExternally(e.url);
    }
  });
  contents.on('will-redirect', (e) => {
    if (!isTrustedSender(e.url)) e.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
});

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    title: 'Puesta',
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    backgroundColor: '#16181d',
    autoHideMenuBar: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_e, details) => {
    console.error(`[puesta] the window's renderer stopped (${details.reason}); reloading it.`);
    if (details.reason !== 'clean-exit' && !win.isDestroyed()) win.reload();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

function fatal(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  console.error(`[puesta] cannot start: ${message}`);
  dialog.showErrorBox('Puesta cannot start', message);
  app.exit(1);
}

async function start(): Promise<void> {
  handleAppProtocol(rendererDir);
  hardenSession(session.defaultSession);
  const dir = dataDir();
  ensurePrivateDir(dir); // 0700 before the key file goes in (createCore keeps it so at every start)
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(menuTemplate(process.platform, { devTools: !app.isPackaged, productName: app.getName(), openDataFolder: () => void shell.openPath(dir) })),
  );

  const nativeBinding = await electronSqliteBinding({ appRoot, electronVersion: process.versions.electron, expectedAbi: process.versions.modules, isPackaged: app.isPackaged });
  const cipher = chooseCipher(dir);
  core = createCore({
    dataDir: dir,
    migrationsDir: path.join(appRoot, 'migrations'),
    cipher,
    shell: 'electron',
    version: app.getVersion(),
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  if (core.migration.backup) console.log(`[puesta] database migrated v${core.migration.from} → v${core.migration.to}; backup at ${core.migration.backup}`);
  console.log(`[puesta] data: ${core.dbPath}`);
  if (cipher.warning) console.log(`[puesta] secrets: ${cipher.warning}`);
  startBackground(core);
  disposeIpc = bindIpc(core, () => mainWindow);
  mainWindow = createWindow();
}

app.enableSandbox();
if (process.platform === 'win32') app.setAppUserModelId('app.puesta.desktop'); // = appId in build/electron-builder.yml

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  registerAppScheme();
  app.whenReady().then(start).catch(fatal);

  app.on('activate', () => {
    if (core && !mainWindow) mainWindow = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  let closing = false;
  app.on('will-quit', (e) => {
    if (closing || !core) return;
    closing = true;
    e.preventDefault();
    disposeIpc?.();
    void core
      .close()
      .catch((err: unknown) => console.error('[puesta] error while closing:', err))
      .finally(() => app.exit(0));
  });
}
