/**
 * What a statement does, read from its form (as squawk / strong_migrations do): the operation, the
 * table it touches, the lock PostgreSQL takes for it, whether it may rewrite the table, and the
 * lint findings of a patch. The trace (trace.ts) replaces the guesses with what it saw.
 */
import type { LintFinding, LockMode, PatchMeta } from '../../../shared/contract/dbpatch.js';
import { nameText, parseName, splitStatements, type Statement } from './sql-text.js';

/** How the cost model prices an operation (estimate.ts). */
export type CostClass = 'catalog' | 'rewrite' | 'rewrite-volatile' | 'index' | 'index-concurrently' | 'scan' | 'rows' | 'none';

export interface Classified {
  operation: string;
  table: string | null;
  lockMode: LockMode;
  cost: CostClass;
  destructive: boolean;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
/** A table name, schema-qualified or not, quoted or not (`app.orders`, `"My Table"`). */
const NAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;
const re = (s: string) => new RegExp(s.replace(/NAME/g, NAME), 'i');
/** A column in the rest of an ALTER TABLE: quoted (may hold spaces) or one word. */
const COL = String.raw`(?:"(?:[^"]|"")+"|\S+)`;
const col = (s: string) => new RegExp(s.replace(/COL/g, COL), 'i');
/** The table as the plan and the ledger write it: case folded, quoted only where needed. */
const tableName = (n: string): string => {
  const q = parseName(n);
  return q ? nameText(q) : n;
};

/** Volatile defaults force a rewrite on ADD COLUMN (now() and constants do not since PostgreSQL 11). */
const VOLATILE = /\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|nextval|timeofday)\s*\(/i;

export function classify(sqlText: string): Classified {
  const s = sqlText.trim();
  let m: RegExpExecArray | null;
  if ((m = re(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:NAME\s+)?ON\s+(?:ONLY\s+)?NAME`).exec(s))) {
    const conc = Boolean(m[1]);
    return { operation: conc ? 'create index concurrently' : 'create index', table: tableName(m[3]!), lockMode: conc ? 'ShareUpdateExclusiveLock' : 'ShareLock', cost: conc ? 'index-concurrently' : 'index', destructive: false };
  }
  if ((m = re(String.raw`^DROP\s+INDEX\s+(CONCURRENTLY\s+)?`).exec(s))) return { operation: 'drop index', table: null, lockMode: m[1] ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', cost: 'catalog', destructive: false };
  if ((m = re(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?NAME\s+(.*)$`).exec(s))) {
    const table = tableName(m[1]!);
    const rest = m[2]!;
    const alt = (operation: string, lockMode: LockMode, cost: CostClass, destructive = false): Classified => ({ operation, table, lockMode, cost, destructive });
    if (/^ADD\s+(COLUMN\s+)?/i.test(rest) && !/^ADD\s+(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK)/i.test(rest)) {
      if (VOLATILE.test(rest)) return alt('add column (volatile default: rewrite)', 'AccessExclusiveLock', 'rewrite-volatile');
      if (/\bNOT\s+NULL\b/i.test(rest) && !/\bDEFAULT\b/i.test(rest)) return alt('add column not null without default', 'AccessExclusiveLock', 'scan');
      return alt('add column (catalog only)', 'AccessExclusiveLock', 'catalog');
    }
    if (col(String.raw`^ALTER\s+(COLUMN\s+)?COL\s+(SET\s+DATA\s+)?TYPE\b`).test(rest)) return alt('change column type', 'AccessExclusiveLock', 'rewrite', true);
    if (col(String.raw`^ALTER\s+(COLUMN\s+)?COL\s+SET\s+NOT\s+NULL`).test(rest)) return alt('set not null (scan)', 'AccessExclusiveLock', 'scan');
    if (col(String.raw`^ALTER\s+(COLUMN\s+)?COL\s+(SET|DROP)\s+(DEFAULT|NOT\s+NULL)`).test(rest)) return alt('column default / null (catalog only)', 'AccessExclusiveLock', 'catalog');
    if (/^VALIDATE\s+CONSTRAINT/i.test(rest)) return alt('validate constraint (scan, reads and writes go on)', 'ShareUpdateExclusiveLock', 'scan');
    if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY/i.test(rest))
      return /NOT\s+VALID/i.test(rest) ? alt('add foreign key not valid', 'ShareRowExclusiveLock', 'catalog') : alt('add foreign key (scan)', 'ShareRowExclusiveLock', 'scan');
    if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?CHECK/i.test(rest)) return /NOT\s+VALID/i.test(rest) ? alt('add check not valid', 'AccessExclusiveLock', 'catalog') : alt('add check (scan)', 'AccessExclusiveLock', 'scan');
    if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)/i.test(rest)) return /USING\s+INDEX/i.test(rest) ? alt('add constraint using index', 'AccessExclusiveLock', 'catalog') : alt('add unique / primary key (index build)', 'AccessExclusiveLock', 'index');
    if (/^DROP\s+(COLUMN\s+)?/i.test(rest) && !/^DROP\s+CONSTRAINT/i.test(rest)) return alt('drop column', 'AccessExclusiveLock', 'catalog', true);
    if (/^(SET|RESET)\s*\(|^SET\s+STATISTICS|^ALTER\s+(COLUMN\s+)?\S+\s+SET\s+STATISTICS/i.test(rest)) return alt('storage setting', 'ShareUpdateExclusiveLock', 'catalog');
    if (/^RENAME/i.test(rest)) return alt('rename', 'AccessExclusiveLock', 'catalog');
    return alt('alter table', 'AccessExclusiveLock', 'catalog');
  }
  if ((m = re(String.raw`^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?NAME`).exec(s))) return { operation: 'create table', table: null, lockMode: 'none', cost: 'catalog', destructive: false };
  if ((m = re(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?NAME`).exec(s))) return { operation: 'drop table', table: tableName(m[1]!), lockMode: 'AccessExclusiveLock', cost: 'catalog', destructive: true };
  if ((m = re(String.raw`^TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?NAME`).exec(s))) return { operation: 'truncate', table: tableName(m[1]!), lockMode: 'AccessExclusiveLock', cost: 'catalog', destructive: true };
  if ((m = re(String.raw`^UPDATE\s+(?:ONLY\s+)?NAME`).exec(s))) return { operation: /\bWHERE\b/i.test(s) ? 'update rows' : 'update every row', table: tableName(m[1]!), lockMode: 'RowExclusiveLock', cost: 'rows', destructive: false };
  if ((m = re(String.raw`^DELETE\s+FROM\s+(?:ONLY\s+)?NAME`).exec(s))) return { operation: /\bWHERE\b/i.test(s) ? 'delete rows' : 'delete every row', table: tableName(m[1]!), lockMode: 'RowExclusiveLock', cost: 'rows', destructive: !/\bWHERE\b/i.test(s) };
  if ((m = re(String.raw`^INSERT\s+INTO\s+NAME`).exec(s))) return { operation: 'insert', table: tableName(m[1]!), lockMode: 'RowExclusiveLock', cost: /\bSELECT\b/i.test(s) ? 'rows' : 'catalog', destructive: false };
  if (/^(SELECT|WITH)\b/i.test(s)) return { operation: 'query', table: null, lockMode: 'none', cost: 'none', destructive: false };
  return { operation: s.split(/\s+/).slice(0, 2).join(' ').toLowerCase(), table: null, lockMode: 'none', cost: 'catalog', destructive: /^DROP\b/i.test(s) };
}

/** Lint findings with file and line. */
export function lintPatch(meta: PatchMeta, files: { up: string; down: string | null; verify: string | null }): LintFinding[] {
  const out: LintFinding[] = [];
  const add = (file: LintFinding['file'], line: number, rule: string, severity: LintFinding['severity'], message: string) => out.push({ file, line, rule, severity, message });
  if (meta.reversible !== 'no' && files.down == null) add('patch.json', 1, 'down-missing', 'danger', `reversible is "${meta.reversible}" but the patch has no down.sql.`);
  if (meta.reversible === 'no' && files.down != null) add('patch.json', 1, 'down-ignored', 'warning', 'reversible is "no": down.sql is never run.');
  if (files.verify == null) add('patch.json', 1, 'verify-missing', 'info', 'No verify.sql: a failed patch is noticed only by its errors.');
  if (meta.batchSize && meta.transactional) add('patch.json', 1, 'batch-in-transaction', 'warning', 'batchSize is used only when "transactional" is false (each batch commits alone).');
  const check = (file: 'up.sql' | 'down.sql', list: Statement[]) => {
    for (const st of list) {
      const c = classify(st.sql);
      const s = st.sql;
      if (/\bCONCURRENTLY\b/i.test(s) && meta.transactional) add(file, st.line, 'concurrently-in-transaction', 'danger', 'CONCURRENTLY cannot run inside a transaction: set "transactional": false.');
      if (c.operation === 'create index') add(file, st.line, 'index-not-concurrent', 'warning', `CREATE INDEX blocks writes on ${c.table} while it builds: use CREATE INDEX CONCURRENTLY.`);
      if (c.operation.startsWith('add column (volatile')) add(file, st.line, 'volatile-default', 'danger', `A volatile default rewrites ${c.table} under an exclusive lock: add the column without it, then backfill in batches.`);
      if (c.operation === 'change column type') add(file, st.line, 'column-type', 'warning', `Changing a column type may rewrite ${c.table} and its indexes (the trace tells).`);
      if (c.operation.startsWith('set not null')) add(file, st.line, 'set-not-null', 'warning', `SET NOT NULL scans ${c.table} under an exclusive lock: add a CHECK … NOT VALID, VALIDATE it, then SET NOT NULL.`);
      if (/\(scan\)$/.test(c.operation) && /^add (foreign key|check)/.test(c.operation)) add(file, st.line, 'constraint-not-valid', 'warning', 'Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later statement.');
      if (c.operation === 'update every row') add(file, st.line, 'backfill-unbatched', 'warning', `UPDATE without WHERE touches every row of ${c.table} in one transaction: backfill in batches${meta.batchSize ? ` of ${meta.batchSize}` : ''}.`);
      // a down that drops what its up created is expected (reversible: lossy says whether data goes with it)
      if (c.destructive) add(file, st.line, 'destructive', file === 'up.sql' ? 'danger' : 'warning', `${c.operation} on ${c.table ?? 'an object'} loses data.`);
    }
  };
  check('up.sql', splitStatements(files.up));
  if (files.down != null) check('down.sql', splitStatements(files.down));
  return out;
}
