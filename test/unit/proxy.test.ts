/**
 * Blue-green / A/B without a host: the driver scripts are valid shell once rendered (every driver,
 * every step), settings values that could break out of a script are refused by the contract, a
 * blue-green application gets the slot flow in its checklists and plans (no refusal any more), a
 * symlink one keeps its own, and the proxy methods refuse what they cannot do.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { proxySteps } from '../../electron/core/proxy/checklist.js';
import { directSwitchScript, markers, readScript, weightsScript } from '../../electron/core/proxy/commands.js';
import { DEFAULT_PATHS } from '../../electron/core/provision/common.js';
import { render } from '../../electron/core/runs/template.js';
import { PROXY_DEFAULTS, PROXY_DRIVERS, ProxySettingsFields } from '../../shared/contract/proxy.js';
import { call, fails } from '../helpers/api.js';
import { createApplication, makeCore, type TestCore } from '../helpers/core.js';

let tc: TestCore | null = null;
afterEach(async () => {
  await tc?.cleanup();
  tc = null;
});

const vars = {
  'app.name': 'shop',
  'app.base': "/srv/it's here",
  'release.key': '20261201T000000000-v2',
  'release.path': "/srv/it's here/releases/20261201T000000000-v2",
};

/** The application as the proxy's scripts see it (a hostile base path: every script must quote it). */
const APP = { name: 'shop', slug: 'shop', base: "/srv/it's here", user: 'shop', paths: DEFAULT_PATHS };

const syntaxOk = (script: string): string => {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return r.status === 0 ? 'ok' : r.stderr;
};

describe('proxy driver scripts', () => {
  it.each(PROXY_DRIVERS)('%s: every step and direct action parses as shell once rendered', (driver) => {
    const s = { ...PROXY_DEFAULTS, driver };
    for (const kind of ['install', 'upgrade', 'rollback'] as const) {
      // a base path nginx / HAProxy configs cannot hold: only with configs written by the operator
      for (const step of Object.values(proxySteps({ ...s, writeProxyConfig: false }, kind, APP))) expect(syntaxOk(render(step.command, vars, 'shell')), `${kind}/${step.key}`).toBe('ok');
      const written = { ...s, slotCommand: 'exec node server.js "$PUESTA_SLOT_SOCKET"' };
      for (const step of Object.values(proxySteps(written, kind, { ...APP, base: '/srv/shop' }))) expect(syntaxOk(render(step.command, vars, 'shell')), `${kind}/${step.key} (written)`).toBe('ok');
    }
    expect(syntaxOk(readScript(s, vars['app.base']))).toBe('ok');
    const lock = { token: 't-1', info: "token=t-1 expires=1 run=0 owner=ana reason=it's a test" };
    expect(syntaxOk(directSwitchScript(s, vars['app.base'], 'green', lock))).toBe('ok');
    expect(syntaxOk(weightsScript(s, vars['app.base'], 10, lock))).toBe('ok');
  });

  it('quotes the base path, and refuses settings that could leave their word', () => {
    expect(readScript(PROXY_DEFAULTS, vars['app.base'])).toContain(`base='/srv/it'\\''s here'`);
    for (const [k, v] of [
      ['haproxyBackend', 'app;rm -rf /'],
      ['haproxyAdmin', '127.0.0.1:99$(id)'],
      ['nginxInclude', '/etc/nginx/x.conf; reboot'],
      ['healthPath', "/'$(id)'"],
    ] as const) {
      expect(ProxySettingsFields.safeParse({ ...PROXY_DEFAULTS, [k]: v }).success, k).toBe(false);
    }
  });

  it('reads the marker lines of a script', () => {
    expect(markers('starting\nPUESTA_LIVE green from=blue\nBLUE /srv/a/releases/r1\nGREEN_WEIGHT 10\n')).toMatchObject({ LIVE: 'green from=blue', BLUE: '/srv/a/releases/r1', GREEN_WEIGHT: '10' });
  });
});

