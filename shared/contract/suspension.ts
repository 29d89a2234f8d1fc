/**
 * Suspension and reinstatement on the servers (issue 14). A suspension is per contract ×
 * application × environment: on each host of the application the site's `<base>/run/live.sock`
 * is swapped (atomically, no proxy reload) to `<base>/run/suspended.sock`, where nginx answers
 * every request with 503, `Retry-After` and a page naming the contract (the ACME challenge path
 * keeps answering); the workers chosen are stopped and exactly which is recorded; the result is
 * verified through the proxy and the customer is told (notices outbox). Reinstatement is the
 * reverse run: `live.sock` back to what it was, the stopped workers started again, health checked
 * through the proxy, the customer told.
 *
 * Each of the two is a guided run: a plan first (what will happen on each host, the exact
 * scripts), the application × environment lock, live progress per host (event
 * `suspension.changed`), audit. Every host script is idempotent (suspending twice changes nothing)
 * and the host keeps what it replaced (`<base>/run/suspension/`), so a run interrupted (the app
 * killed) is `interrupted` on restart and either resumed (`suspension.resume`) or reversed
 * (`suspension.reinstate`).
 */
import { z } from 'zod';
import { Id, method, Timestamp } from './common.js';

/** Why: only `overdue` is lifted by a renewal; `terms` and `manual` need the operator's reinstatement. */
export const SUSPENSION_REASONS = ['overdue', 'terms', 'manual'] as const;
export type SuspensionReason = (typeof SUSPENSION_REASONS)[number];
/** Only an overdue suspension lifts itself when the contract is renewed (WHMCS): terms and manual ones wait for the operator. */
export const liftedByRenewal = (reason: SuspensionReason): boolean => reason === 'overdue';

/**
 * suspending / reinstating: its run is moving; suspended: in force on every host; reinstated: over;
 * interrupted: the app stopped mid-run (see `phase`): resume it or reinstate; failed: a host failed
 * (see the hosts): resume (retry) or reinstate.
 */
export const SUSPENSION_STATES = ['suspending', 'suspended', 'reinstating', 'reinstated', 'interrupted', 'failed'] as const;
export type SuspensionState = (typeof SUSPENSION_STATES)[number];
/** The suspension states still in force on the servers (the site answers 503, or may). */
export const SUSPENSION_IN_FORCE: readonly SuspensionState[] = ['suspending', 'suspended', 'reinstating', 'interrupted', 'failed'];

export const SUSPENSION_PHASES = ['suspend', 'reinstate'] as const;
export type SuspensionPhase = (typeof SUSPENSION_PHASES)[number];

/** The steps of a host, in order (suspend: record → swap → workers → verify; reinstate: swap → workers → verify). */
export const SUSPENSION_STEPS = ['record', 'swap', 'workers', 'verify'] as const;
export type SuspensionStep = (typeof SUSPENSION_STEPS)[number];

export const HOST_STATES = ['pending', 'running', 'done', 'failed', 'interrupted'] as const;

/** What the verification through the proxy saw on a host. */
export const Verification = z.object({
  /** The site's answer on `/` through the proxy (503 suspended, the health path's code reinstated). */
  status: z.number().int(),
  retryAfter: z.string().nullable(),
  /** The page carries the suspension's marker (suspended) — false when reinstated. */
  marker: z.boolean(),
  /** `/.well-known/acme-challenge/<probe>` answered 200 through the proxy. */
  acme: z.boolean(),
});
export type Verification = z.infer<typeof Verification>;

export const SuspensionHost = z.object({
  serverId: Id,
  serverName: z.string(),
  state: z.enum(HOST_STATES),
  /** The step running, or where the host stopped (null: not started). */
  step: z.enum(SUSPENSION_STEPS).nullable(),
  /** What `live.sock` pointed at before the suspension (restored by the reinstatement). */
  previousTarget: z.string().nullable(),
  /** The workers (the application's services) this suspension stopped on this host — exactly those start again. */
  stoppedWorkers: z.array(z.string()),
  verification: Verification.nullable(),
  error: z.string().nullable(),
  /** The host's output so far (last lines), for the live view. */
  log: z.string(),
});
export type SuspensionHost = z.infer<typeof SuspensionHost>;

/** One of the two runs of a suspension. */
export const SuspensionRun = z.object({
  id: Id,
  phase: z.enum(SUSPENSION_PHASES),
  operator: z.string(),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  ms: z.number().int().nullable(),
});
export type SuspensionRun = z.infer<typeof SuspensionRun>;

