/**
 * The suspension runs: one phase (suspend or reinstate) of one or several suspensions. The work of
 * every site on one host goes in ONE script over the host's pooled connection (batched: 20 sites
 * on a host are one exec), hosts in parallel; then ONE verification pass through the proxy. Each
 * host's progress is on disk as it happens (step, log) and told (`suspension.changed`); the
 * application × environment lock is held while a run moves; every run is audited.
 *
 * A run left moving by a process that died is `interrupted` when next read (`refreshInterrupted`);
 * since every host script is idempotent and the host keeps what it replaced, resuming runs the
 * same phase again and reinstating runs the reverse.
 */
import type { Suspension, SuspensionPhase, SuspensionStep } from '../../../shared/contract/suspension.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { deleteLock, getLock, putLock } from '../runs/lock-store.js';
import { leaseFromNow, lockHeldError, lockInfo } from '../runs/locks.js';
import { serverTarget } from '../ssh/target.js';
import { forEachLimit } from '../util/concurrency.js';
import { batchScript, lockedPart, type SiteLock } from './commands.js';
import { notifyCustomer } from './notify.js';
import { reinstateScriptFor, suspendScriptFor } from './plan.js';
import { finishRun, getSuspension, markInterrupted, setState, updateHost, type HostUpdate } from './suspension-store.js';
import { verifyAll, type VerifyItem } from './verify.js';

const HOST_PARALLELISM = 8;
const HOST_TIMEOUT_MS = 10 * 60_000;

/** The suspensions whose run this process drives, per core. */
const moving = new WeakMap<Core, Set<number>>();
const movingOf = (core: Core): Set<number> => {
  let s = moving.get(core);
  if (!s) moving.set(core, (s = new Set()));
  return s;
};

/** Runs found moving but driven by no one here (the process that drove them died): interrupted. */
export function refreshInterrupted(core: Core, list: Suspension[]): void {
  const mine = movingOf(core);
  const stale = list.filter((s) => (s.state === 'suspending' || s.state === 'reinstating') && !mine.has(s.id)).map((s) => s.id);
  if (stale.length) core.tx(() => markInterrupted(core, stale));
}

export function isMoving(core: Core, id: number): boolean {
  return movingOf(core).has(id);
}

const emit = (core: Core, s: Pick<Suspension, 'id' | 'contractId' | 'applicationId' | 'state'>): void =>
  core.events.emit('suspension.changed', { id: s.id, contractId: s.contractId, applicationId: s.applicationId, state: s.state });

/** The reason a suspension's own lock carries (its end releases that lock only). */
const lockReason = (s: Suspension): string => `suspension #${s.id} (${s.phase})`;

/**
 * Takes the application × environment lock of each suspension (all or none: call it in a
 * transaction). Refused (LOCKED) while a run or another operator holds it; the operator's own lock
 * taken by hand is kept as it is. Called first when the request is made (refused: nothing is
 * written) and again when the run starts.
 */
export function lockAll(core: Core, items: Suspension[], operator: string): void {
  for (const s of items) {
    const cur = getLock(core, s.applicationId, s.environmentId);
    if (cur && !cur.expired && (cur.runId !== null || cur.owner !== operator)) throw lockHeldError(cur);
    if (cur && !cur.expired) continue;
    putLock(core, { applicationId: s.applicationId, environmentId: s.environmentId, owner: operator, reason: lockReason(s), runId: null, since: nowIso(), leaseExpiresAt: leaseFromNow() });
  }
}

function unlockAll(core: Core, items: Suspension[]): void {
  for (const s of items) {
    const cur = getLock(core, s.applicationId, s.environmentId);
    if (cur && cur.runId === null && cur.reason === lockReason(s)) deleteLock(core, s.applicationId, s.environmentId);
  }
}

/**
 * The runs' host lock file of the suspension's site, as a direct action holds it (run=0, the
 * operator): another laptop's run or suspension of that application on the host is refused, and
 * this one is refused while theirs holds it. The token is the suspension's own (its two phases
 * never move at once), so a resume or a reinstatement after a crash takes back the file the crash
 * left instead of waiting for its lease.
 */
function siteLock(s: Suspension, base: string, operator: string): SiteLock {
  const token = `suspension-${s.id}-${operator.replace(/[^A-Za-z0-9@._-]+/g, '_')}`;
  const expiresEpoch = Math.floor((Date.now() + HOST_TIMEOUT_MS) / 1000) + 60;
  return { base, token, info: lockInfo({ token, runId: 0, owner: operator, reason: lockReason(s), expiresEpoch }) };
}

