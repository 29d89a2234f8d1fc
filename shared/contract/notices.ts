/**
 * Notices: templates, campaigns (one notice of one window, due at a time), the per-recipient outbox
 * ledger and the SMTP settings. The UI is `renderer/src/features/notices/`, the core
 * `electron/core/notices/`.
 *
 * Outbox states: queued → sending → sent | failed, or → unknown when the app stopped while a message
 * was being handed to the SMTP server (the operator resends it with the same Message-ID, or marks it sent).
 */
import { z } from 'zod';
import { Id, IdInput, listOutput, method, Timestamp } from './common.js';

// ---------------------------------------------------------------- templates & notices
export const NOTICE_KINDS = ['announce', 'reminder', 'updated', 'started', 'completed', 'extended', 'cancelled'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export const Language = z.string().regex(/^[a-z]{2}$/, 'a two-letter language code such as en or es');

export const TemplateKey = z.object({ kind: z.enum(NOTICE_KINDS), language: Language }).strict();
export const TemplateFields = z
  .object({
    kind: z.enum(NOTICE_KINDS),
    language: Language,
    /** Handlebars; see `variables` in notices.templates.list. */
    subject: z.string().min(1).max(500),
    html: z.string().min(1).max(200_000),
    text: z.string().min(1).max(200_000),
  })
  .strict();
export const Template = TemplateFields.extend({
  /** true when this is the shipped default (never edited or reset). */
  builtIn: z.boolean(),
  updatedAt: Timestamp.nullable(),
});
export type Template = z.infer<typeof Template>;
export const TemplateVariable = z.object({ name: z.string(), description: z.string() });

export const PreviewInput = z
  .object({
    windowId: Id,
    kind: z.enum(NOTICE_KINDS),
    /** A contact from the audience; absent = the first audience contact, or a sample recipient. */
    contactId: Id.optional(),
  })
  .strict();
export const RenderedNotice = z.object({
  to: z.string(),
  contactName: z.string(),
  customerName: z.string(),
  language: z.string(),
  timezone: z.string(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  /** The invitation attached as invite.ics. */
  ics: z.string(),
  icsMethod: z.enum(['REQUEST', 'CANCEL']),
});
export type RenderedNotice = z.infer<typeof RenderedNotice>;

export const CAMPAIGN_STATES = ['scheduled', 'sending', 'done', 'cancelled'] as const;
export const OutboxCounts = z.object({
  queued: z.number().int(),
  sending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  unknown: z.number().int(),
  total: z.number().int(),
});
export const Campaign = z.object({
  id: Id,
  windowId: Id,
  windowTitle: z.string(),
  kind: z.enum(NOTICE_KINDS),
  /** Reminders: hours before the window start. */
  offsetHours: z.number().nullable(),
  /** UTC instant the messages are due. */
  scheduledAt: Timestamp,
  /** scheduled: not yet due (no recipients materialised); sending: messages in the ledger not all final. */
  state: z.enum(CAMPAIGN_STATES),
  counts: OutboxCounts,
  createdAt: Timestamp,
});
export type Campaign = z.infer<typeof Campaign>;
export const ScheduleInput = z
  .object({
    windowId: Id,
    /** Hours before the start for each reminder, e.g. [72, 24, 1]. Past ones are skipped. */
    reminders: z.array(z.number().positive().max(24 * 60)).max(10).default([72, 24, 1]),
    /** When the announcement goes out (default now). */
    announceAt: Timestamp.nullable().default(null),
    /** Also send the announcement (default true); false = reminders only. */
    announce: z.boolean().default(true),
  })
  .strict();

// ---------------------------------------------------------------- outbox
export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed', 'unknown'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export const OutboxRow = z.object({
  id: Id,
  campaignId: Id,
  windowId: Id,
  kind: z.enum(NOTICE_KINDS),
  contactId: Id.nullable(),
  customerName: z.string(),
  contactName: z.string(),
  email: z.string(),
  subject: z.string(),
  state: z.enum(OUTBOX_STATES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: Timestamp.nullable(),
  /** The Message-ID header generated before the first attempt (same on a resend). */
  messageId: z.string(),
  /** The id the SMTP server answered with (its 250 response). */
  smtpMessageId: z.string().nullable(),
  sentAt: Timestamp.nullable(),
  note: z.string().nullable(),
  updatedAt: Timestamp,
});
export type OutboxRow = z.infer<typeof OutboxRow>;
export const OutboxListInput = z
  .object({
    campaignId: Id.optional(),
    windowId: Id.optional(),
    state: z.enum(OUTBOX_STATES).optional(),
    /** Matches email, contact or customer name. */
    query: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();
export const OutboxMessage = OutboxRow.extend({ html: z.string(), text: z.string(), ics: z.string() });
export const IdsInput = z.object({ ids: z.array(Id).min(1).max(100_000) }).strict();

export const OutboxStatus = z.object({
  /** false when the last attempt to reach SMTP failed (offline, server down, settings wrong). */
  online: z.boolean(),
  /** SMTP is configured (host and from set). */
  configured: z.boolean(),
  lastError: z.string().optional(),
  /** When the sender will try again (UTC). */
  nextAttemptAt: Timestamp.optional(),
  /** Rows queued (due or waiting for a retry). */
  pending: z.number().int().optional(),
  /** Rows caught mid-send by a crash, waiting for the operator's decision. */
  unknown: z.number().int().optional(),
});
export type OutboxStatus = z.infer<typeof OutboxStatus>;

// ---------------------------------------------------------------- SMTP settings
export const SmtpSettingsFields = z.object({
  host: z.string().trim().max(253).default(''),
  port: z.number().int().min(1).max(65535).default(587),
  /** Implicit TLS (port 465). false = plain, upgraded with STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().max(320).default(''),
  /** Sender address, e.g. "Release desk <ops@example.com>". */
  from: z.string().max(400).default(''),
  ratePerSecond: z.number().positive().max(1000).default(5),
  maxConnections: z.number().int().min(1).max(50).default(2),
  /** The name notices are signed with ({{operator}}); empty: the name in `from`, else the operator's. Never the OS login. */
  senderName: z.string().trim().max(200).default(''),
  /** Lines under that name in every notice ({{signature}}), e.g. the team and a phone number. */
  signature: z.string().max(2000).default(''),
});
export const SmtpSaveInput = SmtpSettingsFields.extend({
  /** Omitted = keep the stored password; null or '' = forget it. Stored in the secret store only. */
  password: z.string().max(1000).nullable().optional(),
}).strict();
export const SmtpSettings = SmtpSettingsFields.extend({ hasPassword: z.boolean(), configured: z.boolean() });
export type SmtpSettings = z.infer<typeof SmtpSettings>;

// ---------------------------------------------------------------- methods
const Ok = z.object({ updated: z.number().int() });

export const noticesMethods = {
  'notices.templates.list': method(
    z.object({}).strict(),
    z.object({ items: z.array(Template), variables: z.array(TemplateVariable), languages: z.array(z.string()) }),
    'Notice templates per kind and language, and the variables they can use',
  ),
  'notices.templates.get': method(TemplateKey, Template, 'One notice template (the built-in default when never edited)'),
  'notices.templates.save': method(TemplateFields, Template, 'Save an edited template (checked by compiling it)'),
  'notices.templates.reset': method(TemplateKey, Template, 'Back to the built-in default'),
  'notices.preview': method(PreviewInput, RenderedNotice, 'Render a notice for one recipient: subject, HTML, text and the ICS invitation'),
  'notices.testSend': method(
    z.object({ windowId: Id, kind: z.enum(NOTICE_KINDS), to: z.string().trim().email().optional() }).strict(),
    z.object({ to: z.string(), messageId: z.string(), response: z.string() }),
    'Send the rendered notice to the operator now (default: the SMTP "from" address), outside the ledger',
  ),
  'notices.schedule': method(ScheduleInput, z.object({ items: z.array(Campaign) }), 'Schedule the announcement and reminders of a window (replaces pending ones); a draft becomes announced'),
  'notices.campaigns': method(z.object({ windowId: Id.optional() }).strict(), z.object({ items: z.array(Campaign) }), 'Campaigns with per-state counts'),
  'notices.cancelCampaign': method(IdInput, Campaign, 'Cancel a campaign: nothing more of it is sent (queued rows become failed "cancelled")'),

  'outbox.list': method(OutboxListInput, listOutput(OutboxRow).extend({ counts: OutboxCounts }), 'Per-recipient ledger, filtered; counts per state for the same filter (ignoring state)'),
  'outbox.get': method(IdInput, OutboxMessage, 'One ledger row with its rendered bodies'),
  'outbox.resend': method(IdsInput, Ok, 'Queue failed or unknown rows again (same Message-ID; audited)'),
  'outbox.markSent': method(IdsInput.extend({ note: z.string().trim().min(1, 'say why you consider it sent').max(1000) }).strict(), Ok, 'Mark "unknown" rows as sent without sending (audited)'),
  'outbox.sendNow': method(z.object({}).strict(), OutboxStatus, 'Wake the sender: retry waiting rows now'),
  'outbox.status': method(z.object({}).strict(), OutboxStatus, 'Whether SMTP answers, and what is waiting'),

  'smtp.get': method(z.object({}).strict(), SmtpSettings, 'SMTP settings (the password is never returned: hasPassword)'),
  'smtp.save': method(SmtpSaveInput, SmtpSettings, 'Save SMTP settings; the password goes to the secret store'),
  'smtp.test': method(
    z.object({ to: z.string().trim().email() }).strict(),
    z.object({ messageId: z.string(), response: z.string() }),
    'Send a test message with the saved settings',
  ),
} as const;

export const noticesEvents = {
  /** Per-campaign counts while sending (throttled to a few per second). */
  'outbox.progress': z.object({
    campaignId: Id,
    windowId: Id,
    queued: z.number().int(),
    sending: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    unknown: z.number().int(),
  }),
  /** SMTP reachability, sent when it changes (and after each failed attempt). */
  'outbox.status': OutboxStatus,
} as const;
