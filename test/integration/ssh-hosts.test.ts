/**
 * The test-host harness itself: private /srv per host, the deploy user, cut-off/restore,
 * stop/start, and per-host nginx (withNginx) reloaded over SSH.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, type SshTarget } from '../../electron/core/ssh/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
let targets: SshTarget[];

beforeAll(async () => {
  hs = await startHosts({ count: 2, withNginx: true, firstIndex: 20 });
  tc = makeCore();
  const rows = await trustAll(tc.core, hs.hosts);
  targets = rows.map((r) => tc.core.inventory.servers.get(r.serverId) as unknown as SshTarget);
});

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
});

function get(host: string, port: number, path: string, hostHeader?: string): Promise<{ status: number; body: string }> {
  // node:http, since fetch drops a Host header
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, headers: hostHeader ? { Host: hostHeader } : {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('test hosts', () => {
  it('log in as the ordinary deploy user on their own address, each with its own /srv', async () => {
    const pool = tc.core.services.ssh;
    const a = await pool.exec(targets[0]!, 'id -un; echo $SSH_CONNECTION; touch /srv/only-on-a; ls /srv');
    const [user, conn] = a.stdout.split('\n');
    expect(user).toBe('puesta-deploy');
    expect(conn!.split(' ')[2]).toBe('127.0.0.20');
    expect((await pool.exec(targets[1]!, 'ls /srv')).stdout).not.toContain('only-on-a');
    expect((await hs.hosts[0]!.rootExec('ls /srv')).stdout).toContain('only-on-a');
    expect((await hs.hosts[1]!.rootExec('ls /srv')).stdout).not.toContain('only-on-a');
  });

  it('each host runs its own nginx; a site written and reloaded over SSH serves that host only', async () => {
    const [h0, h1] = hs.hosts as [(typeof hs.hosts)[0], (typeof hs.hosts)[0]];
    expect(await get(h0.host, h0.httpPort!, '/__puesta_health')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get(h1.host, h1.httpPort!, '/__puesta_health')).toEqual({ status: 200, body: 'ok\n' });
    const site = `server { listen ${h0.host}:${h0.httpPort}; server_name app.test; root /srv/www; }\n`;
    const pool = tc.core.services.ssh;
    const r = await pool.exec(
      targets[0]!,
      sh`mkdir -p /srv/www && printf %s ${'hello from h0\n'} > /srv/www/index.html && printf %s ${site} | sudo -n tee /etc/nginx/sites-enabled/app.conf >/dev/null && sudo -n nginx -t 2>&1 && sudo -n nginx -s reload`,
    );
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    let got = { status: 0, body: '' };
    for (let i = 0; i < 50 && got.status !== 200; i++) {
      got = await get(h0.host, h0.httpPort!, '/', 'app.test');
      if (got.status !== 200) await new Promise((res) => setTimeout(res, 50));
    }
    expect(got).toEqual({ status: 200, body: 'hello from h0\n' });
    expect((await get(h1.host, h1.httpPort!, '/', 'app.test')).status).toBe(404);
    expect((await hs.hosts[1]!.rootExec('ls /etc/nginx/sites-enabled')).stdout.trim()).toBe('');
  });

  it('stop/start and cutOff/restore', async () => {
    const h = hs.hosts[1]!;
    const pool = tc.core.services.ssh;
    await h.stop();
    expect(h.pid()).toBeNull();
    await expect(pool.exec(targets[1]!, 'true')).rejects.toMatchObject({ code: expect.stringMatching(/SSH_/) });
    await h.start();
    expect((await pool.exec(targets[1]!, 'echo up')).stdout).toBe('up\n');
    // nginx survived the sshd restart
    expect((await get(h.host, h.httpPort!, '/__puesta_health')).status).toBe(200);
    await h.cutOff();
    await pool.close(targets[1]!.id);
    pool.configure({ readyTimeoutMs: 800 });
    await expect(pool.exec(targets[1]!, 'true')).rejects.toMatchObject({ code: 'SSH_TIMEOUT' });
    await h.restore();
    pool.configure({ readyTimeoutMs: 10_000 });
    expect((await pool.exec(targets[1]!, 'echo back')).stdout).toBe('back\n');
  });
});