interface Part {
  suspension: Suspension;
  serverId: number;
  script: string;
}

/**
 * Drives the current run of each suspension (already inserted or reopened: hosts pending) to its
 * end. Resolves when every host and the verification are done; never throws for a host's failure
 * (the suspension is then `failed`, with the host's error).
 */
export async function drive(core: Core, ids: number[], phase: SuspensionPhase, runIds: Map<number, number>): Promise<Suspension[]> {
  const operator = core.operator();
  const items = ids.map((id) => getSuspension(core, id));
  const mine = movingOf(core);
  for (const s of items) {
    if (mine.has(s.id)) throw new PuestaError('CONFLICT', `Suspension #${s.id} is already moving.`);
  }
  core.tx(() => lockAll(core, items, operator));
  for (const s of items) mine.add(s.id);
  try {
    core.tx(() => {
      for (const s of items) {
        core.audit.write(operator, `suspension.${phase}`, 'suspensions', s.id, null, { application: s.applicationName, environment: s.environmentName, contract: s.contractReference, reason: s.reason, hosts: s.hosts.map((h) => h.serverName) });
      }
    });
    for (const s of items) emit(core, s);
    const parts: Part[] = [];
    for (const s of items) {
      const app = core.inventory.applications.get(s.applicationId);
      const lock = siteLock(s, app.basePath.replace(/\/+$/, ''), operator);
      for (const h of s.hosts) {
        if (h.state === 'done') continue;
        const script = phase === 'suspend' ? suspendScriptFor(core, app, s, h.serverId) : reinstateScriptFor(core, app, h.serverId);
        parts.push({ suspension: s, serverId: h.serverId, script: lockedPart(lock, script) });
      }
    }
    const byServer = new Map<number, Part[]>();
    for (const p of parts) byServer.set(p.serverId, [...(byServer.get(p.serverId) ?? []), p]);
    await forEachLimit([...byServer], HOST_PARALLELISM, ([serverId, ps]) => runHost(core, serverId, ps, phase));
    await verifyPass(core, items, phase);
    return items.map((s) => conclude(core, s.id, phase, runIds.get(s.id)));
  } finally {
    for (const s of items) mine.delete(s.id);
    core.tx(() => unlockAll(core, items));
  }
}

