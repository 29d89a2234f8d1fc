/**
 * npm run bench -- audience
 * An inventory of 10 000 servers, 2 000 applications, 20 000 placements, 5 000 customers with
 * 100 000 contacts (5 % opted out) and 5 000 contracts, plus 2 000 windows over two years. Measures,
 * through the real API dispatch (input and output validated by the contract):
 *   - windows.list for a calendar month (limit 100), and
 *   - windows.audience of a random window (contacts included),
 * 300 calls each. Last line: BENCH audience p95_list_ms=<ms> p95_audience_ms=<ms> (targets < 50 and < 150).
 * The inventory is written with plain INSERTs in one transaction (bench set-up speed only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';

const SERVERS = 10_000;
const APPS = 2_000;
const CUSTOMERS = 5_000;
const CONTACTS_PER_CUSTOMER = 20;
const WINDOWS = 2_000;
const CALLS = 300;

const { core, dataDir } = makeCore(mkdtempSync(path.join(os.tmpdir(), 'puesta-bench-audience-')));

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

try {
  const t0 = performance.now();
  const ts = new Date().toISOString();
  const db = core.db;
  core.tx(() => {
    const app = db.prepare("INSERT INTO applications (id, name, runtime_user, base_path, created_at, updated_at) VALUES (?, ?, 'app', ?, ?, ?)");
    for (let a = 1; a <= APPS; a++) app.run(a, `app-${a}`, `/srv/app-${a}`, ts, ts);
    const srv = db.prepare("INSERT INTO servers (id, name, host, user, created_at, updated_at) VALUES (?, ?, ?, 'deploy', ?, ?)");
    for (let s = 1; s <= SERVERS; s++) srv.run(s, `srv-${s}`, `10.${s >> 16}.${(s >> 8) & 255}.${s & 255}`, ts, ts);
    const plc = db.prepare('INSERT OR IGNORE INTO placements (application_id, server_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    for (let s = 1; s <= SERVERS; s++) {
      plc.run(((s - 1) % APPS) + 1, s, 'web', ts, ts);
      plc.run(((s * 7) % APPS) + 1, s, 'worker', ts, ts);
    }
    const zones = ['Europe/Madrid', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Europe/London'] as const;
    const cus = db.prepare('INSERT INTO customers (id, name, timezone, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    const con = db.prepare('INSERT INTO contacts (customer_id, name, email, opted_out, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    const ctr = db.prepare('INSERT INTO contracts (id, customer_id, reference, start_date, end_date, grace_days, state, allowed_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const ca = db.prepare('INSERT OR IGNORE INTO contract_applications (contract_id, application_id) VALUES (?, ?)');
    for (let c = 1; c <= CUSTOMERS; c++) {
      cus.run(c, `Customer ${c}`, pick(zones), rnd() < 0.5 ? 'es' : 'en', ts, ts);
      for (let k = 0; k < CONTACTS_PER_CUSTOMER; k++) con.run(c, `Contact ${c}-${k}`, `c${c}.${k}@example.test`, rnd() < 0.05 ? 1 : 0, ts, ts);
      const state = rnd() < 0.9 ? 'active' : pick(['grace', 'suspended', 'terminated'] as const);
      const hours = rnd() < 0.2 ? JSON.stringify({ days: [6, 7], from: '00:00', to: '06:00' }) : null;
      ctr.run(c, c, `C-${c}`, '2024-01-01', rnd() < 0.1 ? '2026-06-30' : '2028-12-31', 15, state, hours, ts, ts);
      ca.run(c, ((c - 1) % APPS) + 1);
      ca.run(c, ((c * 13 + 5) % APPS) + 1);
    }
    const win = db.prepare("INSERT INTO windows (id, title, start_at, end_at, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    const wa = db.prepare('INSERT OR IGNORE INTO window_applications (window_id, application_id) VALUES (?, ?)');
    const ws = db.prepare('INSERT OR IGNORE INTO window_servers (window_id, server_id) VALUES (?, ?)');
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let w = 1; w <= WINDOWS; w++) {
      const start = base + Math.floor(rnd() * 730) * 86_400_000 + Math.floor(rnd() * 24) * 3_600_000;
      win.run(w, `Window ${w}`, new Date(start).toISOString(), new Date(start + (1 + Math.floor(rnd() * 4)) * 3_600_000).toISOString(), pick(['draft', 'announced', 'done'] as const), ts, ts);
      for (let k = 0; k < 2; k++) wa.run(w, 1 + Math.floor(rnd() * APPS));
      for (let k = 0; k < 3; k++) ws.run(w, 1 + Math.floor(rnd() * SERVERS));
    }
  });
  db.pragma('optimize');
  const counts = db.prepare('SELECT (SELECT count(*) FROM servers) AS servers, (SELECT count(*) FROM contacts) AS contacts, (SELECT count(*) FROM placements) AS placements, (SELECT count(*) FROM windows) AS windows').get();
  console.log(`seeded ${JSON.stringify(counts)} in ${(performance.now() - t0).toFixed(0)} ms`);

  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1]!;

  // Warm-up.
  for (let i = 0; i < 20; i++) {
    await call(core, 'windows.list', { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', limit: 100 });
    await call(core, 'windows.audience', { id: 1 + i });
  }

  const list: number[] = [];
  let listed = 0;
  for (let i = 0; i < CALLS; i++) {
    const month = Math.floor(rnd() * 24);
    const from = new Date(Date.UTC(2026, month, 1)).toISOString();
    const to = new Date(Date.UTC(2026, month + 1, 1)).toISOString();
    const s = performance.now();
    const r = await call(core, 'windows.list', { from, to, limit: 100 });
    list.push(performance.now() - s);
    listed += r.items.length;
  }
  console.log(`windows.list (a month, limit 100): ${(listed / CALLS).toFixed(0)} windows per call; median ${[...list].sort((a, b) => a - b)[CALLS >> 1]!.toFixed(1)} ms, p95 ${p95(list).toFixed(1)} ms`);

  const aud: number[] = [];
  let people = 0;
  let customers = 0;
  for (let i = 0; i < CALLS; i++) {
    const id = 1 + Math.floor(rnd() * WINDOWS);
    const s = performance.now();
    const r = await call(core, 'windows.audience', { id });
    aud.push(performance.now() - s);
    people += r.total;
    customers += r.customers.length;
  }
  console.log(
    `windows.audience: ${(customers / CALLS).toFixed(0)} customers and ${(people / CALLS).toFixed(0)} contacts per window on average; median ${[...aud].sort((a, b) => a - b)[CALLS >> 1]!.toFixed(1)} ms, p95 ${p95(aud).toFixed(1)} ms`,
  );

  // Baseline and cross-check: the same audience the naive way (a query per application, per
  // contract, per customer), on 50 windows; the contact sets must match exactly.
  const naive: number[] = [];
  const ours: number[] = [];
  const q = {
    wa: db.prepare('SELECT application_id AS id FROM window_applications WHERE window_id = ?'),
    ws: db.prepare('SELECT server_id AS id FROM window_servers WHERE window_id = ?'),
    w: db.prepare('SELECT start_at, end_at FROM windows WHERE id = ?'),
    plc: db.prepare('SELECT application_id AS id FROM placements WHERE server_id = ?'),
    ca: db.prepare('SELECT contract_id AS id FROM contract_applications WHERE application_id = ?'),
    ct: db.prepare('SELECT * FROM contracts WHERE id = ?'),
    con: db.prepare('SELECT id, opted_out FROM contacts WHERE customer_id = ?'),
  };
  for (let i = 0; i < 50; i++) {
    const id = 1 + Math.floor(rnd() * WINDOWS);
    let s = performance.now();
    const w = q.w.get(id) as { start_at: string; end_at: string };
    const apps = new Set((q.wa.all(id) as { id: number }[]).map((r) => r.id));
    for (const srv of q.ws.all(id) as { id: number }[]) for (const a of q.plc.all(srv.id) as { id: number }[]) apps.add(a.id);
    const customers = new Set<number>();
    for (const a of apps)
      for (const c of q.ca.all(a) as { id: number }[]) {
        const ct = q.ct.get(c.id) as { customer_id: number; state: string; start_date: string; end_date: string; grace_days: number };
        const graceEnd = new Date(Date.parse(ct.end_date) + ct.grace_days * 86_400_000).toISOString().slice(0, 10);
        if (['active', 'grace'].includes(ct.state) && ct.start_date <= w.end_at.slice(0, 10) && graceEnd >= w.start_at.slice(0, 10)) customers.add(ct.customer_id);
      }
    const expected = new Set<number>();
    for (const c of customers) for (const k of q.con.all(c) as { id: number; opted_out: number }[]) if (!k.opted_out) expected.add(k.id);
    naive.push(performance.now() - s);
    s = performance.now();
    const r = await call(core, 'windows.audience', { id });
    ours.push(performance.now() - s);
    const got = new Set(r.customers.flatMap((c) => c.contacts.map((k) => k.id)));
    if (got.size !== expected.size || [...expected].some((k) => !got.has(k))) throw new Error(`window ${id}: the audience differs from the naive computation (${got.size} vs ${expected.size})`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(`cross-check on 50 windows: same contacts as the naive N+1 walk; naive median ${med(naive).toFixed(1)} ms (SQL only, no API) vs windows.audience ${med(ours).toFixed(1)} ms (through the API)`);

  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`BENCH audience p95_list_ms=${p95(list).toFixed(1)} p95_audience_ms=${p95(aud).toFixed(1)}`);
} catch (e) {
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
  throw e;
}
