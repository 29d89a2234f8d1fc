/**
 * npm run bench -- patches
 * A private PostgreSQL 15 with a table of BENCH_PATCH_ROWS (default 1 000 000) rows. Part 1: 8
 * readers doing primary-key lookups in a loop and one reader holding the table for 6 s; the same
 * metadata-only patch (ADD COLUMN) applied naively (no timeouts: it queues behind the reader and
 * every lookup queues behind it) and by Puesta (lock_timeout 500 ms + retry with back-off), back to
 * back; the worst lookup latency of each. Part 2: Puesta's dry-run plan (trace on a schema-only
 * copy + live sizes) of eight statement kinds against the measured time of each, and its lock mode
 * against the one PostgreSQL takes.
 * Last line: BENCH patches rows=<n> naive_max_ms=<ms> puesta_max_ms=<ms> stall_ratio=<x> estimate_error=<x>
 * (targets: stall_ratio ≥ 5, estimate_error ≤ 2.0, every lock mode right).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Patch } from '../../shared/contract/dbpatch.js';
import { PatchMeta } from '../../shared/contract/dbpatch.js';
import { applyPending, type PatchRunContext } from '../../electron/core/dbpatch/apply.js';
import { planOf } from '../../electron/core/dbpatch/dryrun.js';
import { PostgresTarget } from '../../electron/core/dbpatch/pg/postgres.js';
import { PgConnection } from '../../electron/core/dbpatch/pg/client.js';
import { patchChecksum, splitStatements } from '../../electron/core/dbpatch/sql-text.js';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';
import { PG_BIN, startPostgres } from '../helpers/postgres.js';

const ROWS = Number(process.env.BENCH_PATCH_ROWS ?? 1_000_000);
const PASSWORD = 'bench-secret';

const KINDS: { sql: string; lock: string }[] = [
  { sql: 'ALTER TABLE orders ADD COLUMN flag int DEFAULT 0', lock: 'AccessExclusiveLock' },
  { sql: 'ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid()', lock: 'AccessExclusiveLock' },
  { sql: 'ALTER TABLE orders ALTER COLUMN qty TYPE bigint', lock: 'AccessExclusiveLock' },
  { sql: 'CREATE INDEX orders_customer ON orders (customer)', lock: 'ShareLock' },
  { sql: 'CREATE INDEX CONCURRENTLY orders_amount ON orders (amount)', lock: 'ShareUpdateExclusiveLock' },
  { sql: 'ALTER TABLE orders ALTER COLUMN customer SET NOT NULL', lock: 'AccessExclusiveLock' },
  { sql: 'ALTER TABLE orders ADD CONSTRAINT qty_positive CHECK (qty >= 0) NOT VALID', lock: 'AccessExclusiveLock' },
  { sql: 'ALTER TABLE orders VALIDATE CONSTRAINT qty_positive', lock: 'ShareUpdateExclusiveLock' },
];

const pg = await startPostgres(['shared_buffers=256MB', 'max_wal_size=4GB']);
/** A direct TCP stream to the bench's server (the product's streams are SSH forwards). */
const tcp = () =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: pg.port });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
const connect = () => PgConnection.connect({ stream: tcp, user: 'shop', database: 'shop', password: PASSWORD });
let tc: ReturnType<typeof makeCore> | null = null;
try {
  pg.psql(`CREATE ROLE shop LOGIN PASSWORD '${PASSWORD}'; CREATE DATABASE shop OWNER shop;`);
  const t0 = Date.now();
  pg.psql(
    `SET ROLE shop;
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer int, qty int, amount numeric(12,2), note text);
     INSERT INTO orders (customer, qty, amount, note) SELECT g % 5000, g % 7, g / 100.0, 'order number ' || g FROM generate_series(1, ${ROWS}) g;
     VACUUM ANALYZE orders;`,
    'shop',
  );
  console.log(`[patches] ${ROWS} rows loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // ---------------------------------------------------------------- part 1: stall behind a 6 s reader
  const stall = async (apply: () => Promise<void>): Promise<number> => {
    const readers = await Promise.all(Array.from({ length: 8 }, connect));
    let stop = false;
    let worst = 0;
    const loops = readers.map(async (c, i) => {
      let k = i;
      while (!stop) {
        const s = Date.now();
        await c.query(`SELECT note FROM orders WHERE id = ${1 + ((k += 7919) % ROWS)}`);
        worst = Math.max(worst, Date.now() - s);
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const blocker = spawn('runuser', ['-u', 'postgres', '--', `${PG_BIN}/psql`, '-h', pg.socketDir, '-p', String(pg.port), '-d', 'shop', '-X', '-q', '-c', 'BEGIN; SELECT count(*) FROM orders WHERE id < 10; SELECT pg_sleep(6); COMMIT;']);
    const blockerDone = new Promise((r) => blocker.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    await apply();
    await blockerDone;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    await Promise.all(readers.map((c) => c.close()));
    return worst;
  };

  const naive = await connect();
  const naiveMax = await stall(async () => {
    await naive.query('ALTER TABLE orders ADD COLUMN naive_flag int');
  });
  await naive.close();
  console.log(`[patches] naive ALTER TABLE: worst primary-key lookup ${naiveMax} ms`);

  tc = makeCore();
  const meta = PatchMeta.parse({ id: 'puesta-flag', reversible: 'yes', compat: 'expand', lockTimeoutMs: 500, retries: 50 });
  const up = 'ALTER TABLE orders ADD COLUMN puesta_flag int;';
  const down = 'ALTER TABLE orders DROP COLUMN puesta_flag;';
  const patch: Patch = { applicationId: 1, patchId: meta.id, position: 0, meta, up, down, verify: null, checksum: patchChecksum({ up, down, verify: null, guard: null }), sourcePath: '', importedAt: new Date().toISOString() };
  const lines: string[] = [];
  const target = new PostgresTarget(await connect());
  const server = await call(tc.core, 'servers.create', { name: 'local', host: '127.0.0.1', user: 'bench' });
  const app = await call(tc.core, 'applications.create', { name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop' });
  const db = await call(tc.core, 'dbpatch.saveDatabase', { applicationId: app.id, name: 'main', serverId: server.id, port: pg.port, database: 'shop', user: 'shop' });
  const ctx: PatchRunContext = { core: tc.core, db, operator: 'bench', runId: null, releaseKey: null, log: (_s, t) => void lines.push(t) };
  const puestaMax = await stall(async () => {
    await applyPending(ctx, target, [patch]);
  });
  await target.close();
  const retries = lines.filter((l) => l.includes('lock not granted')).length;
  console.log(`[patches] Puesta (lock_timeout 500 ms, ${retries} retries): worst primary-key lookup ${puestaMax} ms`);

  // ---------------------------------------------------------------- part 2: estimate and lock mode per statement kind
  const c = await connect();
  const pt = new PostgresTarget(c);
  const ratios: number[] = [];
  let locksRight = 0;
  for (const k of KINDS) {
    const [st] = splitStatements(k.sql);
    const copy = await pt.schemaCopy(['orders']);
    const traced = await copy.run(st!.sql.replace(/\bCONCURRENTLY\b/i, ''), false);
    await copy.drop();
    const plan = planOf(st!, 0, traced, await pt.tableStats(['orders']), 1);
    const s = Date.now();
    await c.query(k.sql);
    const actual = Math.max(1, Date.now() - s);
    const ratio = Math.max(plan.estimateMs / actual, actual / plan.estimateMs);
    ratios.push(ratio);
    if (plan.lockMode === k.lock) locksRight++;
    console.log(
      `[patches] ${k.sql.padEnd(72)} lock ${plan.lockMode === k.lock ? 'ok ' : 'BAD'} ${plan.lockMode.padEnd(24)} rewrite ${String(plan.rewrite).padEnd(5)} estimate ${String(plan.estimateMs).padStart(6)} ms  actual ${String(actual).padStart(6)} ms  ×${ratio.toFixed(2)}`,
    );
  }
  await c.close();
  ratios.sort((a, b) => a - b);
  const median = ratios.length % 2 ? ratios[(ratios.length - 1) / 2]! : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
  console.log(`[patches] lock modes right: ${locksRight}/${KINDS.length}`);
  console.log(`BENCH patches rows=${ROWS} naive_max_ms=${naiveMax} puesta_max_ms=${puestaMax} stall_ratio=${(naiveMax / Math.max(1, puestaMax)).toFixed(2)} estimate_error=${median.toFixed(2)}`);
} finally {
  await tc?.cleanup();
  pg.stop();
}
