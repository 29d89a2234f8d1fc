/**
 * The provisioning steps through the real SSH engine, on a real sshd test host (its own mount
 * namespace with a private /srv), as the runs engine will run them: `core.services.ssh.exec` with sudo
 * as the unprivileged deploy user. Then `stats.collect` over SSH through the API (services and the
 * health endpoint as the host sees them) and `stats.history`. Re-running reports "unchanged".
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationOf } from '../../electron/core/provision/context.js';
import { DEFAULT_PATHS, parseResult, provisionSteps, type ProvisionOptions } from '../../electron/core/provision/index.js';
import { serverTarget } from '../../electron/core/ssh/target.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { freePort, startHosts, type TestHost, type TestHosts } from '../hosts/index.js';

const prefix = `ps${randomBytes(3).toString('hex')}`;
const user = `${prefix}app`;
let hs: TestHosts;
let h: TestHost;
let tc: TestCore;
let serverId = 0;
let appId = 0;
let webPort = 0;
let opts: ProvisionOptions;
let supConf = '';


async function root(cmd: string): Promise<string> {
  const r = await h.rootExec(cmd);
  if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

async function runAll(): Promise<Record<string, string | null>> {
  const app = applicationOf(tc.core, appId);
  const out: Record<string, string | null> = {};
  for (const s of provisionSteps(app, opts)) {
    const r = await tc.core.services.ssh.exec(serverTarget(tc.core, serverId), s.script, { sudo: s.sudo, stdin: '', timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`${s.key} failed (${r.exitCode}): ${r.stderr}\n${r.stdout.slice(-2000)}`);
    out[s.key] = parseResult(r.stdout);
    if (s.key === 'provision-services') {
      // what the release upload + switch does in a real run
      await root(`mkdir -p /srv/${prefix}/releases/r1 && echo ok > /srv/${prefix}/releases/r1/health && ln -sfn releases/r1 /srv/${prefix}/current`);
    }
  }
  return out;
}

beforeAll(async () => {
  hs = await startHosts({ count: 1 });
  h = hs.hosts[0]!;
  tc = makeCore();
  // private config folders for this host (the default paths are exercised by provision.test.ts)
  const etc = path.join(hs.dir, 'prov-etc');
  for (const d of ['logrotate.d', 'cron.d', 'conf.d', 'sup']) mkdirSync(path.join(etc, d), { recursive: true });
  supConf = path.join(etc, 'sup', 'supervisord.conf');
  writeFileSync(
    supConf,
    `[unix_http_server]\nfile=${etc}/sup/sock\nchmod=0700\n[supervisord]\nlogfile=${etc}/sup/supervisord.log\npidfile=${etc}/sup/supervisord.pid\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n[supervisorctl]\nserverurl=unix://${etc}/sup/sock\n[include]\nfiles = ${etc}/conf.d/*.conf\n`,
  );
  await root(`supervisord -c '${supConf}'`);
  opts = {
    paths: { ...DEFAULT_PATHS, logrotateDir: `${etc}/logrotate.d`, cronDir: `${etc}/cron.d`, supervisorConfDir: `${etc}/conf.d`, supervisorctl: ['supervisorctl', '-c', supConf] },
    database: false,
  };
  tc.core.services.configure({ provision: opts });
  webPort = await freePort();
  serverId = (await call(tc.core, 'servers.create', { name: h.name, host: h.host, port: h.port, user: h.user, auth: 'key', keyPath: h.keyPath })).id;
  await call(tc.core, 'servers.trustHostKey', { id: serverId, fingerprint: h.fingerprint });
  appId = (
    await call(tc.core, 'applications.create', {
      name: `SSH prov ${prefix}`,
      runtimeUser: user,
      basePath: `/srv/${prefix}`,
      sharedDirs: ['data'],
      services: [
        { name: 'web', kind: 'web', command: `exec /usr/bin/python3 -m http.server ${webPort} --bind 127.0.0.1`, instances: 1 },
        { name: 'worker', kind: 'worker', command: 'while :; do sleep 1; done', instances: 2 },
      ],
      backupPolicy: { enabled: true, paths: ['shared/data'], databaseDump: false, schedule: '30 2 * * *', retentionDays: 3, target: '' },
      monitoring: { healthUrl: `http://127.0.0.1:${webPort}/health`, metricsUrl: '' },
    })
  ).id;
  await call(tc.core, 'placements.create', { applicationId: appId, serverId, role: 'web' });
}, 120_000);

afterAll(async () => {
  if (h && supConf) await h.rootExec(`supervisorctl -c '${supConf}' shutdown >/dev/null 2>&1; sleep 0.3; pkill -u ${user} 2>/dev/null; userdel ${user} 2>/dev/null; groupdel ${user} 2>/dev/null; true`);
  await tc?.cleanup();
  await hs?.stop();
}, 60_000);

describe('provisioning over SSH on a test host', () => {
  it('runs every step with sudo as the deploy user, collects stats over SSH, and re-runs as "unchanged"', async () => {
    expect(h.user).not.toBe('root');
    const first = await runAll();
    expect(Object.values(first).every((v) => v === 'changed')).toBe(true);
    expect(Object.keys(first)).toHaveLength(7);

    // the host's own /srv holds the layout; the backup schedule is a cron line
    expect((await root(`stat -c '%U %a' /srv/${prefix}/shared/data`)).trim()).toBe(`${user} 750`);
    expect(await root(`cat '${opts.paths!.cronDir}/puesta-ssh-prov-${prefix}'`)).toContain(`30 2 * * * root /bin/sh /srv/${prefix}/bin/backup.sh`);
    expect(await root(`supervisorctl -c '${supConf}' status`)).toMatch(/_01\s+RUNNING[\s\S]*_02\s+RUNNING/);

    // statistics over SSH through the API, kept in the history
    const { items } = await call(tc.core, 'stats.collect', { applicationId: appId });
    expect(items).toHaveLength(1);
    const s = items[0]!;
    expect(s.error).toBeNull();
    expect(s.serverId).toBe(serverId);
    expect(s.stats!.services).toEqual([
      { name: 'web', expected: 1, running: 1 },
      { name: 'worker', expected: 2, running: 2 },
    ]);
    expect(s.stats!.health).toMatchObject({ url: `http://127.0.0.1:${webPort}/health`, status: 200, ok: true });
    expect(s.stats!.disk.path).toBe(`/srv/${prefix}`);
    const byServer = await call(tc.core, 'stats.collect', { serverId });
    expect(byServer.items[0]!.applicationId).toBe(appId);
    const hist = await call(tc.core, 'stats.history', { serverId, applicationId: appId });
    expect(hist.items).toHaveLength(2);
    expect(hist.items[0]!.stats!.memory.totalKb).toBeGreaterThan(0);

    // start / stop / restart / status through the API
    const pidOf = async () => (await root(`supervisorctl -c '${supConf}' pid 'puesta-ssh-prov-${prefix}-web:puesta-ssh-prov-${prefix}-web_01'`)).trim();
    const pid0 = await pidOf();
    const rs = await call(tc.core, 'services.control', { applicationId: appId, action: 'restart', service: 'web' });
    expect(rs.items[0]!.ok, rs.items[0]!.output).toBe(true);
    expect(rs.items[0]!.services).toEqual([{ name: 'web', expected: 1, running: 1 }]);
    expect(await pidOf()).not.toBe(pid0);
    const stop = await call(tc.core, 'services.control', { applicationId: appId, action: 'stop', service: 'worker' });
    expect(stop.items[0]!.services).toEqual([{ name: 'worker', expected: 2, running: 0 }]);
    const start = await call(tc.core, 'services.control', { applicationId: appId, action: 'start' });
    expect(start.items[0]!.ok).toBe(true);
    expect(start.items[0]!.services).toEqual([
      { name: 'web', expected: 1, running: 1 },
      { name: 'worker', expected: 2, running: 2 },
    ]);
    const status = await call(tc.core, 'services.control', { applicationId: appId, action: 'status' });
    expect(status.items[0]!.services.map((x) => x.running)).toEqual([1, 2]);
    expect((await fails(tc.core, 'services.control', { applicationId: appId, action: 'restart', service: 'nope' })).code).toBe('NOT_FOUND');
    const audit = tc.core.audit.list({ entity: 'applications', entityId: appId, limit: 50, offset: 0 }).items.map((a) => a.action);
    expect(audit.filter((a) => a.startsWith('services.'))).toEqual(expect.arrayContaining(['services.restart', 'services.stop', 'services.start']));
    expect(audit).not.toContain('services.status');

    // a stopped web process shows in the stats
    await root(`supervisorctl -c '${supConf}' stop 'puesta-ssh-prov-${prefix}-web:*'`);
    const down = (await call(tc.core, 'stats.collect', { applicationId: appId })).items[0]!;
    expect(down.stats!.services[0]).toEqual({ name: 'web', expected: 1, running: 0 });
    expect(down.stats!.health!.ok).toBe(false);

    // re-run: the services step starts the stopped web again (changed), everything else is in place
    const second = await runAll();
    expect(second['provision-services']).toBe('changed');
    const third = await runAll();
    for (const [k, v] of Object.entries(third)) expect(`${k}: ${v}`).toBe(`${k}: unchanged`);
  });
});
