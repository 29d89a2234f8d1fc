/**
 * Issue 13, what came with the release: the run reads the patch set from the uploaded release's
 * `db/patches/` on the host (real sshd), records it per release, refuses a release whose applied
 * patch changed, and a rollback undoes what its target release did not carry. The pre-patch backup
 * (pg_dump on the host, or the newest file of the database's backup folder) and its age limit.
 * The trace of schema-qualified and quoted names on the schema-only copy. PostgreSQL 15 on
 * 127.0.0.1, reached through the host's tunnel.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodInput, MethodOutput, PatchMeta } from '../../shared/contract/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

let pg: TestPostgres;
let hs: TestHosts;
let tc: TestCore;
let T = '';
let envId = 0;
let serverId = 0;
const PASSWORD = 'r3lease-secret';

type Def = { meta: Partial<PatchMeta> & Pick<PatchMeta, 'reversible' | 'compat'>; up: string; down?: string };

/** A release folder (a directory source) carrying these patches in db/patches/. */
function release(app: string, v: string, patches: Record<string, Def>) {
  const d = path.join(T, 'src', app, v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'VERSION'), `${v}\n`);
  for (const [id, p] of Object.entries(patches)) {
    const dir = path.join(d, 'db', 'patches', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'patch.json'), JSON.stringify({ id, ...p.meta }));
    writeFileSync(path.join(dir, 'up.sql'), p.up);
    if (p.down != null) writeFileSync(path.join(dir, 'down.sql'), p.down);
  }
  return { kind: 'directory' as const, path: d };
}

async function settle(id: number): Promise<MethodOutput<'runs.get'>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await call(tc.core, 'runs.get', { id });
    if (r.state !== 'running') return r;
    if (Date.now() > deadline) throw new Error('run did not settle');
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function runToEnd(appId: number, kind: 'install' | 'upgrade', v: string, patches: Record<string, Def>) {
  const run = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind, source: release(`app${appId}`, v, patches), label: v });
  return settle(run.id);
}

const stepLog = async (r: MethodOutput<'runs.get'>, key: string) =>
  (await call(tc.core, 'runs.logs', { runId: r.id, stepIndex: r.steps.findIndex((s) => s.key === key) })).items.map((l) => l.text).join('');
const failedError = (r: MethodOutput<'runs.get'>) => r.cells.find((c) => c.state === 'failed')?.error ?? '';

/** An application placed on the host with its own database (owned by the role shop). */
async function appWithDatabase(name: string, db: Partial<MethodInput<'dbpatch.saveDatabase'>> = {}) {
  pg.psql(`CREATE DATABASE ${name} OWNER shop;`);
  const appId = (await call(tc.core, 'applications.create', { name, runtimeUser: 'puesta-deploy', basePath: `/srv/${name}` })).id;
  await call(tc.core, 'placements.create', { applicationId: appId, serverId, role: 'web' });
  const dbId = (await call(tc.core, 'dbpatch.saveDatabase', { applicationId: appId, name: 'main', serverId, host: '127.0.0.1', port: pg.port, database: name, user: 'shop', password: PASSWORD, ...db })).id;
  const sq = (sql: string) => pg.psql(`SET ROLE shop; ${sql}`, name);
  return { appId, dbId, sq };
}

/** A folder the deploy user can write into (the backups' folder on the "server": same machine). */
function openDir(name: string): string {
  const d = path.join(T, name);
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o777);
  return d;
}

const ORDERS: Def = {
  meta: { reversible: 'yes', compat: 'expand' },
  up: "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);\nINSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 500) g;",
  down: 'DROP TABLE orders;',
};

