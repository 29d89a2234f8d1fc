import type { CallOptions, EventName, EventPayload, MethodInput, MethodName, MethodOutput, PuestaApi } from '../../../shared/contract/index.js';
import { isErrorCode, PuestaError, type Envelope } from '../../../shared/errors.js';
import type { Bridge } from '../../../shared/shell.js';

function unwrap<T>(env: Envelope<T>): T {
  if (env.ok) return env.value;
  throw new PuestaError(isErrorCode(env.error.code) ? env.error.code : 'INTERNAL', env.error.message, env.error.details);
}

const cancelled = () => new PuestaError('CANCELLED', 'The call was cancelled.');
let callSeq = 0;

/** Desktop shell: window.puesta from electron/preload. */
export function ipcApi(bridge: Bridge): PuestaApi {
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>, opts: CallOptions = {}): Promise<MethodOutput<M>> {
      const fn = bridge[method];
      if (typeof fn !== 'function') throw new PuestaError('UNKNOWN_METHOD', `The desktop shell does not expose ${method}.`);
      const { signal } = opts;
      if (!signal) return unwrap((await fn(input)) as Envelope<MethodOutput<M>>);
      if (signal.aborted) throw cancelled();
      // The id names this call for main, which aborts the handler's signal on `cancel(id)`.
      const id = `c${++callSeq}`;
      const onAbort = () => bridge.cancel(id);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return unwrap((await fn(input, id)) as Envelope<MethodOutput<M>>);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    on<E extends EventName>(event: E, listener: (p: EventPayload<E>) => void) {
      const sub = bridge.on[event];
      return sub ? sub(listener as (p: unknown) => void) : () => {};
    },
  };
}

/** Told by the shell before it drops a stream, and reported here when the stream is open again. */
const RESYNC: EventName = 'events.resync';

/**
 * Browser shell: POST /api/<method> with the HttpOnly cookie; events over one EventSource.
 * The shell drops a stream that falls behind (electron/web/event-stream.ts) and a connection can
 * break; the EventSource reconnects by itself, and once it is open again `events.resync` tells
 * the screens that events were missed, so they reload what they show.
 */
export function httpApi(base = ''): PuestaApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const deliver = (event: string, payload: unknown) => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };
  let source: EventSource | null = null;
  const ensureSource = () => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(`${base}/api/events`);
    let lost = false;
    source.addEventListener('error', () => {
      lost = true;
    });
    source.addEventListener('open', () => {
      if (lost) deliver(RESYNC, { reason: 'reconnected' });
      lost = false;
    });
  };
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>, opts: CallOptions = {}): Promise<MethodOutput<M>> {
      let res: Response;
      try {
        // Aborting closes the request; the browser shell then aborts the handler's signal.
        res = await fetch(`${base}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify(input ?? {}),
          signal: opts.signal ?? null,
        });
      } catch (e) {
        if (opts.signal?.aborted) throw cancelled();
        throw new PuestaError('INTERNAL', `Puesta's local server does not answer (${(e as Error).message}). Is \`npm start\` still running?`);
      }
      let env: Envelope<MethodOutput<M>>;
      try {
        env = (await res.json()) as Envelope<MethodOutput<M>>;
      } catch {
        if (opts.signal?.aborted) throw cancelled();
        throw new PuestaError('INTERNAL', `Unexpected answer from the local server (HTTP ${res.status}).`);
      }
      return unwrap(env);
    },
    on<E extends EventName>(event: E, listener: (p: EventPayload<E>) => void) {
      ensureSource();
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        const s = set;
        // the shell's own resync comes just before its stream closes: it is reported once open again
        if (event !== RESYNC) {
          source?.addEventListener(event, (ev) => {
            const data = JSON.parse((ev as MessageEvent<string>).data) as unknown;
            for (const l of s) l(data);
          });
        }
      }
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
}

declare global {
  interface Window {
    puesta?: Bridge;
  }
}

/** Picks the transport: the preload bridge in Electron, HTTP in a browser. */
export function detectApi(): PuestaApi {
  return typeof window !== 'undefined' && window.puesta ? ipcApi(window.puesta) : httpApi('');
}
