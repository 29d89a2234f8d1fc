import { z } from 'zod';
import { Id, IdInput, ListInput, listOutput, method, Name, Notes, TimeZone, DateOnly, Timestamp } from './common.js';

const Meta = { id: Id, createdAt: Timestamp, updatedAt: Timestamp };
const Tag = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
const Email = z.string().trim().email('not a valid email address').max(320);
/**
 * Paths go into commands on the hosts, where GNU tools escape a name holding a newline, CR or
 * backslash (sha256sum then starts its line with a backslash and every upload check fails): such a path
 * could never work, so it is refused here.
 */
const hostPathChars = (p: string) => !/[\n\r\\]/.test(p);
const HOST_PATH_CHARS = 'no newline, carriage return or backslash: the tools on the hosts cannot handle them';
const RelPath = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a path relative to the application base, without ..')
  .refine(hostPathChars, HOST_PATH_CHARS);
const AbsPath = z
  .string()
  .trim()
  .min(2)
  .max(1024)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..'), 'an absolute path without ..')
  .refine(hostPathChars, HOST_PATH_CHARS);
// empty is "required", not a format error (the pattern admits it so only one message shows)
const UnixName = z
  .string()
  .trim()
  .min(1, 'required')
  .regex(/^(|[a-z_][a-z0-9_-]{0,31})$/, 'a Unix user name: lower-case letters, digits, _ or -');
const Hostname = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or IP address');
const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb');

// ---------------------------------------------------------------- environments
export const EnvironmentFields = z.object({
  name: Name,
  colour: Colour.default('#3b82f6'),
  confirmRuns: z.boolean().default(false),
  notes: Notes,
});
export const Environment = EnvironmentFields.extend(Meta);
export type Environment = z.infer<typeof Environment>;

// ---------------------------------------------------------------- servers
export const SERVER_AUTH = ['agent', 'key', 'password'] as const;
export const ServerFields = z.object({
  name: Name,
  host: Hostname,
  port: z.number().int().min(1).max(65535).default(22),
  user: UnixName.or(z.literal('root')),
  auth: z.enum(SERVER_AUTH).default('agent'),
  keyPath: z.string().max(1024).nullable().default(null),
  environmentId: Id.nullable().default(null),
  roles: z.array(Tag).max(32).default([]),
  tags: z.array(Tag).max(64).default([]),
  notes: Notes,
});
export const Server = ServerFields.extend(Meta).extend({ environmentName: z.string().nullable().default(null) });
export type Server = z.infer<typeof Server>;

// ---------------------------------------------------------------- applications
export const SOURCE_KINDS = ['tarball', 'directory', 'git', 'build'] as const;
export const STRATEGIES = ['symlink', 'blue-green', 'ab'] as const;
export const HealthCheck = z.object({
  kind: z.enum(['http', 'command']).default('http'),
  /** Where an http check runs: from Puesta (this computer) or on each host (curl there). A command always runs on the host. */
  from: z.enum(['puesta', 'host']).default('puesta'),
  target: z.string().max(2048).default(''),
  expectStatus: z.number().int().min(0).max(599).default(200),
  timeoutSeconds: z.number().int().min(1).max(3600).default(30),
});
export const ServiceSpec = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'lower-case letters, digits and -'),
  kind: z.enum(['web', 'worker']),
  command: z.string().min(1).max(2048),
  instances: z.number().int().min(0).max(64).default(1),
});
export const LogRotation = z.object({
  frequency: z.enum(['daily', 'weekly', 'monthly']).default('daily'),
  maxSize: z.string().regex(/^\d+[kMG]?$/).nullable().default(null),
  keep: z.number().int().min(1).max(365).default(14),
  compress: z.boolean().default(true),
  copyTruncate: z.boolean().default(true),
});
export const BackupPolicy = z.object({
  enabled: z.boolean().default(false),
  paths: z.array(RelPath).default([]),
  databaseDump: z.boolean().default(false),
  schedule: z.string().max(100).default('daily'),
  retentionDays: z.number().int().min(1).max(3650).default(14),
  target: z.string().max(1024).default(''),
});
export const Monitoring = z.object({
  healthUrl: z.string().max(2048).default(''),
  metricsUrl: z.string().max(2048).default(''),
});
export const ApplicationFields = z.object({
  name: Name,
  runtimeUser: UnixName,
  basePath: AbsPath,
  sourceKind: z.enum(SOURCE_KINDS).default('tarball'),
  source: z.string().max(2048).default(''),
  keepReleases: z.number().int().min(1).max(100).default(5),
  sharedDirs: z.array(RelPath).max(64).default([]),
  sharedFiles: z.array(RelPath).max(64).default([]),
  strategy: z.enum(STRATEGIES).default('symlink'),
  healthCheck: HealthCheck.default({ kind: 'http', from: 'puesta', target: '', expectStatus: 200, timeoutSeconds: 30 }),
  services: z.array(ServiceSpec).max(32).default([]),
  logRotation: LogRotation.default({ frequency: 'daily', maxSize: null, keep: 14, compress: true, copyTruncate: true }),
  backupPolicy: BackupPolicy.default({ enabled: false, paths: [], databaseDump: false, schedule: 'daily', retentionDays: 14, target: '' }),
  monitoring: Monitoring.default({ healthUrl: '', metricsUrl: '' }),
  notes: Notes,
});
export const Application = ApplicationFields.extend(Meta);
export type Application = z.infer<typeof Application>;

