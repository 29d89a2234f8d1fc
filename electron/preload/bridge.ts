/**
 * The shape of `window.puesta`, built by a pure function so it is unit-tested without Electron.
 * One function per contract method, one subscribe per contract event, each subscribe returning
 * its unsubscribe. Nothing generic: no raw `invoke(channel)`, no `send`, no access to ipcRenderer
 * or to the IPC event object (the renderer only ever gets the payload).
 */
import type { Envelope } from '../../shared/errors.js';
import { callChannel, eventChannel, RESERVED_BRIDGE_NAMES, type Bridge } from '../../shared/shell.js';

export type Invoke = (channel: string, input: unknown, callId?: string) => Promise<Envelope<unknown>>;
export type Subscribe = (channel: string, listener: (payload: unknown) => void) => () => void;
/** Sends a cancel request for the call with that id. */
export type Cancel = (callId: string) => void;

/** A call id: short, printable, bounded (main ignores anything else). */
const CALL_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function buildBridge(methodNames: readonly string[], eventNames: readonly string[], invoke: Invoke, subscribe: Subscribe, cancel: Cancel = () => {}): Bridge {
  const on: Record<string, (listener: (payload: unknown) => void) => () => void> = {};
  for (const name of eventNames) {
    const channel = eventChannel(name);
    on[name] = (listener) => {
      if (typeof listener !== 'function') throw new TypeError(`puesta.on["${name}"] needs a function.`);
      return subscribe(channel, (payload) => listener(payload));
    };
  }
  const bridge: Record<string, unknown> = {
    on: Object.freeze(on),
    cancel: (callId: unknown) => {
      if (typeof callId === 'string' && CALL_ID.test(callId)) cancel(callId);
    },
  };
  for (const name of methodNames) {
    if (RESERVED_BRIDGE_NAMES.includes(name)) throw new Error(`A contract method may not be called "${name}": window.puesta.${name} is the bridge's own.`);
    const channel = callChannel(name);
    bridge[name] = (input: unknown, callId?: unknown) => invoke(channel, input, typeof callId === 'string' && CALL_ID.test(callId) ? callId : undefined);
  }
  return Object.freeze(bridge) as Bridge;
}
