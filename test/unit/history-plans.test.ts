/**
 * Issue 16 item 2: opening a run must not cost more the more history the application has. Over a
 * history of 5 000 runs, every statement behind runs.get, runs.list and runs.logs is recorded with
 * its arguments and its EXPLAIN QUERY PLAN is checked: no sort of the history (USE TEMP B-TREE) and
 * no scan of runs / run_steps / run_logs where an index should serve. (The timing is in
 * `npm run bench -- history`: a timed assertion here would only be noise on a shared machine.)
 */
import type { Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prunableRuns } from '../../electron/core/history/history-store.js';
import { usualDurations } from '../../electron/core/runs/run-store.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedHistory, type SeededHistory } from '../helpers/history-seed.js';

let tc: TestCore;
let h: SeededHistory;
let recording: { sql: string; args: unknown[] }[] | null = null;

beforeAll(async () => {
  tc = makeCore();
  const db = tc.core.db;
  const prepare = db.prepare.bind(db);
  // Every statement the core prepares from now on reports what it runs while `recording` is set.
  db.prepare = ((sql: string) => {
    const st = prepare(sql);
    for (const m of ['all', 'get', 'run', 'iterate'] as const) {
      const orig = (st[m] as (...a: unknown[]) => unknown).bind(st);
      (st as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
        recording?.push({ sql, args });
        return orig(...args);
      };
    }
    return st;
  }) as typeof db.prepare;
  h = await seedHistory(tc.core, { runs: 5_000, logsPerRun: 20 });
}, 60_000);

afterAll(async () => {
  await tc?.cleanup();
});

/** The plan lines of every SELECT the call ran. */
async function plansOf(fn: () => unknown): Promise<{ sql: string; plan: string[] }[]> {
  recording = [];
  await fn();
  const seen = recording;
  recording = null;
  const out: { sql: string; plan: string[] }[] = [];
  for (const { sql, args } of seen) {
    if (!/^\s*(SELECT|WITH)\b/i.test(sql)) continue;
    const explain: Statement = tc.core.db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = explain.all(...args) as { detail: string }[];
    out.push({ sql: sql.replace(/\s+/g, ' ').trim(), plan: rows.map((r) => r.detail) });
  }
  return out;
}

const HISTORY = /\b(runs|run_steps|run_logs)\b|\b[tcl]\b/;

/** A plan line that reads a whole history table (a SCAN without a bound) or sorts it. */
function costly(line: string): boolean {
  if (/USE TEMP B-TREE/.test(line)) return true;
  return /^SCAN\b/.test(line) && HISTORY.test(line);
}

describe('query plans over 5 000 runs of one application', () => {
  it('runs.get: the run, its cells and the usual durations are index look-ups (no sort, no scan of the history)', async () => {
    const id = h.runIds[h.runIds.length - 1]!;
    const plans = await plansOf(() => call(tc.core, 'runs.get', { id }));
    expect(plans.length).toBeGreaterThanOrEqual(3);
    const usual = plans.find((p) => p.sql.includes('duration_ms') && p.sql.includes('run_steps'));
    expect(usual, plans.map((p) => p.sql).join('\n')).toBeDefined();
    expect(usual!.plan.join('\n')).toMatch(/runs_app/);
    for (const p of plans) {
      // The cells of ONE run are sorted by host name: bounded by that run's hosts × steps, not by the history.
      const lines = p.sql.includes('FROM run_steps c LEFT JOIN servers') ? p.plan.filter((l) => !/TEMP B-TREE FOR (LAST TERM OF )?ORDER BY/.test(l)) : p.plan;
      expect(lines.filter(costly), `${p.sql}\n${p.plan.join('\n')}`).toEqual([]);
    }
  });

  it('runs.list of an application, an environment or a state, and runs.logs of a run, page through indexes', async () => {
    for (const fn of [
      () => call(tc.core, 'runs.list', { applicationId: h.appId, limit: 50 }),
      () => call(tc.core, 'runs.list', { applicationId: h.appId, environmentId: h.envId, limit: 50 }),
      () => call(tc.core, 'runs.list', { environmentId: h.envId, limit: 50 }),
      () => call(tc.core, 'runs.list', { state: 'running', limit: 50 }),
      () => call(tc.core, 'runs.logs', { runId: h.runIds[10]!, afterId: 0, limit: 500 }),
    ]) {
      for (const p of await plansOf(fn)) expect(p.plan.filter(costly), `${p.sql}\n${p.plan.join('\n')}`).toEqual([]);
    }
  });

  it('the keeper finds what to prune from indexes only (runs rows are wide: each holds its checklist)', async () => {
    for (const policy of [
      { keepDays: null, keepRuns: 100 },
      { keepDays: 30, keepRuns: null },
      { keepDays: 30, keepRuns: 100 },
    ]) {
      let ids: number[] = [];
      const plans = await plansOf(() => (ids = prunableRuns(tc.core, policy, new Date('2026-01-01T00:00:00Z'), 20)));
      expect(ids).toEqual(h.runIds.slice(0, 20));
      for (const p of plans) {
        expect(p.plan.filter(costly), `${p.sql}\n${p.plan.join('\n')}`).toEqual([]);
        if (p.sql.includes('log_pruned_at')) expect(p.plan.join('\n')).toMatch(/COVERING INDEX runs_unpruned/);
      }
    }
  });

  it('the usual duration is the median of the last runs only', async () => {
    const usual = usualDurations(tc.core, h.appId);
    const steps = (await call(tc.core, 'runs.get', { id: h.runIds[0]! })).steps;
    expect([...usual.keys()].sort()).toEqual(steps.map((s) => s.key).sort());
    // the seed's durations are 1 000–1 499 ms
    for (const ms of usual.values()) {
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ms).toBeLessThan(1_500);
    }
    const view = await call(tc.core, 'runs.get', { id: h.runIds[0]! });
    expect(view.steps.every((s) => s.usualMs !== null)).toBe(true);
  });
});
