/**
 * Binds THE handler table (core dispatch) to ipcMain, one channel per contract method, and
 * forwards core events to our window only. Every call first checks its sender: the frame must
 * be our window's and its URL must be app://puesta; anything else gets a FORBIDDEN envelope
 * and never reaches a handler. Input is validated by dispatch against the contract.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { METHOD_NAMES } from '../../shared/contract/index.js';
import type { Envelope } from '../../shared/errors.js';
import type { Core } from '../core/core.js';
import { dispatch } from '../core/dispatch.js';
import { callChannel, eventChannel } from '../preload/bridge.js';
import { isTrustedSender, senderProblem, type SenderInfo, type WindowInfo } from './security.js';

function forbidden(why: string): Envelope<unknown> {
  return { ok: false, error: { code: 'FORBIDDEN', message: `This call was refused: ${why}. Only Puesta's own window may call the app.` } };
}

function describeSender(event: IpcMainInvokeEvent): SenderInfo {
  const frame = event.senderFrame;
  return { webContentsId: event.sender.id, frame: frame ? { url: frame.url, isMainFrame: frame.parent === null } : null };
}

function describeWindow(win: BrowserWindow | null): WindowInfo | null {
  return win ? { destroyed: win.isDestroyed(), webContentsId: win.isDestroyed() ? -1 : win.webContents.id } : null;
}

/** Registers the IPC handlers and the event forwarding; returns a function that removes them. */
export function bindIpc(core: Core, getWindow: () => BrowserWindow | null): () => void {
  const channels: string[] = [];
  for (const method of METHOD_NAMES) {
    const channel = callChannel(method);
    channels.push(channel);
    ipcMain.handle(channel, async (event, input: unknown) => {
      const problem = senderProblem(describeSender(event), describeWindow(getWindow()));
      if (problem) return forbidden(problem);
      return dispatch(core, method, input);
    });
  }
  const unsubscribe = core.events.subscribe((name, payload) => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
    if (!isTrustedSender(win.webContents.getURL())) return;
    win.webContents.send(eventChannel(name), payload);
  });
  return () => {
    unsubscribe();
    for (const c of channels) ipcMain.removeHandler(c);
  };
}
