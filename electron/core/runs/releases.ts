/**
 * What is on the hosts: reading a host's releases (inspect), recording them after a run's `record`
 * step (the `record` step kind), and bringing the records in line with every host (releases.scan).
 */
import path from 'node:path';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { serverTarget } from '../ssh/target.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { forEachLimit } from '../util/concurrency.js';
import { inspectScript, inspectThenUnlockScript } from './commands.js';
import { releasedWithLastStep } from './host-locks.js';
import { hostUnlockScript } from './locks.js';
import { targetsOf } from './planner.js';
import { markRemoved, setCurrent, upsertRelease } from './release-store.js';
import type { HostContext, StepKind } from './step-kinds.js';

export const recordStep: StepKind = {
  name: 'record',
  matches: (s) => s.action === 'record',
  detail: (_s, v) => `record ${String(v['release.key'])} as current on ${String(v['host.name'])}`,
  afterHost: async (ctx) => {
    await recordRelease(ctx);
    return null;
  },
};

/**
 * What is on a host: the release `current` points at, and the folders under releases/. With
 * `unlock` (a run's release key and lock token) the same command then releases the run's host lock
 * when `current` points at that release.
 */
export async function inspect(executor: SshEngine, target: SshTarget, base: string, unlock?: { key: string; token: string }): Promise<{ currentKey: string; present: string[] }> {
  const script = unlock ? inspectThenUnlockScript(base, unlock.key, hostUnlockScript(base, unlock.token)) : inspectScript(base);
  const r = await executor.exec(target, script, { timeoutMs: 30_000 });
  const [head = '', ...names] = r.stdout.split('\0');
  const link = head.replace(/\n$/, '');
  return {
    currentKey: link ? path.basename(link) : '',
    present: names.filter((s) => s && !s.startsWith('.') && !s.endsWith('.tmp') && !s.endsWith('.git-tmp')),
  };
}

/** Nothing runs on the hosts after this step of the run (no enabled step follows it). */
const endsRun = (run: HostContext['run']) => run.steps.slice(run.currentStep + 1).every((s) => !s.enabled);

/**
 * Reads what is on the host (current link, releases/) and records it; the run's release must be
 * current. When this step ends the run, the same command releases the host's lock (one command
 * less per host at the end of every run).
 */
async function recordRelease({ core, run, target, vars, executor, log }: HostContext): Promise<void> {
  const base = String(vars['app.base']);
  const key = String(vars['release.key']);
  const last = endsRun(run);
  const { currentKey, present } = await inspect(executor, target, base, last ? { key, token: run.context.lockToken } : undefined);
  if (last && currentKey === key) releasedWithLastStep(run.context.lockToken, target.id);
  if (currentKey !== key) throw new PuestaError('COMMAND_FAILED', `current on ${target.name} points at "${currentKey || 'nothing'}", not at ${key}: run the switch step again.`);
  core.tx(() => {
    for (const k of present) {
      const mine = k === key && run.kind !== 'rollback';
      upsertRelease(
        core,
        run.applicationId,
        target.id,
        k,
        `${base}/releases/${k}`,
        mine
          ? {
              label: run.label,
              sha256: run.context.archive?.sha256 ?? String(vars['upload.sha256'] ?? ''),
              source: run.context.archive?.source ?? (run.context.git ? `git ${run.context.git.url} ${run.context.git.ref}` : ''),
              runId: run.id,
            }
          : {},
      );
    }
    markRemoved(core, run.applicationId, target.id, present);
    const relId = upsertRelease(core, run.applicationId, target.id, key, `${base}/releases/${key}`);
    setCurrent(core, run.applicationId, target.id, relId, run.id);
  });
  log('system', `recorded ${key} as current on ${target.name}; ${present.length} release(s) on the host\n`);
}

export interface ScannedHost {
  serverId: number;
  serverName: string;
  currentKey: string | null;
  present: string[];
  error: string | null;
}

/** releases.scan: reads every host of the application in the environment and brings the records in line. */
export async function scanReleases(core: Core, executor: SshEngine, applicationId: number, environmentId: number): Promise<ScannedHost[]> {
  const app = core.inventory.applications.get(applicationId) as { basePath: string };
  const base = app.basePath.replace(/\/+$/, '');
  const { hosts } = targetsOf(core, applicationId, environmentId);
  const out: ScannedHost[] = [];
  await forEachLimit(hosts, 8, async (h) => {
    try {
      const { currentKey, present } = await inspect(executor, serverTarget(core, h.serverId), base);
      core.tx(() => {
        for (const k of present) upsertRelease(core, applicationId, h.serverId, k, `${base}/releases/${k}`);
        markRemoved(core, applicationId, h.serverId, present);
        if (currentKey && present.includes(currentKey)) {
          setCurrent(core, applicationId, h.serverId, upsertRelease(core, applicationId, h.serverId, currentKey, `${base}/releases/${currentKey}`), null);
        }
      });
      out.push({ serverId: h.serverId, serverName: h.serverName, currentKey: currentKey || null, present, error: null });
    } catch (e) {
      out.push({ serverId: h.serverId, serverName: h.serverName, currentKey: null, present: [], error: (e as Error).message });
    }
  });
  return out.sort((a, b) => a.serverName.localeCompare(b.serverName));
}
