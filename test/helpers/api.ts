/**
 * The one way tests and benches call the API: through the real `dispatch` (input and output checked
 * against the contract, as every shell does), typed from the contract so a wrong input or a field
 * the output does not have fails `tsc`, not the run.
 */
import type { Core } from '../../electron/core/core.js';
import { dispatch } from '../../electron/core/dispatch.js';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract/index.js';
import { PuestaError, type ApiErrorShape } from '../../shared/errors.js';

/** Calls `method`; a failure throws a PuestaError carrying the API's code, message and details. */
export async function call<M extends MethodName>(core: Core, method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const r = await dispatch(core, method, input);
  if (!r.ok) throw new PuestaError(r.error.code, r.error.message, r.error.details);
  return r.value as MethodOutput<M>;
}

/**
 * Calls `method` expecting a failure and returns the error as it crosses the boundary; throws (so the
 * test fails) if the call succeeded. The input is `unknown` so a test can send an invalid one on purpose.
 */
export async function fails(core: Core, method: MethodName, input: unknown): Promise<ApiErrorShape> {
  const r = await dispatch(core, method, input);
  if (r.ok) throw new Error(`${method} succeeded but an error was expected`);
  return r.error;
}
