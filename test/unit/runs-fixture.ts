/** Shared set-up for the runs unit tests: a real core, an environment, servers, an application, the local executor. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Core } from '../../electron/core/core.js';
import { dispatch } from '../../electron/core/dispatch.js';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { setRunsExecutor } from '../../electron/core/runs/engine.js';
import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';

export async function call<M extends MethodName>(core: Core, m: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const r = await dispatch(core, m, input);
  if (!r.ok) throw Object.assign(new Error(`${m}: ${r.error.code}: ${r.error.message}`), { code: r.error.code, details: r.error.details });
  return r.value as MethodOutput<M>;
}

export async function callErr(core: Core, m: MethodName, input: unknown): Promise<{ code: string; message: string; details?: unknown }> {
  const r = await dispatch(core, m, input);
  if (r.ok) throw new Error(`${m} succeeded but an error was expected`);
  return r.error;
}

export interface RunsFixture extends TestCore {
  work: string;
  base: string;
  envId: number;
  appId: number;
  serverIds: number[];
  /** Release folders v1, v2, v3 with a VERSION file. */
  src: (v: string) => string;
}

export async function runsFixture(opts: { hosts?: number; confirmRuns?: boolean; keep?: number; dataDir?: string } = {}): Promise<RunsFixture> {
  const tc = makeCore(opts.dataDir);
  const { core } = tc;
  setRunsExecutor(core, new LocalExecutor());
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
