/**
 * PatchTarget for PostgreSQL over one connection: the ledger (schema `puesta`), the session
 * advisory lock (only ever pg_try_advisory_lock, polled by the caller: a blocked
 * pg_advisory_lock call is what deadlocks with CREATE INDEX CONCURRENTLY), the catalog reads of
 * the dry run and the schema-only copy the trace runs on. Every remote SQL text is built here.
 */
import type { LedgerEntry, LockMode, TableStats } from '../../../../shared/contract/dbpatch.js';
import { LOCK_MODES } from '../../../../shared/contract/dbpatch.js';
import { sqlIdent, sqlLiteral } from '../../provision/postgres.js';
import { copyName, parseName, sqlName } from '../sql-text.js';
import type { NewEntry, PatchTarget, SchemaCopy, TracedStatement } from '../target.js';
import { PgConnection, PgError } from './client.js';

/** "PUES": the advisory lock key of Puesta's patch runs (one per database). */
export const ADVISORY_KEY = 0x50554553;
const LEDGER = 'puesta.patch_ledger';

const lit = (v: string | number | null): string => (v == null ? 'NULL' : typeof v === 'number' ? String(v) : sqlLiteral(v));
const num = (v: string | null | undefined): number | null => (v == null ? null : Number(v));
const iso = (v: string | null | undefined): string | null => (v == null ? null : new Date(v).toISOString());

export class PostgresTarget implements PatchTarget {
  readonly engine = 'postgresql';
  constructor(readonly conn: PgConnection) {}

  async ensureLedger(): Promise<void> {
    await this.conn.query(`CREATE SCHEMA IF NOT EXISTS puesta;
CREATE TABLE IF NOT EXISTS ${LEDGER} (
  id bigserial PRIMARY KEY,
  patch_id text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down', 'accept')),
  state text NOT NULL CHECK (state IN ('applying', 'done', 'failed')),
  checksum text NOT NULL,
  operator text NOT NULL,
  run_id bigint,
  release_key text,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  estimate_ms double precision,
  actual_ms double precision,
  statements_done integer NOT NULL DEFAULT 0,
  note text NOT NULL DEFAULT ''
)`);
  }

  async readLedger(): Promise<Omit<LedgerEntry, 'databaseId'>[]> {
    const exists = await this.conn.query(`SELECT to_regclass('${LEDGER}') IS NOT NULL AS e`);
    if (exists.rows[0]?.e !== 't') return [];
    const r = await this.conn.query(`SELECT * FROM ${LEDGER} ORDER BY id`);
    return r.rows.map((x) => ({
      remoteId: Number(x.id),
      patchId: x.patch_id!,
      direction: x.direction as LedgerEntry['direction'],
      state: x.state as LedgerEntry['state'],
      checksum: x.checksum!,
      operator: x.operator!,
      runId: num(x.run_id),
      releaseKey: x.release_key ?? null,
      startedAt: iso(x.started_at)!,
      finishedAt: iso(x.finished_at),
      estimateMs: num(x.estimate_ms),
      actualMs: num(x.actual_ms),
      statementsDone: Number(x.statements_done),
      note: x.note ?? '',
    }));
  }

  async tryLock(): Promise<boolean> {
    return (await this.conn.query(`SELECT pg_try_advisory_lock(${ADVISORY_KEY}) AS ok`)).rows[0]?.ok === 't';
  }
  async unlock(): Promise<void> {
    await this.conn.query(`SELECT pg_advisory_unlock(${ADVISORY_KEY})`);
  }
  async lockHolder(): Promise<{ application: string; since: string } | null> {
    const r = await this.conn.query(`SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = ${ADVISORY_KEY} AND l.granted AND l.pid <> pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`);
    const x = r.rows[0];
    return x ? { application: x.application_name ?? '', since: iso(x.backend_start)! } : null;
  }

