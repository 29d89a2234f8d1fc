/**
 * Preload (sandboxed, context-isolated): exposes `window.puesta` built from the contract.
 * A sandboxed preload may only require('electron'); scripts/build.mjs bundles everything else
 * (shared/, zod) into dist/electron/preload.cjs and checks that no other require() is left.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract/index.js';
import type { Envelope } from '../../shared/errors.js';
import { CANCEL_CHANNEL, EVENTS_ACK_CHANNEL, EVENTS_MARK_CHANNEL } from '../../shared/shell.js';
import { buildBridge } from './bridge.js';

const bridge = buildBridge(
  METHOD_NAMES,
  EVENT_NAMES,
  (channel, input, callId) => ipcRenderer.invoke(channel, input, callId) as Promise<Envelope<unknown>>,
  (channel, listener) => {
    const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
  (callId) => ipcRenderer.send(CANCEL_CHANNEL, callId),
);

contextBridge.exposeInMainWorld('puesta', bridge);

// The mark arrives after the events sent before it, so answering it says the page has taken them
// (a page too busy to take events does not answer, and main stops sending: event-outbox.ts).
ipcRenderer.on(EVENTS_MARK_CHANNEL, (_event, seq: unknown) => {
  if (typeof seq === 'number') ipcRenderer.send(EVENTS_ACK_CHANNEL, seq);
});
