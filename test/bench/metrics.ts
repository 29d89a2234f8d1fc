/**
 * npm run bench -- metrics
 * A run history of 100 000 runs (BENCH_METRICS_RUNS) of 50 applications over five years: 80 % in
 * production, upgrades, installs, rollbacks, aborted runs, 2 % health-gate switch-backs, incidents,
 * fix-for links, 1–3 commits per deployment, planned windows. Measures the four keys over all 50
 * applications and the five years (metrics.summary's work: the cache refresh, the range reads of
 * the analysed deployments and the fold), median of 7, once the cache holds the finished runs and
 * their analysis (filling it once is printed apart), against a plain in-memory pass: every row of runs, run_steps, audit and the metric tables
 * read, the same facts derived in JS, then the same fold. Both results must be identical.
 * Last line: BENCH metrics runs=<n> speedup=<x> all_keys_ms=<ms> identical=<yes|no>
 * (targets: identical=yes, all_keys_ms < 200, speedup ≥ 10).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Core } from '../../electron/core/core.js';
import { metricsSummary } from '../../electron/core/metrics/handlers.js';
import { analyse, byTime, type History, type RunFact } from '../../electron/core/metrics/history.js';
import { refreshAnalysis } from '../../electron/core/metrics/lanes.js';
import { readSettings } from '../../electron/core/metrics/metrics-store.js';
import { foldItem, summarise } from '../../electron/core/metrics/summary.js';
import { addDays, parseDay, zoneOf } from '../../electron/core/metrics/weeks.js';
import { makeCore } from '../helpers/core.js';
import { HistorySeeder } from '../helpers/metrics-seed.js';

const RUNS = Number(process.env.BENCH_METRICS_RUNS ?? 100_000);
const APPS = 50;
const FROM = '2021-12-01';
const TO = '2026-11-29';
const TZ = 'Europe/Madrid';
const ROUNDS = 7;

let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const iso = (ms: number) => new Date(ms).toISOString();

function fill(core: Core): void {
  const db = core.db;
  const ts = new Date().toISOString();
  core.tx(() => {
    db.prepare("INSERT INTO environments (id, name, created_at, updated_at) VALUES (1, 'production', ?, ?), (2, 'staging', ?, ?)").run(ts, ts, ts, ts);
    const app = db.prepare("INSERT INTO applications (id, name, runtime_user, base_path, created_at, updated_at) VALUES (?, ?, 'app', ?, ?, ?)");
    const srv = db.prepare("INSERT INTO servers (id, name, host, user, environment_id, created_at, updated_at) VALUES (?, ?, '10.0.0.1', 'deploy', ?, ?, ?)");
    for (let a = 1; a <= APPS; a++) {
      app.run(a, `app-${a}`, `/srv/app-${a}`, ts, ts);
      srv.run(a, `prod-${a}`, 1, ts, ts);
      srv.run(APPS + a, `stage-${a}`, 2, ts, ts);
    }
    const s = new HistorySeeder(db);
    const start = Date.parse(`${FROM}T00:00:00Z`);
    const span = Date.parse(`${TO}T00:00:00Z`) - start;
    const perApp = Math.ceil(RUNS / APPS);
    const step = span / perApp;
    let n = 0;
    for (let a = 1; a <= APPS && n < RUNS; a++) {
      let t = start + rnd() * step;
      let version = 0;
      const deployed: number[] = [];
      for (let k = 0; k < perApp && n < RUNS; k++, n++, t += step * (0.5 + rnd())) {
        const at = iso(Math.round(t / 1000) * 1000);
        const staging = rnd() < 0.2;
        const env = staging ? 2 : 1;
        const server = staging ? APPS + a : a;
        const r = rnd();
        if (r < 0.08 && version > 1) {
          s.add({ app: a, env, server, kind: 'rollback', key: `v${version - 1}`, leftKey: `v${version}`, at });
          continue;
        }
        if (r < 0.14) {
          s.add({ app: a, env, server, kind: 'upgrade', key: `x${k}`, state: 'aborted', at: null, startedAt: at });
          continue;
        }
        version++;
        const gate = rnd() < 0.02;
        const id = s.add({
          app: a,
          env,
          server,
          kind: version === 1 ? 'install' : 'upgrade',
          key: `v${version}`,
          at,
          ...(gate ? { switchBack: { deadlineSeconds: 30, doneAt: iso(Date.parse(at) + 31_000 + Math.floor(rnd() * 9000)) } } : {}),
        });
        if (staging) continue;
        const commits = 1 + Math.floor(rnd() * 3);
        s.commits(id, Array.from({ length: commits }, (_, c) => [`${a}-${k}-${c}`, iso(Date.parse(at) - Math.floor(rnd() * 7 * 86_400) * 1000)] as [string, string]));
        if (rnd() < 0.03) s.incident(id, iso(Date.parse(at) + Math.floor(rnd() * 30 * 3600) * 1000));
        if (rnd() < 0.02 && deployed.length) s.fix(id, deployed[deployed.length - 1]!);
        if (rnd() < 0.01) s.window(a, iso(Date.parse(at) + 3600_000), iso(Date.parse(at) + 3 * 3600_000));
        deployed.push(id);
      }
    }
  });
}

/** The plain pass: every row in memory, the facts derived in JS, the same fold. */
function naive(core: Core) {
  const db = core.db;
  const ms = (s: string | null) => (s === null ? null : Date.parse(s));
  const settings = readSettings(core);
  const prod = new Set(settings.productionEnvironmentIds);
  type Run = { id: number; application_id: number; environment_id: number; kind: string; state: string; release_key: string; checklist: string; context: string; finished_at: string | null };
  type Cell = { run_id: number; step_index: number; step_key: string; server_id: number | null; state: string; finished_at: string | null };
  const runs = db.prepare('SELECT * FROM runs').all() as Run[];
  const cells = db.prepare('SELECT * FROM run_steps').all() as Cell[];
  const audits = db.prepare('SELECT * FROM audit ORDER BY id').all() as { action: string; entity: string; entity_id: number; at: string; after: string | null }[];
  const byRun = new Map<number, Cell[]>();
  for (const c of cells) (byRun.get(c.run_id) ?? byRun.set(c.run_id, []).get(c.run_id)!).push(c);
  // the first switch back of each run × host, as the audit says
  const switchBacks = new Map<number, Map<number, { at: string; ok: boolean; step: string }>>();
  for (const a of audits) {
    if (a.entity !== 'runs' || a.action !== 'run.switch-back') continue;
    const after = JSON.parse(a.after ?? '{}') as { serverId: number; ok?: boolean; step: string };
    const m = switchBacks.get(a.entity_id) ?? switchBacks.set(a.entity_id, new Map()).get(a.entity_id)!;
    if (!m.has(after.serverId)) m.set(after.serverId, { at: a.at, ok: after.ok === true, step: after.step });
  }
  const facts: RunFact[] = [];
  const final = new Map<number, { app: number; env: number; atMs: number | null; finishedMs: number }>();
  const h: History = { runs: facts, switchBacks: [], incidents: [], fixes: [], commits: [], windows: [] };
  let covered = 0;
  const zone = zoneOf(TZ);
  const startMs = zone.midnight(parseDay(FROM));
  const endMs = zone.midnight(addDays(parseDay(TO), 1));
  for (const r of runs) {
    if (r.state !== 'succeeded' && r.state !== 'aborted') continue;
    const cs = byRun.get(r.id) ?? [];
    const sw = cs.filter((c) => c.step_key === 'switch' && c.state === 'succeeded' && c.finished_at).map((c) => c.finished_at!).sort().pop() ?? null;
    const gated = switchBacks.has(r.id);
    const role = (r.kind === 'install' || r.kind === 'upgrade') && sw && (r.state === 'succeeded' || gated) ? 'deployment' : r.kind === 'rollback' && r.state === 'succeeded' ? 'rollback' : 'none';
    const vars = (JSON.parse(r.context) as { vars?: Record<string, Record<string, unknown>> }).vars ?? {};
    const first = Object.values(vars)[0];
    const atMs = r.kind === 'rollback' ? ms(r.finished_at) : ms(sw);
    const finishedMs = ms(r.finished_at)!;
    final.set(r.id, { app: r.application_id, env: r.environment_id, atMs, finishedMs });
    if (!prod.has(r.environment_id)) continue;
    if (finishedMs >= startMs && finishedMs < endMs) covered++;
    if (role === 'none') continue;
    facts.push({ runId: r.id, applicationId: r.application_id, environmentId: r.environment_id, role, releaseKey: r.release_key, leftKey: String(first?.['release.previous'] ?? ''), atMs: atMs! });
    const steps = JSON.parse(r.checklist) as { key: string; check?: { deadlineSeconds?: number } }[];
    for (const [serverId, sb] of switchBacks.get(r.id) ?? []) {
      const idx = steps.findIndex((st) => st.key === sb.step);
      const deadline = steps[idx]?.check?.deadlineSeconds ?? null;
      const checked = cs.filter((c) => c.step_index < idx && (c.server_id === serverId || c.server_id === null) && c.finished_at).map((c) => c.finished_at!).sort().pop() ?? null;
      const failedMs = checked !== null && checked <= sb.at && deadline !== null ? Math.min(ms(sb.at)!, ms(checked)! + 1000 * deadline) : null;
      h.switchBacks.push({ runId: r.id, serverId, failedMs, doneMs: sb.ok ? ms(sb.at) : null, ok: sb.ok });
    }
  }
  facts.sort(byTime);
  const inScope = (id: number) => {
    const f = final.get(id);
    return f !== undefined && prod.has(f.env);
  };
  for (const i of db.prepare('SELECT * FROM metric_incidents').all() as { run_id: number; started_at: string }[]) if (inScope(i.run_id)) h.incidents.push({ runId: i.run_id, startedMs: ms(i.started_at)! });
  for (const f of db.prepare('SELECT * FROM metric_fixes ORDER BY run_id').all() as { run_id: number; fixes_run_id: number }[]) {
    const fix = final.get(f.run_id);
    const at = fix ? (fix.atMs ?? fix.finishedMs) : null;
    if (inScope(f.fixes_run_id) && at !== null) h.fixes.push({ runId: f.run_id, fixesRunId: f.fixes_run_id, fixMs: at });
  }
  for (const c of db.prepare('SELECT * FROM metric_commits').all() as { run_id: number; committed_at: string }[]) if (inScope(c.run_id)) h.commits.push({ runId: c.run_id, committedMs: ms(c.committed_at)! });
  const wins = db.prepare('SELECT * FROM windows').all() as { id: number; start_at: string; end_at: string; state: string }[];
  const wapps = db.prepare('SELECT * FROM window_applications').all() as { window_id: number; application_id: number }[];
  for (const w of wins) {
    const apps = wapps.filter((x) => x.window_id === w.id).map((x) => x.application_id);
    if (w.state !== 'cancelled' && apps.length) h.windows.push({ startMs: ms(w.start_at)!, endMs: ms(w.end_at)!, applicationIds: apps });
  }
  const names = new Map((db.prepare('SELECT id, name FROM applications').all() as { id: number; name: string }[]).map((a) => [a.id, a.name]));
  const analysed = [...analyse(h, settings.failureWindowHours * 3_600_000).values()];
  const deployed = new Set(analysed.filter((a) => a.run.role === 'deployment').map((a) => a.run.applicationId));
  const figures = summarise(analysed.map(foldItem), { from: FROM, to: TO, zone }, deployed, (id) => names.get(id) ?? `#${id}`);
  return { covered, figures };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-bench-metrics-'));
const { core } = makeCore(dataDir);
try {
  let t0 = performance.now();
  fill(core);
  const runs = (core.db.prepare('SELECT count(*) FROM runs').pluck().get() as number);
  console.log(`history: ${runs} runs written in ${Math.round(performance.now() - t0)} ms`);
  t0 = performance.now();
  refreshAnalysis(core, readSettings(core).failureWindowHours);
  console.log(`cache of finished runs filled and analysed once in ${Math.round(performance.now() - t0)} ms`);

  const filter = { from: FROM, to: TO, timeZone: TZ };
  const ours: number[] = [];
  let result = metricsSummary(core, filter);
  for (let i = 0; i < ROUNDS; i++) {
    t0 = performance.now();
    result = metricsSummary(core, filter);
    ours.push(performance.now() - t0);
  }
  const plain: number[] = [];
  let base = naive(core);
  for (let i = 0; i < 2; i++) {
    t0 = performance.now();
    base = naive(core);
    plain.push(performance.now() - t0);
  }
  const { cover, ...figures } = result;
  const same = JSON.stringify(figures) === JSON.stringify(base.figures) && cover.runs === base.covered;
  if (!same) console.log('DIFFERENT:', JSON.stringify(figures).slice(0, 400), '\n', JSON.stringify(base.figures).slice(0, 400), cover.runs, base.covered);
  console.log(
    `deployments ${result.frequency.deployments}, failed ${result.changeFailure.failed}, commits ${result.leadTime.count}, recoveries ${result.recovery.count}; ` +
      `puesta median ${median(ours).toFixed(1)} ms, plain pass median ${median(plain).toFixed(1)} ms`,
  );
  console.log(`BENCH metrics runs=${runs} speedup=${(median(plain) / median(ours)).toFixed(1)} all_keys_ms=${median(ours).toFixed(1)} identical=${same ? 'yes' : 'no'}`);
} finally {
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
}
