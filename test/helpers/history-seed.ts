/**
 * A long run history for one application, written straight into SQLite (as a year of use would
 * leave it): `runs` finished runs of the built-in upgrade checklist on one host, each with one
 * succeeded cell per step and `logsPerRun` log rows. Used by the plan test and `bench/history`.
 */
import type { Core } from '../../electron/core/core.js';
import { call } from './api.js';

export interface SeededHistory {
  appId: number;
  envId: number;
  serverId: number;
  runIds: number[];
}

export async function seedHistory(core: Core, opts: { runs: number; logsPerRun?: number; name?: string }): Promise<SeededHistory> {
  const name = opts.name ?? 'ledger';
  const env = await call(core, 'environments.create', { name: `${name}-prod` });
  const app = await call(core, 'applications.create', { name, runtimeUser: name, basePath: `/srv/${name}` });
  const server = await call(core, 'servers.create', { name: `${name}-web-1`, host: '10.9.0.1', user: 'deploy', environmentId: env.id });
  await call(core, 'placements.create', { applicationId: app.id, serverId: server.id, role: 'web' });
  const steps = (await call(core, 'checklists.get', { applicationId: app.id, kind: 'upgrade' })).steps;
  const hosts = [{ serverId: server.id, serverName: server.name, address: '10.9.0.1', roles: ['web'] }];
  const context = { vars: { [server.id]: {} }, archive: null, lockToken: 'seed', serverIds: [server.id] };
  const logsPerRun = opts.logsPerRun ?? 60;
  const db = core.db;
  const insRun = db.prepare(
    `INSERT INTO runs (application_id, environment_id, kind, release_key, label, checklist, targets, context, operator, state, current_step, started_at, finished_at)
     VALUES (?, ?, 'upgrade', ?, '', ?, ?, ?, 'seed', 'succeeded', ?, ?, ?)`,
  );
  const insCell = db.prepare(
    `INSERT INTO run_steps (run_id, step_index, step_key, server_id, state, attempt, exit_code, started_at, finished_at, duration_ms)
     VALUES (?, ?, ?, ?, 'succeeded', 1, 0, ?, ?, ?)`,
  );
  const insLog = db.prepare(`INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text) VALUES (?, ?, ?, 1, 'stdout', ?, ?, ?)`);
  const checklist = JSON.stringify(steps);
  const targets = JSON.stringify(hosts);
  const ctx = JSON.stringify(context);
  const runIds: number[] = [];
  const day0 = Date.parse('2025-01-01T08:00:00.000Z');
  db.transaction(() => {
    for (let i = 0; i < opts.runs; i++) {
      // one run every 2 hours, so ages spread over the history
      const t = new Date(day0 + i * 7_200_000).toISOString();
      const id = Number(insRun.run(app.id, env.id, `2025.${i}`, checklist, targets, ctx, steps.length, t, t).lastInsertRowid);
      runIds.push(id);
      steps.forEach((s, k) => insCell.run(id, k, s.key, server.id, t, t, 1_000 + ((i * 37 + k * 101) % 500)));
      for (let n = 0; n < logsPerRun; n++) insLog.run(id, n % steps.length, server.id, n, t, `run ${id} line ${n}: ${'x'.repeat(60)}\n`);
    }
  })();
  return { appId: app.id, envId: env.id, serverId: server.id, runIds };
}
