/**
 * Issue 13 end to end: database patches on a private PostgreSQL 15 on 127.0.0.1, reached through a
 * real sshd test host's tunnel (forwardOut), applied by the runs engine's `db-patches` step and
 * directly: ledger and local mirror, the guard, a half-applied non-transactional patch completed,
 * lock_timeout + retry behind a 6 s blocker, two sessions at once with CREATE INDEX CONCURRENTLY,
 * checksums, the trace's rewrite detection, verify failure → down, and rollback across patches.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPending } from '../../electron/core/dbpatch/apply.js';
import { openTarget } from '../../electron/core/dbpatch/connect.js';
import { databaseOf, patchesOf } from '../../electron/core/dbpatch/patch-store.js';
import { PgConnection, PgError } from '../../electron/core/dbpatch/pg/client.js';
import { serverTarget } from '../../electron/core/ssh/target.js';
import type { MethodOutput, PatchMeta } from '../../shared/contract/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'run-child.ts');
const APPLY_CHILD = path.join(import.meta.dirname, 'fixtures', 'dbpatch-apply-child.ts');
let pg: TestPostgres;
let hs: TestHosts;
let tc: TestCore;
let T = '';
let appId = 0;
let envId = 0;
let dbId = 0;
const PASSWORD = 'p4tch-secret';

type Def = { meta: Partial<PatchMeta> & Pick<PatchMeta, 'reversible' | 'compat'>; up: string; down?: string; verify?: string };

function writePatches(dir: string, defs: Record<string, Def>): string {
  for (const [id, d] of Object.entries(defs)) {
    const p = path.join(dir, id);
    mkdirSync(p, { recursive: true });
    writeFileSync(path.join(p, 'patch.json'), JSON.stringify({ id, ...d.meta }));
    writeFileSync(path.join(p, 'up.sql'), d.up);
    if (d.down != null) writeFileSync(path.join(p, 'down.sql'), d.down);
    if (d.verify != null) writeFileSync(path.join(p, 'verify.sql'), d.verify);
  }
  return dir;
}

const BASE_PATCHES: Record<string, Def> = {
  '0001-orders': {
    meta: { reversible: 'yes', compat: 'expand', guard: "SELECT to_regclass('orders') IS NULL" },
    up: `-- the orders table
CREATE TABLE orders (id bigserial PRIMARY KEY, note text, amount numeric(12,2));
INSERT INTO orders (note, amount) SELECT 'n' || g, g FROM generate_series(1, 2000) g;`,
    down: 'DROP TABLE orders;',
    verify: 'SELECT count(*) = 2000 FROM orders;',
  },
  '0002-status': {
    meta: { reversible: 'lossy', compat: 'expand', requires: ['0001-orders'] },
    up: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';",
    down: 'ALTER TABLE orders DROP COLUMN status;',
    verify: "SELECT count(*) = 2000 FROM orders WHERE status = 'new';",
  },
};

async function release(v: string) {
  const d = path.join(T, 'src', v);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'VERSION'), `${v}\n`);
  return { kind: 'directory' as const, path: d };
}

async function runToEnd(kind: 'install' | 'upgrade' | 'rollback', v: string): Promise<MethodOutput<'runs.get'>> {
  const run = await call(tc.core, 'runs.start', kind === 'rollback' ? { applicationId: appId, environmentId: envId, kind } : { applicationId: appId, environmentId: envId, kind, source: await release(v), label: v });
  return settle(run.id);
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

const states = async () => Object.fromEntries((await call(tc.core, 'dbpatch.list', { applicationId: appId })).states.map((s) => [s.patchId, s]));
// as the application's role (the owner of what the patches change)
const sq = (sql: string) => pg.psql(`SET ROLE shop; ${sql}`, 'shop');
const log = (lines: string[]) => (_s: string, t: string) => void lines.push(t);

async function applyDirect(lines: string[] = []) {
  const db = databaseOf(tc.core, dbId);
  const o = await openTarget(tc.core, db, 'test');
  try {
    return await applyPending({ core: tc.core, db, operator: 'test', runId: null, releaseKey: null, log: log(lines), lockWaitMs: 30_000 }, o.target, patchesOf(tc.core, appId));
  } finally {
    await o.close();
  }
}

async function importMore(defs: Record<string, Def>) {
  writePatches(path.join(T, 'patches'), defs);
  return call(tc.core, 'dbpatch.import', { applicationId: appId, path: path.join(T, 'patches') });
}

beforeAll(async () => {
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-dbpatch-'));
  pg = await startPostgres();
  pg.psql(`CREATE ROLE shop LOGIN PASSWORD '${PASSWORD}'; CREATE DATABASE shop OWNER shop;`);
  hs = await startHosts({ count: 1 });
  tc = makeCore();
  await call(tc.core, 'settings.setOperator', { name: 'alice' });
  envId = (await call(tc.core, 'environments.create', { name: 'staging' })).id;
  const [row] = await trustAll(tc.core, hs.hosts);
  await call(tc.core, 'servers.update', { id: row!.serverId, environmentId: envId });
  appId = (await call(tc.core, 'applications.create', { name: 'shop', runtimeUser: 'puesta-deploy', basePath: '/srv/shop' })).id;
  await call(tc.core, 'placements.create', { applicationId: appId, serverId: row!.serverId, role: 'web' });
  dbId = (await call(tc.core, 'dbpatch.saveDatabase', { applicationId: appId, name: 'main', serverId: row!.serverId, host: '127.0.0.1', port: pg.port, database: 'shop', user: 'shop', password: PASSWORD })).id;
  await importMore(BASE_PATCHES);
}, 120_000);

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
  pg?.stop();
  if (T) rmSync(T, { recursive: true, force: true });
}, 60_000);

describe('database patches through an SSH tunnel', () => {
  it('an install run applies the pending patches in its db-patches step (before the switch); ledger and mirror agree', async () => {
    const plan = await call(tc.core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: await release('v1'), label: 'v1' });
    const keys = plan.steps.map((s) => s.key);
    expect(keys.indexOf('db-patches')).toBe(keys.indexOf('switch') - 1);
    const r = await runToEnd('install', 'v1');
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(sq("SELECT string_agg(patch_id || ':' || direction || ':' || state, ',' ORDER BY id) FROM puesta.patch_ledger")).toBe('0001-orders:up:done,0002-status:up:done');
    expect(sq("SELECT count(*) FROM orders WHERE status = 'new'")).toBe('2000');
    const s = await states();
    expect([s['0001-orders']!.state, s['0002-status']!.state, s['0001-orders']!.runId]).toEqual(['applied', 'applied', r.id]);
    const logs = await call(tc.core, 'runs.logs', { runId: r.id, stepIndex: keys.indexOf('db-patches') });
    expect(logs.items.map((l) => l.text).join('')).toContain('0002-status: verified.');
  }, 90_000);

  it('a second apply finds nothing to do; a patch already in place is skipped by its guard', async () => {
    expect(await applyDirect()).toEqual({ applied: [], skipped: [] });
    sq('CREATE TABLE audit_log (id int)');
    await importMore({ '0003-audit': { meta: { reversible: 'yes', compat: 'expand', guard: "SELECT to_regclass('audit_log') IS NULL" }, up: 'CREATE TABLE audit_log (id int);', down: 'DROP TABLE audit_log;' } });
    expect(await applyDirect()).toEqual({ applied: [], skipped: ['0003-audit'] });
    expect(sq("SELECT note FROM puesta.patch_ledger WHERE patch_id = '0003-audit'")).toContain('guard');
  }, 30_000);

  it('a half-applied non-transactional patch is completed on the next run', async () => {
    await importMore({
      '0004-widgets': {
        meta: { reversible: 'yes', compat: 'expand', transactional: false, retries: 0 },
        up: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note ON orders (note);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS widgets_x ON widgets (x);',
        down: 'DROP INDEX CONCURRENTLY IF EXISTS widgets_x;\nDROP INDEX CONCURRENTLY IF EXISTS orders_note;',
      },
    });
    await expect(applyDirect()).rejects.toThrow(/0004-widgets failed/);
    expect(sq("SELECT state || ':' || statements_done FROM puesta.patch_ledger WHERE patch_id = '0004-widgets'")).toBe('applying:1');
    expect((await states())['0004-widgets']!.state).toBe('applying');
    sq('CREATE TABLE widgets (x int)');
    const lines: string[] = [];
    expect((await applyDirect(lines)).applied).toEqual(['0004-widgets']);
    expect(lines.join('')).toContain('continuing at statement 2');
    expect(sq("SELECT state || ':' || statements_done FROM puesta.patch_ledger WHERE patch_id = '0004-widgets'")).toBe('done:2');
  }, 30_000);

  it('node-postgres on a forwarded SSH stream: cancel stops the running statement from a second session (SQLSTATE 57014); the streams hold a channel while open', async () => {
    const db = databaseOf(tc.core, dbId);
    const o = await openTarget(tc.core, db, 'test');
    try {
      expect(tc.core.services.ssh.stats(db.serverId).activeChannels).toBe(1);
      expect(sq("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'puesta test'")).toBe('1');
      const t0 = Date.now();
      const sleeping = o.target.exec('SELECT pg_sleep(30)').then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      await o.target.cancel();
      const e = await sleeping;
      expect(e).toBeInstanceOf(PgError);
      expect((e as PgError).sqlstate).toBe('57014');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(await o.target.bool('SELECT true')).toBe(true);
    } finally {
      await o.close();
    }
    await expect.poll(() => tc.core.services.ssh.stats(db.serverId).activeChannels).toBe(0);
    // a wrong password is the login's refusal (SCRAM over the forwarded stream), not a database error
    const stream = () => tc.core.services.ssh.forward(serverTarget(tc.core, db.serverId), '127.0.0.1', pg.port);
    await expect(PgConnection.connect({ stream, user: 'shop', database: 'shop', password: 'wrong' })).rejects.toMatchObject({ code: 'SSH_AUTH_FAILED' });
  }, 30_000);

  it('behind a 6 s reader: the patch retries on lock_timeout, readers wait < lock_timeout + 300 ms, and it lands after', async () => {
    await importMore({ '0005-flag': { meta: { reversible: 'yes', compat: 'expand', lockTimeoutMs: 1000, retries: 20 }, up: 'ALTER TABLE orders ADD COLUMN flag int DEFAULT 0;', down: 'ALTER TABLE orders DROP COLUMN flag;' } });
    const blocker = spawn('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/psql', '-h', pg.socketDir, '-p', String(pg.port), '-d', 'shop', '-X', '-q', '-c', 'BEGIN; SELECT count(*) FROM orders; SELECT pg_sleep(6); COMMIT;']);
    const blockerDone = new Promise((r) => blocker.on('exit', r));
    await new Promise((r) => setTimeout(r, 500));
    const reader = new pgClient.Client({ host: '127.0.0.1', port: pg.port, user: 'shop', database: 'shop', password: PASSWORD });
    await reader.connect();
    let stop = false;
    let worst = 0;
    const reading = (async () => {
      while (!stop) {
        const t0 = Date.now();
        await reader.query('SELECT note FROM orders WHERE id = 7');
        worst = Math.max(worst, Date.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const lines: string[] = [];
    const t0 = Date.now();
    let r: Awaited<ReturnType<typeof applyDirect>>;
    try {
      r = await applyDirect(lines);
    } finally {
      stop = true;
      await reading;
      await reader.end();
      await blockerDone;
    }
    const took = Date.now() - t0;
    expect(r.applied).toEqual(['0005-flag']);
    expect(took).toBeGreaterThan(4_000);
    expect(lines.join('')).toMatch(/lock not granted within lock_timeout \(attempt 1/);
    expect(worst).toBeLessThan(1300);
  }, 40_000);

  it('two Puesta processes (own data folders) applying at once (CREATE INDEX CONCURRENTLY): no deadlock, the second finds nothing to do', async () => {
    const idx: Record<string, Def> = { '0006-idx': { meta: { reversible: 'yes', compat: 'expand', transactional: false }, up: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_amount ON orders (amount);', down: 'DROP INDEX CONCURRENTLY IF EXISTS orders_amount;' } };
    const patchesDir = writePatches(path.join(T, 'race'), idx);
    const children = ['bob', 'carol'].map((operator) => {
      const child = spawn(process.execPath, ['--import', 'tsx', APPLY_CHILD, JSON.stringify({ host: hs.hosts[0], pgPort: pg.port, password: PASSWORD, patchesDir, operator })], { stdio: ['pipe', 'pipe', 'pipe'] });
      const events: { ev: string; result?: { applied: string[]; skipped: string[] }; message?: string; log?: string }[] = [];
      let buf = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const next = (ev: string) =>
        new Promise<(typeof events)[number]>((resolve, reject) => {
          const look = () => {
            const m = events.find((e) => e.ev === ev || e.ev === 'error');
            if (m) return resolve(m);
          };
          child.stdout!.on('data', (d: Buffer) => {
            buf += d.toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              events.push(JSON.parse(buf.slice(0, nl)));
              buf = buf.slice(nl + 1);
            }
            look();
          });
          child.once('exit', (code) => reject(new Error(`child ${operator} exited (${code}) before '${ev}': ${err}`)));
          look();
        });
      const done = next('done');
      done.catch(() => undefined); // awaited below once both are ready
      return { child, ready: next('ready'), done, pid: child.pid };
    });
    try {
      for (const c of children) {
        const m = await c.ready;
        expect(m.ev, m.message).toBe('ready');
      }
      // both start together: each its own process, pool, SSH connection and forwarded stream
      for (const c of children) c.child.stdin!.write('go\n');
      const [a, b] = await Promise.all(children.map((c) => c.done));
      expect([a!.ev, b!.ev], JSON.stringify([a, b])).toEqual(['done', 'done']);
      expect(children[0]!.pid).not.toBe(children[1]!.pid);
      expect([...a!.result!.applied, ...b!.result!.applied]).toEqual(['0006-idx']);
      expect([a!.result!.applied.length, b!.result!.applied.length].sort()).toEqual([0, 1]);
    } finally {
      for (const c of children) c.child.kill('SIGKILL');
    }
    expect(sq("SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_amount'::regclass")).toBe('t');
    expect(sq("SELECT count(*) || ':' || min(operator) FROM puesta.patch_ledger WHERE patch_id = '0006-idx'")).toMatch(/^1:(bob|carol)$/);
    // this process too: nothing left to do once it knows the patch
    await importMore(idx);
    expect(await applyDirect()).toEqual({ applied: [], skipped: [] });
  }, 90_000);

  it('a whitespace edit of an applied patch is not a mismatch; a real edit is, until accepted (audited)', async () => {
    const dir = path.join(T, 'patches', '0002-status');
    writeFileSync(path.join(dir, 'up.sql'), "-- reformatted\nALTER TABLE orders\n   ADD COLUMN status text DEFAULT 'new' ;\n");
    expect((await call(tc.core, 'dbpatch.import', { applicationId: appId, path: path.join(T, 'patches') })).changed).toEqual([]);
    expect((await states())['0002-status']!.mismatch).toBe(false);
    writeFileSync(path.join(dir, 'up.sql'), "ALTER TABLE orders ADD COLUMN status text DEFAULT 'old';\n");
    expect((await call(tc.core, 'dbpatch.import', { applicationId: appId, path: path.join(T, 'patches') })).changed).toEqual(['0002-status']);
    expect((await states())['0002-status']!.mismatch).toBe(true);
    await expect(applyDirect()).rejects.toThrow(/edited after it was applied/);
    await call(tc.core, 'dbpatch.acknowledge', { databaseId: dbId, patchId: '0002-status', what: 'checksum', reason: 'default fixed in code, not in data' });
    expect((await states())['0002-status']!.mismatch).toBe(false);
    expect(sq("SELECT count(*) FROM puesta.patch_ledger WHERE direction = 'accept'")).toBe('1');
  }, 30_000);

  it('the dry run traces text → varchar(20) as a rewrite, numeric(12,2) → numeric(14,2) not; lock modes, sizes, verdicts', async () => {
    await importMore({
      '0007-types': {
        meta: { reversible: 'yes', compat: 'contract' },
        up: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);\nALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);',
        down: 'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);\nALTER TABLE orders ALTER COLUMN note TYPE text;',
      },
    });
    const d = await call(tc.core, 'dbpatch.dryRun', { databaseId: dbId, patchIds: ['0007-types'] });
    const p = d.patches[0]!;
    expect(p.traceError).toBeNull();
    expect(p.statements.map((s) => [s.rewrite, s.lockMode])).toEqual([
      [true, 'AccessExclusiveLock'],
      [false, 'AccessExclusiveLock'],
    ]);
    expect(p.downRestores).toBe(true);
    expect(p.statements[0]!.summary).toMatch(/^AccessExclusive on orders ≈ .*blocks reads and writes/);
    expect(d.tables.find((t) => t.table === 'orders')!.tableBytes).toBeGreaterThan(0);
    expect(sq("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'puesta_trace%'")).toBe('0');
    expect(sq("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note'")).toBe('text');
  }, 30_000);

  it('a failed verify runs that patch’s down only, and the ledger says so', async () => {
    // 0007 stays pending (acknowledged later); this one fails its verify
    rmSync(path.join(T, 'patches', '0007-types'), { recursive: true });
    tc.core.db.prepare("DELETE FROM db_patches WHERE patch_id = '0007-types'").run();
    await importMore({ '0008-bad': { meta: { reversible: 'yes', compat: 'expand' }, up: 'ALTER TABLE orders ADD COLUMN bad int;', down: 'ALTER TABLE orders DROP COLUMN bad;', verify: 'SELECT count(*) = 0 FROM orders;' } });
    await expect(applyDirect()).rejects.toThrow(/0008-bad failed verification.*down.sql ran/);
    expect(sq("SELECT state || ' ' || note FROM puesta.patch_ledger WHERE patch_id = '0008-bad'")).toMatch(/^failed verify.sql answered false; its down.sql ran/);
    expect(sq("SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'bad' AND NOT attisdropped")).toBe('0');
    expect((await states())['0008-bad']!.state).toBe('failed');
    rmSync(path.join(T, 'patches', '0008-bad'), { recursive: true });
    tc.core.db.prepare("DELETE FROM db_patches WHERE patch_id = '0008-bad'").run();
  }, 30_000);

  it('rollback: the patches of the release left are undone (a lossy down once its table is typed); an irreversible one blocks until decided, app-only only when expand', async () => {
    await importMore({ '0009-tags': { meta: { reversible: 'lossy', compat: 'expand' }, up: 'CREATE TABLE tags (id int);', down: 'DROP TABLE tags;' } });
    const review = await call(tc.core, 'provision.review', { applicationId: appId });
    expect(review.deltas.filter((d) => d.kind === 'database').map((d) => d.what)).toEqual(['database patch 0009-tags on main']);
    const up = await runToEnd('upgrade', 'v2');
    expect(up.state).toBe('succeeded');
    const plan = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId });
    expect(plan.patches.map((p) => p.patchId)).toEqual(['0009-tags']);
    expect([plan.blocked, plan.patches[0]!.typeToUndo]).toEqual([false, 'tags']);
    // a lossy down waits for the table's name, typed
    let rb = await runToEnd('rollback', '');
    expect(rb.cells.find((c) => c.state === 'failed')?.error).toMatch(/0009-tags loses data of tags: type the table/);
    expect((await fails(tc.core, 'dbpatch.acknowledge', { databaseId: dbId, patchId: '0009-tags', what: 'lossy', reason: 'orders' })).code).toBe('INVALID_INPUT');
    await call(tc.core, 'dbpatch.acknowledge', { databaseId: dbId, patchId: '0009-tags', what: 'lossy', reason: 'tags' });
    await call(tc.core, 'runs.act', { id: rb.id, action: 'retry' });
    rb = await settle(rb.id);
    expect(rb.state, JSON.stringify(rb.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(sq("SELECT to_regclass('tags') IS NULL")).toBe('t');
    expect(sq("SELECT direction FROM puesta.patch_ledger WHERE patch_id = '0009-tags' ORDER BY id DESC LIMIT 1")).toBe('down');

    // an irreversible expand patch: blocked, app-only offered
    await importMore({ '0010-archive': { meta: { reversible: 'no', compat: 'expand' }, up: 'CREATE TABLE archive (id int);' } });
    expect((await runToEnd('upgrade', 'v3')).state).toBe('succeeded');
    const p2 = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId });
    expect([p2.blocked, p2.appOnlyOffered, p2.patches.map((p) => p.patchId)]).toEqual([true, true, ['0010-archive', '0009-tags']]);
    const blocked = await runToEnd('rollback', '');
    expect(blocked.state).toBe('waiting');
    expect(blocked.cells.find((c) => c.state === 'failed')!.error).toMatch(/Rollback blocked: 0010-archive/);
    await call(tc.core, 'runs.act', { id: blocked.id, action: 'abort' });
    expect((await fails(tc.core, 'dbpatch.decideRollback', { applicationId: appId, environmentId: envId, decision: 'app-only', confirm: 'nope' })).code).toBe('INVALID_INPUT');
    const decided = await call(tc.core, 'dbpatch.decideRollback', { applicationId: appId, environmentId: envId, decision: 'app-only', confirm: 'shop' });
    expect(decided.blocked).toBe(false);
    expect((await runToEnd('rollback', '')).state).toBe('succeeded');
    expect(sq("SELECT to_regclass('archive') IS NOT NULL")).toBe('t');

    // an irreversible contract patch: app-only refused
    await importMore({ '0011-drop-note': { meta: { reversible: 'no', compat: 'contract' }, up: 'ALTER TABLE orders DROP COLUMN note;' } });
    await call(tc.core, 'dbpatch.acknowledge', { databaseId: dbId, patchId: '0011-drop-note', what: 'risk', reason: 'note is unused since v2' });
    expect((await runToEnd('upgrade', 'v4')).state).toBe('succeeded');
    const p3 = await call(tc.core, 'dbpatch.rollbackPlan', { applicationId: appId, environmentId: envId });
    expect([p3.blocked, p3.appOnlyOffered]).toEqual([true, false]);
    expect((await fails(tc.core, 'dbpatch.decideRollback', { applicationId: appId, environmentId: envId, decision: 'app-only', confirm: 'shop' })).code).toBe('PRECONDITION_FAILED');
  }, 120_000);
  it('kill -9 of Puesta mid-patch: after a restart the ledger and the database agree, and the resumed run applies it', async () => {
    await importMore({ '0012-slow': { meta: { reversible: 'yes', compat: 'expand' }, up: 'UPDATE orders SET amount = amount + 1;\nSELECT pg_sleep(3);', down: 'UPDATE orders SET amount = amount - 1;' } });
    const before = sq('SELECT sum(amount) FROM orders');
    const dataDir = tc.dataDir;
    await tc.core.close();
    const input = { applicationId: appId, environmentId: envId, kind: 'upgrade', source: await release('v5'), label: 'v5' };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    let runId = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child never reached the patch's second statement: ${err}`)), 40_000);
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const m = JSON.parse(buf.slice(0, nl)) as { ev: string; lines?: { text: string }[]; result?: { value?: { id: number } } };
          buf = buf.slice(nl + 1);
          if (m.ev === 'started') runId = m.result?.value?.id ?? -1;
          if (m.ev === 'log' && m.lines!.some((l) => l.text.includes('0012-slow [2/2]')) && !child.killed) {
            child.kill('SIGKILL');
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    tc = makeCore(dataDir);
    expect((await call(tc.core, 'runs.get', { id: runId })).state).toBe('interrupted');
    // the patch's transaction died with the connection: no ledger entry, no change
    expect(sq("SELECT count(*) FROM puesta.patch_ledger WHERE patch_id = '0012-slow'")).toBe('0');
    expect(sq('SELECT sum(amount) FROM orders')).toBe(before);
    await call(tc.core, 'runs.resume', { id: runId });
    const r = await settle(runId);
    expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
    expect(sq("SELECT direction || ':' || state FROM puesta.patch_ledger WHERE patch_id = '0012-slow'")).toBe('up:done');
    expect(sq('SELECT sum(amount) FROM orders')).not.toBe(before);
    expect((await states())['0012-slow']!.state).toBe('applied');
  }, 90_000);
});
