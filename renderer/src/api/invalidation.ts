/**
 * Cache keys and THE event → cache table of the renderer's data layer (api/queries.tsx). Plain
 * TypeScript, no React: test/unit/queries.test.ts checks the table against the contract.
 */
import { ENTITIES } from '../../../shared/contract/inventory.js';
import { METHOD_NAMES, type EventName, type EventPayload, type MethodInput, type MethodName } from '../../../shared/contract/index.js';

/** A method name, or every method of a group: `'windows.*'` matches `windows.get`, `windows.list`… */
export type MethodPattern = MethodName | `${string}.*`;

export type ApiQueryKey<M extends MethodName = MethodName> = readonly [M, MethodInput<M>];

/** The cache key of one call. TanStack hashes it with sorted object keys, so field order does not matter. */
export function queryKey<M extends MethodName>(method: M, input: MethodInput<M>): ApiQueryKey<M> {
  return [method, input] as const;
}

const INVENTORY_READS: MethodPattern[] = ENTITIES.map((e) => `${e}.*` as const);

/**
 * THE event → cache table: which reads an event makes stale. Streams (`runs.step`, `runs.log`,
 * `ssh.output`, `ssh.exit`) are not here: the screens that show them consume them with `useEvent`.
 */
export const EVENT_INVALIDATES: { [E in EventName]?: (payload: EventPayload<E>) => readonly MethodPattern[] } = {
  // Lists join names across entities (placements show server and application names), and the
  // audience, conflicts and upgrade review are computed from the inventory: any change refreshes all.
  'inventory.changed': () => [...INVENTORY_READS, 'search.global', 'inventory.usage', 'audit.*', 'windows.conflicts', 'windows.conflictCounts', 'windows.audience', 'notices.preview', 'provision.review'],
  'settings.changed': () => ['system.info'],
  'windows.changed': () => ['windows.*', 'blackouts.*', 'notices.campaigns', 'notices.preview', 'outbox.*'],
  'outbox.progress': () => ['notices.campaigns', 'outbox.*'],
  'outbox.status': () => ['outbox.status'],
  // A run that moves records releases, takes or gives back host locks, and a finished install or
  // upgrade is what the upgrade review compares with; the delivery metrics read the run history.
  'runs.state': () => ['runs.get', 'runs.list', 'locks.list', 'releases.*', 'provision.review', 'metrics.*', 'proxy.*'],
  'stats.collected': () => ['stats.*'],
  // a ledger read, an import or an acknowledgement: where patches stand, and the upgrade review's pending patches
  'dbpatch.changed': () => ['dbpatch.*', 'provision.review'],
  // A connection test or a collection is the server's last check (servers list, Today).
  'servers.checked': () => ['servers.checks', 'stats.failing'],
  // Logs pruned: run views say so, Settings shows the new figures.
  'history.changed': () => ['runs.get', 'runs.list', 'runs.exportLog', 'history.status'],
  // Events were dropped (a stalled tab, a renderer that fell behind): every open read reloads.
  'events.resync': () => METHOD_NAMES,
  // a suspension run moved (its state, a host's step or log): the suspension views, the contracts' status and the audit
  'suspension.changed': () => ['suspension.*', 'contracts.*', 'audit.*'],
  // a contract's lifecycle moved (evaluation, hold, renewal, decision…): its stage, timeline, history,
  // Today's decisions, the reminders queued (ledger), the suspensions a decision or renewal started
  // (a renewal moves the end date: the windows' contract_expires conflicts follow)
  'contracts.lifecycle': () => ['contracts.*', 'suspension.*', 'outbox.*', 'audit.*', 'windows.conflicts', 'windows.conflictCounts'],
};

export function matches(pattern: MethodPattern, method: string): boolean {
  return pattern.endsWith('.*') ? method.startsWith(pattern.slice(0, -1)) : method === pattern;
}
