/**
 * The runs engine of one core (`runsOf(core)`): a state machine that walks a run's steps; each
 * step runs on all its target hosts with bounded parallelism; manual steps wait for `confirm`;
 * check steps retry until their deadline; a failed step pauses the run until the operator chooses
 * retry / skip (with a note) / exclude a host / abort. Everything is on disk as it happens: cell
 * states at once, logs in batches (LogWriter) emitted to the UI only after they are stored.
 * A run found 'running' when a core starts (the app quit or crashed) becomes 'interrupted' and can
 * be resumed from the interrupted step.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { ChecklistStep, PlanHost, Run, RunCell, StepCheck } from '../../../shared/contract/runs.js';
import { StartInput } from '../../../shared/contract/runs.js';
import type { Server } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso } from '../repos/entity.js';
import { afterProvisionedRun, afterProvisionStep, isProvisionStep, provisionStdin } from '../provision/checklist.js';
import { sshOf } from '../ssh/index.js';
import { sh } from '../ssh/quote.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { HOST_LEASE_S, HOST_RENEW_MS, hostLockScript, hostUnlockScript, leaseFromNow, lockInfo, releaseLocalLock, takeLocalLock } from './locks.js';
import { LogWriter } from './logwriter.js';
import { buildPlan, commandOf, stepApplies, targetsOf } from './planner.js';
import {
  cellsOf,
  getCell,
  getRun,
  insertCell,
  insertRun,
  markRemoved,
  renewLock,
  setCurrent,
  summaryOf,
  updateCell,
  updateRun,
  upsertRelease,
  usualDurations,
  type CellRow,
  type RunContext,
  type RunRow,
} from './store.js';
import { checkTemplate, render } from './template.js';

type StartParsed = ReturnType<typeof StartInput.parse>;

const TERMINAL = new Set(['succeeded', 'aborted']);

export class RunsEngine {
  readonly logs: LogWriter;
  private executorOverride: SshEngine | null = null;
  private readonly controllers = new Map<number, AbortController>();
  private readonly driving = new Map<number, Promise<void>>();
  private readonly aborting = new Set<number>();
  /** Runs whose lock lease this process renews. */
  private readonly held = new Set<number>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly core: Core) {
    this.logs = new LogWriter(core);
    this.recover();
    this.heartbeat = setInterval(() => this.renewLeases(), 60_000);
    this.heartbeat.unref();
  }

  get executor(): SshEngine {
    return this.executorOverride ?? sshOf(this.core);
  }
  setExecutor(e: SshEngine | null): void {
    this.executorOverride = e;
  }

  /** Runs left 'running' by a process that is gone become 'interrupted' at their step. */
  private recover(): void {
    const db = this.core.db;
    this.core.tx(() => {
      db.prepare(`UPDATE run_steps SET state = 'interrupted', finished_at = coalesce(finished_at, ?) WHERE state = 'running' AND run_id IN (SELECT id FROM runs WHERE state = 'running')`).run(nowIso());
      db.prepare(`UPDATE runs SET state = 'interrupted', waiting_for = NULL WHERE state = 'running'`).run();
    });
  }

  private lastHostRenew = Date.now();

  private renewLeases(): void {
    const hosts = Date.now() - this.lastHostRenew >= HOST_RENEW_MS - 5000;
    if (hosts) this.lastHostRenew = Date.now();
    for (const id of this.held) {
      try {
        renewLock(this.core, id, leaseFromNow());
        if (hosts) void this.renewHostLocks(id);
      } catch {
        // the DB may be closing
      }
    }
  }

  /** Rewrites this run's lock file on its hosts with a fresh expiry (failures are ignored: the next renewal retries). */
  private async renewHostLocks(id: number): Promise<void> {
    const run = getRun(this.core, id);
    if (run.state !== 'running' && run.state !== 'waiting') return;
    const expires = Math.floor(Date.now() / 1000) + HOST_LEASE_S;
    const info = lockInfo({ token: run.context.lockToken, runId: id, owner: run.operator, reason: run.reason, expiresEpoch: expires });
    await pool(run.hosts, run.parallelism, async (h) => {
      const v = run.context.vars[String(h.serverId)]!;
      await this.executor.exec(this.target(h.serverId), hostLockScript(String(v['app.base']), info, run.context.lockToken, false), { timeoutMs: 30_000 }).catch(() => undefined);
    });
  }

  // ------------------------------------------------------------ views and events
  view(id: number): Run {
    const r = getRun(this.core, id);
    const usual = usualDurations(this.core, r.applicationId);
    return {
      ...summaryOf(r),
      hosts: r.hosts,
      excludedServerIds: r.excluded,
      steps: r.steps.map((s, index) => ({ ...s, index, usualMs: usual.get(s.key) ?? null })),
      cells: cellsOf(this.core, id).map(publicCell),
      rollbackOffer: (r.rollbackOffer as Run['rollbackOffer']) ?? null,
    };
  }

  private emitState(id: number): void {
    this.core.events.emit('runs.state', summaryOf(getRun(this.core, id)));
  }

  private emitCell(c: CellRow): void {
    this.core.events.emit('runs.step', { runId: c.runId, ...publicCell(c) });
  }

  private setCell(id: number, p: Parameters<typeof updateCell>[2]): CellRow {
    updateCell(this.core, id, p);
    const c = getCell(this.core, id);
    this.emitCell(c);
    return c;
  }

  private target(serverId: number): SshTarget {
    const s = this.core.inventory.servers.get(serverId) as unknown as Server;
    return { id: s.id, name: s.name, host: s.host, port: s.port, user: s.user, auth: s.auth, keyPath: s.keyPath };
  }

  // ------------------------------------------------------------ start
  async start(input: StartParsed): Promise<Run> {
    const core = this.core;
    const env = core.inventory.environments.get(input.environmentId) as { name: string; confirmRuns: boolean };
    if (env.confirmRuns && (input.confirmName ?? '').trim() !== env.name) {
      throw new PuestaError('PRECONDITION_FAILED', `Runs on ${env.name} need a typed confirmation: type the environment name "${env.name}" to start.`, {
        confirmName: env.name,
      });
    }
    const { confirmName: _c, reason, overrideLock, ...req } = input;
    const planned = await buildPlan(core, req, { pack: true });
    const operator = core.operator();
    const token = randomUUID();
    const context: RunContext = { vars: planned.vars, archive: planned.archive, git: planned.git, lockToken: token, serverIds: planned.hosts.map((h) => h.serverId) };
    const id = core.tx(() => {
      const runId = insertRun(core, {
        applicationId: planned.app.id,
        environmentId: planned.env.id,
        kind: req.kind,
        releaseKey: planned.plan.releaseKey,
        label: planned.plan.label,
        steps: planned.steps,
        hosts: planned.hosts,
        context,
        operator,
        reason,
        parallelism: req.parallelism,
      });
      for (const v of Object.values(context.vars)) v['run.id'] = runId;
      updateRun(core, runId, { context });
      // refused (LOCKED) when another run holds a live lease: the transaction then writes nothing
      takeLocalLock(core, { applicationId: planned.app.id, environmentId: planned.env.id, runId, owner: operator, reason, override: overrideLock });
      planned.steps.forEach((st, i) => {
        if (st.kind === 'manual') return insertCell(core, runId, i, st.key, null, st.enabled ? 'pending' : 'skipped', st.enabled ? '' : 'disabled in the checklist');
        for (const h of planned.hosts) {
          if (!stepApplies(st, h)) continue;
          insertCell(core, runId, i, st.key, h.serverId, st.enabled ? 'pending' : 'skipped', st.enabled ? '' : 'disabled in the checklist');
        }
      });
      core.audit.write(operator, 'run.start', 'runs', runId, null, { kind: req.kind, application: planned.app.name, environment: planned.env.name, release: planned.plan.releaseKey, reason });
      return runId;
    });
    this.held.add(id);
    this.emitState(id);
    try {
      await this.takeHostLocks(id, overrideLock);
    } catch (e) {
      updateRun(core, id, { state: 'aborted', finishedAt: nowIso(), error: (e as Error).message });
      releaseLocalLock(core, planned.app.id, planned.env.id, id);
      this.held.delete(id);
      this.emitState(id);
      throw e;
    }
    void this.drive(id);
    return this.view(id);
  }

  /** Writes <base>/.puesta-lock on every host; on a refusal releases the ones taken and throws LOCKED. */
  private async takeHostLocks(id: number, override: boolean): Promise<void> {
    const run = getRun(this.core, id);
    const expires = Math.floor(Date.now() / 1000) + HOST_LEASE_S;
    const taken: PlanHost[] = [];
    const refused: { host: PlanHost; holder: string }[] = [];
    await pool(run.hosts, run.parallelism, async (h) => {
      const v = run.context.vars[String(h.serverId)]!;
      const info = lockInfo({ token: run.context.lockToken, runId: id, owner: run.operator, reason: run.reason, expiresEpoch: expires });
      try {
        const r = await this.executor.exec(this.target(h.serverId), hostLockScript(String(v['app.base']), info, run.context.lockToken, override), { timeoutMs: 30_000 });
        const out = r.stdout.trim();
        if (r.exitCode === 0) {
          taken.push(h);
          if (out.startsWith('TAKEN')) {
            this.core.audit.write(run.operator, override ? 'lock.override' : 'lock.take-expired', 'host-lock', h.serverId, { file: out.slice(6) }, { runId: id });
          }
        } else if (r.exitCode === 3) refused.push({ host: h, holder: out.replace(/^HELD /, '') });
        else refused.push({ host: h, holder: `could not write the lock file (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}` });
      } catch (e) {
        refused.push({ host: h, holder: `unreachable: ${(e as Error).message}` });
      }
    });
    if (refused.length) {
      await this.releaseHostLocks(run, taken);
      const first = refused[0]!;
      const owner = /owner=(\S+)/.exec(first.holder)?.[1];
      throw new PuestaError(
        'LOCKED',
        `The lock on ${first.host.serverName} could not be taken: ${owner ? `held by ${owner} (${first.holder})` : first.holder}. ` +
          `Wait for that deploy to finish, or start again with the lock override if it is stale.`,
        { hosts: refused.map((r) => ({ serverId: r.host.serverId, serverName: r.host.serverName, holder: r.holder })) },
      );
    }
  }

  private async releaseHostLocks(run: RunRow, hosts: PlanHost[] = run.hosts): Promise<void> {
    await pool(hosts, run.parallelism, async (h) => {
      const v = run.context.vars[String(h.serverId)]!;
      try {
        await this.executor.exec(this.target(h.serverId), hostUnlockScript(String(v['app.base']), run.context.lockToken), { timeoutMs: 30_000 });
      } catch {
        // an unreachable host keeps its lock file until the lease expires
      }
    });
  }

  // ------------------------------------------------------------ the state machine
  drive(id: number): Promise<void> {
    const cur = this.driving.get(id);
    if (cur) return cur;
    const p = this.loop(id)
      .catch((e: unknown) => {
        if (this.closed) return;
        console.error(`[puesta] run ${id} stopped on an unexpected error:`, e);
        try {
          updateRun(this.core, id, { state: 'waiting', waitingFor: 'decision', error: `Unexpected error: ${(e as Error).message}` });
          this.emitState(id);
        } catch {
          // closing
        }
      })
      .finally(() => {
        this.driving.delete(id);
        this.controllers.delete(id);
      });
    this.driving.set(id, p);
    return p;
  }

  /** Resolves when the run stops moving (waiting, finished, interrupted). For tests and scripts. */
  async settled(id: number): Promise<Run> {
    while (this.driving.has(id)) await this.driving.get(id);
    return this.view(id);
  }

  private async loop(id: number): Promise<void> {
    const ctl = new AbortController();
    setMaxListeners(0, ctl.signal); // one listener per command in flight (up to the run's parallelism)
    this.controllers.set(id, ctl);
    for (;;) {
      if (this.closed || this.aborting.has(id)) return;
      const run = getRun(this.core, id);
      if (run.state !== 'running') return;
      const i = run.currentStep;
      if (i >= run.steps.length) return this.finish(run);
      const step = run.steps[i]!;
      const cells = cellsOf(this.core, id, i);
      if (step.kind === 'manual') {
        const c = cells[0];
        if (!c || c.state === 'succeeded' || c.state === 'skipped' || !step.enabled) {
          this.advance(run);
          continue;
        }
        this.setCell(c.id, { state: 'waiting', startedAt: c.startedAt ?? nowIso() });
        updateRun(this.core, id, { state: 'waiting', waitingFor: 'confirm' });
        this.emitState(id);
        return;
      }
      const todo: CellRow[] = [];
      for (const c of cells) {
        if (c.state !== 'pending' && c.state !== 'interrupted') continue;
        if (c.serverId !== null && run.excluded.includes(c.serverId)) this.setCell(c.id, { state: 'excluded', note: 'host excluded from the run' });
        else if (!step.enabled) this.setCell(c.id, { state: 'skipped', note: 'disabled in the checklist' });
        else todo.push(c);
      }
      await pool(todo, run.parallelism, (c) => this.runCell(run, step, c, ctl.signal));
      this.logs.flush();
      if (this.closed || this.aborting.has(id)) return;
      const after = getRun(this.core, id);
      if (after.state !== 'running') return;
      const failed = cellsOf(this.core, id, i).filter((c) => c.state === 'failed');
      if (failed.length) {
        const back = failed.filter((c) => /switched back to/.test(c.note));
        const error = back.length
          ? `Step ${i + 1} (${step.title}) failed on ${back.map((c) => c.serverName).join(', ')}: switched back to the previous release there automatically. ` +
            `Hosts whose check passed stay on ${after.releaseKey}. Retry switches forward again before checking; or skip, exclude the host, or abort.`
          : `Step ${i + 1} (${step.title}) failed.`;
        updateRun(this.core, id, { state: 'waiting', waitingFor: 'decision', error });
        this.emitState(id);
        return;
      }
      this.advance(after);
    }
  }

  private advance(run: RunRow): void {
    updateRun(this.core, run.id, { currentStep: run.currentStep + 1, state: 'running', waitingFor: null, error: null });
    this.emitState(run.id);
  }

  private async finish(run: RunRow): Promise<void> {
    await this.releaseHostLocks(run);
    updateRun(this.core, run.id, { state: 'succeeded', waitingFor: null, finishedAt: nowIso(), error: null });
    releaseLocalLock(this.core, run.applicationId, run.environmentId, run.id);
    this.held.delete(run.id);
    this.dropArchive(run);
    this.core.audit.write(run.operator, 'run.succeeded', 'runs', run.id, null, { release: run.releaseKey });
    try {
      afterProvisionedRun(this.core, { id: run.id, applicationId: run.applicationId, kind: run.kind, steps: run.steps, serverIds: run.hosts.map((h) => h.serverId).filter((s) => !run.excluded.includes(s)) });
    } catch {
      // the review snapshot is advisory: a run that succeeded on the hosts stays succeeded
    }
    this.emitState(run.id);
  }

  private dropArchive(run: RunRow): void {
    const a = run.context.archive;
    if (a?.path && a.path.startsWith(path.join(this.core.opts.dataDir, 'archives'))) rmSync(a.path, { force: true });
  }

  // ------------------------------------------------------------ one step on one host
  private async runCell(run: RunRow, step: ChecklistStep, cell: CellRow, signal: AbortSignal): Promise<void> {
    const serverId = cell.serverId!;
    const vars = run.context.vars[String(serverId)]!;
    const attempt = cell.attempt + 1;
    let seq = 0;
    const log = (stream: 'stdout' | 'stderr' | 'system', text: string) =>
      this.logs.push({ runId: run.id, stepIndex: cell.stepIndex, serverId, attempt, stream, seq: seq++, ts: nowIso(), text });
    let command: string | null = null;
    const started = Date.now();
    let exitCode: number | null = null;
    let error: string | null = null;
    let note: string | null = null;
    try {
      command = commandOf(step, vars);
      this.setCell(cell.id, { state: 'running', attempt, startedAt: new Date(started).toISOString(), finishedAt: null, durationMs: null, exitCode: null, error: null, command });
      if (attempt > 1) log('system', `attempt ${attempt}\n`);
      const target = this.target(serverId);
      if (step.kind === 'check' && step.check) {
        const gate = this.healthGate(run, cell.stepIndex);
        // a retry after a switch-back: put this host on the run's release again before checking
        if (gate && attempt > 1 && this.previousOf(vars)) {
          log('system', `switching forward again to ${String(vars['release.key'])} before the check\n`);
          await this.switchHost(run.applicationId, gate, target, vars, signal, log);
        }
        const r = await this.runCheck(target, step, step.check, vars, signal, log);
        exitCode = r.ok ? 0 : 1;
        if (!r.ok) {
          error = r.error;
          if (gate) {
            const back = await this.switchBack(run, gate, step, target, vars, signal, log);
            if (back) {
              note = back;
              error = `${r.error} ${back}`;
            }
          }
        }
      } else {
        exitCode = 0;
        if (step.action === 'upload' && run.context.git) {
          await this.fetchGit(run, target, vars, signal, log);
          command = commandOf(step, vars); // now with the archive's sha256
          this.setCell(cell.id, { command });
        } else if (step.action === 'upload') {
          const a = run.context.archive;
          if (!a?.path) throw new PuestaError('PRECONDITION_FAILED', 'This run has no release archive to upload.');
          const dest = String(vars['upload.path']);
          log('system', `uploading ${path.basename(a.path)} (${a.bytes} bytes, sha256 ${a.sha256}) to ${dest}\n`);
          const up = await this.executor.upload(target, a.path, dest, { signal });
          if (up.sha256 !== a.sha256) throw new PuestaError('COMMAND_FAILED', `The uploaded archive's sha256 on ${target.name} (${up.sha256}) differs from the local one (${a.sha256}).`);
          log('system', `uploaded, sha256 verified on the host\n`);
        }
        if (command) {
          const r = await this.executor.exec(target, command, {
            onChunk: (c) => log(c.stream, c.text),
            signal,
            timeoutMs: step.timeoutSeconds * 1000,
            sudo: step.sudo,
            // the database step reads the role's password here; always close stdin so nothing waits on it
            stdin: provisionStdin(this.core, run.applicationId, step.key) ?? '',
          });
          exitCode = r.exitCode ?? (r.signal ? 128 : 1);
          if (exitCode !== 0) error = `exit code ${exitCode}${r.signal ? ` (signal ${r.signal})` : ''}`;
          else if (isProvisionStep(step.key)) {
            note = afterProvisionStep(this.core, run.applicationId, serverId, step.key, r.stdout);
            if (note) log('system', `${note}\n`);
          }
        }
        if (exitCode === 0 && step.action === 'record') await this.record(run, target, vars, log);
      }
    } catch (e) {
      error = (e as Error).message;
      log('system', `${error}\n`);
    }
    const interrupted = signal.aborted && signal.reason === 'close';
    const state: RunCell['state'] = interrupted ? 'interrupted' : error === null && exitCode === 0 ? 'succeeded' : 'failed';
    log('system', `${state} in ${((Date.now() - started) / 1000).toFixed(1)} s${exitCode !== null ? ` (exit ${exitCode})` : ''}\n`);
    this.logs.flush();
    this.setCell(cell.id, { state, exitCode, finishedAt: nowIso(), durationMs: Date.now() - started, error, ...(note ? { note } : {}) });
  }

  /**
   * The health gate of check step `i`: it switches back on failure when the step asks for it, the
   * run is an upgrade or rollback and an enabled `switch` step comes before it. Null otherwise.
   */
  private healthGate(run: RunRow, i: number): { switchStep: ChecklistStep; restart: ChecklistStep | null } | null {
    const step = run.steps[i];
    if (!step || step.kind !== 'check' || !step.switchBackOnFailure || run.kind === 'install') return null;
    const sw = run.steps.findIndex((s) => s.key === 'switch' && s.enabled);
    if (sw < 0 || sw > i) return null;
    const restart = run.steps.find((s, k) => k > sw && k < i && s.key === 'restart' && s.enabled) ?? null;
    return { switchStep: run.steps[sw]!, restart };
  }

  /** The release that was current on the host before this run ('' when none, or when it is the run's own). */
  private previousOf(vars: Record<string, unknown>): string {
    const prev = String(vars['release.previous'] ?? '');
    return prev && prev !== String(vars['release.key']) ? prev : '';
  }

  /** Runs the run's own switch step (then restart, if enabled) on one host with the given variables. */
  private async switchHost(applicationId: number, gate: { switchStep: ChecklistStep; restart: ChecklistStep | null }, target: SshTarget, v: Record<string, unknown>, signal: AbortSignal, log: (s: 'stdout' | 'stderr' | 'system', t: string) => void): Promise<void> {
    for (const st of [gate.switchStep, gate.restart]) {
      if (!st) continue;
      const cmd = commandOf(st, v as never);
      if (!cmd) continue;
      log('system', `$ (${st.key})\n`);
      const r = await this.executor.exec(target, cmd, {
        onChunk: (c) => log(c.stream, c.text),
        signal,
        timeoutMs: st.timeoutSeconds * 1000,
        sudo: st.sudo,
        stdin: provisionStdin(this.core, applicationId, st.key) ?? '',
      });
      if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', `the ${st.key} step exited with code ${r.exitCode ?? r.signal ?? '?'} on ${target.name}`);
    }
  }

  /**
   * Health gate: the check failed on this host after the switch, so `current` goes back to the
   * release that was current before the run (same switch command and quoting, release.* pointing at
   * it), the restart step runs, the records and the audit log say so. Returns the cell's note, or
   * null when there is nothing to switch back to.
   */
  private async switchBack(
    run: RunRow,
    gate: { switchStep: ChecklistStep; restart: ChecklistStep | null },
    step: ChecklistStep,
    target: SshTarget,
    vars: Record<string, unknown>,
    signal: AbortSignal,
    log: (s: 'stdout' | 'stderr' | 'system', t: string) => void,
  ): Promise<string | null> {
    const prev = this.previousOf(vars);
    const key = String(vars['release.key']);
    if (!prev) {
      log('system', `health check failed: no earlier release on ${target.name} to switch back to\n`);
      return null;
    }
    const base = String(vars['app.base']);
    const back = { ...vars, 'release.key': prev, 'release.path': `${base}/releases/${prev}`, 'release.label': '' };
    log('system', `health check failed: switching ${target.name} back to ${prev}\n`);
    try {
      await this.switchHost(run.applicationId, gate, target, back, signal, log);
    } catch (e) {
      if (signal.aborted) throw e;
      const msg = `Health check failed; switching back to ${prev} failed too (${(e as Error).message}): ${target.name} may still be on ${key}.`;
      log('system', `${msg}\n`);
      this.core.audit.write(run.operator, 'run.switch-back', 'runs', run.id, null, { step: step.key, serverId: target.id, server: target.name, from: key, to: prev, ok: false, error: (e as Error).message });
      return msg;
    }
    this.core.tx(() => {
      const relId = upsertRelease(this.core, run.applicationId, target.id, prev, `${base}/releases/${prev}`);
      setCurrent(this.core, run.applicationId, target.id, relId, run.id);
      this.core.audit.write(run.operator, 'run.switch-back', 'runs', run.id, { serverId: target.id, release: key }, { step: step.key, serverId: target.id, server: target.name, from: key, to: prev, ok: true });
    });
    // the previous release must answer again: the same check, against it
    log('system', `checking ${target.name} on ${prev}\n`);
    const again = step.check ? await this.runCheck(target, step, step.check, back, signal, log) : { ok: true as const };
    const msg = again.ok
      ? `Health check failed: switched back to ${prev} automatically${gate.restart ? ' and restarted it' : ''}; ${target.name} serves the previous release again (its check passes).`
      : `Health check failed: switched back to ${prev} automatically${gate.restart ? ' and restarted it' : ''}, but the check fails on ${prev} too: look at ${target.name}.`;
    log('system', `${msg}\n`);
    return msg;
  }

  /**
   * Git source: fetches the ref on the host into a temp folder and packs it at {{upload.path}}
   * (without .git), so the step's own command (checksum, extract) runs as for an uploaded archive.
   */
  private async fetchGit(run: RunRow, target: SshTarget, vars: Record<string, unknown>, signal: AbortSignal, log: (s: 'stdout' | 'stderr' | 'system', t: string) => void): Promise<void> {
    const g = run.context.git!;
    const up = String(vars['upload.path']);
    const tmp = `${String(vars['release.path'])}.git-tmp`;
    log('system', `fetching ${g.url} at ${g.ref} on ${target.name}\n`);
    const r = await this.executor.exec(
      target,
      sh`set -e
rm -rf ${tmp}
git init -q ${tmp}
git -C ${tmp} fetch -q --depth 1 -- ${g.url} ${g.ref}
git -C ${tmp} -c advice.detachedHead=false checkout -q FETCH_HEAD
echo "commit $(git -C ${tmp} rev-parse HEAD)"
mkdir -p ${String(vars['app.releases'])}
tar -czf ${up} -C ${tmp} --exclude=./.git .
rm -rf ${tmp}
sha256sum ${up}`,
      { onChunk: (c) => log(c.stream, c.text), signal, timeoutMs: 1_800_000 },
    );
    const sha = /^([0-9a-f]{64}) /m.exec(r.stdout)?.[1];
    if (r.exitCode !== 0 || !sha) throw new PuestaError('COMMAND_FAILED', `Fetching ${g.url} at ${g.ref} on ${target.name} failed (exit ${r.exitCode}); see the log. Is git installed there and the repository reachable from it?`);
    const commit = /^commit ([0-9a-f]+)/m.exec(r.stdout)?.[1] ?? '';
    vars['upload.sha256'] = sha;
    const fresh = getRun(this.core, run.id);
    fresh.context.vars[String(target.id)]!['upload.sha256'] = sha;
    updateRun(this.core, run.id, { context: fresh.context });
    run.context.vars[String(target.id)]!['upload.sha256'] = sha;
    log('system', `packed commit ${commit || '?'} (sha256 ${sha})\n`);
  }

  /** Reads what is on the host (current link, releases/) and records it. */
  private async record(run: RunRow, target: SshTarget, vars: Record<string, unknown>, log: (s: 'system', t: string) => void): Promise<void> {
    const base = String(vars['app.base']);
    const { currentKey, present } = await this.inspect(target, base);
    const key = String(vars['release.key']);
    if (currentKey !== key) throw new PuestaError('COMMAND_FAILED', `current on ${target.name} points at "${currentKey || 'nothing'}", not at ${key}: run the switch step again.`);
    this.core.tx(() => {
      for (const k of present) {
        const mine = k === key && run.kind !== 'rollback';
        upsertRelease(
          this.core,
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
      markRemoved(this.core, run.applicationId, target.id, present);
      const relId = upsertRelease(this.core, run.applicationId, target.id, key, `${base}/releases/${key}`);
      setCurrent(this.core, run.applicationId, target.id, relId, run.id);
    });
    log('system', `recorded ${key} as current on ${target.name}; ${present.length} release(s) on the host\n`);
  }

  /** What is on a host: the release `current` points at, and the folders under releases/. */
  async inspect(target: SshTarget, base: string): Promise<{ currentKey: string; present: string[] }> {
    const r = await this.executor.exec(target, sh`readlink -- ${base}/current; echo ---; ls -1 -- ${base}/releases 2>/dev/null; true`, { timeoutMs: 30_000 });
    const [head = '', list = ''] = r.stdout.split('---\n');
    return {
      currentKey: head.trim() ? path.basename(head.trim()) : '',
      present: list.split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('.') && !s.endsWith('.tmp') && !s.endsWith('.git-tmp')),
    };
  }

  /** releases.scan: reads every host of the application in the environment and brings the records in line. */
  async scan(applicationId: number, environmentId: number): Promise<{ serverId: number; serverName: string; currentKey: string | null; present: string[]; error: string | null }[]> {
    const app = this.core.inventory.applications.get(applicationId) as { basePath: string };
    const base = app.basePath.replace(/\/+$/, '');
    const { hosts } = targetsOf(this.core, applicationId, environmentId);
    const out: { serverId: number; serverName: string; currentKey: string | null; present: string[]; error: string | null }[] = [];
    await pool(hosts, 8, async (h) => {
      try {
        const { currentKey, present } = await this.inspect(this.target(h.serverId), base);
        this.core.tx(() => {
          for (const k of present) upsertRelease(this.core, applicationId, h.serverId, k, `${base}/releases/${k}`);
          markRemoved(this.core, applicationId, h.serverId, present);
          if (currentKey && present.includes(currentKey)) {
            setCurrent(this.core, applicationId, h.serverId, upsertRelease(this.core, applicationId, h.serverId, currentKey, `${base}/releases/${currentKey}`), null);
          }
        });
        out.push({ serverId: h.serverId, serverName: h.serverName, currentKey: currentKey || null, present, error: null });
      } catch (e) {
        out.push({ serverId: h.serverId, serverName: h.serverName, currentKey: null, present: [], error: (e as Error).message });
      }
    });
    return out.sort((a, b) => a.serverName.localeCompare(b.serverName));
  }

  private async runCheck(
    target: SshTarget,
    step: ChecklistStep,
    check: StepCheck,
    vars: Record<string, unknown>,
    signal: AbortSignal,
    log: (s: 'stdout' | 'stderr' | 'system', t: string) => void,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    const deadline = Date.now() + check.deadlineSeconds * 1000;
    const url = check.kind === 'http' ? render(check.url, vars as never, 'url') : '';
    for (let n = 1; ; n++) {
      if (signal.aborted) throw new PuestaError('CANCELLED', 'The check was cancelled.');
      let pass = false;
      const left = Math.max(500, deadline - Date.now());
      if (check.kind === 'http') {
        try {
          const res = await httpGet(url, Math.min(10_000, left), signal);
          pass = res.status === check.expectStatus && res.body.includes(check.expectText);
          log('system', `check ${n}: GET ${url} → ${res.status}${pass ? '' : check.expectText && !res.body.includes(check.expectText) ? ` (body lacks "${check.expectText}")` : ''}\n`);
        } catch (e) {
          log('system', `check ${n}: GET ${url} → ${(e as Error).message}\n`);
        }
      } else {
        const cmd = render(step.command, vars as never, 'shell');
        try {
          const r = await this.executor.exec(target, cmd, { onChunk: (c) => log(c.stream, c.text), signal, timeoutMs: Math.min(step.timeoutSeconds * 1000, left), sudo: step.sudo });
          pass = r.exitCode === 0 && r.stdout.includes(check.expectText);
          log('system', `check ${n}: exit ${r.exitCode}${pass ? '' : ''}\n`);
        } catch (e) {
          if (signal.aborted) throw e;
          log('system', `check ${n}: ${(e as Error).message}\n`);
        }
      }
      if (pass) return { ok: true };
      if (Date.now() + check.intervalSeconds * 1000 >= deadline) {
        return { ok: false, error: `The check did not pass within ${check.deadlineSeconds} s (${n} attempt${n === 1 ? '' : 's'}).` };
      }
      await sleep(check.intervalSeconds * 1000, signal);
    }
  }

  // ------------------------------------------------------------ operator actions
  async act(input: { id: number; action: 'confirm' | 'retry' | 'skip' | 'exclude' | 'abort'; note: string; serverId?: number | undefined; command?: string | undefined }): Promise<Run> {
    const core = this.core;
    const run = getRun(core, input.id);
    const op = core.operator();
    if (TERMINAL.has(run.state)) throw new PuestaError('PRECONDITION_FAILED', `Run #${run.id} has already ${run.state === 'succeeded' ? 'succeeded' : 'been aborted'}; start a new run.`);
    const i = run.currentStep;
    const step = run.steps[i];
    const cells = cellsOf(core, run.id, i);
    const needWaiting = (what: 'confirm' | 'decision') => {
      if (run.state !== 'waiting' || run.waitingFor !== what) {
        throw new PuestaError(
          'PRECONDITION_FAILED',
          what === 'confirm'
            ? `Run #${run.id} is not waiting for a confirmation (it is ${run.state}${run.waitingFor ? `, waiting for a ${run.waitingFor}` : ''}).`
            : `Run #${run.id} has no failed step to decide on (it is ${run.state}${run.waitingFor ? `, waiting for a ${run.waitingFor}` : ''}).${run.state === 'interrupted' ? ' Resume it instead.' : ''}`,
        );
      }
    };
    if (input.action !== 'abort' && run.state === 'waiting') {
      // the run goes on: it must still hold its lock (after a restart the lease may have lapsed and been taken)
      core.tx(() => takeLocalLock(core, { applicationId: run.applicationId, environmentId: run.environmentId, runId: run.id, owner: op, reason: run.reason, override: false }));
    }
    switch (input.action) {
      case 'confirm': {
        needWaiting('confirm');
        const c = cells[0]!;
        core.tx(() => {
          this.setCell(c.id, { state: 'succeeded', note: input.note, finishedAt: nowIso(), durationMs: c.startedAt ? Date.now() - Date.parse(c.startedAt) : null });
          updateRun(core, run.id, { currentStep: i + 1, state: 'running', waitingFor: null, error: null });
          core.audit.write(op, 'run.confirm', 'runs', run.id, null, { step: step?.key, note: input.note });
        });
        break;
      }
      case 'retry': {
        needWaiting('decision');
        core.tx(() => {
          if (input.command !== undefined && step) {
            checkTemplate(input.command, `Step ${step.key}`);
            const steps = run.steps.map((s, k) => (k === i ? { ...s, command: input.command! } : s));
            updateRun(core, run.id, { steps });
            core.audit.write(op, 'run.edit-step', 'runs', run.id, { step: step.key, command: step.command }, { step: step.key, command: input.command });
          }
          for (const c of cells) if (c.state === 'failed') this.setCell(c.id, { state: 'pending', note: input.note || c.note });
          updateRun(core, run.id, { state: 'running', waitingFor: null, error: null });
          core.audit.write(op, 'run.retry', 'runs', run.id, null, { step: step?.key, note: input.note });
        });
        break;
      }
      case 'skip': {
        needWaiting('decision');
        if (!input.note.trim()) throw new PuestaError('INVALID_INPUT', 'Say why the step is skipped (a note is required).', { field: 'note' });
        core.tx(() => {
          for (const c of cells) if (c.state === 'failed') this.setCell(c.id, { state: 'skipped', note: input.note });
          updateRun(core, run.id, { currentStep: i + 1, state: 'running', waitingFor: null, error: null });
          core.audit.write(op, 'run.skip', 'runs', run.id, null, { step: step?.key, note: input.note });
        });
        break;
      }
      case 'exclude': {
        needWaiting('decision');
        const sid = input.serverId;
        const host = run.hosts.find((h) => h.serverId === sid);
        if (!sid || !host) throw new PuestaError('INVALID_INPUT', `Choose one of the run's hosts to exclude.`, { field: 'serverId' });
        core.tx(() => {
          const excluded = [...new Set([...run.excluded, sid])];
          for (const c of cellsOf(core, run.id)) {
            if (c.serverId !== sid) continue;
            if (c.stepIndex === i && c.state === 'failed') this.setCell(c.id, { state: 'excluded', note: input.note || 'host excluded' });
            else if (c.stepIndex > i && c.state === 'pending') this.setCell(c.id, { state: 'excluded', note: input.note || 'host excluded' });
          }
          const stillFailed = cellsOf(core, run.id, i).some((c) => c.state === 'failed');
          updateRun(core, run.id, stillFailed ? { excluded } : { excluded, currentStep: i + 1, state: 'running', waitingFor: null, error: null });
          core.audit.write(op, 'run.exclude-host', 'runs', run.id, null, { step: step?.key, serverId: sid, server: host.serverName, note: input.note });
        });
        break;
      }
      case 'abort': {
        this.aborting.add(run.id);
        try {
          this.controllers.get(run.id)?.abort('abort');
          await this.driving.get(run.id);
          // the rollback goes back to what was current on each host before this run (hosts that had nothing are left out)
          const before = run.hosts
            .filter((h) => !run.excluded.includes(h.serverId))
            .map((h) => ({ serverId: h.serverId, key: String(run.context.vars[String(h.serverId)]?.['release.previous'] ?? '') }))
            .filter((x) => x.key !== '');
          const keys = [...new Set(before.map((x) => x.key))];
          const offer =
            run.kind === 'rollback' || before.length === 0
              ? null
              : { kind: 'rollback' as const, applicationId: run.applicationId, environmentId: run.environmentId, rollbackTo: keys.length === 1 ? keys[0]! : null, serverIds: before.map((x) => x.serverId) };
          core.tx(() => {
            for (const c of cellsOf(core, run.id)) if (c.state === 'running' || c.state === 'waiting') this.setCell(c.id, { state: 'failed', error: 'aborted', finishedAt: nowIso() });
            updateRun(core, run.id, { state: 'aborted', waitingFor: null, finishedAt: nowIso(), rollbackOffer: offer, error: input.note ? `Aborted: ${input.note}` : 'Aborted by the operator.' });
            core.audit.write(op, 'run.abort', 'runs', run.id, null, { step: step?.key, note: input.note });
          });
          await this.releaseHostLocks(getRun(core, run.id));
          releaseLocalLock(core, run.applicationId, run.environmentId, run.id);
          this.held.delete(run.id);
          this.dropArchive(run);
          this.emitState(run.id);
        } finally {
          this.aborting.delete(run.id);
        }
        return this.view(run.id);
      }
    }
    this.held.add(run.id);
    this.emitState(run.id);
    void this.drive(run.id);
    return this.view(run.id);
  }

  async resume(id: number): Promise<Run> {
    const core = this.core;
    const run = getRun(core, id);
    if (run.state !== 'interrupted') {
      throw new PuestaError('PRECONDITION_FAILED', `Run #${id} is ${run.state}; only an interrupted run can be resumed${run.state === 'waiting' ? ' (this one waits for your decision on its current step)' : ''}.`);
    }
    core.tx(() => {
      takeLocalLock(core, { applicationId: run.applicationId, environmentId: run.environmentId, runId: id, owner: core.operator(), reason: run.reason, override: false });
    });
    this.held.add(id);
    try {
      await this.takeHostLocks(id, false);
    } catch (e) {
      this.held.delete(id);
      throw e;
    }
    core.tx(() => {
      for (const c of cellsOf(core, id, run.currentStep)) if (c.state === 'interrupted' || c.state === 'running') updateCell(core, c.id, { state: 'pending' });
      updateRun(core, id, { state: 'running', waitingFor: null, error: null });
      core.audit.write(core.operator(), 'run.resume', 'runs', id, null, { step: run.steps[run.currentStep]?.key ?? null });
    });
    this.emitState(id);
    void this.drive(id);
    return this.view(id);
  }

  /** Quit: stop the commands in flight; their runs become 'interrupted' (resumable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const c of this.controllers.values()) c.abort('close');
    await Promise.race([Promise.allSettled([...this.driving.values()]), new Promise((r) => setTimeout(r, 10_000))]);
    this.logs.flush();
    this.recover();
  }
}

function publicCell(c: CellRow): RunCell {
  return {
    stepIndex: c.stepIndex,
    serverId: c.serverId,
    serverName: c.serverName,
    state: c.state,
    attempt: c.attempt,
    exitCode: c.exitCode,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    durationMs: c.durationMs,
    note: c.note,
    command: c.command,
    error: c.error,
    switchedBack: c.switchedBack,
  };
}

/** Runs fn over items with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const t = items[next++]!;
      await fn(t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new PuestaError('CANCELLED', 'Cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One GET without keep-alive (a health check must not reuse a connection to the old process). */
function httpGet(url: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new Error(`not a valid URL: ${url}`));
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { agent: false, timeout: timeoutMs, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 1 << 20) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', reject);
  });
}

// ------------------------------------------------------------ accessor
/** The core's runs engine (built on first use by core.services: interrupted runs are recovered then). */
export function runsOf(core: Core): RunsEngine {
  return core.services.runs;
}

/** Replaces the SSH engine for this core's runs (e.g. the local executor). */
export function setRunsExecutor(core: Core, executor: SshEngine | null): void {
  runsOf(core).setExecutor(executor);
}
