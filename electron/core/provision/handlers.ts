/**
 * API handlers: the provisioning steps of an application (for the install checklist and its plan),
 * the upgrade review, and host statistics collected over SSH (kept locally as history).
 */
import { randomBytes } from 'node:crypto';
import { Application } from '../../../shared/contract/inventory.js';
import type { CollectedStats, HostStats, ServiceControlResult } from '../../../shared/contract/provision.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { targetOf } from '../ssh/handlers.js';
import { sshOf } from '../ssh/index.js';
import { healthUrlFor, healthUrlOf, hostAddressLine, parseStats, statsScript } from './monitoring.js';
import { parseServiceStatus, provisionSteps, serviceControlScript, serviceStatusScript, type ProvisionOptions } from './index.js';
import { dbPasswordSecretKey } from './postgres.js';
import { reviewUpgrade } from './review.js';

type ProvisionMethod =
  | 'services.control'
  | 'provision.steps'
  | 'provision.setDbPassword'
  | 'provision.dbPasswordStatus'
  | 'provision.review'
  | 'stats.collect'
  | 'stats.history'
  | 'stats.failing';

/**
 * Per-core provisioning options (where config files live, how supervisorctl and PostgreSQL are
 * reached). Defaults are Debian's; tests point them at private copies.
 */
export function configureProvision(core: Core, opts: ProvisionOptions): void {
  core.services.configure({ provision: opts });
}
export function provisionOptionsOf(core: Core): ProvisionOptions {
  return core.services.provision;
}

/** The provisioning steps of an application with this core's options: what the install checklist includes. */
export function provisionStepsFor(core: Core, applicationId: number) {
  const app = applicationOf(core, applicationId);
  const o = provisionOptionsOf(core);
  return provisionSteps(app, o.database === undefined && !needsDatabase(core, app) ? { ...o, database: false } : o);
}

/**
 * Whether the install includes the PostgreSQL step: the backup policy dumps the database, or the
 * operator stored a database password (provision.setDbPassword). An application without a
 * database installs without it. `configureProvision(core, { database })` overrides this.
 */
export function needsDatabase(core: Core, app: Application): boolean {
  return app.backupPolicy.databaseDump || core.secrets.has(dbPasswordSecretKey(app.id));
}

export function applicationOf(core: Core, id: number): Application {
  return Application.parse(core.inventory.applications.get(id));
}

interface PlacementRow {
  applicationId: number;
  serverId: number;
  serverName: string;
  applicationName: string;
}

function placements(core: Core, filter: { applicationId?: number; serverId?: number }): PlacementRow[] {
  return core.inventory.placements.list({ limit: 10_000, offset: 0, ...filter }).items as unknown as PlacementRow[];
}

const HISTORY_DAYS = 90;

export function storeStats(core: Core, s: HostStats): number {
  const r = core.db
    .prepare('INSERT INTO host_stats (server_id, application_id, at, stats, error) VALUES (?, ?, ?, ?, ?)')
    .run(s.serverId, s.applicationId, s.at, s.stats ? JSON.stringify(s.stats) : null, s.error ? JSON.stringify(s.error) : null);
  core.db.prepare('DELETE FROM host_stats WHERE server_id = ? AND at < ?').run(s.serverId, new Date(Date.now() - HISTORY_DAYS * 86_400_000).toISOString());
  return Number(r.lastInsertRowid);
}

