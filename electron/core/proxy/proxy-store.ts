/** SQL of the proxy area: each application's driver settings, each host's live slot, and their history. */
import { PROXY_DEFAULTS, ProxySettingsFields, type ProxySettings, type SlotEvent, type Slot } from '../../../shared/contract/proxy.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper, type Row } from '../db/rows.js';

export function getSettings(core: Core, applicationId: number): ProxySettings {
  const r = core.db.prepare('SELECT settings, updated_at FROM proxy_settings WHERE application_id = ?').get(applicationId) as { settings: string; updated_at: string } | undefined;
  const fields = ProxySettingsFields.parse({ ...PROXY_DEFAULTS, ...(r ? (JSON.parse(r.settings) as object) : {}) });
  return { ...fields, applicationId, updatedAt: r?.updated_at ?? null };
}

export function saveSettings(core: Core, applicationId: number, fields: ProxySettingsFields): void {
  core.db
    .prepare(
      `INSERT INTO proxy_settings (application_id, settings, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (application_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
    )
    .run(applicationId, JSON.stringify(fields), nowIso());
}

/** A host's record: live slot, each slot's release, the green share, the old slot's warm end. */
export interface SlotRecord {
  serverId: number;
  live: Slot | null;
  since: string;
  blueRelease: string | null;
  greenRelease: string | null;
  greenWeight: number | null;
  warmUntil: string | null;
  draining: boolean;
}

const toRecord = rowMapper<SlotRecord>({ omit: ['application_id'], bool: ['draining'] });

export function slotRecords(core: Core, applicationId: number): Map<number, SlotRecord> {
  const rows = core.db.prepare('SELECT * FROM proxy_slots WHERE application_id = ?').all(applicationId) as Row[];
  return new Map(rows.map((r) => [Number(r.server_id), toRecord(r)]));
}

export type SlotChange = Partial<Omit<SlotRecord, 'serverId' | 'since'>>;

/** Updates a host's record (only the fields given); `since` moves when the live slot changes. */
export function putSlots(core: Core, applicationId: number, serverId: number, p: SlotChange, at = nowIso()): void {
  const cur = slotRecords(core, applicationId).get(serverId);
  const next = { live: null, blueRelease: null, greenRelease: null, greenWeight: null, warmUntil: null, draining: false, ...cur, ...p };
  const since = cur && cur.live === next.live && cur.greenWeight === next.greenWeight ? cur.since : at;
  core.db
    .prepare(
      `INSERT INTO proxy_slots (application_id, server_id, live, since, blue_release, green_release, green_weight, warm_until, draining) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (application_id, server_id) DO UPDATE SET live = excluded.live, since = excluded.since, blue_release = excluded.blue_release,
         green_release = excluded.green_release, green_weight = excluded.green_weight, warm_until = excluded.warm_until, draining = excluded.draining`,
    )
    .run(applicationId, serverId, next.live, since, next.blueRelease, next.greenRelease, next.greenWeight, next.warmUntil, next.draining ? 1 : 0);
}

export interface NewEvent {
  applicationId: number;
  serverId: number;
  kind: SlotEvent['kind'];
  live: Slot | null;
  greenWeight?: number | null;
  release?: string | null;
  runId?: number | null;
  operator: string;
  note?: string;
}

export function addEvent(core: Core, e: NewEvent): void {
  core.db
    .prepare('INSERT INTO proxy_events (application_id, server_id, at, kind, live, green_weight, release, run_id, operator, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(e.applicationId, e.serverId, nowIso(), e.kind, e.live, e.greenWeight ?? null, e.release ?? null, e.runId ?? null, e.operator, e.note ?? '');
}

const toEvent = rowMapper<Omit<SlotEvent, 'weights'> & { greenWeight: number | null }>({ omit: ['application_id'] });

export function listEvents(core: Core, applicationId: number, limit: number): SlotEvent[] {
  const rows = core.db
    .prepare(`SELECT e.*, s.name AS server_name FROM proxy_events e JOIN servers s ON s.id = e.server_id WHERE e.application_id = ? ORDER BY e.id DESC LIMIT ?`)
    .all(applicationId, limit) as Row[];
  return rows.map((r) => {
    const { greenWeight, ...e } = toEvent(r);
    return { ...e, weights: greenWeight == null ? null : { blue: 100 - greenWeight, green: greenWeight } };
  });
}
