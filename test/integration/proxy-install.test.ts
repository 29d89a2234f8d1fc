/**
 * The blue-green install writes the proxy's config and the slots' services, on a real sshd host
 * with its own nginx, HAProxy and supervisord (Debian packages): the nginx site (nginx -t, reload
 * only when it changed; a refused site leaves the previous one), the HAProxy config (haproxy -c
 * first; its reload keeps the live slot; a refused config changes nothing), supervisor programs per
 * slot started with $PUESTA_SLOT / $PUESTA_SLOT_DIR / $PUESTA_SLOT_SOCKET. A direct switch refuses
 * while the host's lock file is held, like a run; the guard's automatic switch back is refused over a
 * contract database patch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorLedger } from '../../electron/core/dbpatch/ledger-store.js';
import { upsertPatches } from '../../electron/core/dbpatch/patch-store.js';
import { DEFAULT_PATHS } from '../../electron/core/provision/common.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { answer, BASE, createBlueGreenApp, prepareHost, release, stopHost, type Fronts } from '../helpers/proxy-world.js';
import { freePort, startHosts, trustAll, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
let work: string;
let fronts: Fronts;
let envId: number;
let appId: number;
let sitePort: number;
let haPort: number;

const SUP = '/srv/sup';
const SUP_CONF = `${SUP}/supervisord.conf`;
const SITE = '/etc/nginx/sites-enabled/puesta-shop.conf';
const HAPROXY_CFG = `${BASE}/haproxy-puesta.cfg`;
const HAPROXY_PID = `${BASE}/haproxy-puesta.pid`;

beforeAll(async () => {
  hs = await startHosts({ count: 1, withNginx: true });
  tc = makeCore();
  work = mkdtempSync(path.join(os.tmpdir(), 'puesta-bg-install-'));
  const core = tc.core;
  const h = hs.hosts[0]!;
  await call(core, 'settings.setOperator', { name: 'alice' });
  envId = (await call(core, 'environments.create', { name: 'staging' })).id;
  const [t] = await trustAll(core, hs.hosts);
  await call(core, 'servers.update', { id: t!.serverId, environmentId: envId });
  fronts = await prepareHost(h, { haproxy: false });
  // a private supervisord in the host's namespace (its /srv is private): the slots' programs go there
  await h.rootExec(`set -e
mkdir -p ${SUP}/conf.d
printf '[unix_http_server]\\nfile=${SUP}/sock\\nchmod=0700\\n[supervisord]\\nlogfile=${SUP}/supervisord.log\\npidfile=${SUP}/supervisord.pid\\nchildlogdir=${SUP}\\n[rpcinterface:supervisor]\\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\\n[supervisorctl]\\nserverurl=unix://${SUP}/sock\\n[include]\\nfiles = ${SUP}/conf.d/*.conf\\n' > ${SUP_CONF}
supervisord -c ${SUP_CONF}`);
  core.services.configure({ provision: { paths: { ...DEFAULT_PATHS, supervisorConfDir: `${SUP}/conf.d`, supervisorctl: ['supervisorctl', '-c', SUP_CONF] }, manager: 'supervisor' } });
  sitePort = await freePort(h.host);
  haPort = await freePort(h.host);
  appId = await createBlueGreenApp(core, t!.serverId, envId, fronts, 'shop');
  await call(core, 'proxy.settings.save', {
    applicationId: appId,
    writeProxyConfig: true,
    listen: [`${h.host}:${sitePort}`],
    slotCommand: 'exec node server.js "$PUESTA_SLOT_SOCKET" "$PUESTA_SLOT"',
    startCommand: 'echo "the slot service is used, not this" >&2; exit 1',
    stopCommand: 'exit 1',
    haproxyConfig: HAPROXY_CFG,
    haproxyReload: `sudo -n sh -c 'p=${HAPROXY_PID}; if [ -f $p ] && kill -0 "$(cat $p)" 2>/dev/null; then haproxy -D -f ${HAPROXY_CFG} -p $p -sf "$(cat $p)"; else haproxy -D -f ${HAPROXY_CFG} -p $p; fi'`,
  });
}, 60_000);

afterAll(async () => {
  const h = hs?.hosts[0];
  if (h) {
    await h.rootExec(`supervisorctl -c ${SUP_CONF} shutdown >/dev/null 2>&1; [ -f ${HAPROXY_PID} ] && kill $(cat ${HAPROXY_PID}); rm -f ${SITE}; true`);
    await stopHost(h);
  }
  await tc?.core.close();
  await hs?.stop();
  rmSync(work, { recursive: true, force: true });
});

const host = (): string => hs.hosts[0]!.host;
const root = async (cmd: string): Promise<string> => (await hs.hosts[0]!.rootExec(cmd)).stdout.trim();
const run = async (kind: 'install' | 'upgrade', v: string) => {
  const r = await call(tc.core, 'runs.start', { applicationId: appId, environmentId: envId, kind, source: release(work, v), label: v });
  return tc.core.services.runs.settled(r.id);
};
const failedCells = (r: Awaited<ReturnType<typeof run>>) => JSON.stringify(r.cells.filter((c) => c.state !== 'succeeded').map((c) => [r.steps[c.stepIndex]!.key, c.error]));
const stepLog = async (r: Awaited<ReturnType<typeof run>>, key: string) =>
  (await call(tc.core, 'runs.logs', { runId: r.id, stepIndex: r.steps.findIndex((s) => s.key === key) })).items.map((l) => l.text).join('');
const status = () => root(`supervisorctl -c ${SUP_CONF} status`);

describe('the blue-green install writes the proxy and the slot services (real nginx, HAProxy, supervisord, sshd)', () => {
  it('nginx-socket: the site is written and checked, the slots run as supervisor programs with their variables; a second install changes nothing', async () => {
    const ins = await run('install', 'v1');
    expect(ins.state, failedCells(ins)).toBe('succeeded');
    expect(await stepLog(ins, 'proxy-install')).toContain('nginx -t passed, reloaded');
    expect(await root(`cat ${SITE}`)).toContain(`proxy_pass http://unix:${BASE}/run/live.sock:;`);
    const a = await answer(host(), sitePort);
    expect(a).toMatchObject({ status: 200, body: 'blue v1', slot: 'blue' });
    expect(await status()).toMatch(/puesta-shop-slot-blue\s+RUNNING/);
    const pid = await root(`supervisorctl -c ${SUP_CONF} pid puesta-shop-slot-blue`);
    const env = await root(`tr '\\0' '\\n' < /proc/${pid}/environ | grep ^PUESTA_ | sort`);
    expect(env.split('\n')).toEqual([`PUESTA_SLOT=blue`, `PUESTA_SLOT_DIR=${BASE}/slots/blue`, `PUESTA_SLOT_SOCKET=${BASE}/run/blue.sock`]);

    const up = await run('upgrade', 'v2');
    expect(up.state, failedCells(up)).toBe('succeeded');
    expect((await answer(host(), sitePort)).body).toBe('green v2');
    // blue is kept warm (running) for the switch back
    expect(await status()).toMatch(/puesta-shop-slot-blue\s+RUNNING/);
    expect(await status()).toMatch(/puesta-shop-slot-green\s+RUNNING/);

    const again = await run('install', 'v3');
    expect(again.state, failedCells(again)).toBe('succeeded');
    expect(await stepLog(again, 'proxy-install')).toContain(`nginx: ${SITE} already in place`);
  }, 180_000);

  it('a site nginx -t refuses is not kept: the previous site is back and still serves', async () => {
    const before = await root(`cat ${SITE}`);
    const live = (await answer(host(), sitePort)).body;
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, listen: ['999.1.1.1:1'] });
    const r = await run('install', 'v4');
    expect(r.state).not.toBe('succeeded');
    expect(await stepLog(r, 'proxy-install')).toContain('nginx -t refused the new site, the previous one is back');
    expect(await root(`cat ${SITE}`)).toBe(before);
    expect((await answer(host(), sitePort)).body).toBe(live);
    if (r.state === 'waiting') {
      await call(tc.core, 'runs.act', { id: r.id, action: 'abort' });
      await tc.core.services.runs.settled(r.id);
    }
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, listen: [`${host()}:${sitePort}`] });
  }, 120_000);

  it('haproxy-runtime: the config is checked and written; its reload keeps the live slot; a refused config changes nothing', async () => {
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, driver: 'haproxy-runtime', listen: [`${host()}:${haPort}`], haproxyAdmin: fronts.haproxyAdmin });
    const ins = await run('install', 'v5');
    expect(ins.state, failedCells(ins)).toBe('succeeded');
    expect(await stepLog(ins, 'proxy-install')).toContain('haproxy -c passed, reloaded');
    const first = await answer(host(), haPort);
    expect(first.status).toBe(200);
    const other = first.slot === 'blue' ? 'green' : 'blue';
    const sw = await call(tc.core, 'proxy.switch', { applicationId: appId, environmentId: envId, to: other });
    expect(sw.hosts.map((x) => [x.ok, x.error])).toEqual([[true, null]]);

    // a changed config (one more address) is reloaded by the next install: the switched-to slot stays live
    const haPort2 = await freePort(host());
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, listen: [`${host()}:${haPort}`, `${host()}:${haPort2}`] });
    const again = await run('install', 'v6');
    expect(again.state, failedCells(again)).toBe('succeeded');
    expect(await stepLog(again, 'proxy-install')).toContain(`reloaded (live: ${other})`);
    expect((await answer(host(), haPort2)).status).toBe(200);

    const cfg = await root(`cat ${HAPROXY_CFG}`);
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, listen: ['999.1.1.1:1'] });
    const bad = await run('install', 'v7');
    expect(bad.state).not.toBe('succeeded');
    expect(await stepLog(bad, 'proxy-install')).toContain('haproxy -c refused the new config');
    expect(await root(`cat ${HAPROXY_CFG}`)).toBe(cfg);
    if (bad.state === 'waiting') {
      await call(tc.core, 'runs.act', { id: bad.id, action: 'abort' });
      await tc.core.services.runs.settled(bad.id);
    }
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, listen: [`${host()}:${haPort}`] });
  }, 240_000);

  it("a direct switch refuses while a run holds the host's lock file, and leaves that file alone", async () => {
    const lock = `token=someone-else expires=${Math.floor(Date.now() / 1000) + 600} run=99 owner=bob reason=deploying`;
    await root(`printf '%s\\n' '${lock}' > ${BASE}/.puesta-lock`);
    const before = (await call(tc.core, 'proxy.read', { applicationId: appId, environmentId: envId })).hosts[0]!.live!;
    const to = before === 'blue' ? 'green' : 'blue';
    const e = await fails(tc.core, 'proxy.switch', { applicationId: appId, environmentId: envId, to });
    expect(e).toMatchObject({ code: 'LOCKED' });
    expect(e.message).toContain('held by bob');
    expect(await root(`cat ${BASE}/.puesta-lock`)).toBe(lock);
    expect((await call(tc.core, 'proxy.read', { applicationId: appId, environmentId: envId })).hosts[0]!.live).toBe(before);

    await root(`rm -f ${BASE}/.puesta-lock`);
    const ok = await call(tc.core, 'proxy.switch', { applicationId: appId, environmentId: envId, to });
    expect(ok.hosts.map((x) => [x.ok, x.held])).toEqual([[true, false]]);
    // its own lock is gone once the switch is over
    expect(await root(`[ -e ${BASE}/.puesta-lock ] && echo there || echo gone`)).toBe('gone');
  }, 60_000);

  it("the guard's automatic switch back is refused when a contract patch was applied since the old release", async () => {
    await call(tc.core, 'proxy.settings.save', { applicationId: appId, driver: 'nginx-socket', listen: [`${host()}:${sitePort}`], healthPath: '/' });
    // the database lives on a server of this environment that the application is not placed on: no patch step reaches it
    const dbServer = await call(tc.core, 'servers.create', { name: 'db-1', host: '127.0.0.1', port: 1, user: 'postgres', environmentId: envId });
    const db = await call(tc.core, 'dbpatch.saveDatabase', { applicationId: appId, name: 'main', serverId: dbServer.id, database: 'shop', user: 'shop' });
    const meta = { id: '0009-drop-legacy', requires: [], reversible: 'no' as const, compat: 'contract' as const, transactional: true, guard: null, lockTimeoutMs: 1000, statementTimeoutMs: 0, retries: 5, batchSize: null, description: '' };
    upsertPatches(tc.core, appId, [{ meta, up: 'ALTER TABLE t DROP COLUMN legacy', down: null, verify: null, checksum: 'c9', sourcePath: '/p/0009' }]);
    const at = new Date().toISOString();
    // applied with a release newer than any this test makes
    mirrorLedger(tc.core, db.id, [
      { remoteId: 1, patchId: meta.id, direction: 'up', state: 'done', checksum: 'c9', operator: 'ana', runId: null, releaseKey: '99999999T999999999-x', startedAt: at, finishedAt: at, estimateMs: null, actualMs: null, statementsDone: 1, note: '' },
    ]);
    await root(`touch ${BASE}/shared/unhealthy-v8`);
    const r = await run('upgrade', 'v8');
    const g = r.steps.findIndex((x) => x.key === 'health');
    expect(r).toMatchObject({ state: 'waiting', currentStep: g });
    const cell = r.cells.find((c) => c.stepIndex === g)!;
    expect(cell.switchedBack).toMatchObject({ ok: false });
    const log = await stepLog(r, 'health');
    expect(log).toContain('0009-drop-legacy (contract, main)');
    expect(log).toContain('The automatic switch back is refused');
    // v8 stays live: nothing was switched back over the patch
    expect((await answer(host(), sitePort)).body).toMatch(/ v8$/);
    await call(tc.core, 'runs.act', { id: r.id, action: 'abort' });
    await tc.core.services.runs.settled(r.id);
  }, 120_000);
});
