/**
 * What the two shells (Electron: electron/main + electron/preload; browser: electron/web) and the
 * renderer must agree on. It lives here because the shells may not import each other.
 */
import type { Envelope } from './errors.js';

/** The Content-Security-Policy of every page and response either shell serves. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** IPC channels: one per contract method (main handles, preload invokes), one per event (main sends). */
export const CALL_CHANNEL_PREFIX = 'puesta:call:';
export const EVENT_CHANNEL_PREFIX = 'puesta:event:';

/** The renderer asks main to abort a call in flight (by the call id it gave), as closing an HTTP request does. */
export const CANCEL_CHANNEL = 'puesta:cancel';

/**
 * Flow control of events (electron/main/event-outbox.ts): main sends a numbered mark after some
 * events, the preload answers it with an ack once the renderer has taken everything before it.
 */
export const EVENTS_MARK_CHANNEL = 'puesta:events-mark';
export const EVENTS_ACK_CHANNEL = 'puesta:events-ack';

export const callChannel = (method: string): string => CALL_CHANNEL_PREFIX + method;
export const eventChannel = (event: string): string => EVENT_CHANNEL_PREFIX + event;

/** A method of `window.puesta`: the input, and optionally an id naming the call for `cancel`. */
export type BridgeMethod = (input: unknown, callId?: string) => Promise<Envelope<unknown>>;

/**
 * `window.puesta` as the preload exposes it: one function per contract method, one subscribe
 * per contract event (each returning its unsubscribe), and `cancel(callId)` to abort a call in
 * flight — the same effect as the browser shell's aborted fetch (the handler's signal aborts).
 */
export type Bridge = Record<string, BridgeMethod> & {
  on: Record<string, (listener: (payload: unknown) => void) => () => void>;
  cancel: (callId: string) => void;
};

/** Names a contract method may not take: they are the bridge's own members. */
export const RESERVED_BRIDGE_NAMES: readonly string[] = ['on', 'cancel'];