/** Collects the stats of one server (and one application on it) now. Never throws for a host error. */
export async function collectStats(core: Core, serverId: number, app: Application | null, signal?: AbortSignal): Promise<HostStats> {
  const target = targetOf(core, serverId);
  const at = new Date().toISOString();
  const base = { id: null, at, serverId, serverName: target.name, applicationId: app?.id ?? null, applicationName: app?.name ?? null };
  let item: HostStats;
  try {
    const o = provisionOptionsOf(core);
    const script = statsScript(app, { ...(o.paths ? { paths: o.paths } : {}), ...(o.group ? { group: o.group } : {}), ...(o.manager ? { manager: o.manager } : {}) });
    const r = await sshOf(core).exec(target, hostAddressLine(target.host) + script, { sudo: target.user !== 'root', timeoutMs: 45_000, ...(signal ? { signal } : {}) });
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
  return item;
}

/**
 * Keeps the stats printed by the monitoring step of a run (its stdout) in the history, so the
 * install's own collection shows in the charts. Returns null when the output has no stats line.
 */
export function recordStepStats(core: Core, serverId: number, applicationId: number, stdout: string): HostStats | null {
  const app = applicationOf(core, applicationId);
  const server = core.inventory.servers.get(serverId) as { name: string; host: string };
  let stats: CollectedStats;
  try {
    stats = parseStats(stdout, healthUrlFor(healthUrlOf(app), server.host));
  } catch {
    return null;
  }
  const item: HostStats = { id: null, at: new Date().toISOString(), serverId, serverName: server.name, applicationId, applicationName: app.name, stats, error: null };
  item.id = storeStats(core, item);
  core.events.emit('stats.collected', { serverIds: [serverId], applicationId });
  return item;
}

interface StatsRow {
  id: number;
  server_id: number;
  application_id: number | null;
  at: string;
  stats: string | null;
  error: string | null;
  server_name: string | null;
  application_name: string | null;
}

export function statsHistory(core: Core, serverId: number, applicationId: number | undefined, limit: number): HostStats[] {
  const rows = core.db
    .prepare(
      `SELECT h.*, s.name AS server_name, a.name AS application_name FROM host_stats h
       JOIN servers s ON s.id = h.server_id LEFT JOIN applications a ON a.id = h.application_id
       WHERE h.server_id = ? AND (? IS NULL OR h.application_id = ?) ORDER BY h.at DESC, h.id DESC LIMIT ?`,
    )
    .all(serverId, applicationId ?? null, applicationId ?? null, limit) as StatsRow[];
  return rows.map(toHostStats);
}

function toHostStats(r: StatsRow): HostStats {
  return {
    id: r.id,
    at: r.at,
    serverId: r.server_id,
    serverName: r.server_name ?? '',
    applicationId: r.application_id,
    applicationName: r.application_name,
    stats: r.stats ? (JSON.parse(r.stats) as CollectedStats) : null,
    error: r.error ? (JSON.parse(r.error) as { code: string; message: string }) : null,
  };
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
  if (s.disk.totalKb > 0 && s.disk.usedKb / s.disk.totalKb > DISK_FULL_RATIO) out.push(`disk ${s.disk.path} ${Math.round((100 * s.disk.usedKb) / s.disk.totalKb)}% full`);
  return out;
}

/** The latest sample of each server × application, kept when it shows a problem. */
export function failingChecks(core: Core) {
  const rows = core.db
    .prepare(
      `SELECT h.*, s.name AS server_name, a.name AS application_name FROM host_stats h
       JOIN servers s ON s.id = h.server_id LEFT JOIN applications a ON a.id = h.application_id
       WHERE h.id = (SELECT h2.id FROM host_stats h2 WHERE h2.server_id = h.server_id AND h2.application_id IS h.application_id ORDER BY h2.at DESC, h2.id DESC LIMIT 1)
       ORDER BY s.name COLLATE NOCASE, a.name COLLATE NOCASE`,
    )
    .all() as StatsRow[];
  const items = [];
  for (const r of rows) {
    const h = toHostStats(r);
    const problems = problemsOf(h);
    if (problems.length) items.push({ serverId: h.serverId, serverName: h.serverName, applicationId: h.applicationId, applicationName: h.applicationName, at: h.at, problems });
  }
  return items;
}

export const provisionHandlers: Handlers<ProvisionMethod> = {
  'provision.steps': (core, input) => ({ items: provisionStepsFor(core, input.applicationId) }),

  'provision.setDbPassword': (core, input) => {
    const app = applicationOf(core, input.applicationId);
    const value = input.generate ? randomBytes(24).toString('base64url') : input.password!;
    core.tx(() => {
      core.secrets.set(dbPasswordSecretKey(app.id), value);
      core.audit.write(core.operator(), 'secret.set', 'applications', app.id, null, { secret: 'db-password', generated: input.generate });
    });
    return { stored: true as const };
  },

  'provision.dbPasswordStatus': (core, input) => ({ set: core.secrets.has(dbPasswordSecretKey(applicationOf(core, input.applicationId).id)) }),

  'provision.review': (core, input) => reviewUpgrade(core, applicationOf(core, input.applicationId), { serverId: input.serverId ?? null }),

  'stats.collect': async (core, input, ctx) => {
    const pairs: { serverId: number; app: Application | null }[] = [];
    if (input.applicationId !== undefined) {
      const app = applicationOf(core, input.applicationId);
      const ps = placements(core, { applicationId: app.id }).filter((p) => input.serverId === undefined || p.serverId === input.serverId);
      if (!ps.length) throw new PuestaError('PRECONDITION_FAILED', `${app.name} is not placed on ${input.serverId === undefined ? 'any server' : 'that server'}: add a placement first.`);
      for (const id of new Set(ps.map((p) => p.serverId))) pairs.push({ serverId: id, app });
    } else {
      const serverId = input.serverId!;
      core.inventory.servers.get(serverId);
      const apps = [...new Set(placements(core, { serverId }).map((p) => p.applicationId))];
      if (!apps.length) pairs.push({ serverId, app: null });
      for (const a of apps) pairs.push({ serverId, app: applicationOf(core, a) });
    }
    const items = await Promise.all(pairs.map((p) => collectStats(core, p.serverId, p.app, ctx.signal)));
    core.events.emit('stats.collected', { serverIds: [...new Set(items.map((i) => i.serverId))], applicationId: input.applicationId ?? null });
    return { items };
  },

  'services.control': async (core, input, ctx) => {
    const app = applicationOf(core, input.applicationId);
    if (input.service && !app.services.some((s) => s.name === input.service)) {
      throw new PuestaError('NOT_FOUND', `${app.name} has no service named ${input.service}; its services are: ${app.services.map((s) => s.name).join(', ') || 'none'}.`);
    }
    const ps = placements(core, { applicationId: app.id }).filter((p) => input.serverId === undefined || p.serverId === input.serverId);
    if (!ps.length) throw new PuestaError('PRECONDITION_FAILED', `${app.name} is not placed on ${input.serverId === undefined ? 'any server' : 'that server'}: add a placement first.`);
    const o = provisionOptionsOf(core);
    const so = { ...(o.paths ? { paths: o.paths } : {}), ...(o.group ? { group: o.group } : {}), ...(o.manager ? { manager: o.manager } : {}) };
    const script =
      (input.action === 'status' ? '' : `( ${serviceControlScript(app, input.action, input.service, so)} ) 2>&1 || echo "PUESTA_CONTROL_FAILED $?"\n`) + serviceStatusScript(app, so);
    const items = await Promise.all(
      [...new Set(ps.map((p) => p.serverId))].map(async (serverId): Promise<ServiceControlResult> => {
        const target = targetOf(core, serverId);
        try {
          const r = await sshOf(core).exec(target, hostAddressLine(target.host) + script, { sudo: target.user !== 'root', timeoutMs: 120_000, ...(ctx.signal ? { signal: ctx.signal } : {}) });
          const failed = r.exitCode !== 0 || /^PUESTA_CONTROL_FAILED/m.test(r.stdout);
          const output = (r.stdout.replace(/^PUESTA_SERVICE .*\n?/gm, '') + r.stderr).trim().split('\n').slice(-40).join('\n');
          return { serverId, serverName: target.name, ok: !failed, output, services: parseServiceStatus(r.stdout).filter((s) => !input.service || s.name === input.service) };
        } catch (e) {
          return { serverId, serverName: target.name, ok: false, output: e instanceof Error ? e.message : String(e), services: [] };
        }
      }),
    );
    if (input.action !== 'status') core.audit.write(core.operator(), `services.${input.action}`, 'applications', app.id, null, { service: input.service ?? null, servers: items.map((i) => ({ server: i.serverName, ok: i.ok })) });
    return { items };
  },

  'stats.history': (core, input) => ({ items: statsHistory(core, input.serverId, input.applicationId, input.limit) }),
  'stats.failing': (core) => ({ items: failingChecks(core) }),
};
