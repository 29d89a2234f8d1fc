/**
 * Provisioning of a new application (the install checklist's built-in steps), the upgrade review
 * (what the hosts will change compared with the last install/upgrade) and host statistics.
 */
import { z } from 'zod';
import { Id, method, Timestamp } from './common.js';

// ---------------------------------------------------------------- steps
export const PROVISION_STEP_KEYS = ['provision-user', 'provision-layout', 'provision-logrotate', 'provision-services', 'provision-database', 'provision-backup', 'provision-monitoring', 'provision-services-start'] as const;
export const ProvisionStep = z.object({
  key: z.enum(PROVISION_STEP_KEYS),
  title: z.string(),
  /** before-release: before the release is uploaded and switched; after-release: once <base>/current exists. */
  phase: z.enum(['before-release', 'after-release']),
  /** The finished script (every value already quoted): POSIX sh, ends with PUESTA_RESULT changed|unchanged. */
  script: z.string(),
  sudo: z.boolean(),
  /** When set, the engine must write this secret (from the secret store) plus a newline on the script's stdin. */
  stdinSecret: z.string().nullable(),
  /** Every path (or database object) the step may create or change. */
  touches: z.array(z.string()),
});
export type ProvisionStep = z.infer<typeof ProvisionStep>;

// ---------------------------------------------------------------- review
export const DELTA_KINDS = ['user', 'layout', 'service', 'scale', 'logrotate', 'backup', 'monitoring', 'health', 'database'] as const;
export const ProvisionDelta = z.object({
  kind: z.enum(DELTA_KINDS),
  /** What changes, e.g. "worker instances". */
  what: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  /** What the upgrade does about it on the hosts. */
  action: z.string(),
});
export type ProvisionDelta = z.infer<typeof ProvisionDelta>;

export const ProvisionReview = z.object({
  applicationId: Id,
  serverId: Id.nullable(),
  /** No install or upgrade was recorded yet: everything is new. */
  firstInstall: z.boolean(),
  lastAppliedAt: Timestamp.nullable(),
  lastRunId: Id.nullable(),
  deltas: z.array(ProvisionDelta),
});
export type ProvisionReview = z.infer<typeof ProvisionReview>;

// ---------------------------------------------------------------- stats
export const ServiceState = z.object({ name: z.string(), expected: z.number().int().min(0), running: z.number().int().min(0) });
/** What one collector run prints (see electron/core/provision/monitoring.ts). */
export const CollectedStats = z.object({
  load: z.tuple([z.number(), z.number(), z.number()]),
  uptimeSeconds: z.number(),
  memory: z.object({ totalKb: z.number(), availableKb: z.number() }),
  disk: z.object({ path: z.string(), totalKb: z.number(), usedKb: z.number(), availableKb: z.number() }),
  services: z.array(ServiceState),
  health: z.object({ url: z.string(), status: z.number().int(), seconds: z.number().nullable(), ok: z.boolean() }).nullable(),
});
export type CollectedStats = z.infer<typeof CollectedStats>;

/**
 * Disk use as `df` shows it: Use% = used / (used + available), rounded up, and "free" is df's
 * Avail. Blocks reserved for root count in neither, so used / size would show less than df does.
 */
export function dfUsedPercent(used: number, available: number): number {
  const usable = used + available;
  return usable > 0 ? Math.ceil((100 * used) / usable) : 0;
}

/** The last check of a server: a connection test or a statistics collection, whichever ran last. */
export const ServerCheck = z.object({
  serverId: Id,
  at: Timestamp,
  kind: z.enum(['connection', 'stats']),
  ok: z.boolean(),
  /** The error code when the check could not reach or read the host. */
  code: z.string().nullable(),
  message: z.string(),
});
export type ServerCheck = z.infer<typeof ServerCheck>;

