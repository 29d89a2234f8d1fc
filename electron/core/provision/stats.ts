/**
 * Host statistics: collected over SSH (or from the monitoring step of a run), kept as history
 * (stats-store.ts), and read back as the problems Today shows.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { dfUsedPercent, type CollectedStats, type HostStats } from '../../../shared/contract/provision.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { serverTarget } from '../ssh/target.js';
import { applicationOf, placementsOf, serviceOptionsOf } from './context.js';
import { healthUrlFor, healthUrlOf, hostAddressLine, parseStats, statsScript } from './monitoring.js';
import { failedConnections, lastChecks, recordCheck } from '../repos/server-checks.js';
import { latestStats, storeStats } from './stats-store.js';

/** Collects the stats of one server (and one application on it) now. Never throws for a host error. */
export async function collectStats(core: Core, serverId: number, app: Application | null, signal?: AbortSignal): Promise<HostStats> {
  const target = serverTarget(core, serverId);
  const at = new Date().toISOString();
  const base = { id: null, at, serverId, serverName: target.name, applicationId: app?.id ?? null, applicationName: app?.name ?? null };
  let item: HostStats;
  try {
    const script = statsScript(app, serviceOptionsOf(core));
    const r = await core.services.ssh.exec(target, hostAddressLine(target.host) + script, { sudo: target.user !== 'root', timeoutMs: 45_000, ...(signal ? { signal } : {}) });
    let stats: CollectedStats;
    try {
      stats = parseStats(r.stdout, app ? healthUrlFor(healthUrlOf(app), target.host) : null);
    } catch (e) {
      if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', `The statistics command failed on ${target.name} (exit ${r.exitCode}): ${r.stderr.trim().slice(-300) || 'no message'}`);
      throw e;
    }
    item = { ...base, stats, error: null };
  } catch (e) {
    const err = e instanceof PuestaError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
    item = { ...base, stats: null, error: err };
  }
  item.id = storeStats(core, item);
  checked(core, item);
  return item;
}

/** A collection is the server's last check: reached and read, or why not (its problems, if any, as the message). */
function checked(core: Core, h: HostStats): void {
  recordCheck(core.db, { serverId: h.serverId, at: h.at, kind: 'stats', ok: h.error === null, code: h.error?.code ?? null, message: h.error?.message ?? problemsOf(h).join('; ') });
}

/**
 * Collects now for an application (on each server it is placed on, or one of them) or for a server
 * (each application placed on it, or the bare host). Emits `stats.collected`.
 */
export async function collectFor(core: Core, input: { applicationId?: number | undefined; serverId?: number | undefined }, signal?: AbortSignal): Promise<HostStats[]> {
  const pairs: { serverId: number; app: Application | null }[] = [];
  if (input.applicationId !== undefined) {
    const app = applicationOf(core, input.applicationId);
    const ps = placementsOf(core, { applicationId: app.id }).filter((p) => input.serverId === undefined || p.serverId === input.serverId);
    if (!ps.length) throw new PuestaError('PRECONDITION_FAILED', `${app.name} is not placed on ${input.serverId === undefined ? 'any server' : 'that server'}: add a placement first.`);
    for (const id of new Set(ps.map((p) => p.serverId))) pairs.push({ serverId: id, app });
  } else {
    const serverId = input.serverId!;
    core.inventory.servers.get(serverId);
    const apps = [...new Set(placementsOf(core, { serverId }).map((p) => p.applicationId))];
    if (!apps.length) pairs.push({ serverId, app: null });
    for (const a of apps) pairs.push({ serverId, app: applicationOf(core, a) });
  }
  const items = await Promise.all(pairs.map((p) => collectStats(core, p.serverId, p.app, signal)));
  const serverIds = [...new Set(items.map((i) => i.serverId))];
  core.events.emit('stats.collected', { serverIds, applicationId: input.applicationId ?? null });
  core.events.emit('servers.checked', { serverIds });
  return items;
}

/**
 * Keeps the stats printed by the monitoring step of a run (its stdout) in the history, so the
 * install's own collection shows in the charts. Returns null when the output has no stats line.
 */
export function recordStepStats(core: Core, serverId: number, applicationId: number, stdout: string): HostStats | null {
  const app = applicationOf(core, applicationId);
  const server = core.inventory.servers.get(serverId);
  let stats: CollectedStats;
  try {
    stats = parseStats(stdout, healthUrlFor(healthUrlOf(app), server.host));
  } catch {
    return null;
  }
  const item: HostStats = { id: null, at: new Date().toISOString(), serverId, serverName: server.name, applicationId, applicationName: app.name, stats, error: null };
  item.id = storeStats(core, item);
  checked(core, item);
  core.events.emit('stats.collected', { serverIds: [serverId], applicationId });
  core.events.emit('servers.checked', { serverIds: [serverId] });
  return item;
}

/** Disk use above this share counts as a problem on Today. */
export const DISK_FULL_RATIO = 0.9;

/** What is wrong in one collected sample (empty: all well). */
export function problemsOf(h: HostStats): string[] {
  if (h.error) return [`could not be read: ${h.error.message}`];
  const s = h.stats;
  if (!s) return [];
  const out: string[] = [];
  if (s.health && !s.health.ok) out.push(`health check ${s.health.url} answered ${s.health.status || 'nothing'}`);
  for (const svc of s.services) if (svc.running < svc.expected) out.push(`${svc.name}: ${svc.running}/${svc.expected} running`);
  const diskPct = dfUsedPercent(s.disk.usedKb, s.disk.availableKb);
  if (diskPct > 100 * DISK_FULL_RATIO) out.push(`disk ${s.disk.path} ${diskPct}% full`);
  return out;
}

/**
 * The latest sample of each server × application, kept when it shows a problem, and the servers
 * whose last check was a failed connection test. A sample that could not reach its host is dropped
 * once a later connection test got through: it no longer says how the host is.
 */
export function failingChecks(core: Core) {
  const last = new Map(lastChecks(core.db).map((c) => [c.serverId, c]));
  const items = [];
  for (const h of latestStats(core)) {
    const c = last.get(h.serverId);
    if (h.error && c?.kind === 'connection' && c.at > h.at) continue;
    const problems = problemsOf(h);
    if (problems.length) items.push({ serverId: h.serverId, serverName: h.serverName, applicationId: h.applicationId, applicationName: h.applicationName, at: h.at, problems });
  }
  for (const c of failedConnections(core.db)) {
    items.push({ serverId: c.serverId, serverName: c.serverName, applicationId: null, applicationName: null, at: c.at, problems: [`connection test failed: ${c.message}`] });
  }
  return items.sort((a, b) => a.serverName.localeCompare(b.serverName, undefined, { sensitivity: 'base' }) || (a.applicationName ?? '').localeCompare(b.applicationName ?? ''));
}
