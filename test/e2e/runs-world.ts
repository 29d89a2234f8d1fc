/**
 * A small real world for the Runs screens: real sshd hosts (test/hosts), an environment that asks
 * for a typed confirmation, an application placed on every host, and release folders v1, v2 on
 * the laptop. Used by the runs e2e test and the runs screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';
import type { Run } from '../../shared/contract/runs.js';
import type { App } from './harness.js';

export interface RunsWorld {
  hosts: TestHosts;
  envId: number;
  envName: string;
  appId: number;
  serverIds: number[];
  /** A release folder on the laptop holding VERSION = v (and a small app). */
  src(v: string): string;
  close(): Promise<void>;
}

export async function runsWorld(app: App, opts: { count?: number; firstIndex?: number; envName?: string; appName?: string } = {}): Promise<RunsWorld> {
  const hosts = await startHosts({ count: opts.count ?? 2, firstIndex: opts.firstIndex ?? 40 });
  const work = mkdtempSync(path.join(os.tmpdir(), 'puesta-runs-e2e-'));
  try {
    const envName = opts.envName ?? 'production';
    const env = await app.call('environments.create', { name: envName, colour: '#dc2626', confirmRuns: true, notes: '' });
    const trusted = await trustAll(app.core, hosts.hosts);
    const serverIds: number[] = [];
    let i = 0;
    for (const t of trusted) {
      i++;
      await app.call('servers.update', { id: t.serverId, name: `web-0${i}`, environmentId: env.id, roles: ['web'] });
      serverIds.push(t.serverId);
    }
    const a = await app.call('applications.create', {
      name: opts.appName ?? 'shop',
      runtimeUser: 'shop',
      basePath: '/srv/shop',
      sourceKind: 'directory',
      source: '',
      keepReleases: 3,
      sharedDirs: ['storage'],
      sharedFiles: ['.env'],
    });
    for (const sid of serverIds) await app.call('placements.create', { applicationId: a.id, serverId: sid, role: 'web' });
    const src = (v: string) => {
      const d = path.join(work, v);
      mkdirSync(path.join(d, 'public'), { recursive: true });
      writeFileSync(path.join(d, 'VERSION'), v + '\n');
      writeFileSync(path.join(d, 'public', 'index.html'), `<h1>shop ${v}</h1>\n`);
      return d;
    };
    return {
      hosts,
      envId: env.id,
      envName,
      appId: a.id,
      serverIds,
      src,
      close: async () => {
        await hosts.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await hosts.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

/** Polls runs.get until `until` holds, or fails with the run's state after `ms`. */
export async function waitRun(app: App, id: number, until: (r: Run) => boolean, ms = 60_000): Promise<Run> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await app.call('runs.get', { id });
    if (until(r)) return r;
    if (Date.now() > end) throw new Error(`run #${id} still ${r.state}${r.waitingFor ? ` (${r.waitingFor})` : ''} after ${ms} ms: ${r.error ?? ''}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
