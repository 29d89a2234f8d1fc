/** Database patches, the pure parts: statements split as PostgreSQL reads them, checksums that ignore cosmetic edits, the form-based classification and lint, the patch folder format, the estimate. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, lintPatch } from '../../electron/core/dbpatch/classify.js';
import { estimateMs, summary } from '../../electron/core/dbpatch/estimate.js';
import { readPatches } from '../../electron/core/dbpatch/format.js';
import { patchChecksum, splitStatements } from '../../electron/core/dbpatch/sql-text.js';
import { PatchMeta } from '../../shared/contract/dbpatch.js';

const sum = (up: string) => patchChecksum({ up, down: null, verify: null, guard: null });

describe('statements and checksums', () => {
  it('splits on ; outside quotes, dollar quotes and comments, with the line each starts on', () => {
    const s = splitStatements("-- head\nALTER TABLE t\n  ADD COLUMN x int; /* a;\n b */ CREATE FUNCTION f() RETURNS int AS $b$ select 1; $b$ LANGUAGE sql;\nUPDATE t SET a = 'x;y'");
    expect(s).toEqual([
      { sql: 'ALTER TABLE t ADD COLUMN x int', line: 2 },
      { sql: 'CREATE FUNCTION f() RETURNS int AS $b$ select 1; $b$ LANGUAGE sql', line: 4 },
      { sql: "UPDATE t SET a='x;y'", line: 5 },
    ]);
  });
  it('ignores comments and whitespace, not a real edit', () => {
    const a = sum("ALTER TABLE t ADD COLUMN s text DEFAULT 'new';");
    expect(sum("-- why\nALTER   TABLE t\n  ADD COLUMN s text DEFAULT  'new' ;\n")).toBe(a);
    expect(sum("ALTER TABLE t ADD COLUMN s text DEFAULT 'old';")).not.toBe(a);
    expect(sum("ALTER TABLE t ADD COLUMN s text DEFAULT 'new  ';")).not.toBe(a);
  });
});

describe('classification and lint', () => {
  it.each([
    ['ALTER TABLE orders ADD COLUMN x int DEFAULT 0', 'AccessExclusiveLock', 'catalog'],
    ['ALTER TABLE orders ADD COLUMN u uuid DEFAULT gen_random_uuid()', 'AccessExclusiveLock', 'rewrite-volatile'],
    ['ALTER TABLE orders ALTER COLUMN qty TYPE bigint', 'AccessExclusiveLock', 'rewrite'],
    ['CREATE INDEX orders_x ON orders (x)', 'ShareLock', 'index'],
    ['CREATE INDEX CONCURRENTLY orders_x ON orders (x)', 'ShareUpdateExclusiveLock', 'index-concurrently'],
    ['ALTER TABLE orders ALTER COLUMN x SET NOT NULL', 'AccessExclusiveLock', 'scan'],
    ['ALTER TABLE orders VALIDATE CONSTRAINT c', 'ShareUpdateExclusiveLock', 'scan'],
    ['ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES c (id) NOT VALID', 'ShareRowExclusiveLock', 'catalog'],
    ['UPDATE orders SET x = 1 WHERE id < 1000', 'RowExclusiveLock', 'rows'],
  ])('%s → %s (%s)', (sql, lock, cost) => {
    const c = classify(sql);
    expect([c.table, c.lockMode, c.cost]).toEqual(['orders', lock, cost]);
  });

  it('lints with file and line: CONCURRENTLY in a transaction, volatile default, missing down', () => {
    const meta = PatchMeta.parse({ id: 'p1', reversible: 'yes', compat: 'expand' });
    const f = lintPatch(meta, { up: 'SELECT 1;\nCREATE INDEX CONCURRENTLY i ON t (x);\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();', down: null, verify: null });
    expect(f.map((x) => `${x.file}:${x.line}:${x.rule}:${x.severity}`)).toEqual([
      'patch.json:1:down-missing:danger',
      'patch.json:1:verify-missing:info',
      'up.sql:2:concurrently-in-transaction:danger',
      'up.sql:3:volatile-default:danger',
    ]);
  });
});

describe('patch folders', () => {
  it('reads folders in name order, checks requires and the id', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'puesta-patches-'));
    const put = (id: string, meta: object) => {
      mkdirSync(path.join(root, id));
      writeFileSync(path.join(root, id, 'patch.json'), JSON.stringify({ id, reversible: 'no', compat: 'expand', ...meta }));
      writeFileSync(path.join(root, id, 'up.sql'), 'SELECT 1;');
    };
    put('0002-b', { requires: ['0001-a'] });
    put('0001-a', {});
    const list = readPatches(root);
    expect(list.map((p) => [p.meta.id, p.down, p.meta.transactional, p.meta.lockTimeoutMs])).toEqual([
      ['0001-a', null, true, 1000],
      ['0002-b', null, true, 1000],
    ]);
    put('0000-z', { requires: ['0002-b'] });
    expect(() => readPatches(root)).toThrow(/0000-z requires 0002-b/);
  });
});

describe('estimate', () => {
  it('prices a rewrite of a 296 MB table in seconds and a catalog change in a millisecond, corrected per server', () => {
    const t = { table: 'orders', rows: 3e6, pages: 37_900, tableBytes: 296 * 1024 * 1024, indexBytes: 64 * 1024 * 1024 };
    expect(estimateMs('catalog', t, 1)).toBe(1);
    const r = estimateMs('rewrite', t, 1);
    expect(r).toBeGreaterThan(4_000);
    expect(r).toBeLessThan(12_000);
    expect(estimateMs('rewrite', t, 2)).toBeCloseTo(2 * r, -1);
    expect(summary('AccessExclusiveLock', 'orders', 13_000)).toBe('AccessExclusive on orders ≈ 13 s: blocks reads and writes');
  });
});
