/**
 * The runs engine of one core (`core.services.runs`): a state machine that walks a run's steps;
 * each step runs on all its target hosts with bounded parallelism (cell.ts); manual steps wait for
 * `confirm`; a failed step pauses the run until the operator chooses retry / skip (with a note) /
 * exclude a host / abort. What a step does besides its command is its kinds' business
 * (step-kinds.ts): the engine knows none by name. Everything is on disk as it happens: cell
 * states at once, logs in batches (LogWriter) emitted to the UI only after they are stored.
 * A run found 'running' when a core starts (the app quit or crashed) becomes 'interrupted' and can
 * be resumed from the interrupted step.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { ChecklistStep, ResumeInput, Run, StartInput } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import type { SshEngine } from '../ssh/types.js';
import { forEachLimit } from '../util/concurrency.js';
import { act, resume, type ActRequest } from './actions.js';
import { runCell, type CellEnv, type Orphan } from './cell.js';
import { releaseHostLocks, renewHostLocks, takeHostLocks } from './host-locks.js';
import { HOST_RENEW_MS, leaseFromNow, releaseLocalLock, takeLocalLock } from './locks.js';
import { renewLock } from './lock-store.js';
import { LogWriter } from './logwriter.js';
import { buildPlan, planChanges, stepApplies } from './planner.js';
import {
  cellsOf,
  getCell,
  getRun,
  insertCell,
  insertRun,
  publicCell,
  recoverInterrupted,
  summaryOf,
  updateCell,
  updateRun,
  usualDurations,
  type CellRow,
  type CellUpdate,
  type RunContext,
  type RunRow,
} from './run-store.js';
import type { StepKinds } from './step-kinds.js';

type StartParsed = ReturnType<typeof StartInput.parse>;
type ResumeRequest = ReturnType<typeof ResumeInput.parse>;

export interface RunsEngineOptions {
  /** The step kinds of this core (electron/core/steps.ts). */
  stepKinds: StepKinds;
}

