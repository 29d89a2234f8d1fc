/**
 * Guided runs: per-application checklists (install / upgrade / rollback), releases on each
 * placement, runs (plan → start → act → resume), their logs and the application × environment lock.
 *
 * Lifecycle of a run:
 *   runs.plan (dry-run: host × step table with the exact commands)
 *   runs.start → state 'running'; steps run one after another, each on all its target hosts with
 *   bounded parallelism. A manual step puts the run in state 'waiting' with waitingFor 'confirm';
 *   a failed step puts it in 'waiting' with waitingFor 'decision' (retry / skip / exclude / abort).
 *   A run found 'running' when the app starts again becomes 'interrupted'; runs.resume continues it
 *   from the interrupted step. Final states: 'succeeded', 'aborted'.
 *
 * Events: 'runs.state' (run-level changes), 'runs.step' (one step × host cell changed),
 * 'runs.log' (a batch of log lines, already stored on disk when emitted).
 */
import { z } from 'zod';
import { Id, listOutput, method, Timestamp } from './common.js';

// ---------------------------------------------------------------- checklists
export const CHECKLIST_KINDS = ['install', 'upgrade', 'rollback'] as const;
export type ChecklistKind = (typeof CHECKLIST_KINDS)[number];

/** auto: a command template run on the target hosts; manual: the operator confirms; check: retried until it passes or its deadline. */
export const STEP_KINDS = ['auto', 'manual', 'check'] as const;
/**
 * What an auto step does besides running its command:
 * - shell: only the command;
 * - upload: first uploads the release archive over SFTP (sha256 verified) to {{upload.path}}, then runs the command (which extracts it);
 * - record: runs the command (if any), then records on the laptop that the release is current on the host.
 */
export const STEP_ACTIONS = ['shell', 'upload', 'record'] as const;

export const StepKey = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'lower-case letters, digits and -, starting with a letter');

export const StepCheck = z.object({
  /** http: a GET of the rendered url; command: the step's command on each host (exit 0 and, if set, expectText in stdout). */
  kind: z.enum(['http', 'command']).default('http'),
  /**
   * Where an http check runs: 'puesta' = a GET from this computer (the URL must be reachable from
   * here, e.g. http://{{host.address}}:8080/health); 'host' = curl on each host itself (e.g.
   * http://127.0.0.1:8080/health, a port not open to the outside). A command check always runs on the host.
   */
  from: z.enum(['puesta', 'host']).default('puesta'),
  /** Template, e.g. http://{{host.address}}:8080/health (values are URL-encoded, not shell-quoted). */
  url: z.string().max(2048).default(''),
  expectStatus: z.number().int().min(100).max(599).default(200),
  /** The response body / stdout must contain this text (empty = anything). */
  expectText: z.string().max(2000).default(''),
  deadlineSeconds: z.number().int().min(1).max(3600).default(30),
  intervalSeconds: z.number().min(0.1).max(600).default(1),
});
export type StepCheck = z.infer<typeof StepCheck>;

export const ChecklistStep = z.object({
  key: StepKey,
  title: z.string().trim().min(1).max(200),
  kind: z.enum(STEP_KINDS).default('auto'),
  action: z.enum(STEP_ACTIONS).default('shell'),
  enabled: z.boolean().default(true),
  /** Placement roles whose hosts run this step (empty = every target host). */
  roles: z.array(z.enum(['web', 'worker', 'db', 'proxy'])).max(4).default([]),
  /**
   * Command template (POSIX sh). Variables such as {{app.user}} or {{release.path}} are ALWAYS
   * rendered through the shell quoting function: never put quotes around them.
   */
  command: z.string().max(20_000).default(''),
  /** Run through `sudo -n`. */
  sudo: z.boolean().default(false),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
  /** For manual steps: what the operator must do (may use variables, shown rendered, not quoted). */
  instructions: z.string().max(20_000).default(''),
  check: StepCheck.nullable().default(null),
  /**
   * Health-gated upgrade (check steps after the `switch` step of an upgrade or rollback run): when
   * the check fails on a host, the engine at once switches that host's `current` back to the release
   * that was current before the run (the run's own `switch` command with {{release.*}} pointing at
   * it), runs the `restart` step if enabled, records it, and then waits for the decision. A retry
   * of this step switches that host forward again (switch + restart) before checking. Hosts whose
   * check passed stay on the new release. Install runs (nothing before) only pause.
   */
  switchBackOnFailure: z.boolean().optional(),
});
export type ChecklistStep = z.infer<typeof ChecklistStep>;
export type ChecklistStepInput = z.input<typeof ChecklistStep>;

