/**
 * The shape of `window.puesta`, built by a pure function so it is unit-tested without Electron.
 * One function per contract method, one subscribe per contract event, each subscribe returning
 * its unsubscribe. Nothing generic: no raw `invoke(channel)`, no `send`, no access to ipcRenderer
 * or to the IPC event object (the renderer only ever gets the payload).
 */
import type { Envelope } from '../../shared/errors.js';

export const CALL_CHANNEL_PREFIX = 'puesta:call:';
export const EVENT_CHANNEL_PREFIX = 'puesta:event:';

export const callChannel = (method: string): string => CALL_CHANNEL_PREFIX + method;
export const eventChannel = (event: string): string => EVENT_CHANNEL_PREFIX + event;

export type Invoke = (channel: string, input: unknown) => Promise<Envelope<unknown>>;
export type Subscribe = (channel: string, listener: (payload: unknown) => void) => () => void;

/** Structurally the renderer's `PreloadBridge` (renderer/src/api/client.ts). */
export type Bridge = Record<string, (input: unknown) => Promise<Envelope<unknown>>> & {
  on: Record<string, (listener: (payload: unknown) => void) => () => void>;
};

export function buildBridge(methodNames: readonly string[], eventNames: readonly string[], invoke: Invoke, subscribe: Subscribe): Bridge {
  const on: Record<string, (listener: (payload: unknown) => void) => () => void> = {};
  for (const name of eventNames) {
    const channel = eventChannel(name);
    on[name] = (listener) => {
      if (typeof listener !== 'function') throw new TypeError(`puesta.on["${name}"] needs a function.`);
      return subscribe(channel, (payload) => listener(payload));
    };
  }
  const bridge: Record<string, unknown> = { on: Object.freeze(on) };
  for (const name of methodNames) {
    if (name === 'on') throw new Error('A contract method may not be called "on": window.puesta.on holds the event subscriptions.');
    const channel = callChannel(name);
    bridge[name] = (input: unknown) => invoke(channel, input);
  }
  return Object.freeze(bridge) as Bridge;
}
