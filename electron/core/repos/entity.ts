import { PuestaError } from '../../../shared/errors.js';
import type { EntityName } from '../../../shared/contract/inventory.js';
import type { Db } from '../db/connection.js';
import { nowIso, pageOf, prepared, rowMapper, snake, Where, type Row } from '../db/rows.js';
import type { Audit } from './audit.js';

/** How one inventory entity maps to SQL. Every entity shares the same CRUD code (EntityRepo). */
export interface EntityDef {
  entity: EntityName;
  /** Singular, for messages: "server". */
  label: string;
  table: string;
  /** SELECT … FROM <table> t [JOIN …]; rows are read through it (joins add derived *_name fields). */
  select: string;
  /** Writable fields (camelCase); the column is the snake_case of the field. */
  fields: readonly string[];
  json?: readonly string[];
  bool?: readonly string[];
  /** SQL expressions matched with LIKE by `query`. */
  search: readonly string[];
  /** field → SQL expression allowed in ORDER BY. */
  sortable: Readonly<Record<string, string>>;
  /** list filter field → SQL expression compared with = (or a full condition taking one ?). */
  filters?: Readonly<Record<string, string>>;
  /** fields that reference another entity: field → [table, label]. Checked to give a clear error. */
  foreignKeys?: Readonly<Record<string, readonly [string, string]>>;
  /** Rows elsewhere that keep this one from being deleted: [table, column, label]. */
  referencedBy?: readonly (readonly [string, string, string])[];
  /** many-to-many kept in a link table, exposed as an id array. */
  link?: { field: string; table: string; self: string; other: string; otherTable: string; otherLabel: string };
  /** Human name of a record, for messages and audit. */
  display: (r: Record<string, unknown>) => string;
  /** unique fields, for a clear CONFLICT message. */
  unique?: readonly string[];
}

export interface ListParams {
  query?: string | undefined;
  limit: number;
  offset: number;
  sort?: string | undefined;
  desc?: boolean | undefined;
  [filter: string]: unknown;
}

/**
 * CRUD of one inventory entity, typed by its record `T` (the contract type: `EntityRepo<Server>`).
 * Inputs are plain records already validated against the entity's schema; outputs are `T`.
 */
export class EntityRepo<T extends Row = Row> {
  private readonly mapRow: (row: Row) => Row;

  constructor(
    private readonly db: Db,
    readonly def: EntityDef,
    private readonly audit: Audit,
  ) {
    this.mapRow = rowMapper<Row>({ json: (def.json ?? []).map(snake), bool: (def.bool ?? []).map(snake) });
  }

  private fromRow(row: Row): T {
    const out = this.mapRow(row);
    if (this.def.link) out[this.def.link.field] = this.linkedIds(row.id as number);
    return out as T;
  }

  private toParams(rec: Row): Row {
    const out: Row = {};
    for (const f of this.def.fields) {
      const v = rec[f];
      if (this.def.json?.includes(f)) out[f] = v == null ? null : JSON.stringify(v);
      else if (this.def.bool?.includes(f)) out[f] = v ? 1 : 0;
      else out[f] = v === undefined ? null : v;
    }
    return out;
  }

  private linkedIds(id: number): number[] {
    const l = this.def.link!;
    return (this.db.prepare(`SELECT ${l.other} AS v FROM ${l.table} WHERE ${l.self} = ? ORDER BY ${l.other}`).all(id) as { v: number }[]).map((r) => r.v);
  }

  list(p: ListParams): { items: T[]; total: number } {
    const where = new Where().search(p.query, this.def.search);
    for (const [f, expr] of Object.entries(this.def.filters ?? {})) {
      if (p[f] !== undefined) where.add(expr.includes('?') ? expr : `${expr} = ?`, p[f]);
    }
    const order = p.sort && this.def.sortable[p.sort] ? this.def.sortable[p.sort] : this.def.sortable.name ?? 't.id';
    return pageOf(this.db, {
      select: this.def.select,
      where,
      orderBy: `${order} ${p.desc ? 'DESC' : 'ASC'}, t.id ASC`,
      limit: p.limit,
      offset: p.offset,
      map: (r) => this.fromRow(r),
    });
  }

  find(id: number): T | undefined {
    const row = prepared(this.db, `${this.def.select} WHERE t.id = ?`).get(id) as Row | undefined;
    return row ? this.fromRow(row) : undefined;
  }

  get(id: number): T {
    const r = this.find(id);
    if (!r) throw new PuestaError('NOT_FOUND', `There is no ${this.def.label} with id ${id}.`, { entity: this.def.entity, id });
    return r;
  }

  /**
   * The id of the record whose fields equal `key` (a natural key, for imports), compared as the
   * columns collate, or case-insensitively with `nocase`.
   */
  idByKey(key: Row, nocase = false): number | undefined {
    const fields = Object.keys(key);
    const cond = fields.map((f) => `t.${snake(f)} = ?${nocase ? ' COLLATE NOCASE' : ''}`).join(' AND ');
    const row = this.db.prepare(`SELECT t.id FROM ${this.def.table} t WHERE ${cond}`).get(...fields.map((f) => key[f])) as { id: number } | undefined;
    return row?.id;
  }