// ---------------------------------------------------------------- placements
export const PLACEMENT_ROLES = ['web', 'worker', 'db', 'proxy'] as const;
export const PlacementFields = z.object({
  applicationId: Id,
  serverId: Id,
  role: z.enum(PLACEMENT_ROLES).default('web'),
  slot: z.enum(['blue', 'green']).nullable().default(null),
});
export const Placement = PlacementFields.extend(Meta).extend({
  applicationName: z.string(),
  serverName: z.string(),
});
export type Placement = z.infer<typeof Placement>;

// ---------------------------------------------------------------- customers & contacts
export const CustomerFields = z.object({
  name: Name,
  timezone: TimeZone.default('UTC'),
  language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag such as en or es-ES').default('en'),
  notes: Notes,
});
export const Customer = CustomerFields.extend(Meta);
export type Customer = z.infer<typeof Customer>;

export const ContactFields = z.object({
  customerId: Id,
  name: Name,
  email: Email,
  role: z.string().max(100).default(''),
  optedOut: z.boolean().default(false),
});
export const Contact = ContactFields.extend(Meta).extend({ customerName: z.string() });
export type Contact = z.infer<typeof Contact>;

// ---------------------------------------------------------------- contracts
export const CONTRACT_STATES = ['active', 'grace', 'suspended', 'terminated'] as const;
export const AllowedRange = z.object({
  /** ISO weekdays 1 (Mon) … 7 (Sun) on which the range starts. */
  days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  /** Local time in the customer's zone, HH:MM. */
  from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  /** HH:MM; not after `from` (22:00–06:00) means the next morning, which belongs to the day the range started (shared/allowed-hours.ts). */
  to: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/),
});
/** The ranges in which maintenance is allowed; one range alone (as files and clients before several ranges send it) is read as a list of one. */
export const AllowedHours = z.union([z.array(AllowedRange).min(1).max(20), AllowedRange.transform((r) => [r])]).nullable();
const ContractFieldsBase = z.object({
  customerId: Id,
  reference: Name,
  applicationIds: z.array(Id).max(200).default([]),
  startDate: DateOnly,
  endDate: DateOnly,
  graceDays: z.number().int().min(0).max(365).default(15),
  state: z.enum(CONTRACT_STATES).default('active'),
  suspensionAction: z.string().max(2048).default(''),
  allowedHours: AllowedHours.default(null),
  notes: Notes,
});
export const ContractFields = ContractFieldsBase.refine((c) => c.endDate >= c.startDate, {
  message: 'the end date is before the start date',
  path: ['endDate'],
});
export const Contract = ContractFieldsBase.extend(Meta).extend({ customerName: z.string() });
export type Contract = z.infer<typeof Contract>;

// ---------------------------------------------------------------- the CRUD methods
export const ENTITIES = ['environments', 'servers', 'applications', 'placements', 'customers', 'contacts', 'contracts'] as const;
export type EntityName = (typeof ENTITIES)[number];

function crud<F extends z.ZodObject, R extends z.ZodTypeAny, P extends z.ZodTypeAny>(
  label: string,
  fields: F | z.ZodType<z.output<F>, z.input<F>>,
  partial: P,
  record: R,
  filters: z.ZodRawShape = {},
) {
  return {
    list: method(ListInput.extend(filters), listOutput(record), `List ${label}`),
    get: method(IdInput, record, `Get one ${label}`),
    create: method(fields, record, `Create ${label}`),
    update: method(z.object({ id: Id }).and(partial), record, `Update ${label}`),
    delete: method(IdInput, z.object({ id: Id }), `Delete ${label}`),
  };
}

/** A patch: every field optional and WITHOUT defaults (a default would overwrite the stored value). */
const partialOf = <F extends z.ZodObject>(f: F) =>
  z
    .object(
      Object.fromEntries(
        Object.entries(f.shape).map(([k, s]) => [k, (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : (s as z.ZodType)).optional()]),
      ) as { [K in keyof F['shape']]: z.ZodOptional<F['shape'][K]> },
    )
    .strict();

const env = crud('environments', EnvironmentFields.strict(), partialOf(EnvironmentFields), Environment);
const srv = crud('servers', ServerFields.strict(), partialOf(ServerFields), Server, { environmentId: Id.optional(), role: Tag.optional() });
const app = crud('applications', ApplicationFields.strict(), partialOf(ApplicationFields), Application);
const plc = crud('placements', PlacementFields.strict(), partialOf(PlacementFields), Placement, {
  applicationId: Id.optional(),
  serverId: Id.optional(),
});
const cus = crud('customers', CustomerFields.strict(), partialOf(CustomerFields), Customer);
const con = crud('contacts', ContactFields.strict(), partialOf(ContactFields), Contact, { customerId: Id.optional() });
const ctr = crud('contracts', ContractFields, partialOf(ContractFieldsBase), Contract, {
  customerId: Id.optional(),
  applicationId: Id.optional(),
  state: z.enum(CONTRACT_STATES).optional(),
});

