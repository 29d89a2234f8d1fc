/**
 * Delivery metrics (the four DORA keys) computed from the runs this Puesta recorded.
 *
 * A deployment is an install or upgrade run on a production environment that switched (its `switch`
 * step succeeded on a host) and then either succeeded, or was put back by the health gate (a failed
 * deployment). Rollbacks are counted apart, never as deployments. A deployment failed when, within
 * the failure window after it: the health gate switched a host back, a rollback left its release, a
 * later run is marked as a fix for it, or the operator linked an incident to it (outside planned
 * maintenance windows of its application). One deployment with several of these is one failure.
 *
 * Weeks are ISO weeks (Monday first) in the caller's time zone; weeks without a deployment count as 0.
 */
import { z } from 'zod';
import { DateOnly, Id, IdInput, method, Timestamp, TimeZone } from './common.js';

export const METRIC_KEYS = ['frequency', 'leadTime', 'changeFailure', 'recovery'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** DORA performance bands of each key (fourkeys' wording), best first. */
export const FREQUENCY_BUCKETS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export const DURATION_BUCKETS = ['hour', 'day', 'week', 'month', 'six months', 'longer'] as const;
export const FAILURE_BUCKETS = ['0-15%', '16-30%', '31-45%', '46-100%'] as const;

export const MetricsFilter = z
  .object({
    applicationId: Id.optional(),
    /** One production environment (default: all of them). */
    environmentId: Id.optional(),
    /** First and last local day of the period (inclusive). */
    from: DateOnly,
    to: DateOnly,
    /** The zone whose ISO weeks and days bucket the figures. */
    timeZone: TimeZone.default('UTC'),
  })
  .strict();
export type MetricsFilter = z.input<typeof MetricsFilter>;

/** A key's value in the period and in the period of the same length just before it. */
const Trend = z.object({
  previous: z.number().nullable(),
  /** 'better' / 'worse' as DORA reads the key (fewer failures, shorter times, more deployments). */
  direction: z.enum(['better', 'worse', 'same', 'none']),
});

/** Median and 90th percentile of durations in seconds (null when there is nothing to measure). */
const Durations = { count: z.number().int().min(0), medianSeconds: z.number().nullable(), p90Seconds: z.number().nullable() };

export const WeekPoint = z.object({
  /** ISO week, e.g. 2026-W05. */
  week: z.string(),
  /** Its Monday (local date). */
  monday: DateOnly,
  deployments: z.number().int().min(0),
  rollbacks: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** failed / deployments, null without deployments. */
  failureRate: z.number().nullable(),
  leadCommits: Durations.count,
  leadMedianSeconds: Durations.medianSeconds,
  leadP90Seconds: Durations.p90Seconds,
  recoveries: Durations.count,
  recoveryMedianSeconds: Durations.medianSeconds,
  recoveryP90Seconds: Durations.p90Seconds,
});
export type WeekPoint = z.infer<typeof WeekPoint>;

export const MetricsSummary = z.object({
  /** What the figures cover. */
  cover: z.object({
    from: DateOnly,
    to: DateOnly,
    timeZone: z.string(),
    productionEnvironments: z.array(z.object({ id: Id, name: z.string() })),
    /** Finished runs of the filtered applications in production, all kinds, in the period. */
    runs: z.number().int().min(0),
    firstRunAt: Timestamp.nullable(),
    lastRunAt: Timestamp.nullable(),
    failureWindowHours: z.number().int(),
  }),
  frequency: z.object({
    deployments: z.number().int().min(0),
    rollbacks: z.number().int().min(0),
    perWeek: z.number(),
    bucket: z.enum(FREQUENCY_BUCKETS).nullable(),
    trend: Trend,
    byApplication: z.array(z.object({ applicationId: Id, applicationName: z.string(), deployments: z.number().int(), perWeek: z.number() })),
  }),
  leadTime: z.object({ ...Durations, bucket: z.enum(DURATION_BUCKETS).nullable(), trend: Trend }),
  changeFailure: z.object({
    deployments: z.number().int().min(0),
    failed: z.number().int().min(0),
    rate: z.number().nullable(),
    bucket: z.enum(FAILURE_BUCKETS).nullable(),
    trend: Trend,
  }),
  recovery: z.object({
    ...Durations,
    /** How many were measured from a failure Puesta saw (a failed health check, an incident's start) to a recovery it made. */
    exact: z.number().int().min(0),
    bucket: z.enum(DURATION_BUCKETS).nullable(),
    trend: Trend,
  }),
  weeks: z.array(WeekPoint),
});
export type MetricsSummary = z.infer<typeof MetricsSummary>;

export const FAILURE_CAUSES = ['switch-back', 'rollback', 'fix', 'incident'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/** One run behind a point of a chart. */
export const MetricRun = z.object({
  runId: Id,
  applicationId: Id,
  applicationName: z.string(),
  environmentId: Id,
  environmentName: z.string(),
  kind: z.enum(['install', 'upgrade', 'rollback']),
  releaseKey: z.string(),
  week: z.string(),
  /** When production got the release (the switch), or the rollback finished. */
  at: Timestamp,
  failed: z.boolean(),
  causes: z.array(z.enum(FAILURE_CAUSES)),
  /** The run (a rollback, or a fix) that names this deployment, or this rollback's target deployment. */
  fixedBy: Id.nullable(),
  fixesRunId: Id.nullable(),
  leadCommits: z.number().int().min(0),
  leadMedianSeconds: z.number().nullable(),
  recoverySeconds: z.number().nullable(),
  recoveryExact: z.boolean(),
  /** Why the commits of this git deployment could not be read (e.g. the local clone lacks its commit); null when they were, or nothing was asked. */
  commitsProblem: z.string().nullable(),
});
export type MetricRun = z.infer<typeof MetricRun>;

export const MetricsRunsInput = MetricsFilter.extend({
  /** Only the runs of this ISO week (e.g. 2026-W05); default: the whole period. */
  week: z.string().regex(/^\d{4}-W\d{2}$/).optional(),
  /** Only the runs behind this key: deployments (frequency, lead time with commits), failed ones, recovered ones. */
  key: z.enum(METRIC_KEYS).default('frequency'),
}).strict();

export const Incident = z.object({
  id: Id,
  runId: Id,
  title: z.string(),
  startedAt: Timestamp,
  createdAt: Timestamp,
  createdBy: z.string(),
});
export type Incident = z.infer<typeof Incident>;

/** An operator's local clone of an application's repository: lead time reads commit times there instead of on the host. */
export const LocalClone = z.object({
  applicationId: Id,
  /** Absolute path of the clone on this machine. */
  path: z.string().trim().min(2).max(1000).regex(/^\//, 'an absolute path (starting with /)'),
});
export type LocalClone = z.infer<typeof LocalClone>;

export const MetricsSettings = z.object({
  /** The environments whose runs count (default: those named prod…). */
  productionEnvironmentIds: z.array(Id).max(1000),
  /** A failure counts against a deployment when it shows within this many hours. */
  failureWindowHours: z.number().int().min(1).max(24 * 30),
  /** Per application, at most one; git deployments of the others read their commits on the host. */
  localClones: z.array(LocalClone).max(1000).default([]),
});
export type MetricsSettings = z.infer<typeof MetricsSettings>;

export const metricsMethods = {
  'metrics.summary': method(MetricsFilter, MetricsSummary, 'The four delivery keys over a period, per ISO week, with their DORA bands and trends'),
  'metrics.runs': method(MetricsRunsInput, z.object({ items: z.array(MetricRun) }), 'The runs behind a point of the delivery metrics'),
  'metrics.settings.get': method(z.object({}).strict(), MetricsSettings, 'Which environments are production, and the failure window'),
  'metrics.settings.set': method(MetricsSettings.strict(), MetricsSettings, 'Set the production environments and the failure window'),
  'metrics.incidents.list': method(z.object({ runId: Id }).strict(), z.object({ items: z.array(Incident) }), 'The incidents linked to a deployment'),
  'metrics.incidents.add': method(
    z.object({ runId: Id, title: z.string().trim().min(1).max(200), startedAt: Timestamp }).strict(),
    Incident,
    'Link an incident (its start) to the deployment that caused it',
  ),
  'metrics.incidents.remove': method(IdInput, z.object({ ok: z.literal(true) }), 'Unlink an incident'),
  'metrics.fixFor.set': method(
    z.object({ runId: Id, fixesRunId: Id.nullable() }).strict(),
    z.object({ runId: Id, fixesRunId: Id.nullable() }),
    'Mark a run as the fix for an earlier deployment (null: no longer)',
  ),
} as const;
