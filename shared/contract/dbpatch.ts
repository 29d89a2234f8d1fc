/**
 * Database patches (issue 13): the databases of an application, its patches (one folder each:
 * up.sql, down.sql, verify.sql, patch.json), where each one is applied (the ledger kept in the
 * target database, mirrored locally), the dry run (SQL, lint, trace, statistics, estimate, verdict)
 * and what a rollback can undo.
 */
import { z } from 'zod';
import { Id, method, Name, Timestamp } from './common.js';

// ---------------------------------------------------------------- patch format
export const PatchId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (the folder name)');
/** patch.json */
export const PatchMeta = z
  .object({
    id: PatchId,
    requires: z.array(PatchId).default([]),
    /** yes: down.sql undoes it; no: no way back (no down.sql); lossy: down.sql loses data (typed confirmation). */
    reversible: z.enum(['yes', 'no', 'lossy']),
    /** With the previous release: expand (old code still works), contract (old code breaks once it ran), breaking. */
    compat: z.enum(['expand', 'contract', 'breaking']),
    /** false: each statement runs alone (CREATE INDEX CONCURRENTLY); a half-applied patch continues where it stopped. */
    transactional: z.boolean().default(true),
    /** SQL answering one boolean: true while the patch still has to run. */
    guard: z.string().max(10_000).nullable().default(null),
    lockTimeoutMs: z.number().int().min(1).max(600_000).default(1000),
    statementTimeoutMs: z.number().int().min(0).max(86_400_000).default(0),
    retries: z.number().int().min(0).max(100).default(5),
    batchSize: z.number().int().min(1).nullable().default(null),
    description: z.string().max(2000).default(''),
  })
  .strict();
export type PatchMeta = z.infer<typeof PatchMeta>;

export const Patch = z.object({
  applicationId: Id,
  patchId: PatchId,
  position: z.number().int(),
  meta: PatchMeta,
  up: z.string(),
  down: z.string().nullable(),
  verify: z.string().nullable(),
  /** sha256 of the SQL with comments and whitespace removed (a cosmetic edit keeps it). */
  checksum: z.string(),
  sourcePath: z.string(),
  importedAt: Timestamp,
});
export type Patch = z.infer<typeof Patch>;

export const LintFinding = z.object({
  file: z.enum(['up.sql', 'down.sql', 'verify.sql', 'patch.json']),
  line: z.number().int(),
  rule: z.string(),
  severity: z.enum(['info', 'warning', 'danger']),
  message: z.string(),
});
export type LintFinding = z.infer<typeof LintFinding>;

// ---------------------------------------------------------------- databases and ledger
export const Database = z.object({
  id: Id,
  applicationId: Id,
  name: Name,
  engine: z.literal('postgresql'),
  /** The server whose SSH connection reaches the database (tunnel); host/port as seen from it. */
  serverId: Id,
  serverName: z.string(),
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  user: z.string(),
  passwordSet: z.boolean(),
  /** Folder on the server holding the database's dumps ('' = none known): its newest file is the last backup. */
  backupDir: z.string(),
  /** Puesta runs pg_dump into backupDir before applying pending patches. */
  backupBeforePatch: z.boolean(),
  /** Pending patches are refused while the newest backup is older than this (null: the age is only shown). */
  backupMaxAgeHours: z.number().int().nullable(),
});
export type Database = z.infer<typeof Database>;

/** A backup of a database: a dump Puesta made before patching, or the newest file found in its backup folder. */
export const Backup = z.object({
  databaseId: Id,
  path: z.string(),
  bytes: z.number(),
  /** The file's time on the server. */
  takenAt: Timestamp,
  source: z.enum(['pre-patch', 'found']),
  runId: z.number().int().nullable(),
});
export type Backup = z.infer<typeof Backup>;

/** The patch set a release carried (its `db/patches/`, read when its run reached the db-patches step). */
export const ReleasePatchSet = z.object({
  releaseKey: z.string(),
  /** Where it was read: "<server>:<release path>/db/patches". */
  source: z.string(),
  readAt: Timestamp,
  patches: z.array(z.object({ patchId: PatchId, checksum: z.string() })),
});
export type ReleasePatchSet = z.infer<typeof ReleasePatchSet>;