/** A host refused because another owner holds the site's lock file: who (their lock line), what to do. */
function heldText(s: Suspension, serverId: number, line: string): string {
  const owner = /owner=(\S+)/.exec(line)?.[1] ?? 'another operator';
  const run = /run=([0-9]+)/.exec(line)?.[1];
  const server = s.hosts.find((h) => h.serverId === serverId)?.serverName ?? `server #${serverId}`;
  return (
    `The lock on ${server} is held by ${owner}${run && run !== '0' ? ` (run #${run} on their computer)` : ''}: ${line}. Nothing was changed there. ` +
    `Wait for that run or suspension to end, then resume.`
  );
}

/** Merges host updates (later fields win, logs append). */
const merge = (a: HostUpdate | undefined, b: HostUpdate): HostUpdate => ({ ...a, ...b, appendLog: (a?.appendLog ?? '') + (b.appendLog ?? '') || undefined });

/**
 * One host: one script for all its sites; each site's progress from its output lines. The updates
 * of one chunk of output are written in one transaction and told once per site (20 sites print a
 * few hundred lines: one commit per line would hold the run up).
 */
async function runHost(core: Core, serverId: number, parts: Part[], phase: SuspensionPhase): Promise<void> {
  const byId = new Map(parts.map((p) => [p.suspension.id, p.suspension]));
  const moving = phase === 'suspend' ? 'suspending' : 'reinstating';
  const apply = (updates: Map<number, HostUpdate>): void => {
    core.tx(() => updates.forEach((u, id) => updateHost(core, id, serverId, u)));
    for (const id of updates.keys()) emit(core, { ...byId.get(id)!, state: moving });
  };
  apply(new Map(parts.map((p) => [p.suspension.id, { state: 'running', step: phase === 'suspend' ? 'record' : 'swap' }])));
  let current: number | null = null;
  let pending = '';
  const ended = new Set<number>();
  /** Parts refused by another owner's lock file (their error says who, not the exit code). */
  const refused = new Set<number>();
  const line = (l: string, out: Map<number, HostUpdate>): void => {
    const m = /^PUESTA_(BEGIN|END|STEP|PREVIOUS|WORKERS|HELD) ?(.*)$/.exec(l);
    const set = (u: HostUpdate): void => void out.set(current!, merge(out.get(current!), u));
    if (m?.[1] === 'BEGIN') current = Number(m[2]);
    else if (current === null) return;
    else if (m?.[1] === 'END') {
      const code = Number(m[2]!.split(' ')[1]);
      ended.add(current);
      if (code !== 0 && !refused.has(current)) set({ state: 'failed', error: `the ${phase} script stopped with exit code ${code} (see the log)` });
      current = null;
    } else if (m?.[1] === 'HELD') {
      refused.add(current);
      set({ state: 'failed', error: heldText(byId.get(current)!, serverId, m[2]!), appendLog: l + '\n' });
    } else if (m?.[1] === 'STEP') set({ step: m[2] as SuspensionStep });
    else if (m?.[1] === 'PREVIOUS' && phase === 'suspend') set({ previousTarget: m[2] || null });
    else if (m?.[1] === 'WORKERS' && phase === 'suspend') set({ stoppedWorkers: m[2]!.split(' ').filter(Boolean) });
    else set({ appendLog: l + '\n' });
  };
  const lines = (text: string): void => {
    const out = new Map<number, HostUpdate>();
    for (const l of text.split('\n')) line(l, out);
    if (out.size) apply(out);
  };
  try {
    const target = serverTarget(core, serverId);
    const r = await core.services.ssh.exec(target, batchScript(parts.map((p) => ({ id: p.suspension.id, script: p.script }))), {
      timeoutMs: HOST_TIMEOUT_MS,
      onChunk: (c) => {
        const text = pending + c.text;
        const cut = text.lastIndexOf('\n');
        pending = text.slice(cut + 1);
        if (cut >= 0) lines(text.slice(0, cut));
      },
    });
    if (pending) lines(pending);
    const unfinished = parts.filter((p) => !ended.has(p.suspension.id));
    apply(new Map(unfinished.map((p) => [p.suspension.id, { state: 'failed', error: `the host's script ended (exit ${r.exitCode ?? r.signal}) before this site's part finished` }])));
  } catch (e) {
    apply(new Map(parts.filter((p) => !ended.has(p.suspension.id)).map((p) => [p.suspension.id, { state: 'failed', error: (e as Error).message }])));
  }
}

/** The verification pass: every host whose script succeeded, through the proxy, at once. */
async function verifyPass(core: Core, items: Suspension[], phase: SuspensionPhase): Promise<void> {
  const todo: VerifyItem[] = [];
  core.tx(() => {
    for (const s0 of items) {
      const s = getSuspension(core, s0.id);
      for (const h of s.hosts) {
        if (h.state !== 'running') continue;
        updateHost(core, s.id, h.serverId, { step: 'verify' });
        todo.push({ suspension: s, serverId: h.serverId });
      }
    }
  });
  const results = await verifyAll(core, todo, phase);
  core.tx(() => {
    for (const [i, r] of results.entries()) {
      const { suspension, serverId } = todo[i]!;
      updateHost(core, suspension.id, serverId, r.ok ? { state: 'done', verification: r.verification, appendLog: r.note ? r.note + '\n' : undefined } : { state: 'failed', verification: r.verification, error: r.error });
    }
  });
}

/** The run's end for one suspension: its state from its hosts, the run finished, the customer told. */
function conclude(core: Core, id: number, phase: SuspensionPhase, runId: number | undefined): Suspension {
  const s = getSuspension(core, id);
  const ok = s.hosts.every((h) => h.state === 'done');
  const state = ok ? (phase === 'suspend' ? 'suspended' : 'reinstated') : 'failed';
  const done = core.tx(() => {
    setState(core, id, state);
    if (runId !== undefined && ok) finishRun(core, runId);
    core.audit.write(core.operator(), `suspension.${phase}.${ok ? 'done' : 'failed'}`, 'suspensions', id, null, {
      hosts: s.hosts.map((h) => ({ server: h.serverName, state: h.state, previous: h.previousTarget, stoppedWorkers: h.stoppedWorkers, error: h.error })),
    });
    return getSuspension(core, id);
  });
  if (ok) {
    try {
      notifyCustomer(core, done, phase);
    } catch (e) {
      // the servers did what was asked; the notice is the operator's to resend
      core.audit.write(core.operator(), `suspension.${phase}.notice-failed`, 'suspensions', id, null, { error: (e as Error).message });
    }
  }
  const told = getSuspension(core, id);
  emit(core, told);
  return told;
}