beforeAll(async () => {
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-dbrel-'));
  chmodSync(T, 0o755);
  pg = await startPostgres();
  pg.psql(`CREATE ROLE shop LOGIN PASSWORD '${PASSWORD}';`);
  hs = await startHosts({ count: 1 });
  tc = makeCore();
  await call(tc.core, 'settings.setOperator', { name: 'alice' });
  envId = (await call(tc.core, 'environments.create', { name: 'staging' })).id;
  const [row] = await trustAll(tc.core, hs.hosts);
  serverId = row!.serverId;
  await call(tc.core, 'servers.update', { id: serverId, environmentId: envId });
}, 120_000);

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
  pg?.stop();
  if (T) rmSync(T, { recursive: true, force: true });
}, 60_000);

describe('patches read from the release', () => {
  it('a run applies the patches its release carries, after a pg_dump on the host; the set is recorded per release; a rollback undoes what the target release did not carry; an edited applied patch refuses the release', async () => {
    const backups = openDir('backups');
    const { appId, dbId, sq } = await appWithDatabase('relshop', { backupDir: backups, backupBeforePatch: true, backupMaxAgeHours: 24 });

    const v1 = await runToEnd(appId, 'install', 'v1', { '0001-orders': ORDERS });
    expect(v1.state, failedError(v1)).toBe('succeeded');
    expect(sq("SELECT string_agg(patch_id || ':' || state || ':' || release_key, ',') FROM puesta.patch_ledger")).toBe(`0001-orders:done:${v1.releaseKey}`);
    expect(await stepLog(v1, 'db-patches')).toMatch(/Release patches \(.*\/releases\/.*\/db\/patches\): 0001-orders\.[\s\S]*Pre-patch backup of main: /);
    let list = await call(tc.core, 'dbpatch.list', { applicationId: appId });
    expect(list.releases.map((r) => [r.releaseKey, r.patches.map((p) => p.patchId)])).toEqual([[v1.releaseKey, ['0001-orders']]]);
    expect(list.patches[0]!.sourcePath).toMatch(/^.+:\/srv\/relshop\/releases\/.+\/db\/patches\/0001-orders$/);
    // the dump is a real pg_dump custom-format file on the host, taken before the patch (no orders table in it)
    const dump = list.backups[0]!;
    expect([dump.source, dump.runId, existsSync(dump.path)]).toEqual(['pre-patch', v1.id, true]);
    expect(readFileSync(dump.path).subarray(0, 5).toString()).toBe('PGDMP');
    expect(dump.bytes).toBeGreaterThan(100);

    // v2: the same 0001 reformatted (not a change) and a new 0002
    const v2 = await runToEnd(appId, 'upgrade', 'v2', {
      '0001-orders': { ...ORDERS, up: `-- reformatted\n${ORDERS.up.replace(' (note)', '(note)')}` },
      '0002-status': { meta: { reversible: 'yes', compat: 'expand', requires: ['0001-orders'] }, up: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", down: 'ALTER TABLE orders DROP COLUMN status;' },
    });
    expect(v2.state, failedError(v2)).toBe('succeeded');
    expect(sq("SELECT count(*) FROM orders WHERE status = 'new'")).toBe('500');
    list = await call(tc.core, 'dbpatch.list', { applicationId: appId });
    expect(list.releases.map((r) => [r.releaseKey, r.patches.map((p) => p.patchId)])).toEqual([
      [v2.releaseKey, ['0001-orders', '0002-status']],
      [v1.releaseKey, ['0001-orders']],
    ]);
    expect(list.states.map((s) => [s.patchId, s.state, s.mismatch])).toEqual([
      ['0001-orders', 'applied', false],
      ['0002-status', 'applied', false],
    ]);

    // going back to v1 undoes what v1 did not carry
    const plan = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId, toReleaseKey: v1.releaseKey });
    expect(plan.patches.map((p) => p.patchId)).toEqual(['0002-status']);
    expect(plan.lastBackupAt).not.toBeNull();
    expect(Date.now() - Date.parse(plan.lastBackupAt!)).toBeLessThan(120_000);
    const rb = await settle((await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'rollback', rollbackTo: v1.releaseKey })).id);
    expect(rb.state, failedError(rb)).toBe('succeeded');
    expect(sq("SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'status' AND NOT attisdropped")).toBe('0');
    expect(sq("SELECT direction FROM puesta.patch_ledger WHERE patch_id = '0002-status' ORDER BY id DESC LIMIT 1")).toBe('down');
    // … and the next upgrade carrying it applies it again: up / down / up, ledger and mirror agree
    const v2b = await runToEnd(appId, 'upgrade', 'v2b', {
      '0001-orders': ORDERS,
      '0002-status': { meta: { reversible: 'yes', compat: 'expand', requires: ['0001-orders'] }, up: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", down: 'ALTER TABLE orders DROP COLUMN status;' },
    });
    expect(v2b.state, failedError(v2b)).toBe('succeeded');
    expect(sq("SELECT string_agg(direction, ',' ORDER BY id) FROM puesta.patch_ledger WHERE patch_id = '0002-status'")).toBe('up,down,up');
    expect(sq("SELECT count(*) FROM orders WHERE status = 'new'")).toBe('500');
    expect((await call(tc.core, 'dbpatch.list', { applicationId: appId })).states.find((s) => s.patchId === '0002-status')!.state).toBe('applied');

    // v3 carries a real edit of the applied 0001 (and a new 0003): refused before anything is applied or switched
    const v3 = await runToEnd(appId, 'upgrade', 'v3', {
      '0001-orders': { ...ORDERS, up: ORDERS.up.replace('500', '600') },
      '0003-tags': { meta: { reversible: 'yes', compat: 'expand' }, up: 'CREATE TABLE tags (id int);', down: 'DROP TABLE tags;' },
    });
    expect(v3.state).toBe('waiting');
    expect(failedError(v3)).toMatch(new RegExp(`0001-orders was edited after it was applied on main \\(checksum differs in release ${v3.releaseKey}\\)`));
    expect(sq("SELECT to_regclass('tags') IS NULL")).toBe('t');
    expect(sq("SELECT count(*) FROM puesta.patch_ledger WHERE patch_id = '0003-tags'")).toBe('0');
    expect(v3.cells.find((c) => v3.steps[c.stepIndex]!.key === 'switch')!.state).toBe('pending');
    expect((await call(tc.core, 'dbpatch.list', { applicationId: appId })).states.find((s) => s.patchId === '0001-orders')!.mismatch).toBe(true);
    await call(tc.core, 'runs.act', { id: v3.id, action: 'abort' });
    void dbId;
  }, 180_000);

  it('the last backup found in the database’s backup folder is shown in the dry run; past the limit the patches are refused, a fresh one lets them run', async () => {
    const folder = openDir('old-backups');
    const old = path.join(folder, 'agedb-20261128T010000Z.tar');
    writeFileSync(old, 'archive');
    const threeDays = (Date.now() - 3 * 86_400_000) / 1000;
    utimesSync(old, threeDays, threeDays);
    const { appId, dbId, sq } = await appWithDatabase('agedb', { backupDir: folder, backupMaxAgeHours: 24 });

    const patches = { '0001-orders': ORDERS };
    const r = await runToEnd(appId, 'install', 'v1', patches);
    expect(r.state).toBe('waiting');
    expect(failedError(r)).toMatch(/The last backup of main \(.*agedb-20261128T010000Z\.tar\) is 3 d old, over its limit of 24 h/);
    expect(sq("SELECT to_regclass('orders') IS NULL")).toBe('t');

    const dry = await call(tc.core, 'dbpatch.dryRun', { databaseId: dbId });
    expect([dry.lastBackup?.path, dry.lastBackup?.source, dry.backupTooOld]).toEqual([old, 'found', true]);
    const plan = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId });
    expect(Math.round((Date.now() - Date.parse(plan.lastBackupAt!)) / 86_400_000)).toBe(3);

    writeFileSync(path.join(folder, 'agedb-fresh.dump'), 'dump');
    await call(tc.core, 'runs.act', { id: r.id, action: 'retry' });
    const done = await settle(r.id);
    expect(done.state, failedError(done)).toBe('succeeded');
    expect(await stepLog(done, 'db-patches')).toMatch(/Last backup of main: .*agedb-fresh\.dump, \d+ min old/);
    expect(sq('SELECT count(*) FROM orders')).toBe('500');
    expect((await call(tc.core, 'dbpatch.dryRun', { databaseId: dbId })).backupTooOld).toBe(false);
    // a dump before patches needs a folder
    expect((await fails(tc.core, 'dbpatch.saveDatabase', { id: dbId, applicationId: appId, name: 'main', serverId, port: pg.port, database: 'agedb', user: 'shop', backupBeforePatch: true })).code).toBe('INVALID_INPUT');
  }, 180_000);

  it('the trace runs schema-qualified and quoted names on the copy: app.orders text → varchar(20) rewrites, numeric(12,2) → numeric(14,2) does not', async () => {
    const { appId, dbId, sq } = await appWithDatabase('qualified');
    pg.psql('CREATE SCHEMA app AUTHORIZATION shop;', 'qualified');
    sq(`CREATE TABLE app.orders (id bigserial PRIMARY KEY, note text, amount numeric(12,2));
        INSERT INTO app.orders (note, amount) SELECT 'n' || g, g FROM generate_series(1, 3000) g;
        CREATE TABLE "My Table" (id int, "Unit Price" numeric(12,2));`);
    const dir = path.join(T, 'qualified-patches');
    const defs: Record<string, Def> = {
      '0001-types': {
        meta: { reversible: 'yes', compat: 'contract' },
        up: 'ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(20);\nALTER TABLE App."orders" ALTER COLUMN amount TYPE numeric(14,2);\nALTER TABLE "My Table" ALTER COLUMN "Unit Price" SET NOT NULL;',
        down: 'ALTER TABLE "My Table" ALTER COLUMN "Unit Price" DROP NOT NULL;\nALTER TABLE app.orders ALTER COLUMN amount TYPE numeric(12,2);\nALTER TABLE app.orders ALTER COLUMN note TYPE text;',
      },
    };
    for (const [id, p] of Object.entries(defs)) {
      mkdirSync(path.join(dir, id), { recursive: true });
      writeFileSync(path.join(dir, id, 'patch.json'), JSON.stringify({ id, ...p.meta }));
      writeFileSync(path.join(dir, id, 'up.sql'), p.up);
      writeFileSync(path.join(dir, id, 'down.sql'), p.down!);
    }
    await call(tc.core, 'dbpatch.import', { applicationId: appId, path: dir });
    const d = await call(tc.core, 'dbpatch.dryRun', { databaseId: dbId });
    const p = d.patches[0]!;
    expect(p.traceError).toBeNull();
    expect(p.statements.map((s) => [s.table, s.rewrite, s.lockMode])).toEqual([
      ['app.orders', true, 'AccessExclusiveLock'],
      ['app.orders', false, 'AccessExclusiveLock'],
      ['"My Table"', false, 'AccessExclusiveLock'],
    ]);
    expect(p.downRestores).toBe(true);
    expect(d.tables.find((t) => t.table === 'app.orders')!.rows).toBeGreaterThan(0);
    expect(d.tables.find((t) => t.table === '"My Table"')).toBeDefined();
    // nothing was changed on the real tables, nothing left behind
    expect(sq("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'app.orders'::regclass AND attname = 'note'")).toBe('text');
    expect(sq("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'puesta_trace%'")).toBe('0');
  }, 60_000);

  it('a backfill with batchSize runs in batches committed one by one until none is left; a WHERE that never excludes the rows done stops', async () => {
    const { appId, sq } = await appWithDatabase('backfill');
    const table: Def = { meta: { reversible: 'yes', compat: 'expand' }, up: "CREATE TABLE items (id bigserial PRIMARY KEY, name text);\nINSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 1000) g;", down: 'DROP TABLE items;' };
    const upper: Def = { meta: { reversible: 'no', compat: 'expand', transactional: false, batchSize: 100 }, up: 'UPDATE items SET name = upper(name) WHERE name <> upper(name);' };
    const r = await runToEnd(appId, 'install', 'v1', { '0001-items': table, '0002-upper': upper });
    expect(r.state, failedError(r)).toBe('succeeded');
    expect(await stepLog(r, 'db-patches')).toContain('0002-upper statement 1: 1000 rows in 10 batch(es) of at most 100.');
    expect(sq("SELECT count(*) FROM items WHERE name LIKE 'ITEM %'")).toBe('1000');

    const endless: Def = { meta: { reversible: 'no', compat: 'expand', transactional: false, batchSize: 100 }, up: 'UPDATE items SET name = name WHERE id > 0;' };
    const bad = await runToEnd(appId, 'upgrade', 'v2', { '0001-items': table, '0002-upper': upper, '0003-endless': endless });
    expect(failedError(bad)).toMatch(/0003-endless statement 1: 32 batches of 100 and rows still match: its WHERE must leave out the rows already changed/);
    expect(sq("SELECT state || ':' || statements_done FROM puesta.patch_ledger WHERE patch_id = '0003-endless'")).toBe('applying:0');
    await call(tc.core, 'runs.act', { id: bad.id, action: 'abort' });
  }, 120_000);

  it('a rollback past an irreversible patch decided "restore" restores the pre-patch dump on the host: the data the patch changed is back, ledger and audit say so', async () => {
    const backups = openDir('restore-backups');
    const { appId, sq } = await appWithDatabase('restshop', { backupDir: backups, backupBeforePatch: true, backupMaxAgeHours: 24 });
    const v1 = await runToEnd(appId, 'install', 'v1', { '0001-orders': ORDERS });
    expect(v1.state, failedError(v1)).toBe('succeeded');
    sq("UPDATE orders SET note = 'kept ' || id WHERE id <= 10");
    const wipe: Def = { meta: { reversible: 'no', compat: 'contract' }, up: 'ALTER TABLE orders DROP COLUMN note;\nCREATE TABLE audit (id int);' };
    // the destructive up is refused until acknowledged for this database
    const dbId = (await call(tc.core, 'dbpatch.list', { applicationId: appId })).databases[0]!.id;
    release(`app${appId}`, 'v2', { '0001-orders': ORDERS, '0002-wipe': wipe });
    await call(tc.core, 'dbpatch.import', { applicationId: appId, path: path.join(T, 'src', `app${appId}`, 'v2', 'db', 'patches') });
    await call(tc.core, 'dbpatch.acknowledge', { databaseId: dbId, patchId: '0002-wipe', what: 'risk', reason: 'note moves to another service' });
    const v2 = await runToEnd(appId, 'upgrade', 'v2', { '0001-orders': ORDERS, '0002-wipe': wipe });
    expect(v2.state, failedError(v2)).toBe('succeeded');
    expect(sq("SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note' AND NOT attisdropped")).toBe('0');
    // a write after the patch: the restore loses it (the log says everything since is lost)
    sq('INSERT INTO orders DEFAULT VALUES');

    const plan = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId, toReleaseKey: v1.releaseKey });
    expect([plan.blocked, plan.appOnlyOffered, plan.patches.map((p) => p.patchId)]).toEqual([true, false, ['0002-wipe']]);
    expect((await fails(tc.core, 'dbpatch.decideRollback', { applicationId: appId, environmentId: envId, toReleaseKey: v1.releaseKey, decision: 'restore', confirm: 'restshopX' })).code).toBe('INVALID_INPUT');
    await call(tc.core, 'dbpatch.decideRollback', { applicationId: appId, environmentId: envId, toReleaseKey: v1.releaseKey, decision: 'restore', confirm: 'restshop' });
    const rb = await settle((await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'rollback', rollbackTo: v1.releaseKey })).id);
    expect(rb.state, failedError(rb)).toBe('succeeded');
    // the v2 run's pre-patch dump (not v1's, taken before the orders table existed)
    const v2dump = (await call(tc.core, 'dbpatch.list', { applicationId: appId })).backups[0]!;
    const revertLog = await stepLog(rb, 'db-revert');
    expect(revertLog).toContain(`Restoring main from ${v2dump.path} (taken ${v2dump.takenAt}, `);
    expect(revertLog).toMatch(/, \d+ min old\): undoes 0002-wipe; everything written since is lost/);
    expect(sq("SELECT count(*) || ':' || count(*) FILTER (WHERE note LIKE 'kept %') FROM orders")).toBe('500:10');
    expect(sq("SELECT direction || ':' || note FROM puesta.patch_ledger WHERE patch_id = '0002-wipe' ORDER BY id DESC LIMIT 1")).toBe(`down:restored from ${v2dump.path} (${v2dump.takenAt})`);
    const st = (await call(tc.core, 'dbpatch.list', { applicationId: appId })).states.find((s) => s.patchId === '0002-wipe')!;
    expect(st.state).not.toBe('applied');
    const audit = await call(tc.core, 'audit.list', { action: 'dbpatch.restore', limit: 5, offset: 0 });
    expect(audit.items.map((a) => a.action)).toEqual(['dbpatch.restore']);
    // the decision was used: the next rollback past an irreversible patch needs a new one
    expect((await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId, toReleaseKey: v1.releaseKey })).decision).toBeNull();
  }, 180_000);

  it('the upgrade review reads db/patches/ of a local directory or .tar.gz source before upload: pending per database, with verdicts; an edited applied patch is refused', async () => {
    const { appId, sq } = await appWithDatabase('revshop');
    const v1 = await runToEnd(appId, 'install', 'v1', { '0001-orders': ORDERS });
    expect(v1.state, failedError(v1)).toBe('succeeded');
    const v2 = release(`app${appId}`, 'v2', {
      '0001-orders': ORDERS,
      '0002-status': { meta: { reversible: 'yes', compat: 'expand' }, up: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", down: 'ALTER TABLE orders DROP COLUMN status;' },
      '0003-token': { meta: { reversible: 'yes', compat: 'expand' }, up: 'ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();', down: 'ALTER TABLE orders DROP COLUMN token;' },
    });
    const tarball = path.join(T, 'revshop-v2.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', v2.path, '.']);
    const verdicts = (r: MethodOutput<'dbpatch.review'>) => r.databases.map((d) => [d.name, d.error, d.pending.map((p) => `${p.patchId}:${p.verdict}`)]);
    for (const source of [v2, { kind: 'tarball' as const, path: tarball }]) {
      const r = await call(tc.core, 'dbpatch.review', { applicationId: appId, source });
      expect([r.from, r.patches]).toEqual(['release', ['0001-orders', '0002-status', '0003-token']]);
      // 0001 is applied; the volatile default is refused until acknowledged
      expect(verdicts(r)).toEqual([['main', null, ['0002-status:safe', '0003-token:refused']]]);
      expect(r.databases[0]!.pending[1]!.reasons.join(' ')).toMatch(/refused until acknowledged/);
    }
    // read here, not imported nor applied
    expect((await call(tc.core, 'dbpatch.list', { applicationId: appId })).patches.map((p) => p.patchId)).toEqual(['0001-orders']);
    expect(sq('SELECT count(*) FROM puesta.patch_ledger')).toBe('1');
    // a release editing the applied 0001: listed as refused
    const edited = await call(tc.core, 'dbpatch.review', { applicationId: appId, source: release(`app${appId}`, 'v3', { '0001-orders': { ...ORDERS, up: ORDERS.up.replace('500', '600') } }) });
    expect(verdicts(edited)).toEqual([['main', null, ['0001-orders:refused']]]);
    // a source without db/patches/: the imported patches apply
    const bare = path.join(T, 'bare');
    mkdirSync(bare, { recursive: true });
    expect((await call(tc.core, 'dbpatch.review', { applicationId: appId, source: { kind: 'directory', path: bare } })).from).toBe('imported');
  }, 120_000);
});