export class RunsEngine implements CellEnv {
  readonly logs: LogWriter;
  readonly kinds: StepKinds;
  private executorOverride: SshEngine | null = null;
  private readonly controllers = new Map<number, AbortController>();
  readonly orphans = new Map<number, Orphan>();
  /** The stop of each cell in flight, by cell id. */
  private readonly cellStops = new Map<number, AbortController>();
  private readonly driving = new Map<number, Promise<void>>();
  private readonly aborting = new Set<number>();
  /** Runs whose lock lease this process renews. */
  private readonly held = new Set<number>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly core: Core,
    opts: RunsEngineOptions,
  ) {
    this.kinds = opts.stepKinds;
    this.logs = new LogWriter(core);
    recoverInterrupted(core);
    this.heartbeat = setInterval(() => this.renewLeases(), 60_000);
    this.heartbeat.unref();
  }

  get executor(): SshEngine {
    return this.executorOverride ?? this.core.services.ssh;
  }
  /** Replaces the SSH engine for this core's runs (e.g. the local executor); null goes back to the pool. */
  setExecutor(e: SshEngine | null): void {
    this.executorOverride = e;
  }

  private lastHostRenew = Date.now();

  private renewLeases(): void {
    const hosts = Date.now() - this.lastHostRenew >= HOST_RENEW_MS - 5000;
    if (hosts) this.lastHostRenew = Date.now();
    for (const id of this.held) {
      try {
        renewLock(this.core, id, leaseFromNow());
        if (hosts) void renewHostLocks(this, id);
      } catch {
        // the DB may be closing
      }
    }
  }

  // ------------------------------------------------------------ views and events
  view(id: number): Run {
    const r = getRun(this.core, id);
    const usual = usualDurations(this.core, r.applicationId);
    return {
      ...summaryOf(r),
      hosts: r.hosts,
      excludedServerIds: r.excluded,
      steps: r.steps.map((s, index) => ({ ...s, index, usualMs: usual.get(s.key) ?? null, changes: planChanges(s, r.context.vars[String(r.hosts[0]?.serverId)] ?? {}) })),
      cells: cellsOf(this.core, id).map(publicCell),
      rollbackOffer: (r.rollbackOffer as Run['rollbackOffer']) ?? null,
    };
  }

  emitState(id: number): void {
    this.core.events.emit('runs.state', summaryOf(getRun(this.core, id)));
  }

  /** Updates a cell on disk, then tells the UI (runs.step). */
  setCell(id: number, p: CellUpdate): CellRow {
    updateCell(this.core, id, p);
    const c = getCell(this.core, id);
    this.core.events.emit('runs.step', { runId: c.runId, ...publicCell(c) });
    return c;
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
    const { confirmName: _c, reason, overrideLock, planDigest, ...req } = input;
    const planned = await buildPlan(core, req, { digest: planDigest });
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
      await takeHostLocks(this, id, overrideLock);
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
      await forEachLimit(todo, run.parallelism, (c) => this.runOne(run, step, c, ctl.signal));
      this.logs.flush();
      if (this.closed || this.aborting.has(id)) return;
      const after = getRun(this.core, id);
      if (after.state !== 'running') return;
      const failed = cellsOf(this.core, id, i).filter((c) => c.state === 'failed');
      if (failed.length) {
        const back = failed.filter((c) => c.switchedBack?.ok);
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

  /** One cell, with a stop of its own (one host) linked to the run's (abort, quit). */
  private async runOne(run: RunRow, step: ChecklistStep, c: CellRow, runSignal: AbortSignal): Promise<void> {
    const own = new AbortController();
    const follow = () => own.abort(runSignal.reason);
    runSignal.addEventListener('abort', follow, { once: true });
    this.cellStops.set(c.id, own);
    try {
      await runCell(this, run, step, c, own.signal);
    } finally {
      runSignal.removeEventListener('abort', follow);
      this.cellStops.delete(c.id);
    }
  }

  private advance(run: RunRow): void {
    updateRun(this.core, run.id, { currentStep: run.currentStep + 1, state: 'running', waitingFor: null, error: null });
    this.emitState(run.id);
  }

  private async finish(run: RunRow): Promise<void> {
    await releaseHostLocks(this, run);
    updateRun(this.core, run.id, { state: 'succeeded', waitingFor: null, finishedAt: nowIso(), error: null });
    releaseLocalLock(this.core, run.applicationId, run.environmentId, run.id);
    this.release(run);
    this.core.audit.write(run.operator, 'run.succeeded', 'runs', run.id, null, { release: run.releaseKey });
    this.kinds.afterRun(this.core, run, run.hosts.map((h) => h.serverId).filter((s) => !run.excluded.includes(s)));
    this.emitState(run.id);
  }

  private dropArchive(run: RunRow): void {
    const a = run.context.archive;
    if (a?.path && a.path.startsWith(path.join(this.core.opts.dataDir, 'archives'))) rmSync(a.path, { force: true });
  }

  // ------------------------------------------------------------ operator actions (actions.ts)
  act(input: ActRequest): Promise<Run> {
    return act(this, input);
  }

  resume(input: ResumeRequest): Promise<Run> {
    return resume(this, input);
  }

  /** This process renews the run's lock lease from now on. */
  hold(id: number): void {
    this.held.add(id);
  }

  /** The run ended here: no more lease renewals, its packed archive goes. */
  release(run: RunRow): void {
    this.held.delete(run.id);
    this.dropArchive(run);
  }

  /** Stops the command of one cell in flight (`stop` on one host); false when none runs. */
  stopCell(cellId: number): boolean {
    const c = this.cellStops.get(cellId);
    if (!c || c.signal.aborted) return false;
    c.abort('stop');
    return true;
  }

  /** Stops every command of a run in flight, waits for its driver to stop, then runs `then` (abort). */
  async stopRun(id: number, then: () => Promise<void>): Promise<void> {
    this.aborting.add(id);
    try {
      this.controllers.get(id)?.abort('abort');
      await this.driving.get(id);
      await then();
    } finally {
      this.aborting.delete(id);
    }
  }

  /** Quit: stop the commands in flight; their runs become 'interrupted' (resumable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const c of this.controllers.values()) c.abort('close');
    await Promise.race([Promise.allSettled([...this.driving.values()]), new Promise((r) => setTimeout(r, 10_000))]);
    this.logs.flush();
    recoverInterrupted(this.core);
  }
}
