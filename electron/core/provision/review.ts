/**
 * Upgrade review: the provisioning part of the application record is kept as a snapshot each time
 * an install or upgrade applies it; before the next upgrade the current record is compared with the
 * last snapshot and every difference becomes a delta saying what the upgrade will do on the hosts.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import type { ProvisionDelta, ProvisionReview } from '../../../shared/contract/provision.js';
import type { Core } from '../core.js';
import { pendingPatches } from '../dbpatch/status.js';
import { appSlug } from './common.js';
import { insertSnapshot, lastSnapshot } from './snapshot-store.js';

export { lastSnapshot } from './snapshot-store.js';

/** The provisioning-relevant fields of an application. */
export interface ProvisionSnapshot {
  slug: string;
  runtimeUser: string;
  basePath: string;
  sharedDirs: string[];
  sharedFiles: string[];
  services: Application['services'];
  logRotation: Application['logRotation'];
  backupPolicy: Application['backupPolicy'];
  monitoring: Application['monitoring'];
  healthCheck: Application['healthCheck'];
}

export function snapshotOf(app: Application): ProvisionSnapshot {
  return {
    slug: appSlug(app),
    runtimeUser: app.runtimeUser,
    basePath: app.basePath,
    sharedDirs: [...app.sharedDirs],
    sharedFiles: [...app.sharedFiles],
    services: app.services.map((s) => ({ ...s })),
    logRotation: { ...app.logRotation },
    backupPolicy: { ...app.backupPolicy, paths: [...app.backupPolicy.paths] },
    monitoring: { ...app.monitoring },
    healthCheck: { ...app.healthCheck },
  };
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

function listDelta(kind: ProvisionDelta['kind'], what: string, before: string[], after: string[], add: string, rm: string): ProvisionDelta[] {
  const out: ProvisionDelta[] = [];
  for (const x of after) if (!before.includes(x)) out.push({ kind, what: `${what} ${x}`, before: null, after: x, action: add });
  for (const x of before) if (!after.includes(x)) out.push({ kind, what: `${what} ${x}`, before: x, after: null, action: rm });
  return out;
}

function fieldDeltas<T extends object>(kind: ProvisionDelta['kind'], label: string, before: T, after: T, action: string): ProvisionDelta[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: ProvisionDelta[] = [];
  for (const k of keys) {
    const b = (before as Record<string, unknown>)[k];
    const a = (after as Record<string, unknown>)[k];
    if (JSON.stringify(b) !== JSON.stringify(a)) out.push({ kind, what: `${label} ${k}`, before: str(b), after: str(a), action });
  }
  return out;
}

/**
 * The deltas between what was applied (`before`, null = never installed) and the inventory now.
 * `pendingPatches` are the database patches not applied yet (from the DB patch module), if known.
 */
export function diffSnapshots(before: ProvisionSnapshot | null, after: ProvisionSnapshot, pendingPatches: string[] = []): ProvisionDelta[] {
  const d: ProvisionDelta[] = [];
  if (!before) {
    d.push({ kind: 'user', what: 'runtime user', before: null, after: after.runtimeUser, action: 'create the user' });
    d.push({ kind: 'layout', what: 'base folder', before: null, after: after.basePath, action: 'create releases/, shared/, logs/, bin/' });
    for (const s of after.services) d.push({ kind: 'service', what: `${s.kind} service ${s.name}`, before: null, after: `${s.instances} × ${s.command}`, action: `install and start ${s.instances} instance(s)` });
  } else {
    if (before.runtimeUser !== after.runtimeUser) d.push({ kind: 'user', what: 'runtime user', before: before.runtimeUser, after: after.runtimeUser, action: 'create the new user if missing; files and services change owner (the old user is left in place)' });
    if (before.basePath !== after.basePath) d.push({ kind: 'layout', what: 'base folder', before: before.basePath, after: after.basePath, action: 'create the new layout; the old folder is left in place (move data by hand)' });
    d.push(...listDelta('layout', 'shared folder', before.sharedDirs, after.sharedDirs, 'create it under shared/', 'no longer linked into releases (left on disk)'));
    d.push(...listDelta('layout', 'shared file', before.sharedFiles, after.sharedFiles, 'create it (empty) under shared/', 'no longer linked into releases (left on disk)'));
    const bs = new Map(before.services.map((s) => [s.name, s]));
    const as = new Map(after.services.map((s) => [s.name, s]));
    for (const [name, a] of as) {
      const b = bs.get(name);
      if (!b) {
        d.push({ kind: 'service', what: `${a.kind} service ${name}`, before: null, after: `${a.instances} × ${a.command}`, action: `install and start ${a.instances} instance(s)` });
        continue;
      }
      if (b.instances !== a.instances) {
        d.push({
          kind: 'scale',
          what: `${name} instances`,
          before: String(b.instances),
          after: String(a.instances),
          action: a.instances > b.instances ? `start ${a.instances - b.instances} more instance(s)` : `stop ${b.instances - a.instances} instance(s)`,
        });
      }
      if (b.command !== a.command) d.push({ kind: 'service', what: `${name} command`, before: b.command, after: a.command, action: `rewrite the wrapper and restart every ${name} instance` });
      if (b.kind !== a.kind) d.push({ kind: 'service', what: `${name} kind`, before: b.kind, after: a.kind, action: 'rewrite the unit (description only)' });
    }
    for (const [name, b] of bs) if (!as.has(name)) d.push({ kind: 'service', what: `${b.kind} service ${name}`, before: `${b.instances} × ${b.command}`, after: null, action: 'stop every instance and remove its unit/program' });
    d.push(...fieldDeltas('logrotate', 'log rotation', before.logRotation, after.logRotation, 'rewrite the logrotate file (validated with logrotate -d)'));
    const bb = { ...before.backupPolicy, paths: before.backupPolicy.paths.join(' ') };
    const ab = { ...after.backupPolicy, paths: after.backupPolicy.paths.join(' ') };
    d.push(...fieldDeltas('backup', 'backup', bb, ab, 'rewrite backup.sh and its schedule'));
    d.push(...fieldDeltas('monitoring', 'monitoring', before.monitoring, after.monitoring, 'rewrite the statistics collector'));
    d.push(...fieldDeltas('health', 'health check', before.healthCheck, after.healthCheck, 'the next health checks use the new settings'));
  }
  for (const p of pendingPatches) d.push({ kind: 'database', what: `database patch ${p}`, before: null, after: p, action: 'apply the patch during the upgrade' });
  return d;
}

/** Records what an install/upgrade applied (called by the runs engine when the run succeeds). */
export function recordSnapshot(core: Core, app: Application, opts: { serverId?: number | null; runId?: number | null; kind?: 'install' | 'upgrade' } = {}): number {
  return insertSnapshot(core, {
    applicationId: app.id,
    serverId: opts.serverId ?? null,
    runId: opts.runId ?? null,
    kind: opts.kind ?? 'install',
    appliedAt: new Date().toISOString(),
    appliedBy: core.operator(),
    inventory: snapshotOf(app),
  });
}

export function reviewUpgrade(core: Core, app: Application, opts: { serverId?: number | null; pendingPatches?: string[] } = {}): ProvisionReview {
  const last = lastSnapshot(core, app.id, opts.serverId);
  return {
    applicationId: app.id,
    serverId: opts.serverId ?? null,
    firstInstall: !last,
    lastAppliedAt: last?.appliedAt ?? null,
    lastRunId: last?.runId ?? null,
    deltas: diffSnapshots(last?.snapshot ?? null, snapshotOf(app), opts.pendingPatches ?? pendingPatches(core, app.id)),
  };
}
