/**
 * Issue 10 item 5: one health check that says where it runs ("from Puesta" or "on the host"), and
 * whose result names where it ran; item 6: the pre-flight checks what the checklist will need
 * (service manager, passwordless sudo) before anything changes, and a failure banner shows the
 * failing line, not only "exit code 1".
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
let server: http.Server | null = null;
let shimDir: string | null = null;
const PATH = process.env.PATH;
afterEach(async () => {
  process.env.PATH = PATH;
  if (shimDir) rmSync(shimDir, { recursive: true, force: true });
  shimDir = null;
  await new Promise((r) => (server ? server.close(r) : r(null)));
  server = null;
  await fx?.cleanup();
  fx = null;
});

async function healthServer(status: number): Promise<number> {
  server = http.createServer((_req, res) => res.writeHead(status).end('ok'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function install() {
  const { core, appId, envId } = fx!;
  const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx!.src('v1') } });
  return core.services.runs.settled(run.id);
}

async function logOf(runId: number, stepIndex: number): Promise<string> {
  return (await call(fx!.core, 'runs.logs', { runId, stepIndex })).items.map((l) => l.text).join('');
}

describe('the health check says where it runs', () => {
  for (const from of ['puesta', 'host'] as const) {
    it(`${from === 'host' ? 'on the host (curl there)' : 'from Puesta'}: the plan, the log and the failure name the place`, async () => {
      fx = await runsFixture();
      const { core, appId, envId } = fx;
      const port = await healthServer(200);
      await call(core, 'applications.update', { id: appId, healthCheck: { kind: 'http', from, target: `http://{{host.address}}:${port}/health`, expectStatus: 200, timeoutSeconds: 3 } });
      const where = from === 'host' ? 'on local-1' : 'from Puesta';
      const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
      const health = plan.steps.find((s) => s.key === 'health')!;
      expect(health.cells[0]!.detail).toContain(from === 'host' ? 'on local-1 (curl there)' : 'from Puesta (this computer)');
      expect(health.cells[0]!.command).toBe(from === 'host' ? `curl -sS --max-time 3 -w '\\n%{http_code}\\n' -- http://127.0.0.1:${port}/health` : null);
      let r = await install();
      expect(r.state, JSON.stringify(r.cells.filter((c) => c.state === 'failed'))).toBe('succeeded');
      const hi = r.steps.findIndex((s) => s.key === 'health');
      expect(await logOf(r.id, hi)).toContain(`check 1 ${where}: GET http://127.0.0.1:${port}/health → 200`);
      // the same check failing: the result names where it ran
      server!.close();
      const down = await healthServer(503);
      await call(core, 'applications.update', { id: appId, healthCheck: { kind: 'http', from, target: `http://{{host.address}}:${down}/health`, expectStatus: 200, timeoutSeconds: 1 } });
      const up = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v2') } });
      r = await core.services.runs.settled(up.id);
      const cell = r.cells.find((c) => c.stepIndex === r.steps.findIndex((s) => s.key === 'health'))!;
      expect(cell.state).toBe('failed');
      expect(cell.error).toContain(`The check (${where}) did not pass`);
    });
  }
});

describe('the pre-flight checks what the checklist needs before anything changes', () => {
  it('a host whose service manager does not run fails at the pre-flight, nothing created, the banner says why', async () => {
    fx = await runsFixture();
    const { core, envId, serverIds, work } = fx;
    core.services.configure({ provision: { manager: 'supervisor', paths: { logrotateDir: work, cronDir: work, systemdUnitDir: work, supervisorConfDir: work, supervisorctl: ['supervisorctl', '-c', path.join(work, 'no-supervisord.conf')] } } });
    const base = path.join(work, 'srv', 'billing');
    const app = await call(core, 'applications.create', { name: 'billing', runtimeUser: 'billing', basePath: base, services: [{ name: 'web', kind: 'web', command: 'exec bin/web', instances: 1 }] });
    await call(core, 'placements.create', { applicationId: app.id, serverId: serverIds[0]!, role: 'web' });
    const run = await call(core, 'runs.start', { applicationId: app.id, environmentId: envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') } });
    const r = await core.services.runs.settled(run.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision', currentStep: 0 });
    expect(r.steps[0]!.key).toBe('preflight');
    expect(r.cells[0]!.error).toMatch(/^exit code 1: supervisord is not running \(or not reachable with: supervisorctl -c .*\): start it/);
    // nothing but Puesta's own lock file on the host: no user, layout or logrotate yet
    expect(readdirSync(base)).toEqual(['.puesta-lock']);
    expect(readdirSync(work).filter((f) => f.includes('billing'))).toEqual([]);
  });

  it('a checklist with sudo steps needs passwordless sudo: checked first, the failing line in the banner', async () => {
    fx = await runsFixture();
    const { core, appId } = fx;
    const cl = await call(core, 'checklists.get', { applicationId: appId, kind: 'install' });
    expect(cl.steps[0]!.command).not.toContain('passwordless sudo');
    // a checklist whose restart runs with sudo: its built-in pre-flight checks sudo first
    const { builtinChecklist, withPreflightNeeds } = await import('../../electron/core/runs/builtin.js');
    const steps = withPreflightNeeds(builtinChecklist('install', { healthCheck: { kind: 'http', target: '', expectStatus: 200, timeoutSeconds: 30 } }).map((s) => (s.key === 'restart' ? { ...s, enabled: true, sudo: true, command: 'true' } : s)));
    await call(core, 'checklists.save', { applicationId: appId, kind: 'install', steps });
    // this test runs as root: pretend to be a deploy user whose sudo asks for a password
    shimDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-shim-'));
    writeFileSync(path.join(shimDir, 'id'), '#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\necho deploy\n');
    writeFileSync(path.join(shimDir, 'sudo'), '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n');
    for (const f of ['id', 'sudo']) chmodSync(path.join(shimDir, f), 0o755);
    process.env.PATH = `${shimDir}:${PATH}`;
    const r = await install();
    expect(r).toMatchObject({ state: 'waiting', currentStep: 0 });
    expect(r.cells[0]!.error).toBe('exit code 1: passwordless sudo is needed: steps of this checklist run with sudo -n; allow it for deploy (NOPASSWD in sudoers) and retry.');
    expect(existsSync(path.join(fx.base, 'releases'))).toBe(false);
  });
});
