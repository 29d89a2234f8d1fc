/** What provisioning reads of the inventory: an application's record, its placements, its steps with this core's options. */
import { Application, type Placement } from '../../../shared/contract/inventory.js';
import type { ProvisionStep } from '../../../shared/contract/provision.js';
import type { Core } from '../core.js';
import { provisionSteps, type ServicesOptions } from './index.js';
import { dbPasswordSecretKey } from './postgres.js';

/** The stored application, validated (defaults applied) by the contract schema. */
export function applicationOf(core: Core, id: number): Application {
  return Application.parse(core.inventory.applications.get(id));
}

export function placementsOf(core: Core, filter: { applicationId?: number; serverId?: number }): Placement[] {
  return core.inventory.placements.list({ limit: 10_000, offset: 0, ...filter }).items;
}

/**
 * Whether the install includes the PostgreSQL step: the backup policy dumps the database, or the
 * operator stored a database password (provision.setDbPassword). An application without a
 * database installs without it. The `database` provisioning option overrides this.
 */
export function needsDatabase(core: Core, app: Application): boolean {
  return app.backupPolicy.databaseDump || core.secrets.has(dbPasswordSecretKey(app.id));
}

/** The provisioning steps of an application with this core's options: what the install checklist includes. */
export function provisionStepsFor(core: Core, applicationId: number): ProvisionStep[] {
  const app = applicationOf(core, applicationId);
  const o = core.services.provision;
  return provisionSteps(app, o.database === undefined && !needsDatabase(core, app) ? { ...o, database: false } : o);
}

/** The service-manager options of this core (paths, group, manager), for scripts run outside an install. */
export function serviceOptionsOf(core: Core): ServicesOptions {
  const o = core.services.provision;
  return { ...(o.paths ? { paths: o.paths } : {}), ...(o.group ? { group: o.group } : {}), ...(o.manager ? { manager: o.manager } : {}) };
}
