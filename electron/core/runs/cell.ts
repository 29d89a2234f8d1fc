/**
 * One step on one host (a cell): render its command, let its kinds do their part (upload, check,
 * record, provisioning notes…), run it, keep every output chunk, and leave the cell's final state
 * on disk. A step whose kind switches back goes through the health gate when it fails.
 */
import type { ChecklistStep, RunCell } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { PuestaError } from '../../../shared/errors.js';
import { orphanStopCommand } from '../ssh/remote-command.js';
import { serverTarget } from '../ssh/target.js';
import type { SshEngine } from '../ssh/types.js';
import { gateOf, previousOf, switchBack, switchHost } from './health-gate.js';
import { failingLine } from './commands.js';
import type { LogWriter } from './logwriter.js';
import type { CellRow, CellUpdate, RunRow } from './run-store.js';
import type { HostContext, StepKinds } from './step-kinds.js';

/** What a cell needs from its engine. */
export interface CellEnv {
  readonly core: Core;
  readonly executor: SshEngine;
  readonly kinds: StepKinds;
  readonly logs: LogWriter;
  /** Updates the cell on disk and tells the UI. */
  setCell(id: number, p: CellUpdate): CellRow;
  /** Commands whose connection was cut while they ran, by cell id: still running on the host, maybe. */
  readonly orphans: Map<number, Orphan>;
}

/** What is known of a command left running by a network cut: enough to stop it before a retry. */
export interface Orphan {
  pid: number;
  start: string;
  sudo: boolean;
  attempt: number;
}

interface Result {
  exitCode: number;
  error: string | null;
  stdout: string;
}

export async function runCell(env: CellEnv, run: RunRow, step: ChecklistStep, cell: CellRow, signal: AbortSignal): Promise<void> {
  const { core, kinds } = env;
  const serverId = cell.serverId!;
  const vars = run.context.vars[String(serverId)]!;
  const attempt = cell.attempt + 1;
  let seq = 0;
  const log: HostContext['log'] = (stream, text) => env.logs.push({ runId: run.id, stepIndex: cell.stepIndex, serverId, attempt, stream, seq: seq++, ts: nowIso(), text });
  let command: string | null = null;
  const started = Date.now();
  let exitCode: number | null = null;
  let error: string | null = null;
  let note: string | null = null;
  let switchedBack = cell.switchedBack;
  try {
    command = kinds.command(step, vars);
    env.setCell(cell.id, { state: 'running', attempt, startedAt: new Date(started).toISOString(), finishedAt: null, durationMs: null, exitCode: null, error: null, command });
    if (attempt > 1) log('system', `attempt ${attempt}\n`);
    const ctx: HostContext = { core, run, step, target: serverTarget(core, serverId), vars, executor: env.executor, signal, log };
    // the previous attempt's command may still run there (a network cut): stop it first, or refuse
    const orphan = env.orphans.get(cell.id);
    if (orphan) {
      await stopOrphan(env, ctx, orphan);
      env.orphans.delete(cell.id);
    }
    const gate = gateOf(kinds, run.kind, run.steps, cell.stepIndex);
    // a retry after a switch-back: put this host on the run's release again first
    if (gate && attempt > 1 && previousOf(vars)) {
      log('system', `switching forward again to ${String(vars['release.key'])} before the check\n`);
      await switchHost(kinds, gate, ctx, vars);
      switchedBack = null;
    }
    const own = kinds.executorOf(step);
    if (own) {
      const r = await own.execute!(ctx);
      exitCode = r.ok ? 0 : 1;
      if (!r.ok) {
        error = r.error;
        const back = gate ? await switchBack(kinds, gate, ctx, (v) => own.execute!({ ...ctx, vars: v })) : null;
        if (back) {
          note = back.note;
          error = `${r.error} ${back.note}`;
          switchedBack = back.switchedBack;
        }
      }
    } else {
      exitCode = 0;
      const matching = kinds.of(step);
      const before = matching.filter((k) => k.before);
      for (const k of before) await k.before!(ctx);
      // a hook may have filled in a variable of the command (the git upload's sha256)
      const now = before.length ? kinds.command(step, vars) : command;
      if (now !== command) {
        command = now;
        env.setCell(cell.id, { command });
      }
      const r = command ? await runCommand(env, cell, ctx, command) : { exitCode: 0, error: null, stdout: '' };
      exitCode = r.exitCode;
      error = r.error;
      if (exitCode === 0) {
        for (const k of matching) {
          const n = await k.afterHost?.(ctx, r.stdout);
          if (n) {
            note = n;
            log('system', `${n}\n`);
          }
        }
      }
    }
  } catch (e) {
    error = (e as Error).message;
    // the command did not end with an exit status of its own (stopped, connection lost, a hook failed)
    if (exitCode === 0) exitCode = null;
    log('system', `${error}\n`);
  }
  const interrupted = signal.aborted && signal.reason === 'close';
  if (signal.aborted && signal.reason === 'stop') {
    error = `Stopped by the operator: ${error ?? 'the command was stopped'}`;
    log('system', `stopped by the operator\n`);
  }
  const state: RunCell['state'] = interrupted ? 'interrupted' : error === null && exitCode === 0 ? 'succeeded' : 'failed';
  log('system', `${state} in ${((Date.now() - started) / 1000).toFixed(1)} s${exitCode !== null ? ` (exit ${exitCode})` : ''}\n`);
  // the last output and the final state in one commit (a fleet run ends ~100 cells a minute)
  core.tx(() => {
    env.logs.flush();
    env.setCell(cell.id, { state, exitCode, finishedAt: nowIso(), durationMs: Date.now() - started, error, switchedBack, ...(note ? { note } : {}) });
  });
}