export const LedgerEntry = z.object({
  databaseId: Id,
  remoteId: z.number().int(),
  patchId: PatchId,
  direction: z.enum(['up', 'down', 'accept']),
  state: z.enum(['applying', 'done', 'failed']),
  checksum: z.string(),
  operator: z.string(),
  runId: z.number().int().nullable(),
  releaseKey: z.string().nullable(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  estimateMs: z.number().nullable(),
  actualMs: z.number().nullable(),
  statementsDone: z.number().int(),
  note: z.string(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** A patch on one database, from the last ledger entry mirrored here. */
export const PatchState = z.object({
  databaseId: Id,
  patchId: PatchId,
  state: z.enum(['pending', 'applying', 'applied', 'reverted', 'failed']),
  /** Applied with another checksum than the patch has now (a real edit), not accepted. */
  mismatch: z.boolean(),
  at: Timestamp.nullable(),
  operator: z.string().nullable(),
  runId: z.number().int().nullable(),
  releaseKey: z.string().nullable(),
});
export type PatchState = z.infer<typeof PatchState>;

// ---------------------------------------------------------------- dry run
export const LOCK_MODES = ['none', 'AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'] as const;
export const LockMode = z.enum(LOCK_MODES);
export type LockMode = z.infer<typeof LockMode>;

export const StatementPlan = z.object({
  index: z.number().int(),
  line: z.number().int(),
  sql: z.string(),
  /** What the statement does, e.g. "add column (volatile default)". */
  operation: z.string(),
  table: z.string().nullable(),
  /** The lock the statement takes on its table: from the trace when it ran, else from its form. */
  lockMode: LockMode,
  /** The trace saw the table's storage replaced (relfilenode changed); null when not traced. */
  rewrite: z.boolean().nullable(),
  estimateMs: z.number(),
  /** "AccessExclusive on orders ≈ 13 s: blocks reads and writes" */
  summary: z.string(),
});
export type StatementPlan = z.infer<typeof StatementPlan>;

export const TableStats = z.object({ table: z.string(), rows: z.number(), pages: z.number(), tableBytes: z.number(), indexBytes: z.number() });
export type TableStats = z.infer<typeof TableStats>;

export const PatchDryRun = z.object({
  patchId: PatchId,
  state: PatchState.shape.state,
  lint: z.array(LintFinding),
  statements: z.array(StatementPlan),
  traceError: z.string().nullable(),
  /** The schema after up then down equals the schema before (null: not reversible or not traced). */
  downRestores: z.boolean().nullable(),
  /** After up, the guard says there is nothing left to do (null: no guard). */
  guardSkipsSecondUp: z.boolean().nullable(),
  estimateMs: z.number(),
  verdict: z.enum(['safe', 'window', 'refused']),
  reasons: z.array(z.string()),
  acknowledged: z.boolean(),
});
export type PatchDryRun = z.infer<typeof PatchDryRun>;

export const DryRun = z.object({
  databaseId: Id,
  patches: z.array(PatchDryRun),
  tables: z.array(TableStats),
  longTransactions: z.array(z.object({ pid: z.number(), seconds: z.number(), state: z.string(), query: z.string() })),
  lockHolder: z.object({ application: z.string(), since: Timestamp }).nullable(),
  /** Measured / estimated on this database so far (1 when nothing was measured). */
  calibration: z.number(),
  /** The newest backup known (null: none), and whether it is too old for the database's limit. */
  lastBackup: Backup.nullable(),
  backupTooOld: z.boolean(),
});
export type DryRun = z.infer<typeof DryRun>;

// ---------------------------------------------------------------- rollback
export const RollbackPlan = z.object({
  applicationId: Id,
  toReleaseKey: z.string().nullable(),
  /** Applied since the target release, newest first: the order the downs run in. */
  patches: z.array(
    z.object({
      databaseId: Id,
      databaseName: z.string(),
      patchId: PatchId,
      reversible: PatchMeta.shape.reversible,
      compat: PatchMeta.shape.compat,
      releaseKey: z.string().nullable(),
      /** A lossy down waits until this table name is typed (dbpatch.acknowledge what: lossy); null: nothing to type. */
      typeToUndo: z.string().nullable(),
    }),
  ),
  blocked: z.boolean(),
  /** Every irreversible patch is expand-compatible: the application alone can go back. */
  appOnlyOffered: z.boolean(),
  /** The oldest of the databases' newest backups (null: some database has none known): a restore goes back this far. */
  lastBackupAt: Timestamp.nullable(),
  decision: z.enum(['app-only', 'restore', 'forward-fix']).nullable(),
});
export type RollbackPlan = z.infer<typeof RollbackPlan>;

// ---------------------------------------------------------------- upgrade review
export const SourceReview = z.object({
  /** release: read from the source's db/patches/; imported: the source has none, the patches imported into Puesta apply. */
  from: z.enum(['release', 'imported']),
  /** The patches the run would apply, in order. */
  patches: z.array(PatchId),
  databases: z.array(
    z.object({
      databaseId: Id,
      name: z.string(),
      /** Pending (and edited applied) patches, with the dry run's verdict (null: the database could not be reached, see error). */
      pending: z.array(z.object({ patchId: PatchId, verdict: z.enum(['safe', 'window', 'refused']).nullable(), reasons: z.array(z.string()), estimateMs: z.number().nullable() })),
      error: z.string().nullable(),
    }),
  ),
});
export type SourceReview = z.infer<typeof SourceReview>;

const AppInput = z.object({ applicationId: Id }).strict();
const DbPatchInput = z.object({ databaseId: Id, patchId: PatchId }).strict();

export const dbpatchMethods = {
  'dbpatch.list': method(
    AppInput,
    z.object({
      patches: z.array(Patch.extend({ lint: z.array(LintFinding) })),
      databases: z.array(Database),
      states: z.array(PatchState),
      /** The patch sets read from the releases, newest first. */
      releases: z.array(ReleasePatchSet),
      /** The newest backup of each database that has one. */
      backups: z.array(Backup),
    }),
    "An application's patches, its databases and where each patch is applied (local mirror of the ledgers)",
  ),
  'dbpatch.import': method(
    z.object({ applicationId: Id, path: z.string().min(1).max(4096) }).strict(),
    z.object({ imported: z.array(PatchId), changed: z.array(PatchId) }),
    'Read the patch folders under a folder of the release (one folder per patch) into Puesta',
  ),
  'dbpatch.saveDatabase': method(
    z
      .object({
        id: Id.optional(),
        applicationId: Id,
        name: Name,
        serverId: Id,
        host: z.string().trim().min(1).max(255).default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(5432),
        database: z.string().regex(/^[A-Za-z0-9_]{1,63}$/),
        user: z.string().regex(/^[A-Za-z0-9_]{1,63}$/),
        password: z.string().min(1).max(200).optional(),
        backupDir: z
          .string()
          .trim()
          .max(1024)
          .regex(/^(\/[^\0\n]*)?$/, 'an absolute folder on the server, or empty')
          .default(''),
        backupBeforePatch: z.boolean().default(false),
        backupMaxAgeHours: z.number().int().min(1).max(24 * 365).nullable().default(null),
      })
      .strict(),
    Database,
    'Create or change a database of an application (password kept in the secret store)',
  ),
  'dbpatch.sync': method(z.object({ databaseId: Id }).strict(), z.object({ states: z.array(PatchState) }), "Read the target database's ledger into the local mirror"),
  'dbpatch.review': method(
    z.object({ applicationId: Id, source: z.object({ kind: z.enum(['directory', 'tarball']), path: z.string().min(1).max(4096) }).strict() }).strict(),
    SourceReview,
    "Upgrade review of a local release source before it is uploaded: its db/patches/ read here, pending per database with the dry run's verdict",
  ),
  'dbpatch.dryRun': method(z.object({ databaseId: Id, patchIds: z.array(PatchId).optional() }).strict(), DryRun, 'Dry run of the pending patches (or the ones named): nothing is written to the application schema'),
  'dbpatch.acknowledge': method(
    DbPatchInput.extend({ what: z.enum(['checksum', 'risk', 'lossy']), reason: z.string().trim().min(1).max(2000) }).strict(),
    z.object({ ok: z.literal(true) }),
    "Accept an edited applied patch (checksum), a patch the dry run refused (risk), or a lossy down (lossy: reason = the table's name, typed); audited",
  ),
  'dbpatch.rollbackPlan': method(
    z.object({ applicationId: Id, environmentId: Id, toReleaseKey: z.string().optional() }).strict(),
    RollbackPlan,
    'The patches a rollback to a release would undo, and whether it can',
  ),
  'dbpatch.decideRollback': method(
    z.object({ applicationId: Id, environmentId: Id, toReleaseKey: z.string().optional(), decision: z.enum(['app-only', 'restore', 'forward-fix']), confirm: z.string() }).strict(),
    RollbackPlan,
    "Decide how a rollback passes an irreversible patch (typed confirmation: the application's name); audited",
  ),
} as const;

export const dbpatchEvents = {
  /** Patches, databases or a ledger of this application changed. */
  'dbpatch.changed': z.object({ applicationId: Id }),
} as const;
