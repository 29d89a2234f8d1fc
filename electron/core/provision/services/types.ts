/**
 * One service-manager interface, two real implementations (systemd, supervisor). A manager only
 * renders files and builds shell fragments; `servicesStep` (index.ts) wraps them with the detector.
 *
 * Instances are numbered 1..N in both: systemd template instances `puesta-<slug>-<svc>@<i>`, supervisor
 * processes `puesta-<slug>-<svc>:puesta-<slug>-<svc>_<ii>` (numprocs_start=1). Each process gets
 * PUESTA_INSTANCE=<i> and PUESTA_SERVICE=<svc> in its environment and runs <base>/bin/puesta-<svc>
 * (a root-owned wrapper holding the inventory's command) as the runtime user in <base>/current.
 */
import type { Application } from '../../../../shared/contract/inventory.js';
import type { AppLayout, ProvisionPaths } from '../common.js';

export type ServiceManagerKind = 'systemd' | 'supervisor';
export type ServiceAction = 'start' | 'stop' | 'restart';

export interface RenderedFile {
  path: string;
  mode: string;
  content: string;
}

export interface ServiceManager {
  readonly kind: ServiceManagerKind;
  /** The unit / program name of one service. */
  unitName(l: AppLayout, service: string): string;
  /** The files this manager installs for the application (wrappers excluded). */
  render(app: Application, l: AppLayout, paths: ProvisionPaths): RenderedFile[];
  /**
   * Fragment: validate and write the files, then (when <base>/current exists) converge every
   * service to its instance count and start what is not running; restarts a service whose
   * wrapper changed (shell variable PUESTA_RESTART_<i> = 1 for service index i).
   */
  applyFragment(app: Application, l: AppLayout, paths: ProvisionPaths): string;
  /** Fragment: start / stop / restart every instance of one service (or all). */
  controlFragment(app: Application, l: AppLayout, paths: ProvisionPaths, action: ServiceAction, service?: string): string;
  /** Fragment printing one line per service: `PUESTA_SERVICE <name> <expected> <running>`. */
  statusFragment(app: Application, l: AppLayout, paths: ProvisionPaths): string;
}
