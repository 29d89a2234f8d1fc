/**
 * The health gate (ChecklistStep.switchBackOnFailure): in an upgrade or rollback, a step that
 * switches back (a check) and fails on a host after the `switch` puts that host back on the
 * release that was current before the run — the run's own switch step replayed with release.*
 * pointing at it, then its restart step — records it, and runs the same step against it.
 * Which steps take part is the step kinds' say (`switchesBack`, `gateRole`).
 */
import type { ChecklistKind, ChecklistStep, RunCell } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import { setCurrent, upsertRelease } from './release-store.js';
import type { HostContext, Outcome, StepKind, StepKinds } from './step-kinds.js';
import type { Vars } from './template.js';

/** The built-in steps the gate replays, by key: `switch` moves `current`, `restart` follows it. */
export const gateSteps: StepKind = {
  name: 'switch-restart',
  matches: (s) => s.key === 'switch' || s.key === 'restart',
  gateRole: (s) => (s.key === 'switch' ? 'switch' : 'restart'),
};

export interface Gate {
  switchStep: ChecklistStep;
  restart: ChecklistStep | null;
}

/**
 * The health gate of step `i`: it switches back on failure when its kind says so, the run is an
 * upgrade or rollback and an enabled switch step comes before it. Null otherwise.
 */
export function gateOf(kinds: StepKinds, runKind: ChecklistKind, steps: readonly ChecklistStep[], i: number): Gate | null {
  const step = steps[i];
  if (!step || runKind === 'install' || !kinds.switchesBack(step)) return null;
  const sw = steps.findIndex((s) => s.enabled && kinds.gateRole(s) === 'switch');
  if (sw < 0 || sw >= i) return null;
  const restart = steps.find((s, k) => k > sw && k < i && s.enabled && kinds.gateRole(s) === 'restart') ?? null;
  return { switchStep: steps[sw]!, restart };
}

/** The release that was current on the host before this run ('' when none, or when it is the run's own). */
export function previousOf(vars: Vars): string {
  const prev = String(vars['release.previous'] ?? '');
  return prev && prev !== String(vars['release.key']) ? prev : '';
}

/** Runs the gate's switch step (then restart, if any) on the context's host with the given variables. */
export async function switchHost(kinds: StepKinds, gate: Gate, ctx: HostContext, v: Vars): Promise<void> {
  const { core, run, target, executor, signal, log } = ctx;
  for (const st of [gate.switchStep, gate.restart]) {
    if (!st) continue;
    const cmd = kinds.command(st, v);
    if (!cmd) continue;
    log('system', `$ (${st.key})\n`);
    const r = await executor.exec(target, cmd, {
      onChunk: (c) => log(c.stream, c.text),
      signal,
      timeoutMs: st.timeoutSeconds * 1000,
      sudo: st.sudo,
      stdin: kinds.stdin(core, run.applicationId, st) ?? '',
    });
    if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', `the ${st.key} step exited with code ${r.exitCode ?? r.signal ?? '?'} on ${target.name}`);
  }
}

/**
 * The step failed on this host after the switch: `current` goes back to the previous release, the
 * restart step runs, the records and the audit log say so, then `recheck` runs the step against the
 * previous release. Returns the cell's note and its switchedBack record, or null when there is
 * nothing to switch back to.
 */
export async function switchBack(
  kinds: StepKinds,
  gate: Gate,
  ctx: HostContext,
  recheck: (vars: Vars) => Promise<Outcome>,
): Promise<{ note: string; switchedBack: NonNullable<RunCell['switchedBack']> } | null> {
  const { core, run, step, target, vars, signal, log } = ctx;
  const prev = previousOf(vars);
  const key = String(vars['release.key']);
  if (!prev) {
    log('system', `health check failed: no earlier release on ${target.name} to switch back to\n`);
    return null;
  }
  const base = String(vars['app.base']);
  const back: Vars = { ...vars, 'release.key': prev, 'release.path': `${base}/releases/${prev}`, 'release.label': '' };
  log('system', `health check failed: switching ${target.name} back to ${prev}\n`);
  try {
    await switchHost(kinds, gate, ctx, back);
  } catch (e) {
    if (signal.aborted) throw e;
    const msg = `Health check failed; switching back to ${prev} failed too (${(e as Error).message}): ${target.name} may still be on ${key}.`;
    log('system', `${msg}\n`);
    core.audit.write(run.operator, 'run.switch-back', 'runs', run.id, null, { step: step.key, serverId: target.id, server: target.name, from: key, to: prev, ok: false, error: (e as Error).message });
    return { note: msg, switchedBack: { from: key, to: prev, ok: false } };
  }
  core.tx(() => {
    const relId = upsertRelease(core, run.applicationId, target.id, prev, `${base}/releases/${prev}`);
    setCurrent(core, run.applicationId, target.id, relId, run.id);
    core.audit.write(run.operator, 'run.switch-back', 'runs', run.id, { serverId: target.id, release: key }, { step: step.key, serverId: target.id, server: target.name, from: key, to: prev, ok: true });
  });
  // the previous release must answer again: the same step, against it
  log('system', `checking ${target.name} on ${prev}\n`);
  const again = await recheck(back);
  const restarted = gate.restart ? ' and restarted it' : '';
  const msg = again.ok
    ? `Health check failed: switched back to ${prev} automatically${restarted}; ${target.name} serves the previous release again (its check passes).`
    : `Health check failed: switched back to ${prev} automatically${restarted}, but the check fails on ${prev} too: look at ${target.name}.`;
  log('system', `${msg}\n`);
  return { note: msg, switchedBack: { from: key, to: prev, ok: true } };
}
