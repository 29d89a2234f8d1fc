/** SQL of the proxy area: each application's driver settings, each host's live slot, and their history. */
import { PROXY_DEFAULTS, ProxySettingsFields, type Experiment, type ExperimentStep, type ProxySettings, type SlotEvent, type Slot } from '../../../shared/contract/proxy.js';
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

/**
 * Updates a host's record (only the fields given); `since` moves when the live slot changes. The
 * application's placements on that server follow the live slot (`placements.slot`): what the
 * inventory shows is what the proxy serves, as last switched or read back (the server wins).
 */
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
  if (cur?.live !== next.live) {
    core.db.prepare('UPDATE placements SET slot = ?, updated_at = ? WHERE application_id = ? AND server_id = ?').run(next.live, at, applicationId, serverId);
  }
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

// ---------------------------------------------------------------- A/B experiments

const toExperiment = rowMapper<Omit<Experiment, 'steps'>>({ omit: ['application_id'] });
const toStep = rowMapper<ExperimentStep>({ omit: ['id', 'experiment_id'] });

/** The experiment of that application × environment still running, if any. */
export function openExperiment(core: Core, applicationId: number, environmentId: number): number | null {
  const r = core.db.prepare('SELECT id FROM ab_experiments WHERE application_id = ? AND environment_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1').get(applicationId, environmentId) as { id: number } | undefined;
  return r?.id ?? null;
}

export function startExperiment(core: Core, e: { applicationId: number; environmentId: number; blueRelease: string | null; greenRelease: string | null; operator: string }): number {
  return Number(
    core.db
      .prepare('INSERT INTO ab_experiments (application_id, environment_id, blue_release, green_release, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.applicationId, e.environmentId, e.blueRelease, e.greenRelease, nowIso(), e.operator).lastInsertRowid,
  );
}

export function addWeightStep(core: Core, experimentId: number, s: { green: number; operator: string; reason: string }): void {
  core.db.prepare('INSERT INTO ab_weights (experiment_id, at, green, operator, reason) VALUES (?, ?, ?, ?, ?)').run(experimentId, nowIso(), s.green, s.operator, s.reason);
}

export function endExperiment(core: Core, experimentId: number, operator: string, note: string): void {
  core.db.prepare('UPDATE ab_experiments SET ended_at = ?, ended_by = ?, end_note = ? WHERE id = ? AND ended_at IS NULL').run(nowIso(), operator, note, experimentId);
}

/** An application's experiments, newest first, each with its weight steps in order. */
export function listExperiments(core: Core, applicationId: number, limit: number): Experiment[] {
  const rows = core.db
    .prepare('SELECT x.*, e.name AS environment_name FROM ab_experiments x JOIN environments e ON e.id = x.environment_id WHERE x.application_id = ? ORDER BY x.id DESC LIMIT ?')
    .all(applicationId, limit) as Row[];
  const steps = core.db.prepare('SELECT * FROM ab_weights WHERE experiment_id = ? ORDER BY id');
  return rows.map((r) => ({ ...toExperiment(r), steps: (steps.all(r.id) as Row[]).map(toStep) }));
}
