/** Shared set-up for the runs unit tests: a real core, an environment, servers, an application, the local executor. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import type { StepKinds } from '../../electron/core/runs/step-kinds.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

export interface RunsFixture extends TestCore {
  work: string;
  base: string;
  envId: number;
  appId: number;
  serverIds: number[];
  /** Release folders v1, v2, v3 with a VERSION file. */
  src: (v: string) => string;
}

export async function runsFixture(opts: { hosts?: number; confirmRuns?: boolean; keep?: number; dataDir?: string; stepKinds?: StepKinds } = {}): Promise<RunsFixture> {
  const tc = makeCore(opts.dataDir);
  const { core } = tc;
  if (opts.stepKinds) core.services.configure({ stepKinds: opts.stepKinds });
  core.services.runs.setExecutor(new LocalExecutor());
  const work = mkdtempSync(path.join(os.tmpdir(), 'puesta-runs-'));
  const base = path.join(work, 'srv', "my app's base");
  const env = await call(core, 'environments.create', { name: 'staging', confirmRuns: opts.confirmRuns ?? false });
  const app = await call(core, 'applications.create', {
    name: 'shop',
    runtimeUser: 'shop',
    basePath: base,
    keepReleases: opts.keep ?? 2,
    sharedDirs: ['storage', 'log dir'],
    sharedFiles: ['.env'],
  });
  const serverIds: number[] = [];
  for (let i = 1; i <= (opts.hosts ?? 1); i++) {
    const s = await call(core, 'servers.create', { name: `local-${i}`, host: '127.0.0.1', user: 'root', environmentId: env.id });
    await call(core, 'placements.create', { applicationId: app.id, serverId: s.id, role: 'web' });
    serverIds.push(s.id);
  }
  const src = (v: string) => {
    const d = path.join(work, 'src', v);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'VERSION'), v + '\n');
    return d;
  };
  return { ...tc, work, base, envId: env.id, appId: app.id, serverIds, src };
}