export const HostStats = z.object({
  id: Id.nullable(),
  at: Timestamp,
  serverId: Id,
  serverName: z.string(),
  applicationId: Id.nullable(),
  applicationName: z.string().nullable(),
  /** Null when the host could not be read (see error). */
  stats: CollectedStats.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type HostStats = z.infer<typeof HostStats>;

export const ServiceControlResult = z.object({
  serverId: Id,
  serverName: z.string(),
  ok: z.boolean(),
  /** The last lines of the command's output (or the error message). */
  output: z.string(),
  /** Running / expected instances per service after the action. */
  services: z.array(ServiceState),
});
export type ServiceControlResult = z.infer<typeof ServiceControlResult>;

export const provisionMethods = {
  'provision.steps': method(
    z.object({ applicationId: Id }).strict(),
    z.object({ items: z.array(ProvisionStep) }),
    "The install checklist's built-in provisioning steps for an application, with their exact scripts",
  ),
  'provision.setDbPassword': method(
    z
      .object({
        applicationId: Id,
        /** The password to store; or generate: true for a random one nobody needs to see. */
        password: z.string().min(8, 'at least 8 characters').max(200).refine((p) => !/[\r\n\0]/.test(p), 'one line, no NUL').optional(),
        generate: z.boolean().default(false),
      })
      .strict()
      .refine((x) => (x.password !== undefined) !== x.generate, 'give a password or generate: true (not both)'),
    z.object({ stored: z.literal(true) }),
    "Store the application's PostgreSQL role password in the secret store (never returned)",
  ),
  'provision.dbPasswordStatus': method(z.object({ applicationId: Id }).strict(), z.object({ set: z.boolean() }), "Whether the application's database password is stored"),
  'provision.review': method(
    z.object({ applicationId: Id, serverId: Id.optional() }).strict(),
    ProvisionReview,
    'Upgrade review: what differs on the hosts from the last install/upgrade',
  ),
  'stats.collect': method(
    z
      .object({ applicationId: Id.optional(), serverId: Id.optional() })
      .strict()
      .refine((x) => x.applicationId !== undefined || x.serverId !== undefined, 'give an application or a server'),
    z.object({ items: z.array(HostStats) }),
    'Collect host statistics and service/health status over SSH now (kept in the history)',
  ),
  'services.control': method(
    z
      .object({
        applicationId: Id,
        action: z.enum(['start', 'stop', 'restart', 'status']),
        /** One service by name (default: all of them). */
        service: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/).optional(),
        /** One server (default: every placement of the application). */
        serverId: Id.optional(),
      })
      .strict(),
    z.object({ items: z.array(ServiceControlResult) }),
    "Start, stop, restart or show the status of an application's services on its hosts (systemd or supervisor, detected on each host)",
  ),
  'stats.failing': method(
    z.object({}).strict(),
    z.object({
      items: z.array(
        z.object({
          serverId: Id,
          serverName: z.string(),
          applicationId: Id.nullable(),
          applicationName: z.string().nullable(),
          at: Timestamp,
          problems: z.array(z.string()).min(1),
        }),
      ),
    }),
    'Servers whose last check (stats collected over SSH) found a problem: unreachable, health failing, services down, disk nearly full',
  ),
  'servers.checks': method(z.object({}).strict(), z.object({ items: z.array(ServerCheck) }), 'The last check (connection test or statistics) of every server that had one'),
  'stats.history': method(
    z.object({ serverId: Id, applicationId: Id.optional(), limit: z.number().int().min(1).max(5000).default(200) }).strict(),
    z.object({ items: z.array(HostStats) }),
    'Statistics collected earlier for a server (and application), newest first',
  ),
} as const;

export const provisionEvents = {
  /** New statistics are in the history (refresh charts). */
  'stats.collected': z.object({ serverIds: z.array(Id), applicationId: Id.nullable() }),
  /** A server's last check changed (connection test or statistics). */
  'servers.checked': z.object({ serverIds: z.array(Id) }),
} as const;
