/**
 * Maintenance windows, their conflicts, audience and blackout dates (notices, the outbox and SMTP
 * settings are in notices.ts).
 *
 * Times: every timestamp is an ISO-8601 string; the core stores and returns UTC (`…Z`). Per-customer
 * local times are returned pre-formatted (in the customer's IANA zone and language) where useful.
 *
 * Window life cycle: draft → announced → in_progress → done, or → cancelled (from draft/announced/
 * in_progress), or in_progress/extended → extended (with a later `newEnd`) → done.
 * `windows.transition` also queues the notice tied to the new state (started / completed / extended /
 * cancelled), sent to the window's audience as soon as SMTP answers (see notices.ts).
 */
import { z } from 'zod';
import { DateOnly, Id, IdInput, listOutput, method, Name, Timestamp, TimeZone } from './common.js';

// ---------------------------------------------------------------- windows
export const WINDOW_STATES = ['draft', 'announced', 'in_progress', 'done', 'cancelled', 'extended'] as const;
export type WindowState = (typeof WINDOW_STATES)[number];
/** The states `windows.transition` can move to. */
export const WINDOW_TRANSITIONS = ['announced', 'in_progress', 'done', 'cancelled', 'extended'] as const;

const WindowShape = {
  title: Name,
  /** UTC instant the interruption starts. */
  start: Timestamp,
  /** UTC instant it ends (after start). */
  end: Timestamp,
  applicationIds: z.array(Id).max(500),
  serverIds: z.array(Id).max(5000),
  /** What users will notice, shown in the notices ({{impact}}): in English, and read by any language without its own text in `impacts`. */
  impact: z.string().max(5000),
  /** The impact text per language ("es" → "…"), so a Spanish notice never carries the English text. */
  impacts: z
    .record(z.string().regex(/^[a-z]{2}$/, 'a language such as es'), z.string().max(5000))
    .refine((m) => Object.keys(m).length <= 30, 'at most 30 languages'),
  /** Limit the window to one environment: servers of the others, and applications placed only there, are out of its scope (null: all). */
  environmentId: Id.nullable(),
  /** Optional run this window covers (runs live in another module; kept as a plain id). */
  linkedRunId: Id.nullable(),
  notes: z.string().max(20_000),
};
const WindowFieldsBase = z.object({
  ...WindowShape,
  applicationIds: WindowShape.applicationIds.default([]),
  serverIds: WindowShape.serverIds.default([]),
  impact: WindowShape.impact.default(''),
  impacts: WindowShape.impacts.default({}),
  linkedRunId: WindowShape.linkedRunId.default(null),
  environmentId: WindowShape.environmentId.default(null),
  notes: WindowShape.notes.default(''),
});
const endAfterStart = (w: { start?: string | undefined; end?: string | undefined }) =>
  w.start === undefined || w.end === undefined || Date.parse(w.end) > Date.parse(w.start);
export const WindowFields = WindowFieldsBase.strict().refine(endAfterStart, { message: 'the end is not after the start', path: ['end'] });
/** Only the fields given change (no defaults here: an absent field keeps its value). */
export const WindowPatch = z.object(WindowShape).partial().extend({ id: Id }).strict().refine(endAfterStart, { message: 'the end is not after the start', path: ['end'] });

