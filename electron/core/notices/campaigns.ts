/**
 * Campaigns (one notice of one window, due at a time): listing with per-state counts, scheduling the
 * announcement and reminders, moving reminders with the window, cancelling. Materialising a due
 * campaign into the outbox is materialise.ts.
 */
import type { Campaign, NoticeKind } from '../../../shared/contract/notices.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { getWindow } from '../windows/repo.js';
import {
  campaignRow,
  campaignRows,
  cancelScheduledAnnouncements,
  hasMaterialised,
  insertCampaign,
  latestParams,
  markWindowAnnounced,
  scheduledReminders,
  setCancelled,
  setScheduledAt,
  stopCampaign,
  type CampaignParams,
  type CampaignRow,
} from './campaign-store.js';
import { campaignCounts } from './outbox-store.js';

function campaignOf(core: Core, r: CampaignRow): Campaign {
  const counts = campaignCounts(core, r.id);
  const state: Campaign['state'] =
    r.state === 'cancelled'
      ? 'cancelled'
      : r.state === 'scheduled'
        ? 'scheduled'
        : r.state === 'materialising' || counts.queued + counts.sending > 0
          ? 'sending'
          : 'done';
  return { id: r.id, windowId: r.windowId, windowTitle: r.windowTitle, kind: r.kind, offsetHours: r.offsetHours, scheduledAt: r.scheduledAt, state, counts, createdAt: r.createdAt };
}

export function listCampaigns(core: Core, windowId?: number): Campaign[] {
  return campaignRows(core, windowId).map((r) => campaignOf(core, r));
}

export function getCampaign(core: Core, id: number): Campaign {
  const r = campaignRow(core, id);
  if (!r) throw new PuestaError('NOT_FOUND', `There is no campaign with id ${id}.`);
  return campaignOf(core, r);
}

export function addCampaign(core: Core, windowId: number, kind: NoticeKind, scheduledAt: string, offsetHours: number | null = null, params: CampaignParams = {}): number {
  return insertCampaign(core, windowId, kind, new Date(scheduledAt).toISOString(), offsetHours, params);
}

/** Announcement + reminders; pending (not yet due) announce/reminder campaigns are replaced. */
export function scheduleNotices(core: Core, windowId: number, reminders: number[], announceAt: string | null, announce: boolean): Campaign[] {
  return core.tx(() => {
    const w = getWindow(core, windowId);
    if (w.state === 'done' || w.state === 'cancelled') throw new PuestaError('PRECONDITION_FAILED', `Window "${w.title}" is ${w.state}; there is nothing to announce.`);
    cancelScheduledAnnouncements(core, windowId);
    const now = Date.now();
    const announced = hasMaterialised(core, windowId, 'announce');
    if (announce && !announced) addCampaign(core, windowId, 'announce', announceAt ?? new Date(now).toISOString());
    for (const h of [...new Set(reminders)].sort((a, b) => b - a)) {
      const at = Date.parse(w.start) - h * 3_600_000;
      if (at > now) addCampaign(core, windowId, 'reminder', new Date(at).toISOString(), h);
    }
    if (w.state === 'draft') {
      markWindowAnnounced(core, windowId);
      core.audit.write(core.operator(), 'transition:announced', 'windows', windowId, { state: 'draft' }, { state: 'announced' });
    }
    core.audit.write(core.operator(), 'schedule', 'windows', windowId, null, { reminders, announceAt, announce });
    return listCampaigns(core, windowId);
  });
}

/** After a change of start: pending reminders move with it (past ones are cancelled). */
export function rescheduleReminders(core: Core, windowId: number, start: string): void {
  for (const r of scheduledReminders(core, windowId)) {
    const at = Date.parse(start) - r.offsetHours * 3_600_000;
    if (at > Date.now()) setScheduledAt(core, r.id, new Date(at).toISOString());
    else setCancelled(core, r.id);
  }
}

export function cancelCampaign(core: Core, id: number): Campaign {
  return core.tx(() => {
    const before = getCampaign(core, id);
    stopCampaign(core, id);
    core.audit.write(core.operator(), 'cancel', 'campaigns', id, before, null);
    return getCampaign(core, id);
  });
}

/** The end announced before the window's latest extension (for an "extended" preview). */
export function lastPreviousEnd(core: Core, windowId: number): { previousEnd?: string } {
  return latestParams(core, windowId, 'extended') ?? {};
}
