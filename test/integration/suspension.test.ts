/**
 * Suspension and reinstatement on a real sshd test host with its own nginx (Debian's 1.22), the
 * sites as Puesta's nginx site config writes them, the workers under a real supervisord: the
 * suspended site answers 503 + Retry-After + the page naming the contract while the ACME path
 * answers, and 16 keep-alive clients of a site of another (paid) contract on the same nginx lose
 * no request; a release run does not restart the workers behind the suspension's back;
 * suspending twice changes nothing; reinstatement answers 200 through the health path with the
 * stopped workers running again; kill -9 of the process mid-suspension leaves a run that
 * shows where it stopped and then completes (resume) or reverses (reinstate) cleanly. A suspension
 * holds the runs' host lock file of the site (refused while another laptop's run holds it); a
 * symlink application's install writes Puesta's site once its site is configured.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settledSuspension } from '../../electron/core/suspension/index.js';
import { reinstateScriptFor, suspendScriptFor } from '../../electron/core/suspension/plan.js';
import { serverTarget } from '../../electron/core/ssh/target.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { answer, startLoad } from '../helpers/proxy-world.js';
import { prepareWorld, serveSockets, stopWorld, type Site, type SuspensionWorld } from '../helpers/suspension-world.js';
import { freePort, startHosts, type TestHosts } from '../hosts/index.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'suspension-child.ts');

let hs: TestHosts;
let tc: TestCore;
let w: SuspensionWorld;
let dataDir = '';
let releaseDir = '';

beforeAll(async () => {
  hs = await startHosts({ count: 1, withNginx: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-susp-'));
  releaseDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-susp-release-'));
  tc = makeCore(dataDir);
  w = await prepareWorld(tc.core, hs, { count: 7, workers: true });
}, 120_000);

afterAll(async () => {
  await stopWorld(hs, w ?? null);
  await tc?.core.close();
  await hs?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(releaseDir, { recursive: true, force: true });
}, 60_000);

const get = (s: Site, p = '/') => answer(w.host.host, s.port, p);
const headers = (s: Site, p = '/'): Promise<Record<string, string>> =>
  new Promise((resolve, reject) => {
    void import('node:http').then((http) =>
      http
        .get({ host: w.host.host, port: s.port, path: p, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers as Record<string, string>));
        })
        .on('error', reject),
    );
  });
const root = async (cmd: string): Promise<string> => (await w.host.rootExec(cmd)).stdout.trim();
const workers = (): Promise<string> => root(`supervisorctl -c '${w.supConf}' status | awk '{ print $2 }' | sort | uniq -c | tr -s ' '`);
/** What a suspension leaves on the host (to compare before / after a second run). */
const hostState = (s: Site): Promise<string> =>
  root(`cd ${s.base}/run && readlink live.sock; cat suspension/previous suspension/workers 2>/dev/null; readlink suspension/page; ls suspension/pages; md5sum suspension/pages/*/index.html; ls -l --time-style=+%s%N live.sock | awk '{ print $6 }'`);

