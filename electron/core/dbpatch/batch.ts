/**
 * Backfills in batches (patch.json `batchSize`, non-transactional patches): an `UPDATE t SET …
 * WHERE cond` runs as repeated `UPDATE t SET … WHERE ctid = ANY (ARRAY(SELECT ctid FROM t WHERE cond
 * LIMIT n))`, each batch committed alone, so row locks are held for one batch and readers and
 * writers go on between batches; it stops when a batch changes nothing. The WHERE must leave out
 * the rows already done (`WHERE status IS NULL`), which also makes a re-run continue where it
 * stopped.
 */
import { classify } from './classify.js';
import { chainsOf, parseName, sqlName, topLevelWords } from './sql-text.js';

/** The batch form of a backfill UPDATE, or null when it is not one this can batch (no WHERE, an alias, FROM, RETURNING, WITH). */
export function batchedUpdate(sql: string, batchSize: number): string | null {
  const c = classify(sql);
  const name = c.table ? parseName(c.table) : null;
  if (c.operation !== 'update rows' || !name) return null;
  const words = topLevelWords(sql, ['where', 'from', 'returning', 'with']);
  if (words.length !== 1 || words[0]!.word !== 'where') return null;
  // UPDATE [ONLY] table SET …: anything between the table and SET is an alias the inner SELECT would not know
  const chains = chainsOf(sql);
  const t = chains.findIndex((ch, i) => i > 0 && ch.parts.length <= 2 && ch.parts[0] !== 'only');
  if (chains[t + 1]?.parts.join('.') !== 'set') return null;
  const where = words[0]!.at;
  return `${sql.slice(0, where).trimEnd()} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${sqlName(name)} WHERE ${sql.slice(where + 5).trim()} LIMIT ${Math.floor(batchSize)}))`;
}

/** How many batches are too many: twice what the table's rows need, plus some (a WHERE that never excludes the rows done would loop). */
export const batchLimit = (rows: number, batchSize: number): number => 2 * Math.ceil((Math.max(0, rows) + 1) / batchSize) + 10;
