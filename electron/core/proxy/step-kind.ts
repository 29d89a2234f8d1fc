/**
 * Blue-green and A/B as a runs step kind: an application with either strategy gets the slot flow
 * in its built-in checklists (see checklist.ts) — a saved copy gets the driver's current scripts —
 * and what the proxy steps report on a host (the slot given the release, the new live slot, the
 * warm period) is recorded with its history.
 */
import type { Slot } from '../../../shared/contract/proxy.js';
import type { ChecklistStep } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { appSlug, DEFAULT_PATHS } from '../provision/common.js';
import { previousOf } from '../runs/health-gate.js';
import { getRun, updateRun } from '../runs/run-store.js';
import type { HostContext, StepKind } from '../runs/step-kinds.js';
import { render } from '../runs/template.js';
import { sh } from '../ssh/quote.js';
import { blueGreenChecklist, PROXY_STEP_KEYS, proxySteps } from './checklist.js';
import { markers } from './commands.js';
import { withSymlinkSite, type ProxyApp } from './install.js';
import { addEvent, endExperiment, getSettings, openExperiment, putSlots } from './proxy-store.js';
import { refusalText, unsafeSince } from './switch-back.js';

const KEYS: ReadonlySet<string> = new Set(PROXY_STEP_KEYS);
const isSlot = (s: string | undefined): s is Slot => s === 'blue' || s === 'green';

/** The application as the proxy's scripts see it, with this core's service-manager options (tests' private paths). */
export function proxyApp(core: Core, applicationId: number): ProxyApp {
  const app = core.inventory.applications.get(applicationId);
  const o = core.services.provision;
  return { name: app.name, slug: appSlug(app), base: app.basePath.replace(/\/+$/, ''), user: app.runtimeUser, paths: o.paths ?? DEFAULT_PATHS, manager: o.manager };
}

/** Run variables the forward switch leaves for the health gate's switch back (kept in the run's context). */
const FORWARD = 'proxy.forward';
const REFUSED = 'proxy.back-refused';

/**
 * Before an upgrade's switch (its database patches are applied by then): whether the health
 * gate's automatic switch back to the previous release would run old code over a contract /
 * breaking patch. The answer is kept in this host's run variables, so a resumed run has it too.
 */
function beforeSwitch({ core, run, target, vars }: HostContext): void {
  if (run.kind !== 'upgrade') return;
  const prev = previousOf(vars);
  const unsafe = unsafeSince(core, run.applicationId, run.environmentId, prev || null);
  const found = { [FORWARD]: String(vars['release.key']), [REFUSED]: unsafe.length ? refusalText(prev, unsafe) : '' };
  Object.assign(vars, found);
  const fresh = getRun(core, run.id);
  Object.assign(fresh.context.vars[String(target.id)]!, found);
  updateRun(core, run.id, { context: fresh.context });
}

export const proxyStepKind: StepKind = {
  name: 'proxy',
  matches: (s) => KEYS.has(s.key),
  builtin: (core, applicationId, kind, steps) => {
    const app = core.inventory.applications.get(applicationId);
    return app.strategy === 'symlink' ? withSymlinkSite(getSettings(core, applicationId), kind, steps, proxyApp(core, applicationId)) : blueGreenChecklist(getSettings(core, applicationId), kind, steps, proxyApp(core, applicationId));
  },
  // a saved copy runs the driver's scripts as the settings are now (like provisioning's scripts)
  saved: (core, applicationId, kind, steps) => {
    if (core.inventory.applications.get(applicationId).strategy === 'symlink') return steps;
    const fresh = proxySteps(getSettings(core, applicationId), kind, proxyApp(core, applicationId)) as Record<string, ChecklistStep>;
    return steps.map((s) => (KEYS.has(s.key) && fresh[s.key] ? { ...fresh[s.key]!, enabled: s.enabled } : s));
  },
  before: async (ctx) => {
    if (ctx.step.key === 'switch') beforeSwitch(ctx);
  },
  // the gate replays `switch` with the previous release: refused when a database patch makes it unsafe
  command: (step, vars) => {
    const refused = step.key === 'switch' && vars[REFUSED] && String(vars['release.key']) !== String(vars[FORWARD]);
    if (refused) return sh`echo ${String(vars[REFUSED]) + ' The automatic switch back is refused: decide in the proxy panel (switch back naming the patch) or fix forward.'} >&2; exit 1`;
    return step.command.trim() ? render(step.command, vars, 'shell') : null;
  },
  afterHost: ({ core, run, step, target, vars }, stdout) => {
    const m = markers(stdout);
    const release = String(vars['release.key']);
    if (step.key === 'slot-assign' && isSlot(m.SLOT)) {
      putSlots(core, run.applicationId, target.id, m.SLOT === 'blue' ? { blueRelease: release } : { greenRelease: release });
      return `slot ${m.SLOT} holds ${release}`;
    }
    if (step.key === 'switch' && m.LIVE) {
      const [live, from] = m.LIVE.split(' from=');
      if (!isSlot(live)) return null;
      const exp = openExperiment(core, run.applicationId, run.environmentId);
      core.tx(() => {
        if (exp) endExperiment(core, exp, run.operator, `run #${run.id} switched to ${live}`);
        putSlots(core, run.applicationId, target.id, { live, greenWeight: null, warmUntil: null, draining: run.steps.some((s) => s.key === 'drain' && s.enabled), ...(live === 'blue' ? { blueRelease: release } : { greenRelease: release }) });
        addEvent(core, { applicationId: run.applicationId, serverId: target.id, kind: 'switch', live, release, runId: run.id, operator: run.operator, note: `from ${from ?? 'none'}` });
      });
      return `the proxy sends ${target.name}'s traffic to slot ${live} (${release}); it was ${from ?? 'none'}`;
    }
    if (step.key === 'drain') {
      putSlots(core, run.applicationId, target.id, { draining: false });
      return null;
    }
    if (step.key === 'slot-stop' && m.WARM !== undefined) {
      const warm = Number(m.WARM);
      putSlots(core, run.applicationId, target.id, { warmUntil: warm > 0 ? new Date(Date.now() + warm * 1000).toISOString() : null });
      return warm > 0 ? `the old slot stays warm for ${warm} s (switch back without a start)` : 'the old slot is stopped';
    }
    return null;
  },
};
