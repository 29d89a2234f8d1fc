/**
 * How many conflicts each of many windows has (the calendar asks for a whole view at once).
 * The facts are loaded once — the live windows around the span, their scopes, placements, servers,
 * contracts in force, blackouts — and each window goes through the same checks as
 * `windows.conflicts` (conflictsOf), answered from memory.
 */
import { DateTime } from 'luxon';
import type { Core } from '../core.js';
import { allPlacements, allServers, contractsInForceBetween, type Scope } from './audience-store.js';
import { conflictsOf, type ConflictFacts } from './conflicts.js';
import { blackoutsMeeting, liveWindowsOverlapping, noSuchWindow, windowScopes, windowSpans, type LiveWindow, type WindowScope } from './repo.js';

const minOf = (xs: string[]): string => xs.reduce((a, b) => (b < a ? b : a));
const maxOf = (xs: string[]): string => xs.reduce((a, b) => (b > a ? b : a));

export function conflictCounts(core: Core, ids: readonly number[]): { id: number; count: number }[] {
  if (!ids.length) return [];
  const spans = windowSpans(core, ids);
  for (const id of ids) if (!spans.has(id)) throw noSuchWindow(id);
  const mine = [...spans.values()];
  const live = liveWindowsOverlapping(core, minOf(mine.map((s) => s.start)), maxOf(mine.map((s) => s.end)), null);
  const scopes = windowScopes(core, [...new Set([...ids, ...live.map((w) => w.id)])]);
  const facts = memoryFacts(core, [...mine, ...live], live, scopes);
  return ids.map((id) => {
    const span = spans.get(id)!;
    return { id, count: conflictsOf(facts, { ...span, ...scopes.get(id)! }, id).length };
  });
}

/** Facts over the given windows, from one read of each table. */
function memoryFacts(core: Core, spans: { start: string; end: string }[], live: LiveWindow[], scopes: Map<number, WindowScope>): ConflictFacts {
  const servers = allServers(core);
  const inEnv = (serverId: number, env: number | null | undefined) => env == null || servers.get(serverId)?.environmentId === env;
  const serversOfApp = new Map<number, number[]>();
  const appsOnServer = new Map<number, number[]>();
  for (const [a, s] of allPlacements(core)) {
    (serversOfApp.get(a) ?? serversOfApp.set(a, []).get(a)!).push(s);
    (appsOnServer.get(s) ?? appsOnServer.set(s, []).get(s)!).push(a);
  }
  const from = minOf(spans.map((s) => s.start));
  const to = maxOf(spans.map((s) => s.end));
  const contracts = contractsInForceBetween(core, from.slice(0, 10), to.slice(0, 10));
  // Positions in `contracts` (list order) of the contracts covering each application.
  const contractsOfApp = new Map<number, number[]>();
  contracts.forEach((c, i) => {
    for (const a of c.applicationIds) (contractsOfApp.get(a) ?? contractsOfApp.set(a, []).get(a)!).push(i);
  });
  const blackouts = blackoutsMeeting(core, DateTime.fromISO(from).minus({ days: 1 }).toISODate()!, DateTime.fromISO(to).plus({ days: 1 }).toISODate()!);

  return {
    liveWindows: (start, end, selfId) => live.filter((w) => w.start < end && w.end > start && w.id !== (selfId ?? -1)),
    scopeOf: (id) => scopes.get(id) ?? { applicationIds: [], serverIds: [], environmentId: null },
    servers: (s) => {
      const out = new Map<number, string>();
      const add = (id: number) => {
        const srv = servers.get(id);
        if (srv !== undefined && inEnv(id, s.environmentId)) out.set(id, srv.name);
      };
      s.serverIds.forEach(add);
      for (const a of s.applicationIds) serversOfApp.get(a)?.forEach(add);
      return out;
    },
    contracts: (s: Scope) => {
      if (!s.applicationIds.length && !s.serverIds.length) return [];
      // as CONTRACTS_SQL: named applications placed in the environment, and those on its named servers
      const env = s.environmentId;
      const apps = new Set(s.applicationIds.filter((a) => env == null || (serversOfApp.get(a) ?? []).some((id) => inEnv(id, env))));
      for (const id of s.serverIds) if (inEnv(id, env)) appsOnServer.get(id)?.forEach((a) => apps.add(a));
      const at = new Set<number>();
      for (const a of apps) contractsOfApp.get(a)?.forEach((i) => at.add(i));
      const first = s.start.slice(0, 10);
      const last = s.end.slice(0, 10);
      return [...at]
        .sort((x, y) => x - y)
        .map((i) => contracts[i]!)
        .filter((c) => c.startDate <= last && c.lastDay >= first);
    },
    blackouts: (fromDate, toDate) => blackouts.filter((b) => b.startDate <= toDate && b.endDate >= fromDate),
  };
}
