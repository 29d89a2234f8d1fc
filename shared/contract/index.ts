/**
 * THE contract: every API method and every event, as zod schemas.
 * Preload, IPC handlers, the web shell and the renderer client are all driven by this table.
 * Adding a method = a schema here (in a group file) + a handler in electron/core/api.ts.
 */
import type { z } from 'zod';
import type { MethodSpec } from './common.js';
import { contractsEvents, contractsMethods } from './contracts.js';
import { dbpatchEvents, dbpatchMethods } from './dbpatch.js';
import { historyEvents, historyMethods } from './history.js';
import { inventoryMethods } from './inventory.js';
import { metricsMethods } from './metrics.js';
import { noticesEvents, noticesMethods } from './notices.js';
import { provisionEvents, provisionMethods } from './provision.js';
import { proxyMethods } from './proxy.js';
import { runsEvents, runsMethods } from './runs.js';
import { sshEvents, sshMethods } from './ssh.js';
import { suspensionEvents, suspensionMethods } from './suspension.js';
import { systemEvents, systemMethods } from './system.js';
import { windowsEvents, windowsMethods } from './windows.js';

export const methods = {
  ...systemMethods,
  ...inventoryMethods,
  ...sshMethods,
  ...runsMethods,
  ...provisionMethods,
  ...proxyMethods,
  ...windowsMethods,
  ...noticesMethods,
  ...metricsMethods,
  ...dbpatchMethods,
  ...historyMethods,
  ...suspensionMethods,
  ...contractsMethods,
} as const satisfies Record<string, MethodSpec>;

export const events = {
  ...systemEvents,
  ...sshEvents,
  ...runsEvents,
  ...provisionEvents,
  ...windowsEvents,
  ...noticesEvents,
  ...dbpatchEvents,
  ...historyEvents,
  ...suspensionEvents,
  ...contractsEvents,
} as const satisfies Record<string, z.ZodTypeAny>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isMethodName(x: string): x is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, x);
}
export function isEventName(x: string): x is EventName {
  return Object.prototype.hasOwnProperty.call(events, x);
}

/** Per-call options: a signal that cancels the call (the core's handler sees its signal abort). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** The interface the renderer talks to, whatever the transport. */
export interface PuestaApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>, opts?: CallOptions): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export * from './common.js';
export * from './contracts.js';
export * from './dbpatch.js';
export * from './history.js';
export * from './inventory.js';
export * from './metrics.js';
export * from './notices.js';
export * from './provision.js';
export * from './proxy.js';
export * from './runs.js';
export * from './ssh.js';
export * from './suspension.js';
export * from './system.js';
export * from './windows.js';
