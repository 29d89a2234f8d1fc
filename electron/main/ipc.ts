/**
 * Binds THE handler table (core dispatch) to ipcMain, one channel per contract method, and
 * forwards core events to our window only. Every call first checks its sender: the frame must
 * be our window's and its URL must be app://puesta; anything else gets a FORBIDDEN envelope
 * and never reaches a handler. Input is validated by dispatch against the contract.
 *
 * Cancellation works as in the browser shell: a call may carry an id; `puesta:cancel` with that id
 * (from the same trusted sender) aborts the handler's signal, and so does the sender's page going
 * away (reload, crash, close) — the IPC counterpart of an HTTP request whose connection closed.
 */
import { ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { METHOD_NAMES } from '../../shared/contract/index.js';
import type { Envelope } from '../../shared/errors.js';
import { callChannel, CANCEL_CHANNEL, eventChannel, EVENTS_ACK_CHANNEL, EVENTS_MARK_CHANNEL } from '../../shared/shell.js';
import type { Core } from '../core/core.js';
import { dispatch } from '../core/dispatch.js';
import { createCallRegistry } from './calls.js';
import { EventOutbox, type OutboxLimits } from './event-outbox.js';
import { isTrustedSender, senderProblem, type SenderInfo, type WindowInfo } from './security.js';

function forbidden(why: string): Envelope<unknown> {
  return { ok: false, error: { code: 'FORBIDDEN', message: `This call was refused: ${why}. Only Puesta's own window may call the app.` } };
}

function describeSender(event: IpcMainInvokeEvent | IpcMainEvent): SenderInfo {
  const frame = event.senderFrame;
  return { webContentsId: event.sender.id, frame: frame ? { url: frame.url, isMainFrame: frame.parent === null } : null };
}

function describeWindow(win: BrowserWindow | null): WindowInfo | null {
  return win ? { destroyed: win.isDestroyed(), webContentsId: win.isDestroyed() ? -1 : win.webContents.id } : null;
}

/** Registers the IPC handlers and the event forwarding; returns a function that removes them. */
export function bindIpc(core: Core, getWindow: () => BrowserWindow | null, outboxLimits: Partial<OutboxLimits> = {}): () => void {
  const channels: string[] = [];
  const inflight = createCallRegistry();
  const watched = new Set<number>();
  for (const method of METHOD_NAMES) {
    const channel = callChannel(method);
    channels.push(channel);
    ipcMain.handle(channel, async (event, input: unknown, callId?: unknown) => {
      const problem = senderProblem(describeSender(event), describeWindow(getWindow()));
      if (problem) return forbidden(problem);
      if (typeof callId !== 'string') return dispatch(core, method, input);
      const senderId = event.sender.id;
      if (!watched.has(senderId)) {
        watched.add(senderId);
        // The page going away ends its calls, as a closed HTTP connection does in the browser shell.
        const gone = () => inflight.abortSender(senderId);
        event.sender.on('destroyed', gone);
        event.sender.on('did-start-navigation', gone);
        event.sender.on('render-process-gone', gone);
      }
      const ac = inflight.begin(senderId, callId);
      try {
        return await dispatch(core, method, input, { signal: ac.signal });
      } finally {
        inflight.end(senderId, callId, ac);
      }
    });
  }
  const onCancel = (event: IpcMainEvent, callId: unknown) => {
    if (typeof callId !== 'string') return;
    if (senderProblem(describeSender(event), describeWindow(getWindow()))) return;
    inflight.cancel(event.sender.id, callId);
  };
  ipcMain.on(CANCEL_CHANNEL, onCancel);
  /** Our window's page, when it may be sent events. */
  const trustedContents = () => {
    const win = getWindow();
    if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return null;
    return isTrustedSender(win.webContents.getURL()) ? win.webContents : null;
  };
  // What the page has not taken yet is bounded (event-outbox.ts), whatever the page does.
  const outbox = new EventOutbox(
    {
      send: (name, payload) => trustedContents()?.send(eventChannel(name), payload),
      mark: (seq) => trustedContents()?.send(EVENTS_MARK_CHANNEL, seq),
    },
    outboxLimits,
  );
  const onAck = (event: IpcMainEvent, seq: unknown) => {
    if (typeof seq !== 'number' || senderProblem(describeSender(event), describeWindow(getWindow()))) return;
    outbox.ack(seq);
  };
  ipcMain.on(EVENTS_ACK_CHANNEL, onAck);
  let watchedPage: Electron.WebContents | null = null;
  const unsubscribe = core.events.subscribe((name, payload) => {
    const contents = trustedContents();
    if (!contents) return;
    if (watchedPage !== contents) {
      watchedPage = contents;
      // a new page starts with nothing in flight: the old one took its events with it
      contents.on('did-navigate', () => outbox.reset());
      contents.on('render-process-gone', () => outbox.reset());
    }
    outbox.push(name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeListener(EVENTS_ACK_CHANNEL, onAck);
    for (const c of channels) ipcMain.removeHandler(c);
    ipcMain.removeListener(CANCEL_CHANNEL, onCancel);
    inflight.abortAll();
  };
}
