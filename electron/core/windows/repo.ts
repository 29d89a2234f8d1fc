/** Maintenance windows and blackout dates: storage (all SQL on their tables lives here). */
import type { z } from 'zod';
import type { Blackout, BlackoutFields, Window, WindowFields, WindowListInput, WindowState } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, pageOf, rowMapper, Where, type Row } from '../db/rows.js';

export type WindowInput = z.output<typeof WindowFields>;

/** Normalises any ISO instant to the stored UTC form (fixed width, so text order = time order). */
export const toUtc = (iso: string): string => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new PuestaError('INVALID_INPUT', `"${iso}" is not a valid date and time.`);
  return new Date(t).toISOString();
};
export const windowUid = (id: number): string => `window-${id}@puesta`;

// ---------------------------------------------------------------- scope (applications and servers)

/** What a window names: its applications and its servers (ids, unordered), and the one environment it is limited to. */
export interface WindowScope {
  applicationIds: number[];
  serverIds: number[];
  environmentId: number | null;
}

/** The applications and servers of one window (empty lists for an unknown id). */
export function windowScope(core: Core, id: number): WindowScope {
  return windowScopes(core, [id]).get(id) ?? { applicationIds: [], serverIds: [], environmentId: null };
}

/** The scopes of many windows in two queries; every asked id is in the map. */
export function windowScopes(core: Core, ids: readonly number[]): Map<number, WindowScope> {
  const out = new Map<number, WindowScope>(ids.map((id) => [id, { applicationIds: [], serverIds: [], environmentId: null }]));
  if (!ids.length) return out;
  const json = JSON.stringify(ids);
  const envs = core.db.prepare('SELECT id, environment_id FROM windows WHERE id IN (SELECT value FROM json_each(?)) AND environment_id IS NOT NULL').raw().all(json) as [number, number][];
  for (const [w, e] of envs) out.get(w)!.environmentId = e;
  const apps = core.db.prepare('SELECT window_id, application_id FROM window_applications WHERE window_id IN (SELECT value FROM json_each(?))').raw().all(json) as [number, number][];
  for (const [w, a] of apps) out.get(w)!.applicationIds.push(a);
  const srvs = core.db.prepare('SELECT window_id, server_id FROM window_servers WHERE window_id IN (SELECT value FROM json_each(?))').raw().all(json) as [number, number][];
  for (const [w, s] of srvs) out.get(w)!.serverIds.push(s);
  return out;
}

/** Start and end (UTC ISO) of a window, or undefined when there is no such window. */
export function windowSpan(core: Core, id: number): { start: string; end: string } | undefined {
  return core.db.prepare('SELECT start_at AS start, end_at AS end FROM windows WHERE id = ?').get(id) as { start: string; end: string } | undefined;
}

