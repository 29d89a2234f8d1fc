/**
 * Release runs respect a suspension in force: the steps that (re)start an application's services
 * (`restart`, `provision-services-start`) would start again the workers a suspension stopped, so on
 * a host where the application's suspension stopped workers they fail before running, saying so;
 * the operator skips the step (the new release is in place, the workers stay stopped and the
 * reinstatement starts them on it) or reinstates first. The web side needs nothing: a deploy does
 * not touch live.sock (symlink strategy), and a blue-green switch writes its slot behind the
 * suspension (proxy/commands.ts).
 */
import { PuestaError } from '../../../shared/errors.js';
import type { StepKind } from '../runs/step-kinds.js';
import { listSuspensions } from './suspension-store.js';

const STARTS_SERVICES: ReadonlySet<string> = new Set(['restart', 'provision-services-start']);

export const suspensionStepKind: StepKind = {
  name: 'suspension',
  matches: (s) => STARTS_SERVICES.has(s.key),
  before: ({ core, run, target, log }) => {
    const [s] = listSuspensions(core, { applicationId: run.applicationId, environmentId: run.environmentId, inForce: true, limit: 1 });
    const stopped = s?.hosts.find((h) => h.serverId === target.id)?.stoppedWorkers ?? [];
    if (!s || !stopped.length) return Promise.resolve();
    log('system', `suspension #${s.id} (${s.reason}, contract ${s.contractReference}) stopped ${stopped.join(', ')} on ${target.name}\n`);
    return Promise.reject(
      new PuestaError(
        'PRECONDITION_FAILED',
        `${s.applicationName} is suspended on ${target.name} (suspension #${s.id}, contract ${s.contractReference}): ${stopped.join(', ')} stay stopped while it is. Skip this step (the reinstatement starts them on the new release), or reinstate first.`,
      ),
    );
  },
};
