/**
 * The four delivery keys over a fixture history with answers computed by hand (see each block):
 * an empty week, a deployment followed by three incidents (one failure, a fourth one inside a
 * planned window ignored), a rollback of a rollback, non-production runs left out, ISO weeks across
 * the spring DST change in Madrid, a health-gate switch-back, a fix-for chain, commits shipped twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSummary } from '../../shared/contract/metrics.js';
import { HistorySeeder } from '../helpers/metrics-seed.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
const ids = {} as Record<'prod' | 'staging' | 'shop' | 'blog' | 'd1' | 'd2' | 'd3' | 'd4' | 'd5' | 'd6' | 'd7' | 'd8' | 'r1' | 'r2' | 'b1', number>;
const H = 3600;

beforeAll(async () => {
  t = makeCore();
  const { core } = t;
  const prod = await call(core, 'environments.create', { name: 'production' });
  const staging = await call(core, 'environments.create', { name: 'staging' });
  const shop = await call(core, 'applications.create', { name: 'shop', runtimeUser: 'shop', basePath: '/srv/shop' });
  const blog = await call(core, 'applications.create', { name: 'blog', runtimeUser: 'blog', basePath: '/srv/blog' });
  const p1 = await call(core, 'servers.create', { name: 'p1', host: '10.0.0.1', user: 'root', environmentId: prod.id });
  const s1 = await call(core, 'servers.create', { name: 's1', host: '10.0.0.2', user: 'root', environmentId: staging.id });
  Object.assign(ids, { prod: prod.id, staging: staging.id, shop: shop.id, blog: blog.id });
  const seed = new HistorySeeder(core.db);
  const A = { app: shop.id, env: prod.id, server: p1.id };
  const up = (key: string, at: string, more: object = {}) => seed.add({ ...A, kind: 'upgrade', key, at, ...more });

  // W10: D1, then three incidents (one failure from 12:00); a fourth at 11:10 falls in a planned window
  ids.d1 = up('v1', '2026-03-03T10:00:00.000Z');
  for (const at of ['12:00', '13:00', '14:00', '11:10']) seed.incident(ids.d1, `2026-03-03T${at}:00.000Z`);
  seed.window(shop.id, '2026-03-03T11:00:00.000Z', '2026-03-03T11:30:00.000Z');
  ids.d2 = up('v2', '2026-03-04T10:00:00.000Z');
  seed.commits(ids.d2, [['c1', '2026-03-03T22:00:00.000Z'], ['c2', '2026-03-04T09:00:00.000Z']]);
  // W11: nothing in production (a staging run does not count)
  seed.add({ app: shop.id, env: staging.id, server: s1.id, kind: 'upgrade', key: 'v3', at: '2026-03-10T10:00:00.000Z' });
  // W12: D3 rolled back an hour later (R1), then R1 rolled back (R2 names no deployment)
  ids.d3 = up('v3', '2026-03-16T09:00:00.000Z');
  seed.commits(ids.d3, [['c1', '2026-03-03T22:00:00.000Z'], ['c3', '2026-03-15T09:00:00.000Z']]);
  ids.r1 = seed.add({ ...A, kind: 'rollback', key: 'v2', leftKey: 'v3', at: '2026-03-16T10:00:00.000Z' });
  ids.r2 = seed.add({ ...A, kind: 'rollback', key: 'v3', leftKey: 'v2', at: '2026-03-16T11:00:00.000Z' });
  // Sunday 29 March 2026, the night clocks go forward: 23:30 CEST is W13, 00:30 CEST on Monday is W14
  ids.d4 = up('v4', '2026-03-29T21:30:00.000Z');
  seed.commits(ids.d4, [['c4', '2026-03-29T20:30:00.000Z']]);
  // D5: the health gate put the host back (check from the switch at 22:30:00, deadline 30 s → failed 22:30:30; back at 22:31:45)
  ids.d5 = up('v5', '2026-03-29T22:30:00.000Z', { switchBack: { deadlineSeconds: 30, doneAt: '2026-03-29T22:31:45.000Z' } });
  // W15: a fix-for chain D6 ← D7 ← D8, and blog's first install
  ids.d6 = up('v6', '2026-04-06T08:00:00.000Z');
  ids.d7 = up('v7', '2026-04-06T12:00:00.000Z');
  ids.d8 = up('v8', '2026-04-07T09:00:00.000Z');
  seed.commits(ids.d8, [['c5', '2026-04-06T09:00:00.000Z']]);
  seed.fix(ids.d7, ids.d6);
  seed.fix(ids.d8, ids.d7);
  ids.b1 = seed.add({ app: blog.id, env: prod.id, server: p1.id, kind: 'install', key: 'b1', at: '2026-04-08T10:00:00.000Z' });
  // blog: an upgrade aborted before its switch is no deployment (but a run the figures cover)
  seed.add({ app: blog.id, env: prod.id, server: p1.id, kind: 'upgrade', key: 'b2', state: 'aborted', at: null, startedAt: '2026-04-09T10:00:00.000Z' });
});

afterAll(async () => {
  await t?.cleanup();
});

const period = { from: '2026-03-02', to: '2026-04-12' };
const summary = (more: object = {}) => call(t.core, 'metrics.summary', { ...period, timeZone: 'Europe/Madrid', ...more }) as Promise<MetricsSummary>;

describe('metrics over the fixture history', () => {
  it('counts deployments per ISO week in the zone, empty weeks as zero, rollbacks apart', async () => {
    const s = await summary();
    expect(s.weeks.map((w) => [w.week, w.deployments, w.rollbacks])).toEqual([
      ['2026-W10', 2, 0],
      ['2026-W11', 0, 0],
      ['2026-W12', 1, 2],
      ['2026-W13', 1, 0],
      ['2026-W14', 1, 0],
      ['2026-W15', 4, 0],
    ]);
    expect(s.frequency).toMatchObject({ deployments: 9, rollbacks: 2, perWeek: 1.5, bucket: 'weekly', trend: { previous: 0, direction: 'better' } });
    expect(s.frequency.byApplication).toEqual([
      { applicationId: ids.shop, applicationName: 'shop', deployments: 8, perWeek: 8 / 6 },
      { applicationId: ids.blog, applicationName: 'blog', deployments: 1, perWeek: 1 / 6 },
    ]);
    expect(s.cover).toMatchObject({ runs: 12, productionEnvironments: [{ id: ids.prod, name: 'production' }], failureWindowHours: 24 });
  });

  it('in UTC the deployment at 00:30 CEST on Monday falls in the week before', async () => {
    const s = await summary({ timeZone: 'UTC' });
    expect(s.weeks.find((w) => w.week === '2026-W13')!.deployments).toBe(2);
    expect(s.weeks.find((w) => w.week === '2026-W14')!.deployments).toBe(0);
  });

  it('change failure rate: five of nine deployments failed, each once whatever the evidence', async () => {
    const s = await summary();
    expect(s.changeFailure).toMatchObject({ deployments: 9, failed: 5, rate: 5 / 9, bucket: '46-100%' });
    const failed = await call(t.core, 'metrics.runs', { ...period, timeZone: 'Europe/Madrid', key: 'changeFailure' });
    expect(failed.items.map((r) => [r.runId, r.causes])).toEqual([
      [ids.d1, ['incident']],
      [ids.d3, ['rollback']],
      [ids.d5, ['switch-back']],
      [ids.d6, ['fix']],
      [ids.d7, ['fix']],
    ]);
    expect(failed.items.find((r) => r.runId === ids.d3)!.fixedBy).toBe(ids.r1);
  });

  it('a rollback of a rollback names no deployment', async () => {
    const all = await call(t.core, 'metrics.runs', { ...period, timeZone: 'Europe/Madrid', key: 'frequency', week: '2026-W12' });
    expect(all.items.map((r) => [r.runId, r.kind, r.fixesRunId])).toEqual([
      [ids.d3, 'upgrade', null],
      [ids.r1, 'rollback', ids.d3],
      [ids.r2, 'rollback', null],
    ]);
  });

  it('recovery time: incident start → next good deployment, rollback, switch-back exact to the second, fix chain', async () => {
    const s = await summary();
    const rec = await call(t.core, 'metrics.runs', { ...period, timeZone: 'Europe/Madrid', key: 'recovery' });
    expect(rec.items.map((r) => [r.runId, r.recoverySeconds, r.recoveryExact])).toEqual([
      [ids.d1, 22 * H, true],
      [ids.d3, 1 * H, false],
      [ids.d5, 75, true],
      [ids.d6, 25 * H, false],
      [ids.d7, 21 * H, false],
    ]);
    // sorted 75, 3600, 75600, 79200, 90000: median the third, p90 = 79200 + 0.6 × 10800
    expect(s.recovery).toMatchObject({ count: 5, exact: 2, medianSeconds: 21 * H, p90Seconds: 85_680, bucket: 'day' });
  });

  it('lead time: each commit once, at the first deployment that shipped it', async () => {
    const s = await summary();
    // c1 12 h, c2 1 h (D2); c3 24 h (D3; c1 again is not counted); c4 1 h (D4); c5 24 h (D8)
    expect(s.leadTime).toMatchObject({ count: 5, medianSeconds: 12 * H, p90Seconds: 24 * H, bucket: 'day' });
    expect(s.weeks.find((w) => w.week === '2026-W10')).toMatchObject({ leadCommits: 2, leadMedianSeconds: 6.5 * H });
  });

  it('filters by application and environment', async () => {
    const blog = await summary({ applicationId: ids.blog });
    expect(blog.frequency.deployments).toBe(1);
    expect(blog.changeFailure.rate).toBe(0);
    const staging = await summary({ environmentId: ids.staging });
    expect(staging.frequency.deployments).toBe(1);
    expect(staging.weeks.find((w) => w.week === '2026-W11')!.deployments).toBe(1);
  });

  it('the failure window: a fix linked more than 24 h later does not count', async () => {
    await call(t.core, 'metrics.settings.set', { productionEnvironmentIds: [ids.prod], failureWindowHours: 2 });
    const s = await summary();
    // D6 ← D7 (4 h) and D7 ← D8 (21 h) now fall outside; D1's first incident (2 h), D3's rollback and D5's switch-back stay
    expect(s.changeFailure.failed).toBe(3);
    await call(t.core, 'metrics.settings.set', { productionEnvironmentIds: [ids.prod], failureWindowHours: 24 });
  });

  it('incidents and fix links through the API', async () => {
    const inc = await call(t.core, 'metrics.incidents.add', { runId: ids.b1, title: 'blank page', startedAt: '2026-04-08T11:00:00.000Z' });
    expect((await call(t.core, 'metrics.incidents.list', { runId: ids.b1 })).items).toEqual([inc]);
    expect((await summary({ applicationId: ids.blog })).changeFailure.failed).toBe(1);
    await call(t.core, 'metrics.incidents.remove', { id: inc.id });
    expect((await summary({ applicationId: ids.blog })).changeFailure.failed).toBe(0);
    expect((await fails(t.core, 'metrics.fixFor.set', { runId: ids.d1, fixesRunId: ids.d2 })).code).toBe('INVALID_INPUT');
    expect((await fails(t.core, 'metrics.fixFor.set', { runId: ids.b1, fixesRunId: ids.d2 })).code).toBe('INVALID_INPUT');
  });
});
