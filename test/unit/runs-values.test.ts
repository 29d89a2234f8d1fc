/** Issue 10, items 15–17: values that reach the hosts (labels, inspect output, base paths, check URLs). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { inspect } from '../../electron/core/runs/releases.js';
import { render } from '../../electron/core/runs/template.js';
import { ApplicationFields } from '../../shared/contract/inventory.js';
import { RunRequest } from '../../shared/contract/runs.js';
import { call, fails } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

const target = { id: 1, name: 'local', host: '127.0.0.1', port: 22, user: 'root' } as never;

describe('release labels and the inspect output (item 15)', () => {
  it('refuses labels that are only punctuation or end or start with it', () => {
    const req = { applicationId: 1, environmentId: 1, kind: 'install' as const };
    for (const label of ['--', 'v1---', '-v1', '.', '..', 'v1.', 'a b']) {
      const r = RunRequest.safeParse({ ...req, label });
      expect(r.success, label).toBe(false);
    }
    for (const label of ['', 'v1', 'v2.3.1', 'rc_1-fix', '2']) expect(RunRequest.safeParse({ ...req, label }).success, label).toBe(true);
  });

  it('runs.start refuses a label "--" before anything changes on a host', async () => {
    fx = await runsFixture();
    const err = await fails(fx.core, 'runs.start', { applicationId: fx.appId, environmentId: fx.envId, kind: 'install', source: { kind: 'directory', path: fx.src('v1') }, label: '--' });
    expect(err.code).toBe('INVALID_INPUT');
    expect((await call(fx.core, 'runs.list', {})).total).toBe(0);
  });

  it('reads release folders whose names contain --- and a current link to one of them', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'puesta-inspect-'));
    try {
      for (const k of ['20261201T000000000---', '20261201T000000001-a---b', '20261201T000000002']) mkdirSync(path.join(base, 'releases', k), { recursive: true });
      symlinkSync(path.join(base, 'releases', '20261201T000000000---'), path.join(base, 'current'));
      const r = await inspect(new LocalExecutor(), target, base);
      expect(r.currentKey).toBe('20261201T000000000---');
      expect(r.present.sort()).toEqual(['20261201T000000000---', '20261201T000000001-a---b', '20261201T000000002']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('base paths (item 16)', () => {
  it('refuses a newline, a carriage return or a backslash with a clear message', () => {
    for (const basePath of ['/srv/a\nb', '/srv/a\rb', '/srv/a\\b']) {
      const r = ApplicationFields.safeParse({ name: 'x', runtimeUser: 'x', basePath });
      expect(r.success, JSON.stringify(basePath)).toBe(false);
      expect(r.error!.issues.map((i) => i.message).join(' ')).toMatch(/newline|backslash/);
    }
    expect(ApplicationFields.safeParse({ name: 'x', runtimeUser: 'x', basePath: "/srv/my app's base" }).success).toBe(true);
  });
});

describe('values in a health-check URL (item 17)', () => {
  it('encodes each value as one path segment: a ../ or a / inside it cannot change the path', () => {
    const u = render('http://{{host.address}}:8080/apps/{{app.name}}/health', { 'host.address': '10.0.0.5', 'app.name': '../../admin' }, 'url');
    expect(u).toBe('http://10.0.0.5:8080/apps/..%2F..%2Fadmin/health');
    expect(new URL(u).pathname).toBe('/apps/..%2F..%2Fadmin/health');
    expect(render('http://h/{{app.name}}', { 'app.name': 'a/b?c#d' }, 'url')).toBe('http://h/a%2Fb%3Fc%23d');
  });

  it('refuses a value that is a whole dot segment', () => {
    for (const v of ['..', '.']) expect(() => render('http://h/x/{{app.name}}/y', { 'app.name': v }, 'url')).toThrow(/path segment/);
  });
});