describe('suspension on the servers (real nginx, sshd, supervisord)', () => {
  it('suspends over SSH (503 + Retry-After + the page, ACME answers, the worker stopped, the paid site loses no request), then reinstates (200, the worker running again)', async () => {
    const [site] = w.sites;
    const req = { contractId: w.unpaidId, applicationId: site!.appId, reason: 'overdue' as const, retryAfterSeconds: 7200, stopWorkers: ['worker'], message: 'Pay invoice 2025-117 to restore the service.' };
    const plan = await call(tc.core, 'suspension.plan', req);
    expect(plan.environments.map((e) => [e.environmentName, e.existingId, e.hosts.map((h) => h.serverName)])).toEqual([['production', null, [w.host.name]]]);
    expect(plan.effects.join(' ')).toMatch(/503 with Retry-After 7200 s.*ACME-UNPAID.*Stops worker/);
    expect(plan.environments[0]!.hosts[0]!.steps[0]!.command).toContain('suspended.sock');
    expect(await workers()).toBe('2 RUNNING');

    const load = startLoad(w.host.host, w.other.port, 16);
    await new Promise((r) => setTimeout(r, 300));
    const [started] = (await call(tc.core, 'suspension.start', req)).items;
    const s = await settledSuspension(tc.core, started!.id);
    await new Promise((r) => setTimeout(r, 300));
    const other = await load.stop();

    expect(s.state, JSON.stringify(s.hosts)).toBe('suspended');
    expect(s.hosts.map((h) => [h.state, h.step, h.previousTarget, h.stoppedWorkers])).toEqual([['done', 'verify', 'app.sock', ['worker']]]);
    expect(s.hosts[0]!.verification).toEqual({ status: 503, retryAfter: '7200', marker: true, acme: true });
    expect(s.suspendRun!.finishedAt).not.toBeNull();
    // the customer is told through the outbox (the contracts area's notice, idempotent on its key)
    expect(s.suspendNoticeId).toEqual(expect.any(Number));

    const page = await get(site!);
    expect(page.status).toBe(503);
    expect(page.body).toContain(`puesta-suspended:${s.id}`);
    expect(page.body).toContain('ACME-UNPAID');
    expect(page.body).toContain('Pay invoice 2025-117');
    expect((await headers(site!, '/any/path'))['retry-after']).toBe('7200');
    const acme = await get(site!, '/.well-known/acme-challenge/puesta-probe');
    expect([acme.status, acme.body]).toEqual([200, `puesta-acme-${s.id}`]);
    expect(await workers()).toBe('2 STOPPED');

    expect(other.requests).toBeGreaterThan(100);
    expect(other.failed, JSON.stringify(other.errors)).toBe(0);
    expect((await get(w.other)).body).toBe(`${w.other.name} ok`);
    // the other sites of the unpaid contract are not touched (the suspension is per application)
    expect((await get(w.sites[1]!)).status).toBe(200);

    const audit = await call(tc.core, 'audit.list', { entity: 'suspensions', entityId: s.id });
    expect(audit.items.map((a) => a.action).sort()).toEqual(['suspension.suspend', 'suspension.suspend.done']);

    // a release run's restart step does not start the stopped workers behind the suspension's back
    await call(tc.core, 'checklists.save', { applicationId: site!.appId, kind: 'upgrade', steps: [{ key: 'restart', title: 'Restart', command: 'echo restarted' }] });
    const run = await call(tc.core, 'runs.start', { applicationId: site!.appId, environmentId: w.envId, kind: 'upgrade', source: { kind: 'directory', path: releaseDir } });
    const waiting = await tc.core.services.runs.settled(run.id);
    expect(waiting.state).toBe('waiting');
    expect(waiting.cells[0]!.error).toContain(`suspended on ${w.host.name} (suspension #${s.id}, contract ACME-UNPAID): worker stay stopped`);
    await call(tc.core, 'runs.act', { id: run.id, action: 'abort' });
    await tc.core.services.runs.settled(run.id);

    // reinstatement: live.sock back, 200 through the health path, the stopped worker running again
    const plan2 = await call(tc.core, 'suspension.reinstatePlan', { id: s.id });
    expect(plan2.effects.join(' ')).toContain('Starts worker again');
    await call(tc.core, 'suspension.reinstate', { id: s.id });
    const r = await settledSuspension(tc.core, s.id);
    expect(r.state, JSON.stringify(r.hosts)).toBe('reinstated');
    expect(r.hosts[0]!.verification).toEqual({ status: 200, retryAfter: null, marker: false, acme: true });
    expect(r.reinstateNoticeId).toEqual(expect.any(Number));
    expect(r.reinstateNoticeId).not.toBe(r.suspendNoticeId);
    expect(await get(site!, '/health')).toMatchObject({ status: 200, body: `${site!.name} ok` });
    expect(await workers()).toBe('2 RUNNING');
    expect(await root(`readlink ${site!.base}/run/live.sock; ls ${site!.base}/run/suspension`)).toBe('app.sock\npage\npages');
    expect((await call(tc.core, 'suspension.list', { applicationId: site!.appId, inForce: true })).items).toEqual([]);
    // with the suspension over, the same release run restarts
    const run2 = await call(tc.core, 'runs.start', { applicationId: site!.appId, environmentId: w.envId, kind: 'upgrade', source: { kind: 'directory', path: releaseDir } });
    expect((await tc.core.services.runs.settled(run2.id)).state).toBe('succeeded');
    // reinstating again is refused; the reverse script run again changes nothing
    expect((await fails(tc.core, 'suspension.reinstate', { id: s.id })).code).toBe('PRECONDITION_FAILED');
    const again = await tc.core.services.ssh.exec(serverTarget(tc.core, w.serverId), reinstateScriptFor(tc.core, tc.core.inventory.applications.get(site!.appId), w.serverId));
    expect(again.stdout).toContain('no suspension is recorded on this host');
    expect(await get(site!, '/health')).toMatchObject({ status: 200 });
  });

  it('suspending twice changes nothing (the API and the host script)', async () => {
    const site = w.sites[1]!;
    const req = { contractId: w.unpaidId, applicationId: site.appId, reason: 'overdue' as const, retryAfterSeconds: 7200, message: 'Pay invoice 2025-118.' };
    const [first] = (await call(tc.core, 'suspension.start', req)).items;
    const s0 = await settledSuspension(tc.core, first!.id);
    expect(s0.state).toBe('suspended');
    const before = await hostState(site);
    const again = await call(tc.core, 'suspension.start', req);
    expect(again.items.map((x) => [x.id, x.state])).toEqual([[s0.id, 'suspended']]);
    // the host script itself, run a second time, leaves everything as it was
    const r = await tc.core.services.ssh.exec(serverTarget(tc.core, w.serverId), suspendScriptFor(tc.core, tc.core.inventory.applications.get(site.appId), s0, w.serverId));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('already suspended here: live.sock was app.sock');
    expect(r.stdout).toContain('live.sock already points at suspended.sock');
    expect(await hostState(site)).toBe(before);
    expect((await call(tc.core, 'suspension.get', { id: s0.id })).updatedAt).toBe(s0.updatedAt);
    // a contract that does not cover the application cannot suspend it
    expect((await fails(tc.core, 'suspension.start', { contractId: w.paidId, applicationId: site.appId, reason: 'manual' })).code).toBe('PRECONDITION_FAILED');
    await call(tc.core, 'suspension.reinstate', { id: s0.id, notify: false });
    expect((await settledSuspension(tc.core, s0.id)).state).toBe('reinstated');
  });

  it('each suspension has its own page and Retry-After on the same nginx, without a reload', async () => {
    const [, , a, b] = w.sites;
    const pid = await root('cat /var/lib/nginx/nginx.pid');
    // b's health check runs on the host: its verification is a curl there, through the same proxy
    await call(tc.core, 'applications.update', { id: b!.appId, healthCheck: { kind: 'http', from: 'host', target: `http://{{host.address}}:${b!.port}/health`, expectStatus: 200, timeoutSeconds: 10 } });
    const started = await call(tc.core, 'suspension.start', { contractId: w.unpaidId, applicationId: a!.appId, reason: 'terms', retryAfterSeconds: 120 });
    const started2 = await call(tc.core, 'suspension.start', { contractId: w.unpaidId, applicationId: b!.appId, reason: 'manual', retryAfterSeconds: 60 });
    const [sa, sb] = [await settledSuspension(tc.core, started.items[0]!.id), await settledSuspension(tc.core, started2.items[0]!.id)];
    expect([sa.state, sb.state]).toEqual(['suspended', 'suspended']);
    expect([(await headers(a!))['retry-after'], (await headers(b!))['retry-after']]).toEqual(['120', '60']);
    expect(sb.hosts[0]!.verification).toEqual({ status: 503, retryAfter: '60', marker: true, acme: true });
    expect((await get(b!)).body).toContain(`puesta-suspended:${sb.id}`);
    expect(await root('cat /var/lib/nginx/nginx.pid')).toBe(pid);
    for (const s of [sa, sb]) await call(tc.core, 'suspension.reinstate', { id: s.id, notify: false });
    for (const s of [sa, sb]) expect((await settledSuspension(tc.core, s.id)).state).toBe('reinstated');
    expect((await call(tc.core, 'suspension.get', { id: sb.id })).hosts[0]!.verification).toEqual({ status: 200, retryAfter: null, marker: false, acme: true });
  });

  it('kill -9 mid-suspension: the run shows where it stopped; resume completes it, or reinstatement reverses it', async () => {
    const [c, d] = [w.sites[4]!, w.sites[5]!];
    await tc.core.close();
    for (const [site, then] of [
      [c, 'resume'],
      [d!, 'reinstate'],
    ] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, JSON.stringify({ contractId: w.unpaidId, applicationId: site.appId, reason: 'overdue' })], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stderr.on('data', (x: Buffer) => (out += x.toString()));
      const exited = new Promise((r) => child.on('exit', r));
      // killed as soon as the host reports its swap step (the verification has not run)
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no swap step seen: ${out}`)), 30_000);
        child.stdout.on('data', (x: Buffer) => {
          out += x.toString();
          if (/"steps":\["(swap|workers)"\]/.test(out)) {
            clearTimeout(t);
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      await exited;
      tc = makeCore(dataDir);
      const [s0] = (await call(tc.core, 'suspension.list', { applicationId: site.appId })).items;
      expect(s0!.state).toBe('interrupted');
      expect(s0!.phase).toBe('suspend');
      expect(s0!.hosts.map((h) => [h.state, h.step])).toEqual([['interrupted', expect.stringMatching(/^(swap|workers)$/)]]);
      expect(s0!.suspendRun!.finishedAt).toBeNull();
      if (then === 'resume') {
        await call(tc.core, 'suspension.resume', { id: s0!.id });
        const s = await settledSuspension(tc.core, s0!.id);
        expect(s.state, JSON.stringify(s.hosts)).toBe('suspended');
        expect(s.hosts[0]!.previousTarget).toBe('app.sock');
        expect((await get(site)).status).toBe(503);
        await call(tc.core, 'suspension.reinstate', { id: s.id, notify: false });
      } else {
        await call(tc.core, 'suspension.reinstate', { id: s0!.id, notify: false });
      }
      const r = await settledSuspension(tc.core, s0!.id);
      expect(r.state, JSON.stringify(r.hosts)).toBe('reinstated');
      expect(await get(site, '/health')).toMatchObject({ status: 200, body: `${site.name} ok` });
      expect(await root(`readlink ${site.base}/run/live.sock`)).toBe('app.sock');
      await tc.core.close();
    }
    tc = makeCore(dataDir);
  }, 90_000);

  it("holds the site's host lock file like a run: refused while another laptop holds it (naming the holder), released afterwards", async () => {
    const site = w.sites[6]!;
    const lock = `${site.base}/.puesta-lock`;
    const expires = Math.floor(Date.now() / 1000) + 600;
    await root(`printf 'token=their-laptop expires=${expires} run=12 owner=bob reason=upgrade\\n' > ${lock} && chown puesta-deploy: ${lock}`);
    const [s0] = (await call(tc.core, 'suspension.start', { contractId: w.unpaidId, applicationId: site.appId, reason: 'overdue', notify: false })).items;
    const refused = await settledSuspension(tc.core, s0!.id);
    expect(refused.state).toBe('failed');
    expect(refused.hosts[0]!.error).toContain('is held by bob (run #12 on their computer)');
    // nothing changed there: still served, nothing recorded, bob's lock untouched
    expect(await get(site, '/health')).toMatchObject({ status: 200, body: `${site.name} ok` });
    expect(await root(`readlink ${site.base}/run/live.sock; ls ${site.base}/run/suspension 2>/dev/null | grep -c previous; cat ${lock}`)).toBe(`app.sock\n0\ntoken=their-laptop expires=${expires} run=12 owner=bob reason=upgrade`);
    // bob's run ends: the suspension goes through, holding the lock while it works, and leaves no lock behind
    await root(`rm -f ${lock}`);
    await call(tc.core, 'suspension.resume', { id: refused.id });
    const done = await settledSuspension(tc.core, refused.id);
    expect(done.state, JSON.stringify(done.hosts)).toBe('suspended');
    expect(done.hosts[0]!.log).toContain('host lock: ACQUIRED');
    expect((await get(site)).status).toBe(503);
    expect(await root(`ls -A ${site.base}`)).not.toContain('.puesta-lock');
    await call(tc.core, 'suspension.reinstate', { id: done.id, notify: false });
    const back = await settledSuspension(tc.core, done.id);
    expect(back.state).toBe('reinstated');
    expect(back.hosts[0]!.log).toContain('host lock: ACQUIRED');
    expect(await root(`ls -A ${site.base}`)).not.toContain('.puesta-lock');
  });

  it('a symlink application with its site configured: the install writes the site (200 through nginx); suspend → 503; reinstate → 200', async () => {
    const core = tc.core;
    const h = w.host;
    const port = await freePort(h.host);
    const base = '/srv/symsite';
    const appId = (
      await call(core, 'applications.create', {
        name: 'symsite',
        runtimeUser: 'puesta-deploy',
        basePath: base,
        healthCheck: { kind: 'http', target: `http://{{host.address}}:${port}/health`, expectStatus: 200, timeoutSeconds: 10 },
      })
    ).id;
    await call(core, 'placements.create', { applicationId: appId, serverId: w.serverId, role: 'web' });
    const { customerId } = await call(core, 'contracts.get', { id: w.unpaidId });
    const contractId = (await call(core, 'contracts.create', { customerId, reference: 'ACME-SYM', startDate: '2025-01-01', endDate: '2025-12-31', applicationIds: [appId] })).id;
    const req = { contractId, applicationId: appId, reason: 'overdue' as const, notify: false };
    const serverName = (await call(core, 'servers.get', { id: w.serverId })).name;
    const noSite = `No Puesta site on ${serverName}: configure the site in the proxy settings and install.`;
    expect((await call(core, 'suspension.plan', req)).warnings).toContain(noSite);

    await call(core, 'proxy.settings.save', { applicationId: appId, listen: [`${h.host}:${port}`] });
    expect((await call(core, 'suspension.plan', req)).warnings).not.toContain(noSite);
    // the application listens on <base>/run/app.sock (here: an already running backend); its base is the deploy user's, as provisioned
    await root(`mkdir -p ${base} && chown puesta-deploy: ${base}`);
    await serveSockets(hs, [`${base}/run/app.sock`], 'symsite');
    const source = path.join(releaseDir, 'symsite-v1');
    mkdirSync(source);
    writeFileSync(path.join(source, 'VERSION'), 'v1\n');
    const started = await call(core, 'runs.start', { applicationId: appId, environmentId: w.envId, kind: 'install', source: { kind: 'directory', path: source }, label: 'v1' });
    const run = await core.services.runs.settled(started.id);
    expect(run.state, JSON.stringify(run.cells.filter((c) => c.state !== 'succeeded'))).toBe('succeeded');
    const at = run.steps.findIndex((x) => x.key === 'proxy-install');
    const log = (await call(core, 'runs.logs', { runId: run.id, stepIndex: at })).items.map((l) => l.text).join('');
    expect(log).toContain('live.sock -> app.sock');
    expect(log).toContain('nginx -t passed, reloaded');
    expect(await get({ port } as Site, '/health')).toMatchObject({ status: 200, body: 'symsite ok' });

    const [s0] = (await call(core, 'suspension.start', req)).items;
    const s = await settledSuspension(core, s0!.id);
    expect(s.state, JSON.stringify(s.hosts)).toBe('suspended');
    const down = await get({ port } as Site);
    expect(down.status).toBe(503);
    expect(down.body).toContain('ACME-SYM');
    await call(core, 'suspension.reinstate', { id: s.id, notify: false });
    expect((await settledSuspension(core, s.id)).state).toBe('reinstated');
    expect(await get({ port } as Site, '/health')).toMatchObject({ status: 200, body: 'symsite ok' });
    await root(`rm -f /etc/nginx/sites-enabled/puesta-symsite.conf`);
  }, 90_000);
});
