import { isMethodName, methods, type MethodName } from '../../shared/contract/index.js';
import { invalidInput, PuestaError, type ApiErrorShape, type Envelope } from '../../shared/errors.js';
import { handlers } from './api.js';
import type { Core } from './core.js';
import type { CallContext, Handler } from './handlers.js';

/** Turns anything thrown into the `{code, message, details?}` that crosses the boundary. */
export function toApiError(e: unknown): ApiErrorShape {
  if (e instanceof PuestaError) return e.toJSON();
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_CONSTRAINT')) {
    return { code: 'CONFLICT', message: `The change conflicts with stored data (${err.message ?? err.code}).` };
  }
  return { code: 'INTERNAL', message: `Unexpected error: ${err?.message ?? String(e)}` };
}

/**
 * The one entry point of every transport: validates the input against the contract,
 * runs the handler, validates the output, and wraps the result in an envelope.
 */
export async function dispatch(core: Core, method: string, rawInput: unknown, ctx: CallContext = {}): Promise<Envelope<unknown>> {
  if (!isMethodName(method)) return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `There is no API method "${method}".` } };
  const spec = methods[method];
  const parsed = spec.input.safeParse(rawInput ?? {});
  if (!parsed.success) return { ok: false, error: invalidInput(parsed.error.issues).toJSON() };
  try {
    const handler = handlers[method] as Handler<MethodName>;
    const value = await handler(core, parsed.data as never, ctx);
    const out = spec.output.safeParse(value);
    if (!out.success) {
      return { ok: false, error: { code: 'INTERNAL', message: `The ${method} result did not match the contract: ${out.error.issues[0]?.message ?? ''} at ${out.error.issues[0]?.path.join('.') ?? ''}` } };
    }
    return { ok: true, value: out.data };
  } catch (e) {
    const error = toApiError(e);
    if (error.code === 'INTERNAL') console.error(`[puesta] ${method} failed:`, e);
    return { ok: false, error };
  }
}
