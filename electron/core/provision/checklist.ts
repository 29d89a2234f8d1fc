/**
 * How the install (and upgrade) checklists include the provisioning steps: functions over the
 * runs contract, which the provisioning step kind (step-kind.ts) hands to the runs engine.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import type { ProvisionStep } from '../../../shared/contract/provision.js';
import { PROVISION_STEP_KEYS } from '../../../shared/contract/provision.js';
import type { ChecklistKind, ChecklistStep } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { parseResult } from './common.js';
import { applicationOf, provisionStepsFor, serviceOptionsOf } from './context.js';
import { SUDO_PREFLIGHT } from '../runs/builtin.js';
import { serviceControlScript, serviceManagerPreflight, templateSafe } from './index.js';
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

/** The built-in checklist of an application, with the provisioning steps when it has services. */
export function provisionedBuiltin(core: Core, applicationId: number, kind: ChecklistKind, builtin: ChecklistStep[]): ChecklistStep[] {
  const app = applicationOf(core, applicationId);
  if (!app.services.length) return builtin;
  const restart = serviceRestartStep(core, app);
  // the pre-flight also checks the service manager (and sudo, which it needs) before anything changes
  const preflight = (s: ChecklistStep) => (s.key === 'preflight' ? { ...s, command: `${s.command}\n${SUDO_PREFLIGHT}\n${serviceManagerPreflight(serviceOptionsOf(core))}` } : s);
  if (kind === 'rollback') return builtin.map((s) => (s.key === 'restart' ? restart : preflight(s)));
  return withProvisioning(builtin.map(preflight), provisionChecklistSteps(core, applicationId), restart);
}

/**
 * The `restart` step of an application whose services Puesta runs: once a new release is switched
 * in on a host that already had one, its services restart so they run the new code (the services
 * step itself only converges what is installed and how many run, so it stays "already in place").
 * On a host's first release the services step has just started them: nothing to do.
 */
export function serviceRestartStep(core: Core, app: Application): ChecklistStep {
  const script = templateSafe(serviceControlScript(app, 'restart', undefined, serviceOptionsOf(core)));
  return StepSchema.parse({
    key: 'restart',
    title: `Restart the services on the new release (${app.services.map((s) => `${s.name}×${s.instances}`).join(', ')})`,
    kind: 'auto',
    action: 'shell',
    // the restart's own status is the step's: a failed or killed systemctl/supervisorctl fails the cell
    command: `if [ -z {{release.previous}} ]; then echo "first release on this host: the services step started it"; exit 0; fi\n( ${script} ) || { rc=$?; echo "restarting the services failed (exit $rc)" >&2; exit "$rc"; }\necho "services restarted on" {{release.key}}`,
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
