/**
 * Blue-green and A/B as a runs step kind: an application with either strategy gets the slot flow
 * in its built-in checklists (see checklist.ts) — a saved copy gets the driver's current scripts —
 * and what the proxy steps report on a host (the slot given the release, the new live slot, the
 * warm period) is recorded with its history.
 */
import type { Slot } from '../../../shared/contract/proxy.js';
import type { ChecklistStep } from '../../../shared/contract/runs.js';
import type { StepKind } from '../runs/step-kinds.js';
import { blueGreenChecklist, PROXY_STEP_KEYS, proxySteps } from './checklist.js';
import { markers } from './commands.js';
import { addEvent, getSettings, putSlots } from './proxy-store.js';

const KEYS: ReadonlySet<string> = new Set(PROXY_STEP_KEYS);
const isSlot = (s: string | undefined): s is Slot => s === 'blue' || s === 'green';

export const proxyStepKind: StepKind = {
  name: 'proxy',
  matches: (s) => KEYS.has(s.key),
  builtin: (core, applicationId, kind, steps) => {
    const app = core.inventory.applications.get(applicationId);
    return app.strategy === 'symlink' ? steps : blueGreenChecklist(getSettings(core, applicationId), kind, steps);
  },
  // a saved copy runs the driver's scripts as the settings are now (like provisioning's scripts)
  saved: (core, applicationId, kind, steps) => {
    if (core.inventory.applications.get(applicationId).strategy === 'symlink') return steps;
    const fresh = proxySteps(getSettings(core, applicationId), kind) as Record<string, ChecklistStep>;
    return steps.map((s) => (KEYS.has(s.key) && fresh[s.key] ? { ...fresh[s.key]!, enabled: s.enabled } : s));
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
      core.tx(() => {
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
