/**
 * Provisioning as a runs step kind: an application with services gets the provisioning steps in
 * its install/upgrade checklists (and a services `restart`), the database step reads its password
 * on stdin, a step's `PUESTA_RESULT` line becomes the cell's note, the monitoring step's stats go
 * to the history, and a successful run leaves the snapshot the upgrade review compares with.
 */
import type { Core } from '../core.js';
import type { RunRow } from '../runs/run-store.js';
import type { StepKind } from '../runs/step-kinds.js';
import { isProvisionStep, provisionedBuiltin, provisionNote, provisionStdin, refreshProvisioning } from './checklist.js';
import { applicationOf } from './context.js';
import { recordSnapshot } from './review.js';
import { recordStepStats } from './stats.js';

export const provisionStepKind: StepKind = {
  name: 'provision',
  matches: (s) => isProvisionStep(s.key),
  builtin: provisionedBuiltin,
  saved: refreshProvisioning,
  stdin: (core, applicationId, step) => provisionStdin(core, applicationId, step.key),
  afterHost: ({ core, run, step, target }, stdout) => {
    if (step.key === 'provision-monitoring') recordStepStats(core, target.id, run.applicationId, stdout);
    return provisionNote(step.key, stdout);
  },
  afterRun: recordAppliedProvisioning,
};

/** When an install/upgrade run with provisioning steps succeeded: what it applied, per host (the upgrade review compares with it). */
function recordAppliedProvisioning(core: Core, run: RunRow, serverIds: number[]): void {
  if (run.kind === 'rollback' || !run.steps.some((s) => isProvisionStep(s.key) && s.enabled)) return;
  const app = applicationOf(core, run.applicationId);
  core.tx(() => {
    for (const serverId of serverIds) recordSnapshot(core, app, { serverId, runId: run.id, kind: run.kind as 'install' | 'upgrade' });
  });
}
