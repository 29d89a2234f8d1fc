import type { MethodName, MethodOutput, MethodParsedInput } from '../../shared/contract/index.js';
import type { Core } from './core.js';

export interface CallContext {
  /** Cancellation of the call (client went away). */
  signal?: AbortSignal;
}

export type Handler<M extends MethodName> = (core: Core, input: MethodParsedInput<M>, ctx: CallContext) => MethodOutput<M> | Promise<MethodOutput<M>>;

/** A group of handlers for some of the contract's methods. */
export type Handlers<K extends MethodName> = { [M in K]: Handler<M> };
export type HandlerTable = Handlers<MethodName>;
