/**
 * Step kinds: what a checklist step does besides running its command, as plug-ins. The planner,
 * the checklists and the engine consult the registry (`StepKinds`) instead of knowing a behaviour
 * by name, so a new kind of step (a proxy switch, a database patch…) lives in its own folder and
 * is added to the list in `electron/core/steps.ts` — no edit of the engine. See README.md.
 *
 * A kind's step hooks apply to the steps it `matches`; its checklist and run hooks see whole
 * checklists and runs. Several kinds may match one step: their hooks apply in the list's order.
 */
import type { ChecklistKind, ChecklistStep } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import type { RunContext, RunRow } from './run-store.js';
import { render, type Vars } from './template.js';

export type LogFn = (stream: 'stdout' | 'stderr' | 'system', text: string) => void;

/** One step on one host, as a hook sees it. */
export interface HostContext {
  readonly core: Core;
  readonly run: RunRow;
  readonly step: ChecklistStep;
  readonly target: SshTarget;
  /** This host's template variables; a hook may fill in one it computed (the git upload sets upload.sha256). */
  readonly vars: Vars;
  readonly executor: SshEngine;
  readonly signal: AbortSignal;
  /** Appends to the cell's log (stream `system` for the engine's own words). */
  readonly log: LogFn;
}

/** What the plan knows of the release source. */
export type PlanSource = Pick<RunContext, 'archive'> & { git: { url: string; ref: string } | null };

export type Outcome = { ok: true } | { ok: false; error: string };

export interface StepKind {
  /** Names the kind (unique in the registry). */
  readonly name: string;
  /** Whether the step hooks below apply to this step. */
  matches(step: ChecklistStep): boolean;

  // ---- checklists (whole lists, whatever their steps)
  /** An application's built-in checklist (it has no saved copy): add, replace or drop steps. */
  builtin?(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[];
  /** A saved copy, as it is read: bring this kind's steps up to date (e.g. scripts from the inventory). */
  saved?(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[];

  // ---- plan and run (the steps it matches)
  /** The command run on a host, shown in the plan and kept on the cell. Default: the rendered `command`, null when empty. */
  command?(step: ChecklistStep, vars: Vars): string | null;
  /** The plan's words for a host cell. Default: none. */
  detail?(step: ChecklistStep, vars: Vars, source: PlanSource): string;
  /** Before the command runs on a host (upload the archive, fetch a git source). Throws to fail the cell. */
  before?(ctx: HostContext): Promise<void>;
  /** Runs the step on a host instead of its command (a check: retried until its deadline). */
  execute?(ctx: HostContext): Promise<Outcome>;
  /** Written on the command's stdin. Default: nothing (stdin is closed). */
  stdin?(core: Core, applicationId: number, step: ChecklistStep): string | null;
  /** After the step succeeded on a host (`stdout` of its command, '' without one): the cell's note, or null. */
  afterHost?(ctx: HostContext, stdout: string): Promise<string | null> | string | null;

  // ---- whole runs
  /** After the run succeeded, with the hosts it ran on. Advisory: an error is ignored, the run stays succeeded. */
  afterRun?(core: Core, run: RunRow, serverIds: number[]): void;

  // ---- health gate (see health-gate.ts)
  /** A failure of this step on a host (after the switch of an upgrade/rollback) puts that host back on its previous release. */
  switchesBack?(step: ChecklistStep): boolean;
  /** The gate replays this step with the previous release's variables: 'switch' moves `current`, 'restart' follows it. */
  gateRole?(step: ChecklistStep): 'switch' | 'restart' | null;
}

/** The registry: the kinds in the order their hooks apply. Built once per core (core.services.steps). */
export class StepKinds {
  constructor(private readonly kinds: readonly StepKind[]) {
    const names = new Set<string>();
    for (const k of kinds) {
      if (names.has(k.name)) throw new PuestaError('INTERNAL', `Two step kinds are named "${k.name}".`);
      names.add(k.name);
    }
  }

  /** The kinds whose step hooks apply to `step`. */
  of(step: ChecklistStep): StepKind[] {
    return this.kinds.filter((k) => k.matches(step));
  }

  builtin(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[] {
    return this.kinds.reduce((s, k) => (k.builtin ? k.builtin(core, applicationId, kind, s) : s), steps);
  }

  saved(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[] {
    return this.kinds.reduce((s, k) => (k.saved ? k.saved(core, applicationId, kind, s) : s), steps);
  }

  /** The command of a step on a host (null: nothing to run; manual steps never run one). */
  command(step: ChecklistStep, vars: Vars): string | null {
    if (step.kind === 'manual') return null;
    const k = this.of(step).find((x) => x.command);
    if (k) return k.command!(step, vars);
    return step.command.trim() ? render(step.command, vars, 'shell') : null;
  }

  detail(step: ChecklistStep, vars: Vars, source: PlanSource): string {
    return this.of(step).find((x) => x.detail)?.detail!(step, vars, source) ?? '';
  }

  /** The kind that runs this step itself (instead of its command), if any. */
  executorOf(step: ChecklistStep): StepKind | undefined {
    return this.of(step).find((x) => x.execute);
  }

  stdin(core: Core, applicationId: number, step: ChecklistStep): string | null {
    for (const k of this.of(step)) {
      const s = k.stdin?.(core, applicationId, step);
      if (s != null) return s;
    }
    return null;
  }

  /** Every kind's afterRun hook; each is advisory. */
  afterRun(core: Core, run: RunRow, serverIds: number[]): void {
    for (const k of this.kinds) {
      try {
        k.afterRun?.(core, run, serverIds);
      } catch {
        // advisory (e.g. the provisioning review snapshot): a run that succeeded on the hosts stays succeeded
      }
    }
  }

  switchesBack(step: ChecklistStep): boolean {
    return this.of(step).some((k) => k.switchesBack?.(step));
  }

  gateRole(step: ChecklistStep): 'switch' | 'restart' | null {
    for (const k of this.of(step)) {
      const r = k.gateRole?.(step);
      if (r) return r;
    }
    return null;
  }
}