describe('blue-green checklists and the proxy methods', () => {
  async function world(strategy: 'symlink' | 'blue-green') {
    tc = makeCore();
    const { core } = tc;
    const env = await call(core, 'environments.create', { name: 'staging' });
    const appId = createApplication(core, { name: 'shop', strategy, healthCheck: { kind: 'http', target: 'http://{{host.address}}/health', expectStatus: 200, timeoutSeconds: 5 } });
    const s = await call(core, 'servers.create', { name: 'web-1', host: '127.0.0.1', user: 'root', environmentId: env.id });
    await call(core, 'placements.create', { applicationId: appId, serverId: s.id, role: 'web' });
    return { core, appId, envId: env.id };
  }

  it('a blue-green application plans the slot flow; the guard switches back; a symlink one is unchanged', async () => {
    const { core, appId, envId } = await world('blue-green');
    const up = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
    expect(up.steps.map((s) => s.key)).toEqual(['preflight', 'upload', 'link-shared', 'slot-assign', 'slot-start', 'slot-health', 'switch', 'health', 'drain', 'slot-stop', 'cleanup', 'record']);
    expect(up.steps.find((s) => s.key === 'health')!.switchBackOnFailure).toBe(true);
    const rb = await call(core, 'checklists.get', { applicationId: appId, kind: 'rollback' });
    expect(rb.steps.map((s) => s.key)).toEqual(['preflight', 'slot-assign', 'slot-start', 'slot-health', 'switch', 'health', 'drain', 'slot-stop', 'record']);

    const plan = await call(core, 'runs.plan', { applicationId: appId, environmentId: envId, kind: 'install', source: { kind: 'tarball', path: import.meta.filename } });
    const sw = plan.steps.find((s) => s.key === 'switch')!;
    expect(sw.cells[0]!.command).toContain('switch_to "$slot"');
    expect(sw.cells[0]!.command).toContain("base=/srv/shop");

    await call(core, 'proxy.settings.save', { applicationId: appId, driver: 'haproxy-runtime', warmSeconds: 0 });
    const up2 = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
    expect(up2.steps.find((s) => s.key === 'switch')!.title).toContain('haproxy-runtime');
    expect(up2.steps.find((s) => s.key === 'slot-stop')!.title).toBe('Stop the old slot');
    // a saved copy keeps the operator's own steps and gets the driver's scripts as they are now
    const extra = { key: 'tell-support', title: 'Tell support', kind: 'manual' as const };
    await call(core, 'checklists.save', { applicationId: appId, kind: 'upgrade', steps: [...up2.steps.slice(0, 1), extra, ...up2.steps.slice(1)] });
    await call(core, 'proxy.settings.save', { applicationId: appId, driver: 'nginx-socket' });
    const saved = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
    expect(saved.steps.map((s) => s.key)).toContain('tell-support');
    expect(saved.steps.find((s) => s.key === 'switch')!.title).toContain('nginx-socket');
  });

  it('a symlink application keeps its checklist and has no slots', async () => {
    const { core, appId, envId } = await world('symlink');
    const up = await call(core, 'checklists.get', { applicationId: appId, kind: 'upgrade' });
    expect(up.steps.map((s) => s.key)).toEqual(['preflight', 'upload', 'link-shared', 'switch', 'restart', 'health', 'cleanup', 'record']);
    expect(await fails(core, 'proxy.slots', { applicationId: appId, environmentId: envId })).toMatchObject({ code: 'PRECONDITION_FAILED' });
  });

  it('settings: a save changes only what it gives, and is audited; weights are refused on nginx-socket', async () => {
    const { core, appId, envId } = await world('blue-green');
    expect(await call(core, 'proxy.settings.get', { applicationId: appId })).toMatchObject({ ...PROXY_DEFAULTS, updatedAt: null });
    await call(core, 'proxy.settings.save', { applicationId: appId, startCommand: 'start-it', warmSeconds: 60 });
    const s = await call(core, 'proxy.settings.save', { applicationId: appId, drainSeconds: 5 });
    expect(s).toMatchObject({ startCommand: 'start-it', warmSeconds: 60, drainSeconds: 5, driver: 'nginx-socket' });
    const audit = await call(core, 'audit.list', { action: 'proxy.settings' });
    expect(audit.items).toHaveLength(2);
    const e = await fails(core, 'proxy.weights', { applicationId: appId, environmentId: envId, green: 10 });
    expect(e).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(e.message).toContain('100/0 only');
    const slots = await call(core, 'proxy.slots', { applicationId: appId, environmentId: envId });
    expect(slots.hosts[0]).toMatchObject({ serverName: 'web-1', live: null, slots: [{ slot: 'blue', state: 'idle' }, { slot: 'green', state: 'idle' }] });
  });
});
