/**
 * Issue 16 item 3: the retention policy prunes run logs only. Real runs (local executor) leave real
 * logs; after a prune every run still lists with its summary and step results, the delivery metrics
 * and the audit are unchanged, the log exported before matches what runs.logs showed, a pruned run
 * says when its log went, and the database gives the freed pages back.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine, Run } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { makeCore } from '../helpers/core.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function allLogs(fx: RunsFixture, runId: number): Promise<LogLine[]> {
  const out: LogLine[] = [];
  let afterId = 0;
  for (;;) {
    const page = await call(fx.core, 'runs.logs', { runId, afterId, limit: 50 });
    out.push(...page.items);
    if (!page.more) return out;
    afterId = page.nextAfterId;
  }
}

/** Four finished runs of the fixture's application: an install and three upgrades. */
async function history(fx: RunsFixture): Promise<Run[]> {
  const runs: Run[] = [];
  for (const [i, v] of ['v1', 'v2', 'v3', 'v4'].entries()) {
    const started = await call(fx.core, 'runs.start', { applicationId: fx.appId, environmentId: fx.envId, kind: i ? 'upgrade' : 'install', source: { kind: 'directory', path: fx.src(v) }, label: v });
    const r = await fx.core.services.runs.settled(started.id);
    expect(r.state, JSON.stringify([r.waitingFor, r.cells.filter((c) => c.state !== 'succeeded' && c.state !== 'skipped')])).toBe('succeeded');
    runs.push(r);
  }
  return runs;
}

const today = new Date().toISOString().slice(0, 10);

describe('retention', () => {
  it('prunes logs beyond the last N runs in small chunks; summaries, step results, metrics and audit stay; the export matches the log', async () => {
    fx = await runsFixture({ keep: 2 });
    const { core } = fx;
    // tiny chunks: the prune takes many transactions, as it does on a large history
    core.services.configure({ history: { chunkLines: 7, chunkRuns: 2 } });
    await call(core, 'metrics.settings.set', { productionEnvironmentIds: [fx.envId], failureWindowHours: 24, localClones: [] });
    const runs = await history(fx);

    const logsBefore = new Map<number, LogLine[]>();
    for (const r of runs) logsBefore.set(r.id, await allLogs(fx, r.id));
    expect(logsBefore.get(runs[0]!.id)!.length).toBeGreaterThan(7);
    const exported = await call(core, 'runs.exportLog', { runId: runs[0]!.id });
    const listBefore = await call(core, 'runs.list', {});
    const cellsBefore = (await call(core, 'runs.get', { id: runs[0]!.id })).cells;
    const metricsBefore = await call(core, 'metrics.summary', { from: today, to: today, timeZone: 'UTC' });
    const metricRunsBefore = await call(core, 'metrics.runs', { from: today, to: today, timeZone: 'UTC', key: 'frequency' });
    expect(metricRunsBefore.items.length).toBe(4);
    const auditBefore = core.audit.list({ limit: 1000, offset: 0 }).total;

    // the export holds each cell's output in one piece, exactly as runs.logs gave it
    expect(exported.lines).toBe(logsBefore.get(runs[0]!.id)!.length);
    expect(exported.fileName).toBe(`puesta-run-${runs[0]!.id}-shop-staging.log`);
    const byCell = new Map<string, string>();
    for (const l of logsBefore.get(runs[0]!.id)!) byCell.set(`${l.stepIndex}|${l.serverId}|${l.attempt}`, (byCell.get(`${l.stepIndex}|${l.serverId}|${l.attempt}`) ?? '') + l.text);
    expect(byCell.size).toBeGreaterThan(2);
    for (const text of byCell.values()) expect(exported.text).toContain(text);

    // no policy: nothing goes; a day's age limit alone keeps runs finished today
    expect((await call(core, 'history.prune', {})).runs).toBe(0);
    await call(core, 'history.setRetention', { keepDays: 1, keepRuns: null });
    expect((await call(core, 'history.prune', {})).runs).toBe(0);

    const events: number[] = [];
    const off = core.events.subscribe((e, p) => e === 'history.changed' && events.push((p as { prunedRuns: number }).prunedRuns));
    const status = await call(core, 'history.setRetention', { keepDays: null, keepRuns: 1 });
    expect(status.retention).toEqual({ keepDays: null, keepRuns: 1 });
    const pruned = await call(core, 'history.prune', {});
    off();
    const expectedLines = runs.slice(0, 3).reduce((n, r) => n + logsBefore.get(r.id)!.length, 0);
    expect(pruned).toMatchObject({ runs: 3, lines: expectedLines });
    expect(events).toContain(3);

    // every run still lists, with the same summary (plus when its log went)
    const listAfter = await call(core, 'runs.list', {});
    expect(listAfter.total).toBe(4);
    expect(listAfter.items.map(({ logPrunedAt: _p, ...s }) => s)).toEqual(listBefore.items.map(({ logPrunedAt: _p, ...s }) => s));
    expect(listAfter.items.map((s) => s.logPrunedAt !== null)).toEqual([false, true, true, true]);
    const view = await call(core, 'runs.get', { id: runs[0]!.id });
    expect(view.logPrunedAt).toBe(pruned.at);
    expect(view.cells).toEqual(cellsBefore);
    expect(await allLogs(fx, runs[0]!.id)).toEqual([]);
    expect(await allLogs(fx, runs[3]!.id)).toEqual(logsBefore.get(runs[3]!.id));
    expect(await call(core, 'metrics.summary', { from: today, to: today, timeZone: 'UTC' })).toEqual(metricsBefore);
    expect(await call(core, 'metrics.runs', { from: today, to: today, timeZone: 'UTC', key: 'frequency' })).toEqual(metricRunsBefore);
    // one audit row for each policy change, nothing for the prune
    expect(core.audit.list({ limit: 1000, offset: 0 }).total).toBe(auditBefore + 2);

    // a pruned run's export says so
    const after = await call(core, 'runs.exportLog', { runId: runs[0]!.id });
    expect(after.prunedAt).toBe(pruned.at);
    expect(after.text).toContain(`pruned on ${pruned.at}`);
    expect(after.lines).toBe(0);

    // a second pass finds nothing more; the freed pages went back to the disk
    expect((await call(core, 'history.prune', {})).runs).toBe(0);
    const st = await call(core, 'history.status', {});
    expect(st).toMatchObject({ autoVacuum: 'incremental', freeBytes: 0, prunedRuns: 3, runsWithLogs: 1, lastPruneAt: pruned.at, busy: false });
  });

  it('compact switches an older database (auto_vacuum none) to incremental with one rebuild', async () => {
    const tc = makeCore();
    const file = tc.core.dbPath;
    await tc.core.close();
    const raw = new Database(file);
    raw.pragma('auto_vacuum = NONE');
    raw.exec('VACUUM');
    expect(raw.pragma('auto_vacuum', { simple: true })).toBe(0);
    raw.close();
    const again = makeCore(tc.dataDir);
    try {
      expect((await call(again.core, 'history.status', {})).autoVacuum).toBe('none');
      const st = await call(again.core, 'history.compact', {});
      expect(st.autoVacuum).toBe('incremental');
      expect(st.freeBytes).toBe(0);
    } finally {
      await again.cleanup();
    }
  });
});
