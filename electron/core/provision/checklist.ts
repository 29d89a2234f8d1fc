/**
 * How the install (and upgrade) checklists include the provisioning steps. Pure functions over
 * the runs contract, so the runs engine wires them in a few lines:
 *
 *   const prov = provisionChecklistSteps(core, app.id);
 *   steps = withProvisioning(builtinChecklist('install', app), prov);      // install
 *   …executor.exec(target, cmd, { …, sudo: step.sudo, stdin: provisionStdin(core, app.id, step.key) ?? '' })
 *   …on success: recordSnapshot(core, app, { serverId, runId, kind: 'install' | 'upgrade' })
 */
import type { ChecklistStep } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';
import type { ProvisionStep } from '../../../shared/contract/provision.js';
import type { Core } from '../core.js';
import { provisionStepsFor } from './handlers.js';
import { dbPasswordSecretKey } from './postgres.js';

const TIMEOUTS: Record<ProvisionStep['key'], number> = {
  'provision-user': 60,
  'provision-layout': 120,
  'provision-logrotate': 60,
  'provision-services': 180,
  'provision-database': 120,
  'provision-backup': 120,
  'provision-services-start': 300,
  'provision-monitoring': 120,
};

export interface ProvisionChecklist {
  /** Before the release is uploaded (user, layout, logrotate, services install, database, backup). */
  before: ChecklistStep[];
  /** Once `current` is switched: start/scale the services, then the monitoring collector. */
  after: ChecklistStep[];
}

export function toChecklistSteps(steps: ProvisionStep[]): ProvisionChecklist {
  const conv = (s: ProvisionStep) => StepSchema.parse({ key: s.key, title: s.title, kind: 'auto', action: 'shell', command: s.script, sudo: s.sudo, timeoutSeconds: TIMEOUTS[s.key] });
  return { before: steps.filter((s) => s.phase === 'before-release').map(conv), after: steps.filter((s) => s.phase === 'after-release').map(conv) };
}

export function provisionChecklistSteps(core: Core, applicationId: number): ProvisionChecklist {
  return toChecklistSteps(provisionStepsFor(core, applicationId));
}

/**
 * The built-in checklist with the provisioning steps in place: the before-release ones right
 * after the pre-flight (they replace the simple `layout` step), services start/scale right after
 * the `switch` (the generic, disabled `restart` step is dropped), monitoring after the health check.
 */
export function withProvisioning(builtin: ChecklistStep[], prov: ProvisionChecklist): ChecklistStep[] {
  const out: ChecklistStep[] = [];
  const [startScale, ...restAfter] = prov.after;
  const hasHealth = builtin.some((s) => s.key === 'health');
  for (const s of builtin) {
    if (s.key === 'layout' || s.key === 'restart') continue;
    if (s.key === 'record' && !hasHealth) out.push(...restAfter);
    out.push(s);
    if (s.key === 'preflight') out.push(...prov.before);
    if (s.key === 'switch' && startScale) out.push(startScale);
    if (s.key === 'health') out.push(...restAfter);
  }
  if (!builtin.some((s) => s.key === 'preflight')) out.unshift(...prov.before);
  return out;
}

/** What the engine writes on a step's stdin: the database password for the database step, else null. */
export function provisionStdin(core: Core, applicationId: number, stepKey: string): string | null {
  if (stepKey !== 'provision-database') return null;
  const pw = core.secrets.get(dbPasswordSecretKey(applicationId));
  return pw === null ? null : `${pw}\n`;
}
