/** The SQL of campaigns (one notice of one window, due at a time) and of stopping their queued rows. */
import type { NoticeKind } from '../../../shared/contract/notices.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper } from '../db/rows.js';

export interface CampaignParams {
  previousEnd?: string;
  /** While materialising: the last contact id written. */
  cursor?: number;
}

/** A campaign as stored (state is the storage state: scheduled, materialising, materialised, cancelled). */
export interface CampaignRow {
  id: number;
  windowId: number;
  windowTitle: string;
  kind: NoticeKind;
  offsetHours: number | null;
  scheduledAt: string;
  state: string;
  params: CampaignParams;
  createdAt: string;
}

const SELECT = 'SELECT c.id, c.window_id, w.title AS window_title, c.kind, c.offset_hours, c.scheduled_at, c.state, c.params, c.created_at FROM campaigns c JOIN windows w ON w.id = c.window_id';
const toCampaign = rowMapper<CampaignRow>({ json: ['params'] });

export function campaignRows(core: Core, windowId?: number): CampaignRow[] {
  const rows = core.db.prepare(`${SELECT}${windowId ? ' WHERE c.window_id = ?' : ''} ORDER BY c.scheduled_at, c.id`).all(...(windowId ? [windowId] : [])) as Record<string, unknown>[];
  return rows.map(toCampaign);
}

export function campaignRow(core: Core, id: number): CampaignRow | undefined {
  const r = core.db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as Record<string, unknown> | undefined;
  return r && toCampaign(r);
}

export function insertCampaign(core: Core, windowId: number, kind: NoticeKind, scheduledAt: string, offsetHours: number | null, params: CampaignParams): number {
  const ts = nowIso();
  const info = core.db
    .prepare('INSERT INTO campaigns (window_id, kind, offset_hours, scheduled_at, state, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(windowId, kind, offsetHours, scheduledAt, 'scheduled', JSON.stringify(params), ts, ts);
  return Number(info.lastInsertRowid);
}

/** Cancels a window's announcement and reminders that are not due yet. */
export function cancelScheduledAnnouncements(core: Core, windowId: number): void {
  core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE window_id = ? AND state = 'scheduled' AND kind IN ('announce', 'reminder')").run(nowIso(), windowId);
}

/** Whether a campaign of the window (of this kind, if given) has started going out. */
export function hasMaterialised(core: Core, windowId: number, kind?: NoticeKind): boolean {
  const sql = "SELECT 1 FROM campaigns WHERE window_id = ? AND state IN ('materialising', 'materialised')";
  return !!(kind ? core.db.prepare(`${sql} AND kind = ?`).get(windowId, kind) : core.db.prepare(sql).get(windowId));
}

/** A draft window becomes announced (the window's audit entry is the caller's). */
export function markWindowAnnounced(core: Core, windowId: number): void {
  core.db.prepare("UPDATE windows SET state = 'announced', updated_at = ? WHERE id = ?").run(nowIso(), windowId);
}

export function scheduledReminders(core: Core, windowId: number): { id: number; offsetHours: number }[] {
  return core.db.prepare("SELECT id, offset_hours AS offsetHours FROM campaigns WHERE window_id = ? AND state = 'scheduled' AND kind = 'reminder'").all(windowId) as {
    id: number;
    offsetHours: number;
  }[];
}

export function setScheduledAt(core: Core, id: number, at: string): void {
  core.db.prepare('UPDATE campaigns SET scheduled_at = ?, updated_at = ? WHERE id = ?').run(at, nowIso(), id);
}

export function setCancelled(core: Core, id: number): void {
  core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE id = ?").run(nowIso(), id);
}

/** Stops a window's pending notices (of these kinds, if given): scheduled campaigns cancelled, queued messages failed with `reason`. */
export function stopPending(core: Core, windowId: number, reason: string, kinds: NoticeKind[] | null = null): void {
  const ts = nowIso();
  const kindSql = kinds ? ` AND kind IN (${kinds.map(() => '?').join(', ')})` : '';
  core.db.prepare(`UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE window_id = ? AND state IN ('scheduled', 'materialising')${kindSql}`).run(ts, windowId, ...(kinds ?? []));
  core.db
    .prepare(`UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE state = 'queued' AND campaign_id IN (SELECT id FROM campaigns WHERE window_id = ?${kindSql})`)
    .run(reason, ts, windowId, ...(kinds ?? []));
}

/** One campaign cancelled by the operator, its queued rows failed. */
export function stopCampaign(core: Core, id: number): void {
  const ts = nowIso();
  core.db.prepare("UPDATE campaigns SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('scheduled', 'materialising')").run(ts, id);
  core.db.prepare("UPDATE outbox SET state = 'failed', last_error = 'cancelled by the operator', updated_at = ? WHERE campaign_id = ? AND state = 'queued'").run(ts, id);
}

/** The parameters of the window's latest campaign of this kind. */
export function latestParams(core: Core, windowId: number, kind: NoticeKind): CampaignParams | undefined {
  const r = core.db.prepare('SELECT params FROM campaigns WHERE window_id = ? AND kind = ? ORDER BY id DESC LIMIT 1').get(windowId, kind) as { params: string } | undefined;
  return r && (JSON.parse(r.params) as CampaignParams);
}

// ---------------------------------------------------------------- materialisation and rendering

/** A campaign as materialisation and rendering read it. */
export interface DueCampaign {
  id: number;
  windowId: number;
  kind: NoticeKind;
  offsetHours: number | null;
  params: CampaignParams;
  state: string;
}
const toDue = rowMapper<DueCampaign>({ json: ['params'] });
const DUE_COLUMNS = 'id, window_id, kind, offset_hours, params, state';

export function dueCampaigns(core: Core, iso: string): DueCampaign[] {
  return (core.db.prepare(`SELECT ${DUE_COLUMNS} FROM campaigns WHERE state IN ('scheduled', 'materialising') AND scheduled_at <= ? ORDER BY scheduled_at, id`).all(iso) as Record<string, unknown>[]).map(toDue);
}

/** The campaign if it is still to be materialised (read inside the writing transaction). */
export function pendingCampaign(core: Core, id: number): DueCampaign | undefined {
  const r = core.db.prepare(`SELECT ${DUE_COLUMNS} FROM campaigns WHERE id = ? AND state IN ('scheduled', 'materialising')`).get(id) as Record<string, unknown> | undefined;
  return r && toDue(r);
}

export function campaignForRender(core: Core, id: number): DueCampaign | undefined {
  const r = core.db.prepare(`SELECT ${DUE_COLUMNS} FROM campaigns WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
  return r && toDue(r);
}

export function setMaterialising(core: Core, id: number, params: CampaignParams, ts: string): void {
  core.db.prepare("UPDATE campaigns SET state = 'materialising', params = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(params), ts, id);
}

export function setMaterialised(core: Core, id: number, params: CampaignParams, ts: string): void {
  core.db.prepare("UPDATE campaigns SET state = 'materialised', params = ?, materialised_at = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(params), ts, ts, id);
}
