/** Database patches, the pure parts: statements split as PostgreSQL reads them, checksums that ignore cosmetic edits, the form-based classification and lint, the patch folder format, the estimate. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classify, lintPatch } from '../../electron/core/dbpatch/classify.js';
import { estimateMs, summary } from '../../electron/core/dbpatch/estimate.js';
import { batchedUpdate, batchLimit } from '../../electron/core/dbpatch/batch.js';
import { backupRefusal, dumpName, newestFile, scanCommand } from '../../electron/core/dbpatch/backup.js';
import { readPatches } from '../../electron/core/dbpatch/format.js';
import { readSourcePatches, tarFiles } from '../../electron/core/dbpatch/local-source.js';
import { restoreCommand } from '../../electron/core/dbpatch/restore.js';
import { listPatchesCommand, parsePatchListing, readReleasePatches } from '../../electron/core/dbpatch/release.js';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { forTrace } from '../../electron/core/dbpatch/dryrun.js';
import { chainsOf, copyName, nameText, parseName, patchChecksum, splitStatements, sqlName } from '../../electron/core/dbpatch/sql-text.js';
import { PatchMeta, type Database } from '../../shared/contract/dbpatch.js';

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

  it.each([
    ['ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(20)', 'app.orders', 'change column type', 'AccessExclusiveLock'],
    ['ALTER TABLE ONLY "App"."Order Lines" ADD COLUMN u uuid DEFAULT gen_random_uuid()', '"App"."Order Lines"', 'add column (volatile default: rewrite)', 'AccessExclusiveLock'],
    ['alter table App.Orders alter column "Unit Price" set not null', 'app.orders', 'set not null (scan)', 'AccessExclusiveLock'],
    ['ALTER TABLE "My Table" ALTER COLUMN "Qty" TYPE bigint', '"My Table"', 'change column type', 'AccessExclusiveLock'],
    ['CREATE INDEX CONCURRENTLY i ON app . orders (x)', 'app.orders', 'create index concurrently', 'ShareUpdateExclusiveLock'],
    ['CREATE UNIQUE INDEX i ON "we""ird".t (x)', '"we""ird".t', 'create index', 'ShareLock'],
    ['UPDATE app."orders" SET x = 1', 'app.orders', 'update every row', 'RowExclusiveLock'],
    ['DROP TABLE IF EXISTS sales."Archive 2020"', 'sales."Archive 2020"', 'drop table', 'AccessExclusiveLock'],
  ])('a schema-qualified or quoted name: %s → %s', (sql, table, operation, lock) => {
    const c = classify(sql);
    expect([c.table, c.operation, c.lockMode]).toEqual([table, operation, lock]);
  });

  it('reads names as PostgreSQL does: unquoted ones fold to lower case, quoted ones keep case, spaces and quotes', () => {
    expect(parseName('App.Orders')).toEqual({ schema: 'app', name: 'orders' });
    expect(parseName('"My Table"')).toEqual({ schema: null, name: 'My Table' });
    expect(parseName('a."b""c".d')).toBeNull();
    expect(parseName('orders x')).toBeNull();
    expect(nameText({ schema: 'app', name: 'order lines' })).toBe('app."order lines"');
    expect(sqlName({ schema: null, name: 'order' })).toBe('"order"');
    expect(copyName('app.orders')).toBe('app.orders');
    expect(copyName('"My Table"')).toBe('My Table');
    // chains outside literals, dollar quotes and E'' escapes only
    expect(chainsOf("UPDATE app.t SET a = 'x.y', b = E'it\\'s app.u', c = $q$app.v$q$ WHERE t.id = 1").map((c) => c.parts.join('.'))).toEqual(['update', 'app.t', 'set', 'a', 'b', 'c', 'where', 't.id']);
  });

  it('runs a qualified statement on the copy by renaming its tables; refuses one that would reach another object of the schema', () => {
    const tables = ['app.orders', '"My Table"', 'orders'];
    expect(forTrace('ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(20)', tables)).toBe('ALTER TABLE "app.orders" ALTER COLUMN note TYPE varchar(20)');
    expect(forTrace('CREATE INDEX CONCURRENTLY i ON App."orders" (x)', tables)).toBe('CREATE INDEX  i ON "app.orders" (x)');
    expect(forTrace("UPDATE app.orders SET note = 'app.orders' WHERE app.orders.id > 0", tables)).toBe(`UPDATE "app.orders" SET note = 'app.orders' WHERE "app.orders"."id" > 0`);
    expect(forTrace('ALTER TABLE "My Table" ADD COLUMN x int', tables)).toBe('ALTER TABLE "My Table" ADD COLUMN x int');
    expect(forTrace('ALTER TABLE app.orders ADD COLUMN s app.status', tables)).toBeNull();
    expect(forTrace('INSERT INTO orders SELECT * FROM public.orders_old', tables)).toBeNull();
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

const host = { id: 1, name: 'local', host: '127.0.0.1', port: 22, user: 'me', auth: 'agent' as const, keyPath: '' };

describe('patches read from a release on its host', () => {
  it('lists db/patches as NUL-separated names and base64 contents: the same patches as a local read, odd names and SQL intact', async () => {
    const release = mkdtempSync(path.join(os.tmpdir(), "puesta rel 'x' $(y)-"));
    try {
      const root = path.join(release, 'db', 'patches');
      const put = (id: string, files: Record<string, string>) => {
        mkdirSync(path.join(root, id), { recursive: true });
        for (const [f, t] of Object.entries(files)) writeFileSync(path.join(root, id, f), t);
      };
      put('0001-a', { 'patch.json': JSON.stringify({ id: '0001-a', reversible: 'yes', compat: 'expand' }), 'up.sql': "CREATE TABLE \"My Table\" (n text DEFAULT 'a\\0b\n%s');\n", 'down.sql': 'DROP TABLE "My Table";', 'verify.sql': "SELECT 'ñ ✓';" });
      put('0002-b', { 'patch.json': JSON.stringify({ id: '0002-b', reversible: 'no', compat: 'contract', requires: ['0001-a'] }), 'up.sql': '' });
      put('notes', { 'README.md': 'not a patch' });
      const got = await readReleasePatches(new LocalExecutor(), host, release);
      const local = readPatches(root);
      expect(got!.map((p) => [p.meta.id, p.up, p.down, p.verify, p.checksum])).toEqual(local.map((p) => [p.meta.id, p.up, p.down, p.verify, p.checksum]));
      expect(got!.map((p) => p.sourcePath)).toEqual([`local:${root}/0001-a`, `local:${root}/0002-b`]);
      rmSync(root, { recursive: true });
      expect(await readReleasePatches(new LocalExecutor(), host, release)).toBeNull();
    } finally {
      rmSync(release, { recursive: true, force: true });
    }
  });

  it('refuses a listing cut short and a release whose patch is invalid', () => {
    expect(listPatchesCommand('/srv/a b/releases/k')).toContain("'/srv/a b/releases/k/db/patches'");
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const whole = ['present', '0001-a/patch.json', b64(JSON.stringify({ id: '0001-a', reversible: 'no', compat: 'expand' })), '0001-a/up.sql', b64('SELECT 1'), 'end', ''].join('\0');
    expect(parsePatchListing(whole, 'h:/r')!.map((p) => p.meta.id)).toEqual(['0001-a']);
    expect(() => parsePatchListing(whole.slice(0, -5), 'h:/r')).toThrow(/incomplete/);
    const wrongId = whole.replace(b64(JSON.stringify({ id: '0001-a', reversible: 'no', compat: 'expand' })), b64(JSON.stringify({ id: 'zz', reversible: 'no', compat: 'expand' })));
    expect(() => parsePatchListing(wrongId, 'h:/r')).toThrow(/id "zz" is not the folder's name/);
  });
});

describe('patches of a local release source, read at plan time', () => {
  it('reads db/patches/ of a folder and of the same release as a .tar.gz (long names included) alike; none there: null', () => {
    const release = mkdtempSync(path.join(os.tmpdir(), 'puesta-src-'));
    try {
      const long = `0002-${'x'.repeat(95)}`;
      for (const [id, meta] of [['0001-a', { reversible: 'yes', compat: 'expand' }], [long, { reversible: 'no', compat: 'contract', requires: ['0001-a'] }]] as const) {
        mkdirSync(path.join(release, 'db', 'patches', id), { recursive: true });
        writeFileSync(path.join(release, 'db', 'patches', id, 'patch.json'), JSON.stringify({ id, ...meta }));
        writeFileSync(path.join(release, 'db', 'patches', id, 'up.sql'), `-- ${id}\nSELECT 'ñ';`);
      }
      writeFileSync(path.join(release, 'db', 'patches', '0001-a', 'down.sql'), 'SELECT 2;');
      writeFileSync(path.join(release, 'VERSION'), 'v1');
      const tgz = path.join(release, '..', `${path.basename(release)}.tar.gz`);
      execFileSync('tar', ['-czf', tgz, '-C', release, '.']);
      const dir = readSourcePatches({ kind: 'directory', path: release })!;
      const tar = readSourcePatches({ kind: 'tarball', path: tgz })!;
      expect(dir.map((p) => p.meta.id)).toEqual(['0001-a', long]);
      expect(tar.map((p) => [p.meta.id, p.up, p.down, p.checksum])).toEqual(dir.map((p) => [p.meta.id, p.up, p.down, p.checksum]));
      expect(tarFiles(gunzipSync(readFileSync(tgz))).map(([n]) => n)).toContain(`db/patches/${long}/patch.json`);
      rmSync(path.join(release, 'db'), { recursive: true });
      execFileSync('tar', ['-czf', tgz, '-C', release, '.']);
      expect([readSourcePatches({ kind: 'directory', path: release }), readSourcePatches({ kind: 'tarball', path: tgz })]).toEqual([null, null]);
      rmSync(tgz);
      expect(() => readSourcePatches({ kind: 'tarball', path: tgz })).toThrow(/does not exist/);
    } finally {
      rmSync(release, { recursive: true, force: true });
    }
  });
});

describe('pre-patch backups', () => {
  const db: Database = {
    id: 1, applicationId: 1, name: 'main db', engine: 'postgresql', serverId: 1, serverName: 's', host: '127.0.0.1', port: 5432, database: 'shop', user: 'shop', passwordSet: true,
    backupDir: '/b', backupBeforePatch: false, backupMaxAgeHours: 24,
  };

  it('finds the newest dump or archive of a folder (times from the host, NUL-separated)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-backups-'));
    try {
      const put = (name: string, secondsAgo: number) => {
        writeFileSync(path.join(dir, name), 'x'.repeat(10));
        const t = (Date.now() - secondsAgo * 1000) / 1000;
        utimesSync(path.join(dir, name), t, t);
      };
      put('shop-20261201T000000Z.tar', 7200);
      put("main-new\nline 'q'.dump", 60);
      put('notes.txt', 1);
      const r = await new LocalExecutor().exec(host, scanCommand(dir));
      const f = newestFile(r.stdout)!;
      expect([f.path, f.bytes]).toEqual([path.join(dir, "main-new\nline 'q'.dump"), 10]);
      expect(Math.abs(Date.parse(f.takenAt) - (Date.now() - 60_000))).toBeLessThan(5_000);
      expect(newestFile((await new LocalExecutor().exec(host, scanCommand(path.join(dir, 'none')))).stdout)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restores a dump with pg_restore in one transaction, a .sql.gz with psql; the file and the database quoted, the password on stdin', () => {
    const c = restoreCommand({ ...db, database: "shop's" }, "/b/main db-1.dump");
    expect(c).toContain("f='/b/main db-1.dump'");
    expect(c).toMatch(/pg_restore --clean --if-exists --single-transaction --exit-on-error .* -d 'shop'\\''s' "\$f"/);
    expect(c).toMatch(/\*\.sql\.gz\) gunzip -c -- "\$f" \| psql .*--single-transaction/);
    expect(c).toContain('IFS= read -r PGPASSWORD');
    expect(c).not.toContain('PGPASSWORD=');
  });

  it('refuses patches past the age limit or with no backup known; without a limit only shows the age', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const b = (hoursAgo: number) => ({ databaseId: 1, path: '/b/x.dump', bytes: 1, takenAt: new Date(now - hoursAgo * 3_600_000).toISOString(), source: 'found' as const, runId: null });
    expect(backupRefusal(db, b(2), now)).toBeNull();
    expect(backupRefusal(db, b(30), now)).toMatch(/is 30 h old, over its limit of 24 h/);
    expect(backupRefusal(db, null, now)).toMatch(/No backup of main db is known/);
    expect(backupRefusal({ ...db, backupMaxAgeHours: null }, null, now)).toBeNull();
    expect(dumpName(db, new Date('2026-12-02T01:30:00.123Z'))).toBe('main_db-20261202T013000Z.dump');
  });
});

describe('backfills in batches', () => {
  it('turns an UPDATE … WHERE into a batch of at most n rows still matching; leaves alone what it cannot batch', () => {
    expect(batchedUpdate("UPDATE app.orders SET status = 'new' WHERE status IS NULL AND (a = ')' OR b IN (SELECT 1 WHERE true))", 500)).toBe(
      `UPDATE app.orders SET status = 'new' WHERE ctid = ANY (ARRAY(SELECT ctid FROM "app"."orders" WHERE status IS NULL AND (a = ')' OR b IN (SELECT 1 WHERE true)) LIMIT 500))`,
    );
    expect(batchedUpdate('UPDATE ONLY "My T" SET x = 1 WHERE x IS NULL', 10)).toBe('UPDATE ONLY "My T" SET x = 1 WHERE ctid = ANY (ARRAY(SELECT ctid FROM "My T" WHERE x IS NULL LIMIT 10))');
    expect(batchedUpdate('UPDATE orders SET x = 1', 10)).toBeNull();
    expect(batchedUpdate('UPDATE orders o SET x = 1 WHERE o.x IS NULL', 10)).toBeNull();
    expect(batchedUpdate('UPDATE orders SET x = c.x FROM c WHERE c.id = orders.id', 10)).toBeNull();
    expect(batchedUpdate('UPDATE orders SET x = 1 WHERE x IS NULL RETURNING id', 10)).toBeNull();
    expect(batchedUpdate('DELETE FROM orders WHERE x IS NULL', 10)).toBeNull();
    expect(batchLimit(1000, 100)).toBe(32);
  });

  it('warns when batchSize is set on a transactional patch (batches would not commit alone)', () => {
    const meta = PatchMeta.parse({ id: 'p', reversible: 'no', compat: 'expand', batchSize: 100 });
    expect(lintPatch(meta, { up: 'UPDATE t SET a = 1 WHERE a IS NULL;', down: null, verify: 'SELECT true;' }).map((f) => f.rule)).toEqual(['batch-in-transaction']);
  });
});
