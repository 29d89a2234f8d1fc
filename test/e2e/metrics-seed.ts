/**
 * A run history in the last 12 weeks for the metrics screen (e2e and screenshots): shop deploys
 * 15 times in production (an incident, a rollback, a health-gate switch-back and a fix-for link
 * make 4 of them failed; the commits of one could not be read in the operator's local clone), blog
 * 3 times, and staging runs that never count.
 */
import type { Core } from '../../electron/core/core.js';
import { recordFetched } from '../../electron/core/metrics/metrics-store.js';
import { HistorySeeder } from '../helpers/metrics-seed.js';

const DAY = 86_400_000;

export interface MetricsWorld {
  shop: number;
  blog: number;
  failed: number[];
  deployments: number;
  /** The deployment whose commits the local clone did not hold. */
  cloneLacking: number;
}

export function seedMetrics(core: Core, now = Date.now()): MetricsWorld {
  const ts = new Date(now).toISOString();
  const db = core.db;
  const one = <T>(sql: string, ...a: unknown[]) => Number(db.prepare(sql).run(...a).lastInsertRowid) as T;
  const prod = one<number>("INSERT INTO environments (name, colour, created_at, updated_at) VALUES ('production', '#dc2626', ?, ?)", ts, ts);
  const staging = one<number>("INSERT INTO environments (name, colour, created_at, updated_at) VALUES ('staging', '#16a34a', ?, ?)", ts, ts);
  const app = (name: string) => one<number>("INSERT INTO applications (name, runtime_user, base_path, created_at, updated_at) VALUES (?, 'app', ?, ?, ?)", name, `/srv/${name}`, ts, ts);
  const srv = (name: string, env: number) => one<number>("INSERT INTO servers (name, host, user, environment_id, created_at, updated_at) VALUES (?, '10.0.0.9', 'deploy', ?, ?, ?)", name, env, ts, ts);
  const shop = app('shop');
  const blog = app('blog');
  const p1 = srv('web-1', prod);
  const s1 = srv('stage-1', staging);
  const seed = new HistorySeeder(db);
  // 10:00 UTC `d` days ago, plus some hours
  const at = (d: number, h = 0) => new Date(Math.floor((now - d * DAY) / DAY) * DAY + (10 + h) * 3_600_000).toISOString();
  const ids = new Map<number, number>();
  let v = 0;
  for (const d of [80, 75, 70, 63, 56, 49, 42, 35, 28, 21, 14, 7, 3, 1]) {
    v++;
    const gate = d === 21 ? { switchBack: { deadlineSeconds: 30, doneAt: at(d, 0.02) } } : {};
    const id = seed.add({ app: shop, env: prod, server: p1, kind: 'upgrade', key: `v${v}`, at: at(d), ...gate });
    ids.set(d, id);
    if (d === 7) recordFetched(core, id, 'c0ffee'.repeat(6) + 'c0ff', [], `The local clone /home/ana/src/shop does not hold commit ${'c0ffee'.repeat(2)} (fetch it there).`);
    else seed.commits(id, Array.from({ length: 1 + (v % 3) }, (_, c) => [`shop-${v}-${c}`, at(d, -(4 + 9 * c))] as [string, string]));
  }
  seed.incident(ids.get(70)!, at(70, 2), 'checkout errors');
  seed.add({ app: shop, env: prod, server: p1, kind: 'rollback', key: 'v5', leftKey: 'v6', at: at(49, 1) });
  // a hotfix five hours after the deployment of 14 days ago
  seed.fix(seed.add({ app: shop, env: prod, server: p1, kind: 'upgrade', key: 'v15', at: at(14, 5) }), ids.get(14)!);
  for (const d of [60, 30, 2]) seed.add({ app: blog, env: prod, server: p1, kind: d === 60 ? 'install' : 'upgrade', key: `b${d}`, at: at(d, 3) });
  for (const d of [50, 20]) seed.add({ app: shop, env: staging, server: s1, kind: 'upgrade', key: `s${d}`, at: at(d) });
  return { shop, blog, failed: [70, 49, 21, 14].map((d) => ids.get(d)!), deployments: 18, cloneLacking: ids.get(7)! };
}
