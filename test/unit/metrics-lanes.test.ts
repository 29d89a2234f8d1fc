/**
 * The analysed rows kept per deployment (lanes.ts) stay equal to an analysis of the whole history
 * from scratch while the history changes under them: runs that end later, an incident, a planned
 * window cancelled by the windows screen, a rollback, a fix link, the failure window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyse } from '../../electron/core/metrics/history.js';
import { readHistory, readSettings } from '../../electron/core/metrics/metrics-store.js';
import { durations, foldItem, percentile, summarise } from '../../electron/core/metrics/summary.js';
import { zoneOf } from '../../electron/core/metrics/weeks.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { HistorySeeder } from '../helpers/metrics-seed.js';

let t: TestCore;
let seed: HistorySeeder;
const ids = { prod: 0, shop: 0, blog: 0, p1: 0 };
const period = { from: '2026-03-02', to: '2026-03-29', timeZone: 'UTC' };

beforeAll(async () => {
  t = makeCore();
  const { core } = t;
  ids.prod = (await call(core, 'environments.create', { name: 'production' })).id;
  ids.shop = (await call(core, 'applications.create', { name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop' })).id;
  ids.blog = (await call(core, 'applications.create', { name: 'blog', runtimeUser: 'blog', basePath: '/srv/blog' })).id;
  ids.p1 = (await call(core, 'servers.create', { name: 'p1', host: '10.0.0.1', user: 'root', environmentId: ids.prod })).id;
  seed = new HistorySeeder(core.db);
});

afterAll(async () => {
  await t?.cleanup();
});

const up = (app: number, key: string, at: string, more: object = {}) => seed.add({ app, env: ids.prod, server: ids.p1, kind: 'upgrade', key, at, ...more });

/** The summary as the API gives it, and the same figures from an analysis of everything, now. */
async function both() {
  const { cover: _, ...kept } = await call(t.core, 'metrics.summary', period);
  const settings = readSettings(t.core);
  const analysed = [...analyse(readHistory(t.core, { environmentIds: settings.productionEnvironmentIds }), settings.failureWindowHours * 3_600_000).values()];
  const deployed = new Set(analysed.filter((a) => a.run.role === 'deployment').map((a) => a.run.applicationId));
  const names = new Map([
    [ids.shop, 'shop'],
    [ids.blog, 'blog'],
  ]);
  const fresh = summarise(analysed.map(foldItem), { from: period.from, to: period.to, zone: zoneOf('UTC') }, deployed, (id) => names.get(id)!);
  return { kept, fresh };
}

describe('analysed deployments follow the history', () => {
  it('equal the analysis from scratch after each change', async () => {
    const d1 = up(ids.shop, 'v1', '2026-03-03T10:00:00.000Z');
    up(ids.blog, 'b1', '2026-03-03T11:00:00.000Z');
    seed.commits(d1, [['c1', '2026-03-02T10:00:00.000Z']]);
    let { kept, fresh } = await both();
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(0);

    // an incident inside a planned window does not count; the window cancelled (as the windows screen does), it does
    seed.window(ids.shop, '2026-03-03T11:00:00.000Z', '2026-03-03T12:00:00.000Z');
    seed.incident(d1, '2026-03-03T11:30:00.000Z');
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(0);
    t.core.db.prepare("UPDATE windows SET state = 'cancelled'").run();
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(1);

    // a later deployment that did not fail is D1's recovery; a rollback of it makes it fail, and moves D1's recovery on
    const d2 = up(ids.shop, 'v2', '2026-03-10T10:00:00.000Z');
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.recovery.count).toBe(1);
    seed.add({ app: ids.shop, env: ids.prod, server: ids.p1, kind: 'rollback', key: 'v1', leftKey: 'v2', at: '2026-03-10T12:00:00.000Z' });
    const d3 = up(ids.shop, 'v3', '2026-03-12T10:00:00.000Z');
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(2);

    // a fix link through the API, then a shorter failure window
    await call(t.core, 'metrics.fixFor.set', { runId: d3, fixesRunId: d2 });
    const b2 = up(ids.blog, 'b2', '2026-03-20T10:00:00.000Z');
    up(ids.blog, 'b3', '2026-03-20T20:00:00.000Z');
    await call(t.core, 'metrics.incidents.add', { runId: b2, title: 'slow', startedAt: '2026-03-20T10:30:00.000Z' });
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(3);
    await call(t.core, 'metrics.settings.set', { productionEnvironmentIds: [ids.prod], failureWindowHours: 1 });
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.changeFailure.failed).toBe(1);

    // a run that was still running when last read, then ends
    const late = seed.add({ app: ids.blog, env: ids.prod, server: ids.p1, kind: 'upgrade', key: 'b4', at: '2026-03-25T10:00:00.000Z' });
    t.core.db.prepare("UPDATE runs SET state = 'running', finished_at = NULL WHERE id = ?").run(late);
    ({ kept, fresh } = await both());
    expect(kept.frequency.deployments).toBe(6);
    t.core.db.prepare("UPDATE runs SET state = 'succeeded', finished_at = '2026-03-25T10:05:00.000Z' WHERE id = ?").run(late);
    ({ kept, fresh } = await both());
    expect(kept).toEqual(fresh);
    expect(kept.frequency.deployments).toBe(7);
  });
});

describe('median and p90 by selection', () => {
  it('equal the percentiles of the sorted values: random, with many equal values, already sorted, reversed, tiny', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases = [
      Array.from({ length: 1001 }, () => Math.round(rnd() * 1e9) / 1000),
      Array.from({ length: 500 }, () => Math.floor(rnd() * 4) * 3600),
      Array.from({ length: 300 }, (_, i) => i * 1.5),
      Array.from({ length: 300 }, (_, i) => 1000 - i),
      [42],
      [7, 3],
      [],
    ];
    for (const xs of cases) {
      const sorted = Float64Array.from(xs).sort();
      expect(durations(xs)).toEqual({ count: xs.length, medianSeconds: percentile(sorted, 0.5), p90Seconds: percentile(sorted, 0.9) });
    }
  });
});
