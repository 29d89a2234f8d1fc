/**
 * What the operator does to a run (`runs.act`, `runs.resume`): confirm a manual step; stop the
 * command on one host; on a failed step retry (optionally with a corrected command), skip with a
 * note or exclude a host; abort; resume an interrupted run choosing, per host whose command was cut
 * off, to run it again, check first, or mark it done. Each action is audited; the engine
 * (engine.ts) then drives the run on.
 */
import { isTerminalRunState, type ResumeInput, type Run } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import { nowIso } from '../db/rows.js';
import type { RunsEngine } from './engine.js';
import { releaseHostLocks, takeHostLocks } from './host-locks.js';
import { releaseLocalLock, takeLocalLock } from './locks.js';
import { cellsOf, getRun, updateRun, type CellRow, type RunRow } from './run-store.js';
import { checkTemplate } from './template.js';

export interface ActRequest {
  id: number;
  action: 'confirm' | 'retry' | 'skip' | 'exclude' | 'abort' | 'stop';
  note: string;
  serverId?: number | undefined;
  command?: string | undefined;
}

const stateText = (run: RunRow) => `${run.state}${run.waitingFor ? `, waiting for a ${run.waitingFor}` : ''}`;

export async function act(engine: RunsEngine, input: ActRequest): Promise<Run> {
  const core = engine.core;
  const run = getRun(core, input.id);
  const op = core.operator();
  if (isTerminalRunState(run.state)) throw new PuestaError('PRECONDITION_FAILED', `Run #${run.id} has already ${run.state === 'succeeded' ? 'succeeded' : 'been aborted'}; start a new run.`);
  const i = run.currentStep;
  const step = run.steps[i];
  const cells = cellsOf(core, run.id, i);
  const needWaiting = (what: 'confirm' | 'decision') => {
    if (run.state !== 'waiting' || run.waitingFor !== what) {
      throw new PuestaError(
        'PRECONDITION_FAILED',
        what === 'confirm'
          ? `Run #${run.id} is not waiting for a confirmation (it is ${stateText(run)}).`
          : `Run #${run.id} has no failed step to decide on (it is ${stateText(run)}).${run.state === 'interrupted' ? ' Resume it instead.' : ''}`,
      );
    }
  };
  if (input.action === 'abort') return abort(engine, run, input.note);
  if (input.action === 'stop') return stopHost(engine, run, cells, input);
  if (run.state === 'waiting') {
    // the run goes on: it must still hold its lock (after a restart the lease may have lapsed and been taken)
    core.tx(() => takeLocalLock(core, { applicationId: run.applicationId, environmentId: run.environmentId, runId: run.id, owner: op, reason: run.reason, override: false }));
  }
  switch (input.action) {
    case 'confirm': {
      needWaiting('confirm');
      const c = cells[0]!;
      core.tx(() => {
        engine.setCell(c.id, { state: 'succeeded', note: input.note, finishedAt: nowIso(), durationMs: c.startedAt ? Date.now() - Date.parse(c.startedAt) : null });
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
        for (const c of cells) if (c.state === 'failed') engine.setCell(c.id, { state: 'pending', note: input.note || c.note });
        updateRun(core, run.id, { state: 'running', waitingFor: null, error: null });
        core.audit.write(op, 'run.retry', 'runs', run.id, null, { step: step?.key, note: input.note });
      });
      break;
    }
    case 'skip': {
      needWaiting('decision');
      if (!input.note.trim()) throw new PuestaError('INVALID_INPUT', 'Say why the step is skipped (a note is required).', { field: 'note' });
      core.tx(() => {
        for (const c of cells) if (c.state === 'failed') engine.setCell(c.id, { state: 'skipped', note: input.note });
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
          if (c.stepIndex === i && c.state === 'failed') engine.setCell(c.id, { state: 'excluded', note: input.note || 'host excluded' });
          else if (c.stepIndex > i && c.state === 'pending') engine.setCell(c.id, { state: 'excluded', note: input.note || 'host excluded' });
        }
        const stillFailed = cellsOf(core, run.id, i).some((c) => c.state === 'failed');
        updateRun(core, run.id, stillFailed ? { excluded } : { excluded, currentStep: i + 1, state: 'running', waitingFor: null, error: null });
        core.audit.write(op, 'run.exclude-host', 'runs', run.id, null, { step: step?.key, serverId: sid, server: host.serverName, note: input.note });
      });
      break;
    }
  }
  engine.hold(run.id);
  engine.emitState(run.id);
  void engine.drive(run.id);
  return engine.view(run.id);
}

/**
 * Stops the command running on one host of the current step (a hung step need not abort the whole
 * run): its remote processes are stopped as for an abort, its cell fails ("Stopped by the
 * operator"), the other hosts go on, and the run then waits for retry / skip / exclude.
 */
