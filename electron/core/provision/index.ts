/**
 * The provisioning layer of a new-application install: builders that turn an application's
 * inventory record into idempotent shell scripts (user, layout, logrotate, services, database,
 * backup, monitoring), and `provisionSteps`, the ordered list the install checklist includes as
 * automatic steps. Nothing here connects anywhere: the runs engine runs the scripts over SSH.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import type { ProvisionStep } from '../../../shared/contract/provision.js';
import { backupStep } from './backup.js';
import { DEFAULT_PATHS, type Built, type DatabaseTarget, type ProvisionPaths } from './common.js';
import { layoutStep, type LayoutModes } from './layout.js';
import { logrotateStep } from './logrotate.js';
import { monitoringStep } from './monitoring.js';
import { dbPasswordSecretKey, postgresStep } from './postgres.js';
import { servicesStep, type ServiceManagerKind } from './services/index.js';
import { userStep, type UserOptions } from './user.js';

export * from './common.js';
export { userStep, type UserOptions } from './user.js';
export { layoutStep, DEFAULT_MODES, type LayoutModes } from './layout.js';
export { logrotatePath, logrotateStep, renderLogrotate } from './logrotate.js';
export * from './services/index.js';
export { databaseTarget, dbPasswordSecretKey, postgresStep, sqlIdent, sqlLiteral } from './postgres.js';
export { backupScriptPath, backupStep, backupTarget, parseBackupArchive, parseSchedule, renderBackupScript, restoreScript, runBackupScript, type Schedule } from './backup.js';
export { healthUrlFor, healthUrlOf, hostAddressLine, monitoringStep, parseStats, statsScript } from './monitoring.js';
export { diffSnapshots, lastSnapshot, recordSnapshot, reviewUpgrade, snapshotOf, type ProvisionSnapshot } from './review.js';

export interface ProvisionOptions {
  paths?: ProvisionPaths;
  /** The runtime user's primary group (default: named like the user). */
  group?: string;
  user?: Omit<UserOptions, 'group'>;
  modes?: Partial<LayoutModes>;
  /** The application's PostgreSQL role/database and how to reach the server; false = no database step. */
  database?: Partial<DatabaseTarget> | false;
  /** Force a service manager instead of detecting it on each host. */
  manager?: ServiceManagerKind;
}

const VAR_LIKE = /\{\{/g;

/**
 * Makes a finished script safe for the checklist's template renderer, which replaces `{{name}}`:
 * every value in a script is inside single quotes (shq quotes any word with a brace), where
 * `{''{` is the same two characters as `{{` to the shell.
 */
export function templateSafe(script: string): string {
  let s = script;
  while (VAR_LIKE.test(s)) s = s.replace(VAR_LIKE, "{''{");
  return s;
}

function step(key: ProvisionStep['key'], phase: ProvisionStep['phase'], b: Built, stdinSecret: string | null = null): ProvisionStep {
  return { key, title: b.title, phase, script: templateSafe(b.script), sudo: true, stdinSecret, touches: b.touches };
}

/**
 * The install's provisioning steps, in order. Steps of phase 'before-release' go before the
 * release is uploaded; 'after-release' ones after `current` is switched. Every step runs as root
 * (sudo), prints `PUESTA_RESULT changed|unchanged` last, and may be re-run at any time.
 * The database step needs the role's password on stdin: the secret `stdinSecret` from the store.
 */
export function provisionSteps(app: Application, opts: ProvisionOptions = {}): ProvisionStep[] {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const common = { paths, ...(opts.group ? { group: opts.group } : {}) };
  const svc = { ...common, ...(opts.manager ? { manager: opts.manager } : {}) };
  const services = servicesStep(app, svc);
  const steps: ProvisionStep[] = [
    step('provision-user', 'before-release', userStep(app, { ...opts.user, ...(opts.group ? { group: opts.group } : {}) })),
    step('provision-layout', 'before-release', layoutStep(app, { ...(opts.group ? { group: opts.group } : {}), ...(opts.modes ? { modes: opts.modes } : {}) })),
    step('provision-logrotate', 'before-release', logrotateStep(app, common)),
    step('provision-services', 'before-release', { ...services, title: `${services.title}: install` }),
  ];
  const db = opts.database === false ? null : (opts.database ?? {});
  if (db) steps.push(step('provision-database', 'before-release', postgresStep(app, db), dbPasswordSecretKey(app.id)));
  steps.push(
    step('provision-backup', 'before-release', backupStep(app, { ...common, ...(db ? { database: db } : {}) })),
    step('provision-services-start', 'after-release', { ...services, title: `${services.title}: start and scale` }),
    step('provision-monitoring', 'after-release', monitoringStep(app, svc)),
  );
  return steps;
}
