/**
 * The host side of a run's lock: `<base>/.puesta-lock` on every host of the run, taken when the run
 * starts or resumes (in one global order, see takeHostLocks), renewed while it lives, released
 * when it ends (scripts in locks.ts) — on a host whose last command (the record step ending the
 * run) already released it, not again.
 */
import type { PlanHost } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { serverTarget } from '../ssh/target.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { forEachLimit } from '../util/concurrency.js';
import { HOST_LEASE_S, hostLockScript, hostUnlockScript, lockInfo } from './locks.js';
import { getRun, type RunRow } from './run-store.js';

export interface HostLockEnv {
  readonly core: Core;
  readonly executor: SshEngine;
}

const lineOf = (run: RunRow) =>
  lockInfo({ token: run.context.lockToken, runId: run.id, owner: run.operator, reason: run.reason, expiresEpoch: Math.floor(Date.now() / 1000) + HOST_LEASE_S });

const baseOf = (run: RunRow, h: PlanHost) => String(run.context.vars[String(h.serverId)]!['app.base']);

/**
 * Hosts whose lock the run's own last command released, by the run's lock token (unique to one run
 * of one laptop, unlike run ids). In memory: after a restart the end releases them all again, which
 * is harmless.
 */
const releasedEarly = new Map<string, Set<number>>();

/** The run's last command on this host released its lock (see `inspectThenUnlockScript`): its end, renewals and abort skip the host. */
export function releasedWithLastStep(lockToken: string, serverId: number): void {
  const s = releasedEarly.get(lockToken) ?? new Set<number>();
  s.add(serverId);
  releasedEarly.set(lockToken, s);
}

const stillLocked = (run: RunRow, hosts: PlanHost[]) => hosts.filter((h) => !releasedEarly.get(run.context.lockToken)?.has(h.serverId));

/** What one lock attempt on a host came to. */
type Attempt = { host: PlanHost; taken: true } | { host: PlanHost; taken: false; holder: string } | { host: PlanHost; taken: false; error: PuestaError };

/**
 * The one order every laptop takes a run's host locks in: by address, port and base folder, which
 * are the same for everyone (server ids are not: each laptop has its own database).
 */
function globalOrder(core: Core, run: RunRow): { host: PlanHost; target: SshTarget; key: string }[] {
  return run.hosts
    .map((host) => {
      const target = serverTarget(core, host.serverId);
      return { host, target, key: `${target.host}\0${String(target.port).padStart(5, '0')}\0${baseOf(run, host)}` };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Writes the lock file on every host of the run, or on none. The first host in the global order is
 * taken alone: of two laptops starting together exactly one gets it, and the other stops there
 * without holding anything; the winner then takes the rest in parallel. A host that cannot be
 * reached (timeout, changed host key, refused login…) is reported with its own error, not as
 * LOCKED: a takeover is offered only when a real holder is there.
 */
export async function takeHostLocks({ core, executor }: HostLockEnv, id: number, override: boolean): Promise<void> {
  const run = getRun(core, id);
  releasedEarly.delete(run.context.lockToken);
  const info = lineOf(run);
  const attempt = async ({ host, target }: { host: PlanHost; target: SshTarget }): Promise<Attempt> => {
    try {
      const r = await executor.exec(target, hostLockScript(baseOf(run, host), info, run.context.lockToken, override), { timeoutMs: 30_000 });
      const out = r.stdout.trim();
      if (r.exitCode === 0) {
        if (out.startsWith('TAKEN')) {
          core.audit.write(run.operator, override ? 'lock.override' : 'lock.take-expired', 'host-lock', host.serverId, { file: out.slice(6) }, { runId: id });
        }
        return { host, taken: true };
      }
      if (r.exitCode === 3) return { host, taken: false, holder: out.replace(/^HELD /, '') };
      return {
        host,
        taken: false,
        error: new PuestaError('COMMAND_FAILED', `The lock file on ${host.serverName} could not be written (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`, {
          serverId: host.serverId,
        }),
      };
    } catch (e) {
      const err = e instanceof PuestaError ? e : new PuestaError('SSH_ERROR', `${host.serverName}: ${(e as Error).message}`);
      return { host, taken: false, error: err };
    }
  };
  const [first, ...rest] = globalOrder(core, run);
  if (!first) return;
  const results = [await attempt(first)];
  if (results[0]!.taken) {
    await forEachLimit(rest, run.parallelism, async (h) => {
      results.push(await attempt(h));
    });
  }
  const failed = results.filter((r) => !r.taken);
  if (!failed.length) return;
  await releaseHostLocks(
    { core, executor },
    run,
    results.filter((r) => r.taken).map((r) => r.host),
  );
  const broken = failed.find((r): r is Extract<Attempt, { error: PuestaError }> => 'error' in r);
  if (broken) throw broken.error;
  const held = failed as Extract<Attempt, { holder: string }>[];
  const top = held[0]!;
  const owner = /owner=(\S+)/.exec(top.holder)?.[1] ?? null;
  throw new PuestaError(
    'LOCKED',
    `The lock on ${top.host.serverName} could not be taken: ${owner ? `held by ${owner} (${top.holder})` : top.holder}. ` +
      `Wait for that deploy to finish, or start again with the lock override if it is stale.`,
    { owner, hosts: held.map((r) => ({ serverId: r.host.serverId, serverName: r.host.serverName, holder: r.holder })) },
  );
}

export async function releaseHostLocks({ core, executor }: HostLockEnv, run: RunRow, hosts: PlanHost[] = run.hosts): Promise<void> {
  const todo = stillLocked(run, hosts);
  releasedEarly.delete(run.context.lockToken);
  await forEachLimit(todo, run.parallelism, async (h) => {
    try {
      await executor.exec(serverTarget(core, h.serverId), hostUnlockScript(baseOf(run, h), run.context.lockToken), { timeoutMs: 30_000 });
    } catch {
      // an unreachable host keeps its lock file until the lease expires
    }
  });
}

/** Rewrites this run's lock file on its hosts with a fresh expiry (failures are ignored: the next renewal retries). */
export async function renewHostLocks({ core, executor }: HostLockEnv, id: number): Promise<void> {
  const run = getRun(core, id);
  if (run.state !== 'running' && run.state !== 'waiting') return;
  const info = lineOf(run);
  await forEachLimit(stillLocked(run, run.hosts), run.parallelism, async (h) => {
    await executor.exec(serverTarget(core, h.serverId), hostLockScript(baseOf(run, h), info, run.context.lockToken, false), { timeoutMs: 30_000 }).catch(() => undefined);
  });
}
