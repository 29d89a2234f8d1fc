/**
 * Materialisation: a due campaign becomes one queued outbox row per recipient. The message itself is
 * rendered when the row is first claimed for sending (render.ts, renderForSend), so it carries the
 * window's latest times and the work is spread over the send.
 */
import { randomUUID } from 'node:crypto';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { getWindow } from '../windows/repo.js';
import { dueCampaigns, pendingCampaign, setMaterialised, setMaterialising, type CampaignParams } from './campaign-store.js';
import { insertQueued, queuedCount } from './outbox-store.js';
import { recipientsOf, type Recipient } from './recipients.js';
import { NoticeRenderer } from './render.js';

export function newMessageId(): string {
  return `<${randomUUID()}@puesta>`;
}

export interface MaterialiseOptions {
  /** Recipients written by the first transaction of a campaign (the sender starts on them). */
  firstChunk?: number;
  /** Recipients per later transaction. */
  chunk?: number;
  /** Later chunks are written only while the campaign has fewer queued rows than this. */
  lowWater?: number;
  /** Keeps each campaign's recipient list between chunks (the audience is computed once per campaign). */
  recipients?: Map<number, Recipient[]>;
}

/**
 * Writes the outbox rows of every due campaign: one row per recipient, with its subject (so lists
 * show it before the message is rendered). Large audiences go in chunks, each its own transaction,
 * ordered by contact id with a cursor, so sending starts at once and a crash resumes where it was;
 * UNIQUE(campaign_id, contact_id) makes every write idempotent. Returns the campaigns touched.
 */
export function materialiseDue(core: Core, now = new Date(), opts: MaterialiseOptions = {}): number[] {
  const firstChunk = opts.firstChunk ?? Infinity;
  const chunk = opts.chunk ?? Infinity;
  const lowWater = opts.lowWater ?? Infinity;
  const done: number[] = [];
  for (const c of dueCampaigns(core, now.toISOString())) {
    if (c.state === 'materialising' && lowWater !== Infinity && queuedCount(core, c.id) >= lowWater) continue;
    core.tx(() => {
      // Re-read inside the transaction: another core on the same file may have moved on.
      const cur = pendingCampaign(core, c.id);
      if (!cur) {
        opts.recipients?.delete(c.id);
        return;
      }
      const params = cur.params;
      const cursor = params.cursor ?? 0;
      const renderer = new NoticeRenderer(core, getWindow(core, c.windowId), c.kind, { ...params, offsetHours: c.offsetHours });
      const ts = nowIso();
      let all = opts.recipients?.get(c.id);
      if (!all) {
        all = recipientsOf(core, c.windowId).sort((a, b) => (a.contactId ?? 0) - (b.contactId ?? 0));
        opts.recipients?.set(c.id, all);
      }
      const todo = all.filter((r) => (r.contactId ?? 0) > cursor);
      const batch = todo.slice(0, cur.state === 'scheduled' ? firstChunk : chunk);
      insertQueued(
        core,
        c.id,
        c.kind === 'cancelled' ? 'CANCEL' : 'REQUEST',
        ts,
        batch.map((r) => ({ ...r, subject: renderer.subject(r), messageId: newMessageId() })),
      );
      if (todo.length > batch.length) {
        const next: CampaignParams = { ...params, cursor: batch[batch.length - 1]!.contactId ?? cursor };
        setMaterialising(core, c.id, next, ts);
      } else {
        opts.recipients?.delete(c.id);
        const { cursor: _done, ...rest } = params;
        setMaterialised(core, c.id, rest, ts);
      }
      done.push(c.id);
    });
  }
  return done;
}

/** Materialises due campaigns for the sender: at most every 250 ms while sending, recipient lists kept between chunks. */
export class Materialiser {
  private readonly recipients = new Map<number, Recipient[]>();
  private last = 0;

  constructor(private readonly core: Core) {}

  /** The next call materialises whatever is due (new campaign, resend). */
  soon(): void {
    this.last = 0;
  }

  /** Campaigns touched; `idle`: nothing in flight (then always look). */
  due(idle: boolean): number[] {
    if (!idle && Date.now() - this.last <= 250) return [];
    this.last = Date.now();
    return materialiseDue(this.core, new Date(), { firstChunk: 500, chunk: 500, lowWater: 1000, recipients: this.recipients });
  }
}