export const Suspension = z.object({
  id: Id,
  contractId: Id,
  contractReference: z.string(),
  applicationId: Id,
  applicationName: z.string(),
  environmentId: Id,
  environmentName: z.string(),
  reason: z.enum(SUSPENSION_REASONS),
  state: z.enum(SUSPENSION_STATES),
  /** The run in progress or the last one (an interrupted/failed state belongs to it). */
  phase: z.enum(SUSPENSION_PHASES),
  retryAfterSeconds: z.number().int(),
  /** The text of the page (after the contract's name): how to regularise. */
  message: z.string(),
  /** The application's services to stop while suspended (names), as asked. */
  stopWorkers: z.array(z.string()),
  hosts: z.array(SuspensionHost),
  suspendRun: SuspensionRun.nullable(),
  reinstateRun: SuspensionRun.nullable(),
  /** The notices sent to the customer (outbox ids), when there was a contact to tell. */
  suspendNoticeId: Id.nullable(),
  reinstateNoticeId: Id.nullable(),
  note: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Suspension = z.infer<typeof Suspension>;

const MAX_RETRY_AFTER = 30 * 86_400;

export const SuspendRequest = z
  .object({
    contractId: Id,
    applicationId: Id,
    /** Default: every environment the application is placed in (one suspension each). */
    environmentId: Id.optional(),
    reason: z.enum(SUSPENSION_REASONS),
    retryAfterSeconds: z.number().int().min(0).max(MAX_RETRY_AFTER).default(86_400),
    message: z.string().max(2000).default(''),
    /** Service names of the application to stop (those running are stopped and recorded). */
    stopWorkers: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,40}$/)).max(32).default([]),
    /** Tell the customer (the contract's customer contacts) through the notices outbox. */
    notify: z.boolean().default(true),
    note: z.string().max(2000).default(''),
  })
  .strict();
export type SuspendRequest = z.input<typeof SuspendRequest>;
export type SuspendParsed = z.output<typeof SuspendRequest>;

export const PlanHostStep = z.object({ step: z.enum(SUSPENSION_STEPS), title: z.string(), command: z.string() });

export const SuspensionPlanHost = z.object({
  serverId: Id,
  serverName: z.string(),
  /** The site that will answer 503 (what the customer sees), e.g. "www.example.com on web-1". */
  site: z.string(),
  steps: z.array(PlanHostStep),
});

export const SuspensionPlan = z.object({
  environments: z.array(
    z.object({
      environmentId: Id,
      environmentName: z.string(),
      /** An open suspension already in force here: starting changes nothing. */
      existingId: Id.nullable(),
      hosts: z.array(SuspensionPlanHost),
    }),
  ),
  /** One line per effect, for the confirmation: which sites go 503, which workers stop, who is told. */
  effects: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type SuspensionPlan = z.infer<typeof SuspensionPlan>;

export const ReinstatePlan = z.object({ suspension: Suspension, hosts: z.array(SuspensionPlanHost), effects: z.array(z.string()) });
export type ReinstatePlan = z.infer<typeof ReinstatePlan>;

const ReinstateInput = z.object({ id: Id, notify: z.boolean().default(true), note: z.string().max(2000).default('') }).strict();

export const SuspensionListInput = z
  .object({
    contractId: Id.optional(),
    applicationId: Id.optional(),
    /** Only those still in force on the servers. */
    inForce: z.boolean().optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const suspensionMethods = {
  'suspension.plan': method(SuspendRequest, SuspensionPlan, 'What a suspension will do on each host (the exact scripts), before it starts'),
  'suspension.start': method(SuspendRequest, z.object({ items: z.array(Suspension) }), 'Suspends an application of a contract on its hosts (one guided run per environment; already in force: unchanged)'),
  'suspension.reinstatePlan': method(z.object({ id: Id }).strict(), ReinstatePlan, 'What the reinstatement will do on each host'),
  'suspension.reinstate': method(ReinstateInput, Suspension, 'Reinstates: the reverse run (live.sock restored, stopped workers started, health checked, customer told)'),
  'suspension.resume': method(z.object({ id: Id }).strict(), Suspension, 'Continues an interrupted or failed run from where it stopped (each host step is idempotent)'),
  'suspension.get': method(z.object({ id: Id }).strict(), Suspension, 'One suspension with its hosts and runs'),
  'suspension.list': method(SuspensionListInput, z.object({ items: z.array(Suspension) }), 'Suspensions, newest first'),
};

export const suspensionEvents = {
  /** A suspension or one of its hosts changed (state, step, log). */
  'suspension.changed': z.object({ id: Id, contractId: Id, applicationId: Id, state: z.enum(SUSPENSION_STATES) }),
};
