/**
 * Typed rows: one mapper from a SQLite row (snake_case columns) to a contract object (camelCase
 * fields), instead of a hand-written `r.x_y as T` copy per table, and one WHERE/paging builder.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './connection.js';

export type Row = Record<string, unknown>;

export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const nowIso = (): string => new Date().toISOString();

export interface RowSpec {
  /** column → field name, where the field is not simply the camelCase of the column. */
  rename?: Readonly<Record<string, string>>;
  /** columns holding JSON text (null stays null). */
  json?: readonly string[];
  /** columns holding 0/1, read as booleans. */
  bool?: readonly string[];
  /** columns left out of the object. */
  omit?: readonly string[];
}

/**
 * A mapper row → T. Every column becomes its camelCase field (or `rename`d), JSON and boolean
 * columns are converted, `omit`ted ones dropped; SQL NULL stays null. The type T is the caller's
 * promise about the SELECT; keep the SELECT and T side by side in the store.
 */
export function rowMapper<T>(spec: RowSpec = {}): (row: Row) => T {
  const json = new Set(spec.json ?? []);
  const bool = new Set(spec.bool ?? []);
  const omit = new Set(spec.omit ?? []);
  const names = new Map<string, string>();
  const nameOf = (col: string): string => {
    let n = names.get(col);
    if (n === undefined) {
      n = spec.rename?.[col] ?? camel(col);
      names.set(col, n);
    }
    return n;
  };
  return (row: Row): T => {
    const out: Row = {};
    for (const col in row) {
      if (omit.has(col)) continue;
      let v = row[col];
      if (v !== null && v !== undefined) {
        if (json.has(col)) v = JSON.parse(v as string);
        else if (bool.has(col)) v = v === 1 || v === true;
      }
      out[nameOf(col)] = v ?? null;
    }
    return out as T;
  };
}

/** Escapes a user's text for `LIKE ? ESCAPE '\'` and wraps it in %…%. */
export const likePattern = (q: string): string => '%' + q.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';

/** A WHERE clause built from optional conditions: `w.when(p.state, 't.state = ?')`. */
export class Where {
  private readonly parts: string[] = [];
  readonly args: unknown[] = [];

  /** Adds a condition with its arguments. */
  add(cond: string, ...args: unknown[]): this {
    this.parts.push(cond);
    this.args.push(...args);
    return this;
  }

  /** Adds `cond` with `value` as its one argument, only when value is set (not undefined/null/''/0-id). */
  when(value: unknown, cond: string): this {
    if (value === undefined || value === null || value === '') return this;
    return this.add(cond, value);
  }

  /** Adds a LIKE search over several expressions (OR), only when the text is not blank. */
  search(text: string | undefined, exprs: readonly string[]): this {
    const q = text?.trim();
    if (!q || !exprs.length) return this;
    const like = likePattern(q);
    return this.add('(' + exprs.map((e) => `${e} LIKE ? ESCAPE '\\'`).join(' OR ') + ')', ...exprs.map(() => like));
  }

  /** ' WHERE a AND b', or '' when there is no condition. */
  get sql(): string {
    return this.parts.length ? ' WHERE ' + this.parts.join(' AND ') : '';
  }

  /** A copy, to add a condition for one query only (e.g. the listed page but not the counts). */
  clone(): Where {
    const w = new Where();
    w.parts.push(...this.parts);
    w.args.push(...this.args);
    return w;
  }
}

export interface PageQuery<T> {
  /** `SELECT … FROM t [JOIN …]` without WHERE. */
  select: string;
  /** `FROM t [JOIN …]` for the count (defaults to the FROM part of `select`). */
  from?: string;
  where: Where;
  /** ORDER BY expression(s), trusted (never from input unless mapped through an allow-list). */
  orderBy: string;
  limit: number;
  offset: number;
  map: (row: Row) => T;
}

/** One page and the total count, with the same WHERE. */
export function pageOf<T>(db: Db, q: PageQuery<T>): { items: T[]; total: number } {
  const from = q.from ?? q.select.slice(q.select.search(/\bFROM\b/i));
  const total = (db.prepare(`SELECT count(*) AS n ${from}${q.where.sql}`).get(...q.where.args) as { n: number }).n;
  const rows = db.prepare(`${q.select}${q.where.sql} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`).all(...q.where.args, q.limit, q.offset) as Row[];
  return { items: rows.map(q.map), total };
}

const statements = new WeakMap<Db, Map<string, Statement>>();

/**
 * `db.prepare(sql)`, compiled once per connection: for the hot paths (a run's cell updates and log
 * batches, many per host and step) compiling the SQL again on each call was a good part of the
 * laptop's CPU per host. Only for plain statements (no `.pluck()`/`.raw()` mode changes: they would
 * stick to the shared statement).
 */
export function prepared(db: Db, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}