export const Window = WindowFieldsBase.extend({
  id: Id,
  state: z.enum(WINDOW_STATES),
  /** ICS SEQUENCE: incremented whenever title, start or end change. */
  sequence: z.number().int().min(0),
  /** Stable ICS UID, `window-<id>@puesta`. */
  uid: z.string(),
  applicationNames: z.array(z.string()),
  serverNames: z.array(z.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Window = z.infer<typeof Window>;

export const WindowListInput = z
  .object({
    /** Windows that end after `from` … */
    from: Timestamp.optional(),
    /** … and start before `to` (calendar month/week views). */
    to: Timestamp.optional(),
    state: z.enum(WINDOW_STATES).optional(),
    query: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();

export const WindowTransitionInput = z
  .object({
    id: Id,
    to: z.enum(WINDOW_TRANSITIONS),
    /** Required for `extended`: the new end (UTC), later than the current end. */
    newEnd: Timestamp.optional(),
    /** Queue the notice tied to the new state (default true). */
    notify: z.boolean().default(true),
  })
  .strict();

// ---------------------------------------------------------------- conflicts
export const CONFLICT_KINDS = ['server_overlap', 'customer_overlap', 'outside_contract_hours', 'blackout', 'contract_expires'] as const;
export const Conflict = z.object({
  kind: z.enum(CONFLICT_KINDS),
  /** A plain sentence saying what clashes. */
  message: z.string(),
  otherWindowId: Id.optional(),
  serverId: Id.optional(),
  customerId: Id.optional(),
  contractId: Id.optional(),
  blackoutId: Id.optional(),
});
export type Conflict = z.infer<typeof Conflict>;
export const ConflictsInput = z.union([
  z.object({ id: Id }).strict(),
  z
    .object({
      /** When editing an existing window, its id (so it is not compared with itself). */
      excludeId: Id.optional(),
      start: Timestamp,
      end: Timestamp,
      applicationIds: z.array(Id).max(500).default([]),
      serverIds: z.array(Id).max(5000).default([]),
      environmentId: Id.nullable().default(null),
    })
    .strict(),
]);
export const ConflictsOutput = z.object({ items: z.array(Conflict) });

// ---------------------------------------------------------------- audience
export const AudienceContact = z.object({ id: Id, name: z.string(), email: z.string(), role: z.string() });
export const AudienceCustomer = z.object({
  customerId: Id,
  name: z.string(),
  timezone: z.string(),
  language: z.string(),
  /** The window's start and end formatted in the customer's zone and language. */
  startLocal: z.string(),
  endLocal: z.string(),
  contracts: z.array(z.object({ id: Id, reference: z.string(), state: z.string() })),
  /** Contacts who will be told (opted-out excluded). */
  contacts: z.array(AudienceContact),
  contactCount: z.number().int(),
  excludedOptedOut: z.number().int(),
});
/** A language of the audience and what its notices will lack (the audience warns about both). */
export const AudienceLanguage = z.object({
  /** Base language, e.g. "es". */
  language: z.string(),
  /** Customers reading this language. */
  customers: z.number().int(),
  /** false: no template in this language (built in or edited): these customers get the English notice. */
  hasTemplate: z.boolean(),
  /** false: the window has an impact text, but none in this language (they read the English one). */
  hasImpact: z.boolean(),
});
export const AudienceInput = z
  .object({
    id: Id,
    /** false: only the per-customer counts (contacts: []). */
    includeContacts: z.boolean().default(true),
  })
  .strict();
export const Audience = z.object({
  windowId: Id,
  customers: z.array(AudienceCustomer),
  /** Contacts who will be told. */
  total: z.number().int(),
  excludedOptedOut: z.number().int(),
  /** Messages per notice: one per address, so less than `total` when a mailbox is a contact of several customers. */
  messages: z.number().int(),
  /** Those mailboxes: each gets one message naming all its customers. */
  shared: z.array(z.object({ email: z.string(), customers: z.array(z.string()) })),
  languages: z.array(AudienceLanguage),
});
export type Audience = z.infer<typeof Audience>;

// ---------------------------------------------------------------- blackouts
export const BlackoutFields = z
  .object({
    startDate: DateOnly,
    endDate: DateOnly,
    reason: z.string().trim().min(1, 'say why (e.g. "year-end freeze")').max(500),
    /** Zone the dates are read in (whole days). */
    timezone: TimeZone.default('UTC'),
  })
  .strict()
  .refine((b) => b.endDate >= b.startDate, { message: 'the end date is before the start date', path: ['endDate'] });
export const Blackout = z.object({ id: Id, startDate: DateOnly, endDate: DateOnly, reason: z.string(), timezone: z.string(), createdAt: Timestamp });
export type Blackout = z.infer<typeof Blackout>;

// ---------------------------------------------------------------- methods
export const windowsMethods = {
  'windows.list': method(WindowListInput, listOutput(Window), 'List maintenance windows (by time range, state, text)'),
  'windows.get': method(IdInput, Window, 'Get one maintenance window'),
  'windows.create': method(WindowFields, Window, 'Plan a maintenance window (starts as a draft)'),
  'windows.update': method(WindowPatch, Window, 'Change a window; a new title/start/end bumps the ICS SEQUENCE and, once announced, queues an "updated" notice'),
  'windows.delete': method(IdInput, z.object({ id: Id }), 'Delete a window that was never announced (cancel it otherwise)'),
  'windows.transition': method(WindowTransitionInput, Window, 'Move a window to announced / in_progress / done / cancelled / extended, queuing the notice tied to the state'),
  'windows.conflicts': method(ConflictsInput, ConflictsOutput, 'Clashes of a window (or a draft) with other windows, contract hours and expiry, blackout dates'),
  'windows.conflictCounts': method(
    z.object({ ids: z.array(Id).max(500) }).strict(),
    z.object({ items: z.array(z.object({ id: Id, count: z.number().int().min(0) })) }),
    'How many clashes each of these windows has (one call for a whole calendar view)',
  ),
  'windows.audience': method(AudienceInput, Audience, 'Who will be told: customers with contracts in force on the touched applications, their contacts (opted-out excluded)'),

  'blackouts.list': method(z.object({ from: DateOnly.optional(), to: DateOnly.optional() }).strict(), z.object({ items: z.array(Blackout) }), 'Blackout date ranges'),
  'blackouts.create': method(BlackoutFields, Blackout, 'Add a blackout date range'),
  'blackouts.delete': method(IdInput, z.object({ id: Id }), 'Remove a blackout date range'),
} as const;

export const windowsEvents = {
  /** A window was created, changed, transitioned or deleted. */
  'windows.changed': z.object({ id: Id, action: z.enum(['create', 'update', 'delete', 'transition']) }),
} as const;