  private checkForeignKeys(rec: Row): void {
    for (const [f, [table, label]] of Object.entries(this.def.foreignKeys ?? {})) {
      const v = rec[f];
      if (v == null) continue;
      if (!this.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(v)) {
        throw new PuestaError('INVALID_INPUT', `There is no ${label} with id ${String(v)}.`, { field: f });
      }
    }
    const l = this.def.link;
    if (l) {
      for (const v of (rec[l.field] as number[] | undefined) ?? []) {
        if (!this.db.prepare(`SELECT 1 FROM ${l.otherTable} WHERE id = ?`).get(v)) {
          throw new PuestaError('INVALID_INPUT', `There is no ${l.otherLabel} with id ${v}.`, { field: l.field });
        }
      }
    }
  }

  private checkUnique(rec: Row, selfId?: number): void {
    for (const u of this.def.unique ?? []) {
      const cols = u.split('+');
      const cond = cols.map((c) => `${snake(c)} = ?`).join(' AND ');
      const hit = this.db
        .prepare(`SELECT id FROM ${this.def.table} WHERE ${cond}${selfId ? ' AND id <> ?' : ''}`)
        .get(...cols.map((c) => rec[c]), ...(selfId ? [selfId] : [])) as { id: number } | undefined;
      if (hit) {
        // in the operator's words: the clashing value, or the record it clashes with (never an internal id)
        const a = /^[aeiou]/i.test(this.def.label) ? 'An' : 'A';
        const what =
          cols.length === 1
            ? `${cols[0] === 'name' ? 'named' : `with ${cols[0]}`} "${String(rec[cols[0]!])}"`
            : `with the same ${cols.map((c) => c.replace(/Id$/, '')).join(', ')} ("${this.def.display(this.get(hit.id))}")`;
        throw new PuestaError('CONFLICT', `${a} ${this.def.label} ${what} already exists.`, { field: cols[cols.length - 1], id: hit.id });
      }
    }
  }

  private writeLinks(id: number, rec: Row): void {
    const l = this.def.link;
    if (!l || !(l.field in rec)) return;
    this.db.prepare(`DELETE FROM ${l.table} WHERE ${l.self} = ?`).run(id);
    const ins = this.db.prepare(`INSERT INTO ${l.table} (${l.self}, ${l.other}) VALUES (?, ?)`);
    for (const v of new Set(rec[l.field] as number[])) ins.run(id, v);
  }

  /** Inserts a validated record. Call inside a transaction (see Repos.tx) when part of a batch. */
  create(rec: Row, actor: string): T {
    return this.db.transaction(() => {
      this.checkForeignKeys(rec);
      this.checkUnique(rec);
      const p = this.toParams(rec);
      const ts = nowIso();
      const cols = this.def.fields.map(snake);
      const info = this.db
        .prepare(`INSERT INTO ${this.def.table} (${cols.join(', ')}, created_at, updated_at) VALUES (${cols.map(() => '?').join(', ')}, ?, ?)`)
        .run(...this.def.fields.map((f) => p[f]), ts, ts);
      const id = Number(info.lastInsertRowid);
      this.writeLinks(id, rec);
      const after = this.get(id);
      this.audit.write(actor, 'create', this.def.entity, id, null, after);
      return after;
    })();
  }

  /** Replaces the writable fields of a record with `rec` (already merged and validated). */
  update(id: number, rec: Row, actor: string): T {
    return this.db.transaction(() => {
      const before = this.get(id);
      this.checkForeignKeys(rec);
      this.checkUnique(rec, id);
      const p = this.toParams(rec);
      const sets = this.def.fields.map((f) => `${snake(f)} = ?`).join(', ');
      this.db.prepare(`UPDATE ${this.def.table} SET ${sets}, updated_at = ? WHERE id = ?`).run(...this.def.fields.map((f) => p[f]), nowIso(), id);
      this.writeLinks(id, rec);
      const after = this.get(id);
      this.audit.write(actor, 'update', this.def.entity, id, before, after);
      return after;
    })();
  }

  /** The rows elsewhere that keep this record from being deleted (none: it can go). */
  usage(id: number): { table: string; label: string; count: number }[] {
    const out = [];
    for (const [table, column, label] of this.def.referencedBy ?? []) {
      const n = (this.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).get(id) as { n: number }).n;
      if (n > 0) out.push({ table, label, count: n });
    }
    return out;
  }

  delete(id: number, actor: string): { id: number } {
    return this.db.transaction(() => {
      const before = this.get(id);
      const uses = this.usage(id).map((u) => `${u.count} ${u.label}${u.count === 1 ? '' : 's'}`);
      if (uses.length) {
        throw new PuestaError(
          'REFERENCED',
          `${this.def.label[0]!.toUpperCase()}${this.def.label.slice(1)} "${this.def.display(before)}" is still used by ${uses.join(', ')}. Remove or reassign those first.`,
          { uses },
        );
      }
      this.db.prepare(`DELETE FROM ${this.def.table} WHERE id = ?`).run(id);
      this.audit.write(actor, 'delete', this.def.entity, id, before, null);
      return { id };
    })();
  }
}
