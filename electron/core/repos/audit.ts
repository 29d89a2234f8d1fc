import type { Db } from '../db/connection.js';
import { nowIso } from './entity.js';

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

/** Append-only audit log: who, when, what, on which entity, before/after. */
export class Audit {
  constructor(private readonly db: Db) {}

  write(actor: string, action: string, entity: string, entityId: number | null, before: unknown, after: unknown): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(nowIso(), actor, action, entity, entityId, before == null ? null : JSON.stringify(before), after == null ? null : JSON.stringify(after));
  }

  list(p: { entity?: string | undefined; entityId?: number | undefined; limit: number; offset: number }): { items: AuditRow[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (p.entity) {
      where.push('entity = ?');
      args.push(p.entity);
    }
    if (p.entityId) {
      where.push('entity_id = ?');
      args.push(p.entityId);
    }
    const w = where.length ? ' WHERE ' + where.join(' AND ') : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit${w}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM audit${w} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, p.limit, p.offset) as Record<string, unknown>[];
    return {
      total,
      items: rows.map((r) => ({
        id: r.id as number,
        at: r.at as string,
        actor: r.actor as string,
        action: r.action as string,
        entity: r.entity as string,
        entityId: (r.entity_id as number | null) ?? null,
        before: r.before == null ? null : JSON.parse(r.before as string),
        after: r.after == null ? null : JSON.parse(r.after as string),
      })),
    };
  }
}