// ---------------------------------------------------------------- import / export
export const ExportInput = z.object({ format: z.enum(['json', 'csv']).default('json'), entity: z.enum(ENTITIES).optional() }).strict();
export const ExportOutput = z.object({ format: z.enum(['json', 'csv']), filename: z.string(), content: z.string() });
/** Encodings an imported file may be in; spreadsheets on Windows often save Windows-1252. */
export const IMPORT_CHARSETS = ['utf-8', 'windows-1252'] as const;
export const ImportInput = z
  .object({
    format: z.enum(['json', 'csv']),
    /** For CSV: which entity the rows are (CSV holds one entity). JSON holds `{ <entity>: rows[] }`. */
    entity: z.enum(ENTITIES).optional(),
    /** The file as text. */
    content: z.string().max(50_000_000).optional(),
    /** Or the file's bytes (base64), decoded by the core with `charset`: invalid UTF-8 is refused with where it breaks. */
    bytes: z.base64().max(70_000_000).optional(),
    charset: z.enum(IMPORT_CHARSETS).default('utf-8'),
    dryRun: z.boolean().default(false),
  })
  .strict()
  .refine((i) => (i.content === undefined) !== (i.bytes === undefined), { message: 'give the file either as content or as bytes', path: ['content'] });
export const ImportRowError = z.object({
  entity: z.enum(ENTITIES),
  /** The spreadsheet's row number in a CSV (the header is row 1); the position in its list (from 1) in JSON. */
  row: z.number().int(),
  /** The row's own name (name, reference or email), when it has one. */
  name: z.string().optional(),
  field: z.string().optional(),
  message: z.string(),
});
export const ImportOutput = z.object({
  ok: z.boolean(),
  created: z.record(z.string(), z.number().int()),
  updated: z.record(z.string(), z.number().int()),
  errors: z.array(ImportRowError),
});
export type ImportOutput = z.infer<typeof ImportOutput>;

export const SearchOutput = z.object({
  items: z.array(z.object({ entity: z.string(), id: Id, label: z.string(), detail: z.string() })),
});

export const AuditEntry = z.object({
  id: Id,
  at: Timestamp,
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.number().int().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});

/** What the audit screen filters by; `from`/`to` bound `at` (from inclusive, to exclusive). */
export const AuditFilter = z.object({
  query: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  entity: z.string().max(64).optional(),
  entityId: Id.optional(),
  action: z.string().max(100).optional(),
  from: Timestamp.optional(),
  to: Timestamp.optional(),
});

export const inventoryMethods = {
  'environments.list': env.list,
  'environments.get': env.get,
  'environments.create': env.create,
  'environments.update': env.update,
  'environments.delete': env.delete,
  'servers.list': srv.list,
  'servers.get': srv.get,
  'servers.create': srv.create,
  'servers.update': srv.update,
  'servers.delete': srv.delete,
  'applications.list': app.list,
  'applications.get': app.get,
  'applications.create': app.create,
  'applications.update': app.update,
  'applications.delete': app.delete,
  'placements.list': plc.list,
  'placements.get': plc.get,
  'placements.create': plc.create,
  'placements.update': plc.update,
  'placements.delete': plc.delete,
  'customers.list': cus.list,
  'customers.get': cus.get,
  'customers.create': cus.create,
  'customers.update': cus.update,
  'customers.delete': cus.delete,
  'contacts.list': con.list,
  'contacts.get': con.get,
  'contacts.create': con.create,
  'contacts.update': con.update,
  'contacts.delete': con.delete,
  'contracts.list': ctr.list,
  'contracts.get': ctr.get,
  'contracts.create': ctr.create,
  'contracts.update': ctr.update,
  'contracts.delete': ctr.delete,
  'inventory.export': method(ExportInput, ExportOutput, 'Export the inventory as JSON or CSV'),
  'inventory.import': method(ImportInput, ImportOutput, 'Import inventory rows; any bad row writes nothing'),
  'inventory.usage': method(
    z.object({ entity: z.enum(ENTITIES), id: Id }).strict(),
    z.object({ uses: z.array(z.object({ table: z.string(), label: z.string(), count: z.number().int().min(1) })) }),
    'What still uses a record (a delete is refused while anything does)',
  ),
  'search.global': method(z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(100).default(20) }).strict(), SearchOutput, 'Search everything'),
  'audit.list': method(AuditFilter.extend(ListInput.shape).strict(), listOutput(AuditEntry), 'Audit log, newest first, filtered by operator, entity, action and time'),
  'audit.export': method(AuditFilter.strict(), z.object({ filename: z.string(), content: z.string(), rows: z.number().int() }), 'The audit entries a filter selects, as CSV'),
  'audit.facets': method(
    z.object({}).strict(),
    z.object({ actors: z.array(z.string()), entities: z.array(z.string()), actions: z.array(z.string()) }),
    'The operators, entities and actions the audit log holds (for its filters)',
  ),
} as const;