export const ChecklistVariable = z.object({ name: z.string(), description: z.string(), example: z.string() });
export type ChecklistVariable = z.infer<typeof ChecklistVariable>;

export const Checklist = z.object({
  applicationId: Id,
  kind: z.enum(CHECKLIST_KINDS),
  steps: z.array(ChecklistStep),
  /** True while the steps are the built-in ones, untouched. */
  builtin: z.boolean(),
  updatedAt: Timestamp,
  /** The variables a template may use. */
  variables: z.array(ChecklistVariable),
});
export type Checklist = z.infer<typeof Checklist>;

const AppKind = z.object({ applicationId: Id, kind: z.enum(CHECKLIST_KINDS) }).strict();

// ---------------------------------------------------------------- releases
export const ReleaseKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (a folder name)');

export const Release = z.object({
  id: Id,
  applicationId: Id,
  serverId: Id,
  serverName: z.string(),
  /** The folder name under <base>/releases/. */
  key: ReleaseKey,
  label: z.string(),
  sha256: z.string(),
  source: z.string(),
  path: z.string(),
  runId: Id.nullable(),
  createdAt: Timestamp,
  /** Removed from the host by keep-N cleanup (the record stays for history). */
  removedAt: Timestamp.nullable(),
  current: z.boolean(),
});
export type Release = z.infer<typeof Release>;

export const CurrentRelease = z.object({
  applicationId: Id,
  serverId: Id,
  serverName: z.string(),
  environmentId: Id.nullable(),
  key: ReleaseKey,
  label: z.string(),
  /** The release that was current before (the default rollback target), if any. */
  previousKey: z.string().nullable(),
  switchedAt: Timestamp,
  runId: Id.nullable(),
});
export type CurrentRelease = z.infer<typeof CurrentRelease>;

// ---------------------------------------------------------------- runs
export const RUN_STATES = ['running', 'waiting', 'interrupted', 'succeeded', 'aborted'] as const;
export type RunState = (typeof RUN_STATES)[number];
/** The states a run never leaves. */
export const TERMINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'aborted'];
export const isTerminalRunState = (s: RunState): boolean => TERMINAL_RUN_STATES.includes(s);
export const CELL_STATES = ['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'excluded', 'interrupted'] as const;
export type CellState = (typeof CELL_STATES)[number];

export const ReleaseSource = z.object({
  /**
   * tarball: a local .tar.gz uploaded as is; directory: a local folder packed into one;
   * git: `path` is a repository URL fetched ON THE HOST (git must be installed there) at `ref`.
   */
  kind: z.enum(['tarball', 'directory', 'git']),
  path: z.string().min(1).max(4096),
  /** git only: branch, tag or commit (default HEAD). */
  ref: z.string().trim().max(200).regex(/^(?!-)[A-Za-z0-9._/-]*$/, 'a branch, tag or commit (not starting with -)').optional(),
});

/**
 * A human label for a release (e.g. v2.3.1); the release key gets it as a suffix, so it is a
 * folder-name part on every host: it starts and ends with a letter or digit (a label `--` or one
 * ending in `---` made keys the host tools and the inspect output could not tell apart).
 */
export const ReleaseLabel = z
  .string()
  .trim()
  .max(60)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?$/, 'letters, digits, . _ -, starting and ending with a letter or digit')
  .default('');

