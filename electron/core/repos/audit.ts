import type { Db } from '../db/connection.js';
import { nowIso, pageOf, rowMapper, Where, type Row } from '../db/rows.js';

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: number | null;
  before: unknown;
  after: unknown;
}

/** What the audit screen filters by: exact operator, entity, action; `from` inclusive, `to` exclusive; text anywhere. */
export interface AuditFilter {
  query?: string | undefined;
  actor?: string | undefined;
  entity?: string | undefined;
  entityId?: number | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const auditRow = rowMapper<AuditRow>({ json: ['before', 'after'] });

/** `at` is stored as UTC ISO text, so a filter bound given with another offset is compared as UTC. */
const utc = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

/** Append-only audit log: who, when, what, on which entity, before/after. */
export class Audit {
  constructor(private readonly db: Db) {}

  write(actor: string, action: string, entity: string, entityId: number | null, before: unknown, after: unknown): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(nowIso(), actor, action, entity, entityId, before == null ? null : JSON.stringify(before), after == null ? null : JSON.stringify(after));
  }

  private where(f: AuditFilter): Where {
    return new Where()
      .when(f.actor, 'actor = ?')
      .when(f.entity, 'entity = ?')
      .when(f.entityId || undefined, 'entity_id = ?')
      .when(f.action, 'action = ?')
      .when(utc(f.from), 'at >= ?')
      .when(utc(f.to), 'at < ?')
      .search(f.query, ['actor', 'action', 'entity', 'before', 'after']);
  }

  list(p: AuditFilter & { limit: number; offset: number }): { items: AuditRow[]; total: number } {
    return pageOf(this.db, { select: 'SELECT * FROM audit', where: this.where(p), orderBy: 'id DESC', limit: p.limit, offset: p.offset, map: auditRow });
  }

  /** Every entry the filter selects (at most `max`), newest first. */
  all(f: AuditFilter, max: number): AuditRow[] {
    const w = this.where(f);
    return (this.db.prepare(`SELECT * FROM audit${w.sql} ORDER BY id DESC LIMIT ?`).all(...w.args, max) as Row[]).map(auditRow);
  }

  /** The distinct operators, entities and actions, sorted, for the screen's filters. */
  facets(): { actors: string[]; entities: string[]; actions: string[] } {
    const col = (c: 'actor' | 'entity' | 'action') => (this.db.prepare(`SELECT DISTINCT ${c} AS v FROM audit ORDER BY ${c} COLLATE NOCASE`).all() as { v: string }[]).map((r) => r.v);
    return { actors: col('actor'), entities: col('entity'), actions: col('action') };
  }
}
