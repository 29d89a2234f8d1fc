/**
 * The dry run: nothing is written to the application's schema. Per patch: lint with file and line;
 * a trace on a schema-only copy (lock mode per table, rewrite or not, whether down restores the
 * schema, whether a second up is skipped by its guard); the live sizes read over the tunnel; a
 * cost per statement from those sizes, corrected by what this database's ledger measured; a verdict.
 */
import type { Database, DryRun, Patch, PatchDryRun, PatchState, StatementPlan, TableStats } from '../../../shared/contract/dbpatch.js';
import type { Core } from '../core.js';
import { refusal, syncLedger } from './apply.js';
import { backupRefusal } from './backup.js';
import { classify, lintPatch } from './classify.js';
import { estimateMs, summary } from './estimate.js';
import { calibrationOf } from './ledger-store.js';
import { lastBackupOf } from './release-store.js';
import { copyName, nameText, parseName, quoteIdent, replaceChains, splitStatements, type Statement } from './sql-text.js';
import type { PatchTarget, TracedStatement } from './target.js';

/** A statement that blocks reads or writes longer than this needs a maintenance window. */
const WINDOW_MS = 2_000;
const BLOCKING = new Set(['AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock']);

export async function dryRun(core: Core, db: Database, target: PatchTarget, patches: readonly Patch[], only?: readonly string[]): Promise<DryRun> {
  const states = new Map((await syncLedger({ core, db }, target, patches)).map((s) => [s.patchId, s]));
  const chosen = patches.filter((p) => (only ? only.includes(p.patchId) : states.get(p.patchId)?.state !== 'applied'));
  const tableNames = chosen.flatMap((p) => [p.up, p.down ?? ''].flatMap((t) => splitStatements(t).flatMap((s) => classify(s.sql).table ?? [])));
  const tables = await target.tableStats(tableNames);
  const calibration = calibrationOf(core, db.id);
  const out: PatchDryRun[] = [];
  for (const p of chosen) out.push(await patchDryRun(core, db, target, p, states.get(p.patchId), tables, calibration, tableNames));
  const lastBackup = lastBackupOf(core, db.id);
  const backupTooOld = backupRefusal(db, lastBackup) !== null;
  return { databaseId: db.id, patches: out, tables, longTransactions: await target.longTransactions(5), lockHolder: await target.lockHolder(), calibration, lastBackup, backupTooOld };
}

async function patchDryRun(core: Core, db: Database, target: PatchTarget, p: Patch, st: PatchState | undefined, tables: DryRun['tables'], k: number, tableNames: string[]): Promise<PatchDryRun> {
  const lint = lintPatch(p.meta, p);
  const up = splitStatements(p.up);
  const trace = await traceOf(target, p, tableNames);
  const statements = up.map((s, i) => planOf(s, i, trace.up[i], tables, k));
  const reasons: string[] = [];
  const refused = refusal(core, db, p);
  if (refused) reasons.push(refused);
  if (st?.mismatch) reasons.push(`${p.patchId} was edited after it was applied (checksum differs): accept the edit first.`);
  for (const s of statements) if (BLOCKING.has(s.lockMode) && s.estimateMs >= WINDOW_MS) reasons.push(`needs a maintenance window: ${s.summary}`);
  if (trace.downRestores === false) reasons.push('down.sql does not bring the schema back to what it was before up.sql.');
  const verdict = refused || st?.mismatch ? 'refused' : reasons.length ? 'window' : 'safe';
  return {
    patchId: p.patchId,
    state: st?.state ?? 'pending',
    lint,
    statements,
    traceError: trace.error,
    downRestores: trace.downRestores,
    guardSkipsSecondUp: trace.guardSkips,
    estimateMs: statements.reduce((a, s) => a + s.estimateMs, 0),
    verdict,
    reasons,
    acknowledged: Boolean(refusal(core, db, { ...p }) === null && lint.some((f) => f.severity === 'danger')),
  };
}