async function runCommand(env: CellEnv, cell: CellRow, { core, run, step, target, signal, log }: HostContext, command: string): Promise<Result> {
  let pid: { pid: number; start: string } | null = null;
  const r = await env.executor
    .exec(target, command, {
      onChunk: (c) => log(c.stream, c.text),
      signal,
      timeoutMs: step.timeoutSeconds * 1000,
      sudo: step.sudo,
      // e.g. the database step reads the role's password here; always close stdin so nothing waits on it
      stdin: env.kinds.stdin(core, run.applicationId, step) ?? '',
      onPid: (p) => (pid = p),
    })
    .catch((e: unknown) => {
      // the connection went (or the host never confirmed the stop): the command may still run there
      const d = e instanceof PuestaError ? (e.details as { stopConfirmed?: boolean } | undefined) : undefined;
      if (pid && e instanceof PuestaError && (e.code === 'SSH_CONNECTION_LOST' || d?.stopConfirmed === false)) {
        env.orphans.set(cell.id, { ...(pid as { pid: number; start: string }), sudo: Boolean(step.sudo), attempt: cell.attempt + 1 });
      }
      throw e;
    });
  const exitCode = r.exitCode ?? (r.signal ? 128 : 1);
  const why = exitCode !== 0 ? failingLine(r.stderr, r.stdout) : '';
  return { exitCode, error: exitCode !== 0 ? `exit code ${exitCode}${r.signal ? ` (signal ${r.signal})` : ''}${why ? `: ${why}` : ''}` : null, stdout: r.stdout };
}

/**
 * Stops what is left of an earlier attempt cut off by the network (its process group) before the
 * step runs again beside it; when that cannot be done (the host is still unreachable, the group
 * will not die) the retry is refused with the reason.
 */
async function stopOrphan(env: CellEnv, { target, signal, log }: HostContext, o: Orphan): Promise<void> {
  log('system', `attempt ${o.attempt} lost its connection while running: stopping what is left of it (process group ${o.pid}) first\n`);
  let out: string;
  try {
    const r = await env.executor.exec(target, orphanStopCommand(o), { timeoutMs: 30_000, signal });
    out = r.stdout.trim();
    if (r.exitCode !== 0) throw new Error(out || r.stderr.trim() || `exit ${r.exitCode}`);
  } catch (e) {
    throw new PuestaError(
      'PRECONDITION_FAILED',
      `Not run again on ${target.name}: the command of attempt ${o.attempt} may still be running there (process group ${o.pid}) and could not be stopped ` +
        `(${(e as Error).message}). Retry once the host answers, or stop it on the host first.`,
      { serverId: target.id, pid: o.pid },
    );
  }
  log('system', out === 'STOPPED' ? `stopped process group ${o.pid}\n` : `process group ${o.pid} had already ended\n`);
}
