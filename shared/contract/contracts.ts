/**
 * The contract lifecycle (issue 14): policy, stages, holds, renewals, termination, the evaluator.
 * The contract records themselves (CRUD) are in inventory.ts; suspensions on the servers in suspension.ts.
 *
 * Stages of a contract, evaluated per application it covers:
 *   active → expiring (inside the first reminder) → grace (after the end date) → suspension_due
 *   (grace over: proposed, or carried out when the policy says so) → suspended → (renewed) active;
 *   terminated only by a manual, confirmed decision (no data is ever deleted).
 * The stored `contracts.state` (active/grace/suspended/terminated) is the coarse label the evaluator
 * writes from these stages: expiring → active, suspension_due → grace; `terminated` only by
 * `contracts.terminate`.
 */
import { z } from 'zod';
import { DateOnly, Id, method, Timestamp } from './common.js';
// Why a site is suspended: only `overdue` lifts itself on renewal (WHMCS).
import { SUSPENSION_REASONS, SUSPENSION_STATES } from './suspension.js';

export const LIFECYCLE_STAGES = ['active', 'expiring', 'grace', 'suspension_due', 'suspended', 'terminated'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** `propose`: suspension due becomes a decision on Today; `automatic`: carried out when due while Puesta is open. */
export const SUSPENSION_MODES = ['propose', 'automatic'] as const;

const Days = z.array(z.number().int().min(1).max(365)).max(12);
const ServiceName = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a service name of the application');

/** A complete policy (the Settings defaults, and the effective policy of a contract). */
export const LifecyclePolicy = z.object({
  /** Reminders this many days before the end date (e.g. 30, 14, 7, 1). */
  reminderDaysBefore: Days,
  /** Overdue reminders this many days after the end date. */
  overdueReminderDaysAfter: Days,
  /** Days after the end date before suspension is due. Per contract it is the contract's own `graceDays`. */
  graceDays: z.number().int().min(0).max(365),
  suspensionMode: z.enum(SUSPENSION_MODES),
  suspensionReason: z.enum(SUSPENSION_REASONS),
  /** The `Retry-After` the suspended responder sends, in seconds. */
  retryAfterSeconds: z.number().int().min(60).max(2_592_000),
  /** Application services (workers) stopped on suspension; empty: none. */
  stopWorkers: z.array(ServiceName).max(32),
});
export type LifecyclePolicy = z.infer<typeof LifecyclePolicy>;

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  reminderDaysBefore: [30, 14, 7, 1],
  overdueReminderDaysAfter: [1, 7],
  graceDays: 15,
  suspensionMode: 'propose',
  suspensionReason: 'overdue',
  retryAfterSeconds: 86_400,
  stopWorkers: [],
};

/** A contract's own settings: null = the Settings default (graceDays: the contract's `graceDays` field, always set). */
export const PolicyOverrides = z
  .object({
    reminderDaysBefore: Days.nullable(),
    overdueReminderDaysAfter: Days.nullable(),
    graceDays: LifecyclePolicy.shape.graceDays,
    suspensionMode: LifecyclePolicy.shape.suspensionMode.nullable(),
    suspensionReason: LifecyclePolicy.shape.suspensionReason.nullable(),
    retryAfterSeconds: LifecyclePolicy.shape.retryAfterSeconds.nullable(),
    stopWorkers: LifecyclePolicy.shape.stopWorkers.nullable(),
  })
  .partial();
export type PolicyOverrides = z.infer<typeof PolicyOverrides>;

export const ContractPolicyView = z.object({
  contractId: Id,
  /** What the contract sets itself (null: the default applies). */
  overrides: PolicyOverrides.required(),
  defaults: LifecyclePolicy,
  /** What the evaluator uses. */
  effective: LifecyclePolicy,
});
export type ContractPolicyView = z.infer<typeof ContractPolicyView>;