/** One statement's plan: what the trace saw where it ran, else what its form says; its cost from the live sizes. */
export function planOf(s: Statement, index: number, t: TracedStatement | undefined, tables: readonly TableStats[], k: number): StatementPlan {
  const c = classify(s.sql);
  // the trace runs CONCURRENTLY in a transaction (without the word), so its lock is the form's
  const seen = /\bCONCURRENTLY\b/i.test(s.sql) ? undefined : t?.locks.find((l) => !c.table || l.table === copyName(c.table));
  const lockMode = seen?.mode ?? c.lockMode;
  const rewrite = t && !t.error ? t.rewritten.length > 0 : null;
  // the trace overrides the form: a rewrite it saw is priced as one, a form that "may" rewrite and did not is catalog-only
  const cost = rewrite === true && (c.cost === 'catalog' || c.cost === 'scan') ? 'rewrite' : rewrite === false && c.cost.startsWith('rewrite') ? 'catalog' : c.cost;
  const ms = estimateMs(cost, tables.find((x) => x.table === c.table), k);
  return { index, line: s.line, sql: s.sql, operation: c.operation, table: c.table, lockMode, rewrite, estimateMs: ms, summary: summary(lockMode, c.table, ms) };
}

interface Trace {
  up: (TracedStatement | undefined)[];
  downRestores: boolean | null;
  guardSkips: boolean | null;
  error: string | null;
}

/**
 * A statement as the trace runs it on the copy. A table the patch names with its schema
 * (`app.orders`) is renamed to its copy ("app.orders", an identifier of the scratch schema that the
 * search path finds first); an unqualified name finds its copy by itself. A name that still points
 * into a schema (a table not copied, a type, a function of it) would reach the real object: null,
 * the statement is not traced. CONCURRENTLY cannot run in the trace's transaction: left out.
 */
export function forTrace(sql: string, tables: readonly string[]): string | null {
  const copies = new Map<string, string>();
  const schemas = new Set(['public']);
  for (const t of tables) {
    const n = parseName(t);
    if (!n?.schema) continue;
    copies.set(nameText(n), copyName(t));
    schemas.add(n.schema);
  }
  let escapes = false;
  const out = replaceChains(sql.replace(/\bCONCURRENTLY\b/i, ''), (parts) => {
    if (parts.length < 2) return null;
    const copy = copies.get(nameText({ schema: parts[0]!, name: parts[1]! }));
    if (copy) return [copy, ...parts.slice(2)].map(quoteIdent).join('.');
    if (schemas.has(parts[0]!)) escapes = true;
    return null;
  });
  return escapes ? null : out;
}

async function traceOf(target: PatchTarget, p: Patch, tables: string[]): Promise<Trace> {
  const rewrite = (list: Statement[]) => list.map((s) => ({ ...s, traced: forTrace(s.sql, tables) }));
  const up = rewrite(splitStatements(p.up));
  const down = rewrite(splitStatements(p.down ?? ''));
  const bad = [...up, ...down].find((s) => s.traced == null);
  if (bad) return { up: [], downRestores: null, guardSkips: null, error: `not traced: line ${bad.line} names an object of a schema the copy cannot stand in for` };
  const guard = p.meta.guard ? forTrace(p.meta.guard, tables) : null;
  const copy = await target.schemaCopy(tables);
  try {
    const before = await copy.shape();
    const traced: TracedStatement[] = [];
    for (const s of up) traced.push(await copy.run(s.traced!, false));
    const failed = traced.find((t) => t.error);
    const guardSkips = guard && !failed ? !(await copy.guard(guard)) : null;
    let downRestores: boolean | null = null;
    if (!failed && p.down != null && p.meta.reversible !== 'no') {
      const downs: TracedStatement[] = [];
      for (const s of down) downs.push(await copy.run(s.traced!, false));
      downRestores = downs.some((d) => d.error) ? false : (await copy.shape()) === before;
    }
    return { up: traced, downRestores, guardSkips, error: failed?.error ?? null };
  } finally {
    await copy.drop();
  }
}