  async begin(): Promise<void> {
    await this.conn.query('BEGIN');
  }
  async commit(): Promise<void> {
    await this.conn.query('COMMIT');
  }
  async rollback(): Promise<void> {
    await this.conn.query('ROLLBACK');
  }
  async setTimeouts(lockMs: number, statementMs: number, local: boolean): Promise<void> {
    const set = local ? 'SET LOCAL' : 'SET';
    await this.conn.query(`${set} lock_timeout = ${lit(`${lockMs}ms`)}; ${set} statement_timeout = ${lit(`${statementMs}ms`)}`);
  }
  async exec(sql: string): Promise<void> {
    await this.conn.query(sql);
  }
  async execCount(sql: string): Promise<number> {
    return (await this.conn.query(sql)).rowCount;
  }
  async bool(sql: string): Promise<boolean | null> {
    const r = await this.conn.query(sql);
    const first = r.rows[0] ? Object.values(r.rows[0])[0] : undefined;
    return first == null ? null : first === 't' || first === 'true' || first === '1';
  }

  async insertEntry(e: NewEntry): Promise<number> {
    const r = await this.conn.query(`INSERT INTO ${LEDGER} (patch_id, direction, state, checksum, operator, run_id, release_key, estimate_ms, note, finished_at)
      VALUES (${lit(e.patchId)}, ${lit(e.direction)}, ${lit(e.state)}, ${lit(e.checksum)}, ${lit(e.operator)}, ${lit(e.runId)}, ${lit(e.releaseKey)}, ${lit(e.estimateMs)}, ${lit(e.note)},
      ${e.state === 'applying' ? 'NULL' : 'clock_timestamp()'}) RETURNING id`);
    return Number(r.rows[0]!.id);
  }
  async updateEntry(id: number, set: { state?: LedgerEntry['state']; statementsDone?: number; actualMs?: number; note?: string; finished?: boolean }): Promise<void> {
    const parts: string[] = [];
    if (set.state) parts.push(`state = ${lit(set.state)}`);
    if (set.statementsDone !== undefined) parts.push(`statements_done = ${lit(set.statementsDone)}`);
    if (set.actualMs !== undefined) parts.push(`actual_ms = ${lit(set.actualMs)}`);
    if (set.note !== undefined) parts.push(`note = ${lit(set.note)}`);
    if (set.finished) parts.push('finished_at = clock_timestamp()');
    if (parts.length) await this.conn.query(`UPDATE ${LEDGER} SET ${parts.join(', ')} WHERE id = ${lit(id)}`);
  }

  isLockTimeout(e: unknown): boolean {
    return e instanceof PgError && e.sqlstate === '55P03';
  }

  async tableStats(tables: string[]): Promise<TableStats[]> {
    const out: TableStats[] = [];
    for (const t of [...new Set(tables)]) {
      const r = await this.conn.query(`SELECT c.reltuples::bigint AS rows, s.n_live_tup AS live, c.relpages AS pages, pg_table_size(c.oid) AS tb, pg_indexes_size(c.oid) AS ib
        FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = to_regclass(${lit(t)})`);
      const x = r.rows[0];
      if (!x) continue;
      const rows = Number(x.rows) >= 0 ? Number(x.rows) : Number(x.live ?? 0);
      out.push({ table: t, rows, pages: Number(x.pages), tableBytes: Number(x.tb), indexBytes: Number(x.ib) });
    }
    return out;
  }

  async longTransactions(minSeconds: number): Promise<{ pid: number; seconds: number; state: string; query: string }[]> {
    const r = await this.conn.query(`SELECT pid, extract(epoch FROM clock_timestamp() - xact_start) AS seconds, coalesce(state, '') AS state, left(query, 200) AS query
      FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()
        AND clock_timestamp() - xact_start > make_interval(secs => ${lit(minSeconds)}) ORDER BY xact_start`);
    return r.rows.map((x) => ({ pid: Number(x.pid), seconds: Math.round(Number(x.seconds) * 10) / 10, state: x.state ?? '', query: x.query ?? '' }));
  }