// ---------------------------------------------------------------- holds, history, status
export const Hold = z.object({
  id: Id,
  contractId: Id,
  reason: z.string(),
  /** Last day the hold blocks suspension (inclusive, in the customer's zone). */
  until: DateOnly,
  createdAt: Timestamp,
  createdBy: z.string(),
  releasedAt: Timestamp.nullable(),
  releasedBy: z.string().nullable(),
  /** Not released and `until` not past. */
  inForce: z.boolean(),
});
export type Hold = z.infer<typeof Hold>;

export const StageEntry = z.object({
  id: Id,
  contractId: Id,
  /** null: the contract as a whole (reminders, renewal, termination). */
  applicationId: Id.nullable(),
  applicationName: z.string().nullable(),
  stage: z.enum(LIFECYCLE_STAGES),
  at: Timestamp,
  /** Why, in words for the operator ("end date 2026-11-30 passed", "renewed to 2027-11-30 by ana"). */
  why: z.string(),
  actor: z.string(),
});
export type StageEntry = z.infer<typeof StageEntry>;

/** What the evaluator does at a due point. */
export const DUE_KINDS = ['reminder', 'expired', 'overdue_reminder', 'suspension_due'] as const;
export type DueKind = (typeof DUE_KINDS)[number];

/** A reminder or stage notice of a contract in the outbox ledger. */
export const ReminderSent = z.object({
  outboxId: Id,
  kind: z.enum(DUE_KINDS),
  /** Days before (reminder) or after (overdue_reminder) the end date. */
  days: z.number().int().nullable(),
  /** The period the reminder belongs to: the end date it was about. */
  period: DateOnly,
  email: z.string(),
  contactName: z.string(),
  subject: z.string(),
  state: z.enum(['queued', 'sending', 'sent', 'failed', 'unknown']),
  sentAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type ReminderSent = z.infer<typeof ReminderSent>;

/** A suspension that came due: an open decision (Today) or what happened to it. */
export const Proposal = z.object({
  id: Id,
  contractId: Id,
  reference: z.string(),
  customerId: Id,
  customerName: z.string(),
  applicationId: Id,
  applicationName: z.string(),
  /** The end date the contract had when it came due. */
  period: DateOnly,
  dueAt: Timestamp,
  reason: z.enum(SUSPENSION_REASONS),
  state: z.enum(['open', 'accepted', 'dismissed', 'superseded']),
  decidedAt: Timestamp.nullable(),
  decidedBy: z.string().nullable(),
  why: z.string(),
  /** When accepted: the suspensions started (one per environment; suspension.get has each run). */
  suspensionIds: z.array(Id),
});
export type Proposal = z.infer<typeof Proposal>;

export const ApplicationStatus = z.object({
  applicationId: Id,
  applicationName: z.string(),
  stage: z.enum(LIFECYCLE_STAGES),
  /** Another contract in good standing covers it too: it stays served (killbill#1997). */
  coveredBy: z.array(z.object({ contractId: Id, reference: z.string() })),
  /** Suspensions in force on this application for this contract, one per environment (suspension.get has the detail). */
  suspensions: z.array(z.object({ id: Id, reason: z.enum(SUSPENSION_REASONS), state: z.enum(SUSPENSION_STATES) })),
});

export const ContractStatus = z.object({
  contractId: Id,
  reference: z.string(),
  customerId: Id,
  customerName: z.string(),
  endDate: DateOnly,
  stage: z.enum(LIFECYCLE_STAGES),
  /** The stored coarse label (inventory `state`). */
  state: z.enum(['active', 'grace', 'suspended', 'terminated']),
  applications: z.array(ApplicationStatus),
  hold: Hold.nullable(),
  /** The next thing due, if any. */
  next: z.object({ kind: z.enum(DUE_KINDS), at: Timestamp, days: z.number().int().nullable() }).nullable(),
  lastEvaluatedAt: Timestamp.nullable(),
});
export type ContractStatus = z.infer<typeof ContractStatus>;

// ---------------------------------------------------------------- timeline
export const TimelineInput = z
  .object({
    from: DateOnly,
    to: DateOnly,
    contractId: Id.optional(),
    customerId: Id.optional(),
    applicationId: Id.optional(),
  })
  .strict()
  .refine((t) => t.to >= t.from, { message: 'the end is before the start', path: ['to'] });

export const TimelineItem = z.object({
  contractId: Id,
  reference: z.string(),
  customerId: Id,
  customerName: z.string(),
  /** Set for suspension_due (decided per application); null for reminders and the expiry. */
  applicationId: Id.nullable(),
  applicationName: z.string().nullable(),
  kind: z.enum(DUE_KINDS),
  days: z.number().int().nullable(),
  /** The instant it is due (start of that day in the customer's zone) and that day. */
  at: Timestamp,
  date: DateOnly,
  period: DateOnly,
  /**
   * done: the evaluator handled it; due: past but not yet evaluated; upcoming; held: a hold blocks it;
   * covered: another contract serves the application; skipped: never sent, it was already past when the
   * contract was entered or its dates changed (the evaluator only sends what came due since its last run).
   */
  status: z.enum(['done', 'due', 'upcoming', 'held', 'covered', 'skipped']),
});
export type TimelineItem = z.infer<typeof TimelineItem>;

// ---------------------------------------------------------------- renewals
export const Reinstatement = z.object({
  applicationId: Id,
  applicationName: z.string(),
  suspensionId: Id,
  /** The reinstatement run started (null when it could not be started: `error` says why). */
  runId: Id.nullable(),
  error: z.string().optional(),
});

export const RenewOutput = z.object({
  status: ContractStatus,
  /** Overdue suspensions lifted by this renewal. */
  reinstated: z.array(Reinstatement),
  /** Suspensions kept: terms/manual are never lifted by a renewal. */
  kept: z.array(z.object({ applicationId: Id, applicationName: z.string(), suspensionId: Id, reason: z.enum(SUSPENSION_REASONS) })),
});

export const RenewalImportError = z.object({
  /** CSV: the spreadsheet row (header = 1); JSON: position from 1. */
  row: z.number().int(),
  reference: z.string().optional(),
  field: z.string().optional(),
  message: z.string(),
});

export const RenewalImportInput = z
  .object({
    format: z.enum(['csv', 'json']),
    /** CSV with columns reference,newEndDate; JSON: [{reference, newEndDate}] or {renewals: [...]}. */
    content: z.string().max(10_000_000),
    dryRun: z.boolean().default(false),
  })
  .strict();

export const RenewalImportOutput = z.object({
  /** false: some row is wrong and nothing was written. */
  ok: z.boolean(),
  renewed: z.number().int(),
  errors: z.array(RenewalImportError),
  reinstated: z.array(Reinstatement.extend({ contractId: Id })),
});

export const EvaluateOutput = z.object({
  evaluatedAt: Timestamp,
  /** The previous evaluation (the catch-up covered everything due since). */
  since: Timestamp.nullable(),
  reminders: z.number().int(),
  stages: z.number().int(),
  proposals: z.number().int(),
  suspensionsStarted: z.number().int(),
});

// ---------------------------------------------------------------- notice templates (editable, en + es built in)
/** The customer notices of the lifecycle; suspended/reinstated are sent by the suspension runs. */
export const CONTRACT_NOTICE_KINDS = ['contract_reminder', 'contract_expired', 'contract_overdue', 'contract_suspended', 'contract_reinstated'] as const;
export type ContractNoticeKind = (typeof CONTRACT_NOTICE_KINDS)[number];
const TemplateLanguage = z.string().regex(/^[a-z]{2}$/, 'a two-letter language code such as en or es');
export const ContractTemplateFields = z
  .object({
    kind: z.enum(CONTRACT_NOTICE_KINDS),
    language: TemplateLanguage,
    subject: z.string().min(1).max(500),
    html: z.string().min(1).max(200_000),
    text: z.string().min(1).max(200_000),
  })
  .strict();
export const ContractTemplate = ContractTemplateFields.extend({ builtIn: z.boolean(), updatedAt: Timestamp.nullable() });
export type ContractTemplate = z.infer<typeof ContractTemplate>;

const ContractRef = z.object({ contractId: Id }).strict();
const Why = z.string().trim().max(2000).default('');

export const contractsMethods = {
  'contracts.policyDefaults': method(z.object({}).strict(), LifecyclePolicy, 'The default lifecycle policy (Settings)'),
  'contracts.setPolicyDefaults': method(LifecyclePolicy.strict(), LifecyclePolicy, 'Change the default lifecycle policy'),
  'contracts.policy': method(ContractRef, ContractPolicyView, "A contract's lifecycle policy: its own settings, the defaults, the effective policy"),
  'contracts.setPolicy': method(
    z.object({ contractId: Id, overrides: PolicyOverrides.strict() }).strict(),
    ContractPolicyView,
    "Change a contract's own lifecycle settings (null: use the default)",
  ),
  'contracts.status': method(ContractRef, ContractStatus, 'Where a contract stands, per application it covers'),
  'contracts.timeline': method(TimelineInput, z.object({ items: z.array(TimelineItem) }), 'What is due when, per contract and application, in a date range'),
  'contracts.history': method(
    ContractRef,
    z.object({ stages: z.array(StageEntry), reminders: z.array(ReminderSent), holds: z.array(Hold), proposals: z.array(Proposal) }),
    "A contract's stage history, reminders sent (ledger), holds and suspension decisions (suspensions: suspension.list)",
  ),
  'contracts.hold': method(
    z.object({ contractId: Id, reason: z.string().trim().min(1, 'say why').max(2000), until: DateOnly }).strict(),
    Hold,
    'Put a contract on hold: no suspension (proposed or automatic) until the date',
  ),
  'contracts.releaseHold': method(z.object({ holdId: Id, why: Why }).strict(), Hold, 'Release a hold before its date'),
  'contracts.renew': method(z.object({ contractId: Id, newEndDate: DateOnly, why: Why }).strict(), RenewOutput, 'Record a renewal: new end date, active again; lifts overdue suspensions'),
  'contracts.importRenewals': method(RenewalImportInput, RenewalImportOutput, 'Import renewals (reference, newEndDate); any bad row writes nothing'),
  'contracts.terminate': method(
    z.object({ contractId: Id, confirmReference: z.string(), why: z.string().trim().min(1, 'say why').max(2000) }).strict(),
    ContractStatus,
    "Terminate a contract (typed confirmation: its reference). Nothing is deleted",
  ),
  'contracts.evaluate': method(z.object({}).strict(), EvaluateOutput, 'Evaluate every contract now (catches up on everything due since the last time)'),
  'contracts.due': method(z.object({}).strict(), z.object({ items: z.array(Proposal) }), 'Suspensions due for a decision (Today)'),
  'contracts.decide': method(
    z.object({ proposalId: Id, decision: z.enum(['suspend', 'dismiss']), why: Why }).strict(),
    Proposal,
    'Decide a proposed suspension: start it (a guided run) or dismiss it',
  ),
  'contracts.templates': method(
    z.object({}).strict(),
    z.object({ items: z.array(ContractTemplate), variables: z.array(z.object({ name: z.string(), description: z.string() })) }),
    'The contract notice templates per kind and language, and the variables they may use',
  ),
  'contracts.saveTemplate': method(ContractTemplateFields, ContractTemplate, 'Save an edited contract notice template (checked by rendering it)'),
  'contracts.resetTemplate': method(
    z.object({ kind: z.enum(CONTRACT_NOTICE_KINDS), language: TemplateLanguage }).strict(),
    ContractTemplate,
    'A contract notice template back to the built-in default',
  ),
} as const;

export const contractsEvents = {
  /** A contract's lifecycle moved (evaluation, hold, renewal, termination, decision, policy). contractId null: several. */
  'contracts.lifecycle': z.object({
    contractId: Id.nullable(),
    action: z.enum(['evaluate', 'policy', 'hold', 'release', 'renew', 'import', 'terminate', 'decide']),
  }),
} as const;
