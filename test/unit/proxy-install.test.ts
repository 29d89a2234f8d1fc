/**
 * What the proxy's install writes and what guards a switch back, without a host: the HAProxy
 * config passes the real `haproxy -c` (and a bad listen address is refused by it), the slots'
 * systemd template passes `systemd-analyze verify`, the nginx-reload include gets
 * `keepalive_min_timeout` only from nginx 1.27.4, and a direct switch back over a contract patch
 * is refused unless the confirmation names it (the placement's slot follows the live one).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { upsertPatches } from '../../electron/core/dbpatch/patch-store.js';
import { mirrorLedger } from '../../electron/core/dbpatch/ledger-store.js';
import { prelude } from '../../electron/core/proxy/commands.js';
import { haproxyConfig } from '../../electron/core/proxy/haproxy-config.js';
import { putSlots } from '../../electron/core/proxy/proxy-store.js';
import { renderSlotUnit } from '../../electron/core/proxy/slot-units.js';
import { DEFAULT_PATHS } from '../../electron/core/provision/common.js';
import { PROXY_DEFAULTS } from '../../shared/contract/proxy.js';
import { call, fails } from '../helpers/api.js';
import { createApplication, makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore | null = null;
afterEach(async () => {
  await tc?.cleanup();
  tc = null;
});

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'puesta-proxy-install-'));

describe('configs the install writes', () => {
  it('the HAProxy config passes haproxy -c; a listen address HAProxy cannot bind is refused by it', () => {
    const dir = tmp();
    const check = (listen: string[]) => {
      const f = path.join(dir, 'haproxy.cfg');
      writeFileSync(f, haproxyConfig({ appName: 'shop', base: '/srv/shop', listen, admin: '127.0.0.1:9999', backend: 'app' }));
      return spawnSync('haproxy', ['-c', '-f', f], { encoding: 'utf8' });
    };
    const ok = check(['127.0.0.1:8080', '8081']);
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    const cfg = haproxyConfig({ appName: 'shop', base: '/srv/shop/', listen: ['80'], admin: '127.0.0.1:9999', backend: 'app' });
    expect(cfg).toContain('server-state-file /srv/shop/run/haproxy.state');
    expect(cfg).toContain('bind :80');
    expect(cfg).toContain('server green /srv/shop/run/green.sock cookie green weight 0');
    expect(check(['999.1.1.1:1']).status).not.toBe(0);
    expect(() => haproxyConfig({ appName: 'shop', base: '/srv/shop', listen: ['80; reboot'], admin: '127.0.0.1:9999', backend: 'app' })).toThrow(/listen value/);
  });

  it("the slots' systemd template passes systemd-analyze verify, with the slot's variables", () => {
    const dir = tmp();
    const unit = renderSlotUnit({ slug: 'shop', user: 'root', base: '/srv/shop', command: 'exec node server.js', paths: DEFAULT_PATHS });
    expect(unit).toContain('Environment=PUESTA_SLOT=%i PUESTA_SLOT_DIR=/srv/shop/slots/%i PUESTA_SLOT_SOCKET=/srv/shop/run/%i.sock');
    writeFileSync(path.join(dir, 'puesta-shop-slot@.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'puesta-shop-slot@blue.service')], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/puesta-shop-slot@/);
  });

  it('nginx-reload: keepalive_min_timeout only where the host nginx is 1.27.4 or newer', () => {
    const bin = tmp();
    const put = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    put('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    const fn = prelude({ ...PROXY_DEFAULTS, driver: 'nginx-reload' }, { path: '/srv/shop' });
    const said = (version: string) => {
      put('nginx', `echo "nginx version: nginx/${version}" >&2`);
      return spawnSync('sh', ['-c', `${fn}keepalive_min`], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } }).stdout.trim();
    };
    expect(said('1.22.1')).toBe('');
    expect(said('1.27.3')).toBe('');
    expect(said('1.27.4')).toBe('keepalive_min_timeout 10s;');
    expect(said('1.29.0')).toBe('keepalive_min_timeout 10s;');
  });
});

describe('switch back and the database patches', () => {
  it('refuses a direct switch back over a contract patch unless the confirmation names it; expand patches do not matter', async () => {
    tc = makeCore();
    const { core } = tc;
    const env = await call(core, 'environments.create', { name: 'staging' });
    const appId = createApplication(core, { name: 'shop', strategy: 'blue-green' });
    const srv = await call(core, 'servers.create', { name: 'web-1', host: '127.0.0.1', port: 1, user: 'root', environmentId: env.id });
    await call(core, 'placements.create', { applicationId: appId, serverId: srv.id, role: 'web' });
    putSlots(core, appId, srv.id, { live: 'green', blueRelease: 'r1', greenRelease: 'r2', warmUntil: new Date(Date.now() + 60_000).toISOString() });
    // the placement shows the live slot
    expect((await call(core, 'placements.list', { applicationId: appId })).items[0]!.slot).toBe('green');

    const dbId = (await call(core, 'dbpatch.saveDatabase', { applicationId: appId, name: 'main', serverId: srv.id, database: 'shop', user: 'shop' })).id;
    const patch = (id: string, compat: 'expand' | 'contract') => ({
      meta: { id, requires: [], reversible: 'yes' as const, compat, transactional: true, guard: null, lockTimeoutMs: 1000, statementTimeoutMs: 0, retries: 5, batchSize: null, description: '' },
      up: 'SELECT 1',
      down: 'SELECT 1',
      verify: null,
      checksum: `sum-${id}`,
      sourcePath: `/p/${id}`,
    });
    upsertPatches(core, appId, [patch('0001-add-col', 'expand'), patch('0002-drop-col', 'contract')]);
    const applied = (patchId: string, i: number) => ({
      remoteId: i,
      patchId,
      direction: 'up' as const,
      state: 'done' as const,
      checksum: `sum-${patchId}`,
      operator: 'ana',
      runId: null,
      releaseKey: 'r2',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      estimateMs: null,
      actualMs: null,
      statementsDone: 1,
      note: '',
    });
    mirrorLedger(core, dbId, [applied('0001-add-col', 1)]);
    const slots = await call(core, 'proxy.slots', { applicationId: appId, environmentId: env.id });
    expect(slots.hosts[0]!.slots.map((s) => s.unsafePatches)).toEqual([[], []]);

    mirrorLedger(core, dbId, [applied('0001-add-col', 1), applied('0002-drop-col', 2)]);
    const after = await call(core, 'proxy.slots', { applicationId: appId, environmentId: env.id });
    expect(after.hosts[0]!.slots[0]!.unsafePatches).toEqual([{ patchId: '0002-drop-col', compat: 'contract', databaseName: 'main' }]);
    const e = await fails(core, 'proxy.switch', { applicationId: appId, environmentId: env.id, to: 'blue' });
    expect(e).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(e.message).toContain('0002-drop-col (contract, main)');
    expect(await fails(core, 'proxy.switch', { applicationId: appId, environmentId: env.id, to: 'blue', confirmPatches: '0001-add-col' })).toMatchObject({ code: 'PRECONDITION_FAILED' });
    // named: the switch goes ahead (and reaches for the host, which is not there)
    const named = await call(core, 'proxy.switch', { applicationId: appId, environmentId: env.id, to: 'blue', confirmPatches: '0002-drop-col' });
    expect(named.hosts[0]).toMatchObject({ ok: false, held: false });
    const audit = await call(core, 'audit.list', { action: 'proxy.switch' });
    expect(JSON.stringify(audit.items[0])).toContain('0002-drop-col');
  });
});