function stopHost(engine: RunsEngine, run: RunRow, cells: CellRow[], input: ActRequest): Run {
  const cell = cells.find((c) => c.serverId !== null && c.serverId === input.serverId);
  if (run.state !== 'running' || !cell || cell.state !== 'running' || !engine.stopCell(cell.id)) {
    const host = run.hosts.find((h) => h.serverId === input.serverId)?.serverName ?? `server #${input.serverId ?? '?'}`;
    throw new PuestaError('PRECONDITION_FAILED', `Nothing runs on ${host} in run #${run.id} now (it is ${stateText(run)}): only a running command can be stopped.`, {
      field: 'serverId',
    });
  }
  engine.core.audit.write(engine.core.operator(), 'run.stop-host', 'runs', run.id, null, { step: cell.stepKey, serverId: cell.serverId, server: cell.serverName, note: input.note });
  return engine.view(run.id);
}

async function abort(engine: RunsEngine, run: RunRow, note: string): Promise<Run> {
  const core = engine.core;
  const op = core.operator();
  const step = run.steps[run.currentStep];
  await engine.stopRun(run.id, async () => {
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
      for (const c of cellsOf(core, run.id)) if (c.state === 'running' || c.state === 'waiting') engine.setCell(c.id, { state: 'failed', error: 'aborted', finishedAt: nowIso() });
      updateRun(core, run.id, { state: 'aborted', waitingFor: null, finishedAt: nowIso(), rollbackOffer: offer, error: note || null });
      core.audit.write(op, 'run.abort', 'runs', run.id, null, { step: step?.key, note });
    });
    await releaseHostLocks(engine, getRun(core, run.id));
    releaseLocalLock(core, run.applicationId, run.environmentId, run.id);
    engine.release(run);
    engine.emitState(run.id);
  });
  return engine.view(run.id);
}

type ResumeRequest = ReturnType<typeof ResumeInput.parse>;

const CHOICE_TEXT = { rerun: 'run again', check: 'check first', done: 'marked done' } as const;

/**
 * Resumes an interrupted run from its interrupted step. Each host whose command was cut off is run
 * again unless the operator chose otherwise: `check` fails its cell with a note that says so (the
 * run then waits for retry / skip / exclude on it), `done` marks it succeeded with the note.
 */
export async function resume(engine: RunsEngine, input: ResumeRequest): Promise<Run> {
  const core = engine.core;
  const id = input.id;
  const run = getRun(core, id);
  if (run.state !== 'interrupted') {
    throw new PuestaError('PRECONDITION_FAILED', `Run #${id} is ${run.state}; only an interrupted run can be resumed${run.state === 'waiting' ? ' (this one waits for your decision on its current step)' : ''}.`);
  }
  const cut = cellsOf(core, id, run.currentStep).filter((c) => c.state === 'interrupted' || c.state === 'running');
  for (const h of input.hosts) {
    if (!cut.some((c) => c.serverId === h.serverId)) {
      throw new PuestaError('INVALID_INPUT', `Server #${h.serverId} has no command cut off in run #${id}: choose among the hosts of its interrupted step.`, { field: 'hosts' });
    }
    if (h.choice === 'done' && !h.note.trim()) throw new PuestaError('INVALID_INPUT', 'Say why the step counts as done on that host (a note is required).', { field: 'hosts' });
  }
  const op = core.operator();
  core.tx(() => {
    takeLocalLock(core, { applicationId: run.applicationId, environmentId: run.environmentId, runId: id, owner: op, reason: run.reason, override: false });
  });
  engine.hold(id);
  try {
    await takeHostLocks(engine, id, false);
  } catch (e) {
    engine.release(run);
    throw e;
  }
  const when = nowIso();
  core.tx(() => {
    for (const c of cut) {
      const chosen = input.hosts.find((h) => h.serverId === c.serverId);
      const choice = chosen?.choice ?? 'rerun';
      const note = chosen?.note.trim() ?? '';
      engine.logs.push({
        runId: id,
        stepIndex: c.stepIndex,
        serverId: c.serverId,
        attempt: c.attempt,
        stream: 'system',
        seq: 1_000_001,
        ts: when,
        text: `— resumed at ${when}: ${CHOICE_TEXT[choice]}${choice === 'done' ? ` by ${op}: ${note}` : note ? ` (${note})` : ''} —\n`,
      });
      if (choice === 'rerun') engine.setCell(c.id, { state: 'pending' });
      else if (choice === 'done') engine.setCell(c.id, { state: 'succeeded', note, error: null, exitCode: null });
      else {
        engine.setCell(c.id, {
          state: 'failed',
          note,
          error: `Puesta stopped while this step ran on ${c.serverName}, so whether it finished is unknown: check the host, then retry, skip (with a note) or exclude it.`,
        });
      }
    }
    updateRun(core, id, { state: 'running', waitingFor: null, error: null });
    core.audit.write(op, 'run.resume', 'runs', id, null, {
      step: run.steps[run.currentStep]?.key ?? null,
      hosts: input.hosts.map((h) => ({ serverId: h.serverId, choice: h.choice, note: h.note })),
    });
  });
  engine.logs.flush();
  engine.emitState(id);
  void engine.drive(id);
  return engine.view(id);
}