/** Spans of many windows in one query (unknown ids are absent). */
export function windowSpans(core: Core, ids: readonly number[]): Map<number, { start: string; end: string }> {
  const rows = core.db.prepare('SELECT id, start_at, end_at FROM windows WHERE id IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(ids)) as [number, string, string][];
  return new Map(rows.map(([id, start, end]) => [id, { start, end }]));
}

// ---------------------------------------------------------------- windows

type WindowRow = Omit<Window, 'uid' | 'applicationIds' | 'applicationNames' | 'serverIds' | 'serverNames'>;
const windowRow = rowMapper<WindowRow>({ rename: { start_at: 'start', end_at: 'end' }, json: ['impacts'] });

/** Rows → windows, with the named applications and servers of all of them read in two queries. */
function withLinks(core: Core, rows: Row[]): Window[] {
  const ids = JSON.stringify(rows.map((r) => r.id));
  const linked = (sql: string): Map<number, { id: number; name: string }[]> => {
    const m = new Map<number, { id: number; name: string }[]>();
    for (const [w, id, name] of core.db.prepare(sql).raw().all(ids) as [number, number, string][]) {
      let l = m.get(w);
      if (!l) m.set(w, (l = []));
      l.push({ id, name });
    }
    return m;
  };
  const apps = linked(
    'SELECT wa.window_id, a.id, a.name FROM window_applications wa JOIN applications a ON a.id = wa.application_id WHERE wa.window_id IN (SELECT value FROM json_each(?)) ORDER BY a.name COLLATE NOCASE',
  );
  const srvs = linked(
    'SELECT ws.window_id, s.id, s.name FROM window_servers ws JOIN servers s ON s.id = ws.server_id WHERE ws.window_id IN (SELECT value FROM json_each(?)) ORDER BY s.name COLLATE NOCASE',
  );
  return rows.map((r) => {
    const w = windowRow(r);
    const a = apps.get(w.id) ?? [];
    const s = srvs.get(w.id) ?? [];
    return {
      ...w,
      uid: windowUid(w.id),
      applicationIds: a.map((x) => x.id),
      applicationNames: a.map((x) => x.name),
      serverIds: s.map((x) => x.id),
      serverNames: s.map((x) => x.name),
    };
  });
}

export function findWindow(core: Core, id: number): Window | undefined {
  const r = core.db.prepare('SELECT * FROM windows WHERE id = ?').get(id) as Row | undefined;
  return r ? withLinks(core, [r])[0] : undefined;
}

export const noSuchWindow = (id: number): PuestaError => new PuestaError('NOT_FOUND', `There is no maintenance window with id ${id}.`, { entity: 'windows', id });

export function getWindow(core: Core, id: number): Window {
  const w = findWindow(core, id);
  if (!w) throw noSuchWindow(id);
  return w;
}

export function listWindows(core: Core, p: z.output<typeof WindowListInput>): { items: Window[]; total: number } {
  const where = new Where()
    .when(p.from && toUtc(p.from), 'w.end_at > ?')
    .when(p.to && toUtc(p.to), 'w.start_at < ?')
    .when(p.state, 'w.state = ?')
    .search(p.query, ['w.title', 'w.impact', 'w.notes']);
  const page = pageOf(core.db, { select: 'SELECT w.* FROM windows w', where, orderBy: 'w.start_at, w.id', limit: p.limit, offset: p.offset, map: (r) => r });
  return { items: withLinks(core, page.items), total: page.total };
}

/** A live window (neither cancelled nor done), as the conflict checks see it. */
export interface LiveWindow {
  id: number;
  title: string;
  start: string;
  end: string;
}

/** Live windows overlapping [start, end) in time, except `excludeId`, by start. */
export function liveWindowsOverlapping(core: Core, start: string, end: string, excludeId: number | null): LiveWindow[] {
  return core.db
    .prepare("SELECT id, title, start_at AS start, end_at AS end FROM windows WHERE start_at < ? AND end_at > ? AND state NOT IN ('cancelled', 'done') AND id <> ? ORDER BY start_at")
    .all(end, start, excludeId ?? -1) as LiveWindow[];
}

function checkRefs(core: Core, applicationIds: number[], serverIds: number[], environmentId: number | null): void {
  if (environmentId !== null && !core.db.prepare('SELECT 1 FROM environments WHERE id = ?').get(environmentId)) {
    throw new PuestaError('INVALID_INPUT', `There is no environment with id ${environmentId}.`, { field: 'environmentId' });
  }
  const missing = (table: string, ids: number[]): number[] => {
    if (!ids.length) return [];
    const found = new Set(
      (core.db.prepare(`SELECT id FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as { id: number }[]).map((r) => r.id),
    );
    return ids.filter((i) => !found.has(i));
  };
  const ma = missing('applications', applicationIds);
  if (ma.length) throw new PuestaError('INVALID_INPUT', `There is no application with id ${ma.join(', ')}.`, { field: 'applicationIds' });
  const ms = missing('servers', serverIds);
  if (ms.length) throw new PuestaError('INVALID_INPUT', `There is no server with id ${ms.join(', ')}.`, { field: 'serverIds' });
}

function writeLinks(core: Core, id: number, applicationIds: number[], serverIds: number[]): void {
  core.db.prepare('DELETE FROM window_applications WHERE window_id = ?').run(id);
  core.db.prepare('DELETE FROM window_servers WHERE window_id = ?').run(id);
  const ia = core.db.prepare('INSERT INTO window_applications (window_id, application_id) VALUES (?, ?)');
  for (const a of new Set(applicationIds)) ia.run(id, a);
  const is = core.db.prepare('INSERT INTO window_servers (window_id, server_id) VALUES (?, ?)');
  for (const s of new Set(serverIds)) is.run(id, s);
}

export function createWindow(core: Core, input: WindowInput): Window {
  return core.tx(() => {
    checkRefs(core, input.applicationIds, input.serverIds, input.environmentId);
    const ts = nowIso();
    const info = core.db
      .prepare(
        'INSERT INTO windows (title, start_at, end_at, impact, impacts, state, sequence, linked_run_id, environment_id, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)',
      )
      .run(input.title, toUtc(input.start), toUtc(input.end), input.impact, JSON.stringify(input.impacts), 'draft', input.linkedRunId, input.environmentId, input.notes, ts, ts);
    const id = Number(info.lastInsertRowid);
    writeLinks(core, id, input.applicationIds, input.serverIds);
    const after = getWindow(core, id);
    core.audit.write(core.operator(), 'create', 'windows', id, null, after);
    return after;
  });
}

/** Writes a merged window; returns before/after and whether the ICS-visible fields changed. */
export function updateWindow(core: Core, id: number, patch: Partial<WindowInput>): { before: Window; after: Window; timesChanged: boolean } {
  return core.tx(() => {
    const before = getWindow(core, id);
    if (before.state === 'done' || before.state === 'cancelled') {
      throw new PuestaError('PRECONDITION_FAILED', `Window "${before.title}" is ${before.state}; it can no longer be changed. Plan a new window instead.`);
    }
    const m = {
      title: patch.title ?? before.title,
      start: toUtc(patch.start ?? before.start),
      end: toUtc(patch.end ?? before.end),
      impact: patch.impact ?? before.impact,
      impacts: patch.impacts ?? before.impacts,
      linkedRunId: patch.linkedRunId !== undefined ? patch.linkedRunId : before.linkedRunId,
      environmentId: patch.environmentId !== undefined ? patch.environmentId : before.environmentId,
      notes: patch.notes ?? before.notes,
      applicationIds: patch.applicationIds ?? before.applicationIds,
      serverIds: patch.serverIds ?? before.serverIds,
    };
    if (Date.parse(m.end) <= Date.parse(m.start)) throw new PuestaError('INVALID_INPUT', 'The end of the window is not after its start.', { field: 'end' });
    checkRefs(core, m.applicationIds, m.serverIds, m.environmentId);
    const timesChanged = m.title !== before.title || m.start !== before.start || m.end !== before.end;
    core.db
      .prepare(
        'UPDATE windows SET title = ?, start_at = ?, end_at = ?, impact = ?, impacts = ?, linked_run_id = ?, environment_id = ?, notes = ?, sequence = sequence + ?, updated_at = ? WHERE id = ?',
      )
      .run(m.title, m.start, m.end, m.impact, JSON.stringify(m.impacts), m.linkedRunId, m.environmentId, m.notes, timesChanged ? 1 : 0, nowIso(), id);
    writeLinks(core, id, m.applicationIds, m.serverIds);
    const after = getWindow(core, id);
    core.audit.write(core.operator(), 'update', 'windows', id, before, after);
    return { before, after, timesChanged };
  });
}

export function setWindowState(core: Core, id: number, state: WindowState, newEnd?: string): Window {
  return core.tx(() => {
    const before = getWindow(core, id);
    if (newEnd) core.db.prepare('UPDATE windows SET state = ?, end_at = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?').run(state, toUtc(newEnd), nowIso(), id);
    else core.db.prepare('UPDATE windows SET state = ?, updated_at = ? WHERE id = ?').run(state, nowIso(), id);
    const after = getWindow(core, id);
    core.audit.write(core.operator(), `transition:${state}`, 'windows', id, { state: before.state, end: before.end }, { state: after.state, end: after.end });
    return after;
  });
}

export function deleteWindow(core: Core, id: number): { id: number } {
  return core.tx(() => {
    const before = getWindow(core, id);
    const sent = (core.db.prepare('SELECT count(*) AS n FROM outbox o JOIN campaigns c ON c.id = o.campaign_id WHERE c.window_id = ?').get(id) as { n: number }).n;
    if (sent > 0 || before.state !== 'draft') {
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `Window "${before.title}" has been announced (${sent} notice${sent === 1 ? '' : 's'} in the outbox); cancel it instead of deleting it, so its audience is told.`,
      );
    }
    core.db.prepare('DELETE FROM windows WHERE id = ?').run(id);
    core.audit.write(core.operator(), 'delete', 'windows', id, before, null);
    return { id };
  });
}

// ---------------------------------------------------------------- windows ↔ runs

/** A window tied to a run, as the run link follows it. */
export interface LinkedWindow {
  id: number;
  state: WindowState;
  end: string;
}

export function windowsLinkedTo(core: Core, runId: number): LinkedWindow[] {
  return core.db.prepare('SELECT id, state, end_at AS end FROM windows WHERE linked_run_id = ?').all(runId) as LinkedWindow[];
}

/** Unlinked windows of the application, announced or under way, that span [from, to]: candidates for a starting run. */
export function linkableWindows(core: Core, applicationId: number, from: string, to: string): number[] {
  return (
    core.db
      .prepare(
        `SELECT w.id FROM windows w JOIN window_applications wa ON wa.window_id = w.id
          WHERE wa.application_id = ? AND w.linked_run_id IS NULL AND w.state IN ('announced', 'in_progress', 'extended')
            AND w.start_at <= ? AND w.end_at >= ?`,
      )
      .raw()
      .all(applicationId, from, to) as [number][]
  ).map(([id]) => id);
}

/** Ties a window to a run unless it is already tied to one. */
export function linkWindowToRun(core: Core, id: number, runId: number, at: string): void {
  core.db.prepare('UPDATE windows SET linked_run_id = ?, updated_at = ? WHERE id = ? AND linked_run_id IS NULL').run(runId, at, id);
}

// ---------------------------------------------------------------- blackouts

const blackoutRow = rowMapper<Blackout>();

export function listBlackouts(core: Core, p: { from?: string | undefined; to?: string | undefined }): Blackout[] {
  const w = new Where().when(p.from, 'end_date >= ?').when(p.to, 'start_date <= ?');
  return (core.db.prepare(`SELECT * FROM blackouts${w.sql} ORDER BY start_date, id`).all(...w.args) as Row[]).map(blackoutRow);
}

/** Blackouts meeting the days [fromDate, toDate] (YYYY-MM-DD). */
export function blackoutsMeeting(core: Core, fromDate: string, toDate: string): Omit<Blackout, 'createdAt'>[] {
  return (core.db.prepare('SELECT id, start_date, end_date, reason, timezone FROM blackouts WHERE start_date <= ? AND end_date >= ?').all(toDate, fromDate) as Row[]).map(
    blackoutRow,
  );
}

export function createBlackout(core: Core, b: z.output<typeof BlackoutFields>): Blackout {
  return core.tx(() => {
    const info = core.db
      .prepare('INSERT INTO blackouts (start_date, end_date, reason, timezone, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(b.startDate, b.endDate, b.reason, b.timezone, nowIso());
    const after = blackoutRow(core.db.prepare('SELECT * FROM blackouts WHERE id = ?').get(info.lastInsertRowid) as Row);
    core.audit.write(core.operator(), 'create', 'blackouts', after.id, null, after);
    return after;
  });
}

export function deleteBlackout(core: Core, id: number): { id: number } {
  return core.tx(() => {
    const r = core.db.prepare('SELECT * FROM blackouts WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new PuestaError('NOT_FOUND', `There is no blackout with id ${id}.`);
    core.db.prepare('DELETE FROM blackouts WHERE id = ?').run(id);
    core.audit.write(core.operator(), 'delete', 'blackouts', id, blackoutRow(r), null);
    return { id };
  });
}