export const RunRequest = z
  .object({
    applicationId: Id,
    environmentId: Id,
    kind: z.enum(CHECKLIST_KINDS),
    /** install / upgrade: what to deploy (default: the application's own source when it is a tarball or directory). */
    source: ReleaseSource.optional(),
    label: ReleaseLabel,
    /**
     * install / upgrade: the release key stamped by runs.plan. runs.start of a previewed plan passes
     * it (with planDigest), so the release that runs is the one previewed; without it a new key is stamped.
     */
    releaseKey: ReleaseKey.optional(),
    /** rollback: the release key to go back to (default: each host's previous release). */
    rollbackTo: ReleaseKey.optional(),
    /** Restrict to these servers (default: every placement of the application in the environment). */
    serverIds: z.array(Id).max(1000).optional(),
    /** How many hosts run a step at the same time. */
    parallelism: z.number().int().min(1).max(256).default(8),
  })
  .strict();
export type RunRequest = z.input<typeof RunRequest>;

export const PlanHost = z.object({
  serverId: Id,
  serverName: z.string(),
  address: z.string(),
  roles: z.array(z.string()),
});
export type PlanHost = z.infer<typeof PlanHost>;

export const PlanCell = z.object({
  serverId: Id.nullable(),
  /** The exact command (null: the step does not run a command on this host, e.g. a manual step). */
  command: z.string().nullable(),
  /** Rendered extra detail (check url, upload target, manual instructions). */
  detail: z.string(),
});

export const PlanStep = z.object({
  index: z.number().int().min(0),
  key: z.string(),
  title: z.string(),
  kind: z.enum(STEP_KINDS),
  action: z.enum(STEP_ACTIONS),
  enabled: z.boolean(),
  sudo: z.boolean(),
  /** One line: what the step changes on the hosts (the plan folds each script under it). */
  changes: z.string(),
  cells: z.array(PlanCell),
});

/** What a run is about: which application in which environment (names for display). */
const AppInEnv = {
  applicationId: Id,
  applicationName: z.string(),
  environmentId: Id,
  environmentName: z.string(),
};

/** A planned or started run's subject: application × environment, kind and release. */
const RunSubject = {
  ...AppInEnv,
  kind: z.enum(CHECKLIST_KINDS),
  releaseKey: z.string(),
  label: z.string(),
};

export const Plan = z.object({
  ...RunSubject,
  /** The environment asks for a typed confirmation: runs.start needs confirmName = environmentName. */
  confirmRequired: z.boolean(),
  hosts: z.array(PlanHost),
  steps: z.array(PlanStep),
  warnings: z.array(z.string()),
  /** sha256 of the plan (everything but its warnings): pass it to runs.start as planDigest to run exactly this plan. */
  digest: z.string(),
});
export type Plan = z.infer<typeof Plan>;

export const StartInput = RunRequest.extend({
  /** Must equal the environment's name when the environment has confirmRuns. */
  confirmName: z.string().max(200).optional(),
  reason: z.string().max(2000).default(''),
  /** Take the application × environment lock even if another operator holds it (audited). */
  overrideLock: z.boolean().default(false),
  /** The digest of the previewed plan: the run starts only if its plan is identical (else PRECONDITION_FAILED: preview again). */
  planDigest: z.string().max(128).optional(),
}).strict();

export const RunCell = z.object({
  stepIndex: z.number().int().min(0),
  /** null for manual steps (one confirmation per run). */
  serverId: Id.nullable(),
  serverName: z.string(),
  state: z.enum(CELL_STATES),
  attempt: z.number().int().min(0),
  exitCode: z.number().int().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  durationMs: z.number().int().nullable(),
  note: z.string(),
  /** The command last run (rendered). */
  command: z.string().nullable(),
  error: z.string().nullable(),
  /** Set when a failed health check after the switch put this host back on its previous release. */
  switchedBack: z
    .object({
      /** The release the host was switched away from (the new one). */
      from: z.string(),
      /** The release it is back on. */
      to: z.string(),
      /** false when the switch back itself failed (the host may be on neither). */
      ok: z.boolean(),
    })
    .nullable()
    .default(null),
});
export type RunCell = z.infer<typeof RunCell>;

