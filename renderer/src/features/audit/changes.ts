/** What an audit entry changed, in rows a person reads: field, before, after (pure; unit-tested). */

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/** Bookkeeping fields every record has; a change of only these is not a change anyone made. */
const IGNORED = new Set(['id', 'createdAt', 'updatedAt']);

const show = (v: unknown): string => (v === undefined ? '' : v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The fields that differ between before and after (objects), or the whole value on one side when
 * the other is missing (a create, a delete, an action that records only what it did).
 */
export function changesOf(before: unknown, after: unknown): FieldChange[] {
  const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const b = obj(before);
  const a = obj(after);
  if (!b && !a) return before == null && after == null ? [] : [{ field: '', before: show(before ?? undefined), after: show(after ?? undefined) }];
  const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].filter((k) => !IGNORED.has(k));
  return keys.filter((k) => JSON.stringify(b?.[k]) !== JSON.stringify(a?.[k])).map((k) => ({ field: k, before: show(b?.[k]), after: show(a?.[k]) }));
}

/** `YYYY-MM-DD` (local) → the ISO instant that day starts, here; `nextDay` gives the following midnight (an exclusive bound). */
export function localDayStart(day: string, nextDay = false): string {
  const d = new Date(`${day}T00:00:00`);
  if (nextDay) d.setDate(d.getDate() + 1);
  return d.toISOString();
}
