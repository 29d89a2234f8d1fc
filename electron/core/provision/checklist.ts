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
import type { ChecklistKind } from '../../../shared/contract/runs.js';
import { PROVISION_STEP_KEYS } from '../../../shared/contract/provision.js';
import type { Core } from '../core.js';
import type { Application } from '../../../shared/contract/inventory.js';
import { applicationOf, provisionOptionsOf, provisionStepsFor, recordStepStats } from './handlers.js';
import { serviceControlScript, templateSafe } from './index.js';
import { parseResult } from './common.js';
import { dbPasswordSecretKey } from './postgres.js';
import { recordSnapshot } from './review.js';

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
  const conv = (s: ProvisionStep) =>
    StepSchema.parse({
      key: s.key,
      title: s.title,
      kind: 'auto',
      action: 'shell',
      // the collector fills a health URL's {{host.address}} from this (the runs template renders it per host)
      command: s.key === 'provision-monitoring' ? `PUESTA_HOST_ADDRESS={{host.address}}; export PUESTA_HOST_ADDRESS\n${s.script}` : s.script,
      sudo: s.sudo,
      timeoutSeconds: TIMEOUTS[s.key],
    });
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
export function withProvisioning(builtin: ChecklistStep[], prov: ProvisionChecklist, restart: ChecklistStep | null = null): ChecklistStep[] {
  const out: ChecklistStep[] = [];
  const [startScale, ...restAfter] = prov.after;
  const hasHealth = builtin.some((s) => s.key === 'health');
  for (const s of builtin) {
    if (s.key === 'layout' || s.key === 'restart') continue;
    if (s.key === 'record' && !hasHealth) out.push(...restAfter);
    out.push(s);
    if (s.key === 'preflight') out.push(...prov.before);
    if (s.key === 'switch' && startScale) out.push(startScale);
    if (s.key === 'switch' && restart) out.push(restart);
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

const KEYS = new Set<string>(PROVISION_STEP_KEYS);
export const isProvisionStep = (key: string): boolean => KEYS.has(key);

/**
 * Whether an application's install/upgrade checklists include the provisioning steps: it declares
 * at least one service (web/worker) that Puesta runs for it. An application without services keeps
 * the plain checklist (the operator starts it with their own step).
 */
export function provisions(core: Core, applicationId: number, kind: ChecklistKind): boolean {
  if (kind === 'rollback') return false;
  return applicationOf(core, applicationId).services.length > 0;
}

/** The built-in checklist of an application, with the provisioning steps when it has services. */
export function provisionedBuiltin(core: Core, applicationId: number, kind: ChecklistKind, builtin: ChecklistStep[]): ChecklistStep[] {
  const app = applicationOf(core, applicationId);
  if (!app.services.length) return builtin;
  const restart = serviceRestartStep(core, app);
  if (kind === 'rollback') return builtin.map((s) => (s.key === 'restart' ? restart : s));
  return withProvisioning(builtin, provisionChecklistSteps(core, applicationId), restart);
}

/**
 * The `restart` step of an application whose services Puesta runs: once a new release is switched
 * in on a host that already had one, its services restart so they run the new code (the services
 * step itself only converges what is installed and how many run, so it stays "already in place").
 * On a host's first release the services step has just started them: nothing to do.
 */
export function serviceRestartStep(core: Core, app: Application): ChecklistStep {
  const o = provisionOptionsOf(core);
  const so = { ...(o.paths ? { paths: o.paths } : {}), ...(o.group ? { group: o.group } : {}), ...(o.manager ? { manager: o.manager } : {}) };
  const script = templateSafe(serviceControlScript(app, 'restart', undefined, so));
  return StepSchema.parse({
    key: 'restart',
    title: `Restart the services on the new release (${app.services.map((s) => `${s.name}×${s.instances}`).join(', ')})`,
    kind: 'auto',
    action: 'shell',
    command: `if [ -z {{release.previous}} ]; then echo "first release on this host: the services step started it"; exit 0; fi\n( ${script} )\necho "services restarted on" {{release.key}}`,
    sudo: true,
    timeoutSeconds: 300,
  });
}

/**
 * A saved (edited) checklist: its provisioning steps get the scripts of the inventory as it is
 * now (an edited checklist never runs a stale user/services/backup script); the operator's other
 * choices on those steps (enabled, title, timeout, roles) stay.
 */
export function refreshProvisioning(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): ChecklistStep[] {
  if (kind === 'rollback' || !steps.some((s) => isProvisionStep(s.key))) return steps;
  const prov = provisionChecklistSteps(core, applicationId);
  const fresh = new Map([...prov.before, ...prov.after].map((s) => [s.key, s]));
  return steps.map((s) => {
    const f = fresh.get(s.key);
    return f ? { ...s, command: f.command, sudo: true } : s;
  });
}

/** What a provisioning step reported, as the cell note: "already in place" when nothing changed. */
export function provisionNote(stepKey: string, stdout: string): string | null {
  if (!isProvisionStep(stepKey)) return null;
  const r = parseResult(stdout);
  return r === 'unchanged' ? 'already in place' : r === 'changed' ? 'changed' : null;
}

/**
 * After a provisioning step succeeded on a host: the monitoring step's statistics go to the
 * history (charts); returns the note for the cell.
 */
export function afterProvisionStep(core: Core, applicationId: number, serverId: number, stepKey: string, stdout: string): string | null {
  if (stepKey === 'provision-monitoring') recordStepStats(core, serverId, applicationId, stdout);
  return provisionNote(stepKey, stdout);
}

/** When an install/upgrade run with provisioning steps succeeded: what it applied, per host (the upgrade review compares with it). */
export function afterProvisionedRun(core: Core, run: { id: number; applicationId: number; kind: ChecklistKind; steps: ChecklistStep[]; serverIds: number[] }): void {
  if (run.kind === 'rollback' || !run.steps.some((s) => isProvisionStep(s.key) && s.enabled)) return;
  const app = applicationOf(core, run.applicationId);
  core.tx(() => {
    for (const serverId of run.serverIds) recordSnapshot(core, app, { serverId, runId: run.id, kind: run.kind as 'install' | 'upgrade' });
  });
}