export const RunStepView = ChecklistStep.extend({
  index: z.number().int().min(0),
  /** Median duration of this step (same application and step key) in past successful runs, for the "far past usual" warning. */
  usualMs: z.number().int().nullable(),
  /** One line: what the step changes on the hosts (as in the plan). */
  changes: z.string().default(''),
});

export const RollbackOffer = z.object({
  kind: z.literal('rollback'),
  applicationId: Id,
  environmentId: Id,
  /** Pass to runs.plan / runs.start as rollbackTo: the release current before the aborted run (null when hosts differ: each host's previous release). */
  rollbackTo: z.string().nullable(),
  serverIds: z.array(Id),
});

export const RunSummary = z.object({
  id: Id,
  ...RunSubject,
  state: z.enum(RUN_STATES),
  /** While state = 'waiting': a manual step to confirm, or a failed step to decide on. */
  waitingFor: z.enum(['confirm', 'decision']).nullable(),
  currentStep: z.number().int().min(0),
  stepCount: z.number().int().min(0),
  parallelism: z.number().int().min(1),
  operator: z.string(),
  reason: z.string(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  /** Why the run stopped: a failed run's error; an aborted run's note from the operator (null: none given). */
  error: z.string().nullable(),
  /** When the retention policy pruned this run's log (its summary and step results stay). */
  logPrunedAt: Timestamp.nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const Run = RunSummary.extend({
  hosts: z.array(PlanHost),
  excludedServerIds: z.array(Id),
  steps: z.array(RunStepView),
  cells: z.array(RunCell),
  /** Set after an abort of an install/upgrade when the hosts had a release before it: the rollback the UI should offer. */
  rollbackOffer: RollbackOffer.nullable(),
});
export type Run = z.infer<typeof Run>;

/** stop: stops the command running on one host (serverId); its cell fails and the run then waits for retry / skip / exclude. */
export const RUN_ACTIONS = ['confirm', 'retry', 'skip', 'exclude', 'abort', 'stop'] as const;
export const ActInput = z
  .object({
    id: Id,
    action: z.enum(RUN_ACTIONS),
    /** confirm: optional note; skip: required note (why). */
    note: z.string().max(5000).default(''),
    /** exclude: the host to leave out for the rest of the run; stop: the host whose command to stop. */
    serverId: Id.optional(),
    /** retry: a corrected command template for the failed step (kept in this run's checklist copy and audited). */
    command: z.string().max(20_000).optional(),
  })
  .strict();

/**
 * What to do, on resume, with a host whose command was cut off when Puesta stopped: run it again
 * (the default), check first (the run waits for a decision on that host: look, then retry, skip or
 * exclude), or mark it done with a note (it finished: a migration must not run twice).
 */
export const RESUME_CHOICES = ['rerun', 'check', 'done'] as const;
export const ResumeInput = z
  .object({
    id: Id,
    hosts: z
      .array(z.object({ serverId: Id, choice: z.enum(RESUME_CHOICES), note: z.string().max(5000).default('') }).strict())
      .max(1000)
      .default([]),
  })
  .strict();
/** The per-host choices of a resume (what the run view sends). */
export type ResumeHosts = NonNullable<z.input<typeof ResumeInput>['hosts']>;

export const LogLine = z.object({
  id: Id,
  stepIndex: z.number().int().min(0),
  serverId: Id.nullable(),
  attempt: z.number().int().min(0),
  stream: z.enum(['stdout', 'stderr', 'system']),
  seq: z.number().int().min(0),
  ts: Timestamp,
  /** A chunk as it arrived (may hold several lines or part of one; ANSI colour codes kept). */
  text: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

export const LogsInput = z
  .object({
    runId: Id,
    stepIndex: z.number().int().min(0).optional(),
    serverId: Id.optional(),
    /** Page forward: lines with id > afterId. */
    afterId: z.number().int().min(0).default(0),
    /** Case-insensitive substring search. */
    query: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();
export const LogsOutput = z.object({
  items: z.array(LogLine),
  /** Pass as afterId for the next page (equal to the input afterId when nothing more yet). */
  nextAfterId: z.number().int().min(0),
  /** Whether more lines exist after this page right now. */
  more: z.boolean(),
});

// ---------------------------------------------------------------- locks
export const Lock = z.object({
  ...AppInEnv,
  owner: z.string(),
  reason: z.string(),
  runId: Id.nullable(),
  since: Timestamp,
  leaseExpiresAt: Timestamp,
  expired: z.boolean(),
});
export type Lock = z.infer<typeof Lock>;
const LockKey = z.object({ applicationId: Id, environmentId: Id }).strict();

export const runsMethods = {
  'checklists.list': method(z.object({ applicationId: Id }).strict(), z.object({ items: z.array(Checklist) }), "List an application's install, upgrade and rollback checklists"),
  'checklists.get': method(AppKind, Checklist, "Get one of an application's checklists (the built-in one until edited)"),
  'checklists.save': method(
    AppKind.extend({ steps: z.array(ChecklistStep).min(1).max(200) }).strict(),
    Checklist,
    "Save an application's checklist (steps added, removed, reordered, disabled, templates edited)",
  ),
  'checklists.reset': method(AppKind, Checklist, 'Put back the built-in checklist'),

  'releases.list': method(
    z.object({ applicationId: Id, serverId: Id.optional(), includeRemoved: z.boolean().default(false) }).strict(),
    z.object({ items: z.array(Release) }),
    'Releases of an application on each host (newest first), which one is current',
  ),
  'releases.current': method(
    z.object({ applicationId: Id, environmentId: Id.optional() }).strict(),
    z.object({ items: z.array(CurrentRelease) }),
    'The current release of an application on each host',
  ),
  'releases.register': method(
    z.object({ applicationId: Id, serverId: Id, key: ReleaseKey, label: z.string().max(60).default(''), current: z.boolean().default(false) }).strict(),
    Release,
    'Record a release that is already on a host (installed by hand), optionally as current',
  ),

  'releases.scan': method(
    z.object({ applicationId: Id, environmentId: Id }).strict(),
    z.object({
      items: z.array(
        z.object({ serverId: Id, serverName: z.string(), currentKey: z.string().nullable(), present: z.array(z.string()), error: z.string().nullable() }),
      ),
    }),
    'Read each host (current link, releases/ folders) and bring the release records in line',
  ),

  'runs.plan': method(RunRequest, Plan, 'Dry-run: the host × step table with the exact commands, nothing is run'),
  'runs.start': method(StartInput, Run, 'Start a run (takes the application × environment lock on the laptop and on the hosts)'),
  'runs.get': method(z.object({ id: Id }).strict(), Run, 'A run with its steps and per-host cells'),
  'runs.list': method(
    z
      .object({
        applicationId: Id.optional(),
        environmentId: Id.optional(),
        state: z.enum(RUN_STATES).optional(),
        limit: z.number().int().min(1).max(1000).default(100),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    listOutput(RunSummary),
    'Runs, newest first',
  ),
  'runs.act': method(ActInput, Run, 'Confirm a manual step, stop the command on one host, or on a failed step: retry, skip with a note, exclude a host, abort'),
  'runs.resume': method(ResumeInput, Run, 'Continue an interrupted run from its interrupted step (per host: run again, check first, or mark done)'),
  'runs.logs': method(LogsInput, LogsOutput, "A page of a run's log lines (optionally one step / host, or a search)"),

  'locks.list': method(z.object({}).strict(), z.object({ items: z.array(Lock) }), 'Application × environment locks held'),
  'locks.release': method(LockKey, z.object({ released: z.boolean() }), 'Release a lock (audited)'),
  'locks.override': method(
    LockKey.extend({ reason: z.string().trim().min(1).max(2000) }).strict(),
    Lock,
    'Take a lock held by someone else for yourself (audited)',
  ),
} as const;

export const runsEvents = {
  'runs.state': RunSummary,
  'runs.step': RunCell.extend({ runId: Id }),
  'runs.log': z.object({ runId: Id, lines: z.array(LogLine) }),
} as const;