  async schemaCopy(tables: string[]): Promise<SchemaCopy> {
    const schema = `puesta_trace_${this.conn.pid}`;
    const s = sqlIdent(schema);
    await this.conn.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}`);
    for (const t of [...new Set(tables)]) {
      const r = await this.conn.query(`SELECT 1 AS ok FROM pg_class c WHERE c.oid = to_regclass(${lit(t)}) AND c.relkind IN ('r', 'p')`);
      const name = parseName(t);
      if (r.rows[0] && name) await this.conn.query(`CREATE TABLE ${s}.${sqlIdent(copyName(t))} (LIKE ${sqlName(name)} INCLUDING ALL)`);
    }
    return new PgSchemaCopy(this.conn, schema);
  }

  async cancel(): Promise<void> {
    await this.conn.cancel();
  }
  async close(): Promise<void> {
    await this.conn.close();
  }
}

const RANK = new Map<string, number>(LOCK_MODES.map((m, i) => [m, i]));

/** The copy lives in its own schema; the trace sees it first and nothing else unqualified. */
class PgSchemaCopy implements SchemaCopy {
  private readonly ns: string;
  constructor(
    private readonly conn: PgConnection,
    private readonly schema: string,
  ) {
    this.ns = `${sqlLiteral(schema)}::regnamespace`;
  }

  private async files(): Promise<Map<string, string>> {
    const r = await this.conn.query(`SELECT relname, relfilenode::text AS f FROM pg_class WHERE relnamespace = ${this.ns} AND relkind IN ('r', 'p')`);
    return new Map(r.rows.map((x) => [x.relname!, x.f!]));
  }

  async run(sql: string, alone: boolean): Promise<TracedStatement> {
    const path = `SET search_path = ${sqlIdent(this.schema)}, pg_catalog`;
    const before = await this.files();
    const locks: { table: string; mode: LockMode }[] = [];
    let error: string | null = null;
    try {
      if (alone) await this.conn.query(`${path}; SET lock_timeout = '2s'; ${sql}`);
      else {
        await this.conn.query(`BEGIN; ${path}; SET LOCAL lock_timeout = '2s'`);
        await this.conn.query(sql);
        const r = await this.conn.query(`SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
          WHERE l.pid = pg_backend_pid() AND c.relnamespace = ${this.ns} AND c.relkind IN ('r', 'p')`);
        const best = new Map<string, string>();
        for (const x of r.rows) if ((RANK.get(x.mode!) ?? 0) > (RANK.get(best.get(x.relname!) ?? 'none') ?? 0)) best.set(x.relname!, x.mode!);
        for (const [table, mode] of best) locks.push({ table, mode: mode as LockMode });
        await this.conn.query('COMMIT');
      }
    } catch (e) {
      error = (e as Error).message;
      await this.conn.query('ROLLBACK').catch(() => undefined);
    }
    await this.conn.query('RESET search_path; RESET lock_timeout');
    const after = await this.files();
    const rewritten = [...before].filter(([t, f]) => after.has(t) && after.get(t) !== f).map(([t]) => t);
    return { locks, rewritten, error };
  }

  async shape(): Promise<string> {
    const r = await this.conn.query(`SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') AS shape FROM (
      SELECT 'col ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') AS x
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum WHERE c.relnamespace = ${this.ns} AND c.relkind IN ('r', 'p')
      UNION ALL SELECT 'idx ' || regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+', 'CREATE \\1INDEX ON ' || c.relname)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = ${this.ns}
      UNION ALL SELECT 'con ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = ${this.ns}
      UNION ALL SELECT 'rel ' || relname || ' ' || relkind::text FROM pg_class WHERE relnamespace = ${this.ns} AND relkind IN ('r', 'p', 'v', 'm')) t`);
    return r.rows[0]?.shape ?? '';
  }

  async guard(sql: string): Promise<boolean> {
    const r = await this.conn.query(`SET search_path = ${sqlIdent(this.schema)}, pg_catalog; ${sql}`);
    await this.conn.query('RESET search_path');
    const v = r.rows[0] ? Object.values(r.rows[0])[0] : null;
    return v === 't';
  }

  async drop(): Promise<void> {
    await this.conn.query(`DROP SCHEMA IF EXISTS ${sqlIdent(this.schema)} CASCADE`);
  }
}
