/** Maintenance windows and blackout dates: storage (all SQL for them lives here). */
import type { z } from 'zod';
import type { Blackout, BlackoutFields, Window, WindowFields, WindowListInput, WindowState } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';

type Row = Record<string, unknown>;
export type WindowInput = z.output<typeof WindowFields>;

export const nowIso = (): string => new Date().toISOString();
/** Normalises any ISO instant to the stored UTC form (fixed width, so text order = time order). */
export const toUtc = (iso: string): string => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new PuestaError('INVALID_INPUT', `"${iso}" is not a valid date and time.`);
  return new Date(t).toISOString();
};
export const windowUid = (id: number): string => `window-${id}@puesta`;

function fromRow(core: Core, r: Row): Window {
  const id = r.id as number;
  const apps = core.db
    .prepare('SELECT a.id, a.name FROM window_applications wa JOIN applications a ON a.id = wa.application_id WHERE wa.window_id = ? ORDER BY a.name COLLATE NOCASE')
    .all(id) as { id: number; name: string }[];
  const srvs = core.db
    .prepare('SELECT s.id, s.name FROM window_servers ws JOIN servers s ON s.id = ws.server_id WHERE ws.window_id = ? ORDER BY s.name COLLATE NOCASE')
    .all(id) as { id: number; name: string }[];
  return {
    id,
    title: r.title as string,
    start: r.start_at as string,
    end: r.end_at as string,
    impact: r.impact as string,
    state: r.state as WindowState,
    sequence: r.sequence as number,
    uid: windowUid(id),
    linkedRunId: (r.linked_run_id as number | null) ?? null,
    notes: r.notes as string,
    applicationIds: apps.map((a) => a.id),
    applicationNames: apps.map((a) => a.name),
    serverIds: srvs.map((s) => s.id),
    serverNames: srvs.map((s) => s.name),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function findWindow(core: Core, id: number): Window | undefined {
  const r = core.db.prepare('SELECT * FROM windows WHERE id = ?').get(id) as Row | undefined;
  return r ? fromRow(core, r) : undefined;
}

export function getWindow(core: Core, id: number): Window {
  const w = findWindow(core, id);
  if (!w) throw new PuestaError('NOT_FOUND', `There is no maintenance window with id ${id}.`, { entity: 'windows', id });
  return w;
}

export function listWindows(core: Core, p: z.output<typeof WindowListInput>): { items: Window[]; total: number } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (p.from) {
    where.push('w.end_at > ?');
    args.push(toUtc(p.from));
  }
  if (p.to) {
    where.push('w.start_at < ?');
    args.push(toUtc(p.to));
  }
  if (p.state) {
    where.push('w.state = ?');
    args.push(p.state);
  }
  if (p.query?.trim()) {
    const like = '%' + p.query.trim().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    where.push("(w.title LIKE ? ESCAPE '\\' OR w.impact LIKE ? ESCAPE '\\' OR w.notes LIKE ? ESCAPE '\\')");
    args.push(like, like, like);
  }
  const w = where.length ? ' WHERE ' + where.join(' AND ') : '';
  const total = (core.db.prepare(`SELECT count(*) AS n FROM windows w${w}`).get(...args) as { n: number }).n;
  const rows = core.db.prepare(`SELECT w.* FROM windows w${w} ORDER BY w.start_at, w.id LIMIT ? OFFSET ?`).all(...args, p.limit, p.offset) as Row[];
  return { items: rows.map((r) => fromRow(core, r)), total };
}

function checkRefs(core: Core, applicationIds: number[], serverIds: number[]): void {
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
    checkRefs(core, input.applicationIds, input.serverIds);
    const ts = nowIso();
    const info = core.db
      .prepare('INSERT INTO windows (title, start_at, end_at, impact, state, sequence, linked_run_id, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)')
      .run(input.title, toUtc(input.start), toUtc(input.end), input.impact, 'draft', input.linkedRunId, input.notes, ts, ts);
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
      linkedRunId: patch.linkedRunId !== undefined ? patch.linkedRunId : before.linkedRunId,
      notes: patch.notes ?? before.notes,
      applicationIds: patch.applicationIds ?? before.applicationIds,
      serverIds: patch.serverIds ?? before.serverIds,
    };
    if (Date.parse(m.end) <= Date.parse(m.start)) throw new PuestaError('INVALID_INPUT', 'The end of the window is not after its start.', { field: 'end' });
    checkRefs(core, m.applicationIds, m.serverIds);
    const timesChanged = m.title !== before.title || m.start !== before.start || m.end !== before.end;
    core.db
      .prepare('UPDATE windows SET title = ?, start_at = ?, end_at = ?, impact = ?, linked_run_id = ?, notes = ?, sequence = sequence + ?, updated_at = ? WHERE id = ?')
      .run(m.title, m.start, m.end, m.impact, m.linkedRunId, m.notes, timesChanged ? 1 : 0, nowIso(), id);
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

// ---------------------------------------------------------------- blackouts

const blackoutFromRow = (r: Row): Blackout => ({
  id: r.id as number,
  startDate: r.start_date as string,
  endDate: r.end_date as string,
  reason: r.reason as string,
  timezone: r.timezone as string,
  createdAt: r.created_at as string,
});

export function listBlackouts(core: Core, p: { from?: string | undefined; to?: string | undefined }): Blackout[] {
  const where: string[] = [];
  const args: string[] = [];
  if (p.from) {
    where.push('end_date >= ?');
    args.push(p.from);
  }
  if (p.to) {
    where.push('start_date <= ?');
    args.push(p.to);
  }
  const w = where.length ? ' WHERE ' + where.join(' AND ') : '';
  return (core.db.prepare(`SELECT * FROM blackouts${w} ORDER BY start_date, id`).all(...args) as Row[]).map(blackoutFromRow);
}

export function createBlackout(core: Core, b: z.output<typeof BlackoutFields>): Blackout {
  return core.tx(() => {
    const info = core.db
      .prepare('INSERT INTO blackouts (start_date, end_date, reason, timezone, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(b.startDate, b.endDate, b.reason, b.timezone, nowIso());
    const after = blackoutFromRow(core.db.prepare('SELECT * FROM blackouts WHERE id = ?').get(info.lastInsertRowid) as Row);
    core.audit.write(core.operator(), 'create', 'blackouts', after.id, null, after);
    return after;
  });
}

export function deleteBlackout(core: Core, id: number): { id: number } {
  return core.tx(() => {
    const r = core.db.prepare('SELECT * FROM blackouts WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new PuestaError('NOT_FOUND', `There is no blackout with id ${id}.`);
    core.db.prepare('DELETE FROM blackouts WHERE id = ?').run(id);
    core.audit.write(core.operator(), 'delete', 'blackouts', id, blackoutFromRow(r), null);
    return { id };
  });
}
