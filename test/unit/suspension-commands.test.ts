/**
 * The suspension's command builders and the nginx site builder, run for real: the host scripts
 * with `sh` on a temp base folder (a real unix socket as the responder), hostile page text, twice
 * in a row, several sites in one batch; the site config's refusals and its Retry-After map.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFields, type Application } from '../../shared/contract/inventory.js';
import { pageDirName, retryVariable, siteConfig, sitePaths } from '../../electron/core/proxy/site-config.js';
import { batchScript, lockedPart, pageHtml, reinstateScript, suspendScript } from '../../electron/core/suspension/commands.js';
import { lockInfo } from '../../electron/core/runs/locks.js';

let dir = '';
const servers: net.Server[] = [];
const HOSTILE = `'; touch /tmp/pwned-$$ #" $(id) \`id\` <script>alert(1)</script> ñ`;

const appAt = (base: string): Application => ({ ...ApplicationFields.parse({ name: path.basename(base), runtimeUser: 'app', basePath: base }), id: 1, createdAt: '', updatedAt: '' }) as Application;

async function site(name: string): Promise<string> {
  const base = path.join(dir, name);
  mkdirSync(path.join(base, 'run'), { recursive: true });
  symlinkSync('app.sock', path.join(base, 'run', 'live.sock'));
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(path.join(base, 'run', 'suspended.sock'), r));
  servers.push(srv);
  return base;
}

const sh = (script: string): string => execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** The stderr of a script that must fail. */
function failure(script: string): string {
  try {
    sh(script);
  } catch (e) {
    return String((e as { stderr: string }).stderr);
  }
  throw new Error('the script succeeded');
}
const suspend = (base: string, id: number, message = '') =>
  suspendScript({ suspensionId: id, app: appAt(base), retryAfterSeconds: 600, page: pageHtml({ suspensionId: id, contractReference: 'C-1', customerName: 'Acme', message, retryAfterSeconds: 600 }), stopWorkers: [], services: {}, sudo: false });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-susp-unit-'));
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('suspension host scripts (run with sh)', () => {
  it('records live.sock, writes the page, swaps to suspended.sock; a second run changes nothing; reinstating restores it', async () => {
    const base = await site('a');
    const p = sitePaths(base);
    const out = sh(suspend(base, 7, HOSTILE));
    expect(out).toMatch(/PUESTA_STEP record[\s\S]*PUESTA_PREVIOUS app.sock[\s\S]*PUESTA_STEP swap[\s\S]*live.sock -> suspended.sock[\s\S]*PUESTA_STEP workers/);
    expect(readlinkSync(p.live)).toBe('suspended.sock');
    expect(readFileSync(path.join(p.suspension, 'previous'), 'utf8')).toBe('app.sock\n');
    expect(readlinkSync(p.page)).toBe(`pages/${pageDirName('s7', 600)}`);
    const html = readFileSync(path.join(p.page, 'index.html'), 'utf8');
    expect(html).toContain('puesta-suspended:7');
    expect(html).toContain('&#39;; touch /tmp/pwned-$$ #&quot; $(id) `id` &lt;script&gt;');
    expect(readFileSync(path.join(p.acmeDir, 'puesta-probe'), 'utf8')).toBe('puesta-acme-7');

    const again = sh(suspend(base, 7, HOSTILE));
    expect(again).toContain('already suspended here: live.sock was app.sock');
    expect(again).toContain('live.sock already points at suspended.sock');
    expect(readFileSync(path.join(p.suspension, 'previous'), 'utf8')).toBe('app.sock\n');

    const back = sh(reinstateScript({ app: appAt(base), services: {}, sudo: false }));
    expect(back).toContain('live.sock -> app.sock');
    expect(readlinkSync(p.live)).toBe('app.sock');
    expect(existsSync(path.join(p.suspension, 'previous'))).toBe(false);
    expect(sh(reinstateScript({ app: appAt(base), services: {}, sudo: false }))).toContain('no suspension is recorded on this host');
  });

  it('refuses when the responder is missing or live.sock already points at it with no record', async () => {
    const base = await site('b');
    rmSync(path.join(base, 'run', 'suspended.sock'));
    expect(failure(suspend(base, 8))).toMatch(/suspended responder is not installed/);
    expect(readlinkSync(path.join(base, 'run', 'live.sock'))).toBe('app.sock');
    const c = await site('c');
    rmSync(path.join(c, 'run', 'live.sock'));
    symlinkSync('suspended.sock', path.join(c, 'run', 'live.sock'));
    expect(failure(suspend(c, 9))).toMatch(/nothing records what it pointed at before/);
  });

  it('runs several sites in one batch, each part closed with its exit code', async () => {
    const [d, e] = [await site('d'), await site('e')];
    rmSync(path.join(e, 'run', 'live.sock'));
    const out = sh(batchScript([{ id: 1, script: suspend(d, 1) }, { id: 2, script: suspend(e, 2) }]));
    expect(out).toMatch(/PUESTA_BEGIN 1[\s\S]*PUESTA_END 1 0\nPUESTA_BEGIN 2[\s\S]*no Puesta site on this host \(\S+live.sock is missing\): configure the site in the proxy settings and install[\s\S]*PUESTA_END 2 1\n$/);
    expect(readlinkSync(path.join(d, 'run', 'live.sock'))).toBe('suspended.sock');
    // refused before any change: no record, no page, no probe
    expect([existsSync(path.join(e, 'run', 'suspension')), existsSync(path.join(e, 'acme', '.well-known', 'acme-challenge', 'puesta-probe'))]).toEqual([false, false]);
  });
});

describe('the nginx site config', () => {
  it('proxies to live.sock, exempts the ACME path, and serves the responder with a Retry-After from the page link', () => {
    const conf = siteConfig({ appName: 'Shop EU', base: '/srv/shop/', listen: ['80', '[::]:80'], serverNames: ['shop.example.com'], app: { address: '127.0.0.1:3000' } });
    expect(conf).toContain('proxy_pass http://unix:/srv/shop/run/live.sock:;');
    expect(conf).toContain('location ^~ /.well-known/acme-challenge/ {\n        root /srv/shop/acme;');
    expect(conf).toContain('listen unix:/srv/shop/run/suspended.sock;');
    expect(conf).toContain('root /srv/shop/run/suspension/page;');
    expect(conf).toContain(`add_header Retry-After ${retryVariable('Shop EU')} always;`);
    expect(retryVariable('Shop EU')).toBe('$puesta_retry_shop_eu');
    expect(conf).toContain('listen unix:/srv/shop/run/app.sock;');
    expect(conf).toContain('proxy_pass http://127.0.0.1:3000;');
    expect(siteConfig({ appName: 'x', base: '/srv/x', listen: ['80'], serverNames: [] })).not.toContain('app.sock');
  });

  it('refuses values that would need escaping in nginx', () => {
    expect(() => siteConfig({ appName: 'x', base: '/srv/x; evil', listen: ['80'], serverNames: [] })).toThrow(/base folder/);
    expect(() => siteConfig({ appName: 'x', base: '/srv/x', listen: ['80 default_server; include /etc/passwd'], serverNames: [] })).toThrow(/listen/);
    expect(() => siteConfig({ appName: 'x', base: '/srv/x', listen: ['80'], serverNames: ['a.com;'] })).toThrow(/server name/);
    expect(() => siteConfig({ appName: 'x', base: '/srv/x', listen: [], serverNames: [] })).toThrow(/at least one listen/);
    expect(() => pageDirName('../x', 1)).toThrow();
  });

  it('a part takes the host lock file first: held by another owner it does nothing and names them; free, it runs and releases it', () => {
    const base = path.join(dir, 'locked');
    mkdirSync(base, { recursive: true });
    const file = path.join(base, '.puesta-lock');
    const expires = Math.floor(Date.now() / 1000) + 600;
    const mine = { base, token: 'suspension-9-alice', info: lockInfo({ token: 'suspension-9-alice', runId: 0, owner: 'alice', reason: 'suspension #9', expiresEpoch: expires }) };
    const part = lockedPart(mine, `echo did-the-work > ${JSON.stringify(path.join(base, 'done'))}`);
    const run = (script: string): { out: string; code: number } => {
      try {
        return { out: execFileSync('sh', ['-c', script], { encoding: 'utf8' }), code: 0 };
      } catch (e) {
        const x = e as { stdout: string; status: number };
        return { out: x.stdout, code: x.status };
      }
    };
    execFileSync('sh', ['-c', `printf 'token=theirs expires=${expires} run=12 owner=bob reason=upgrade\\n' > ${JSON.stringify(file)}`]);
    const held = run(part);
    expect(held).toEqual({ out: `PUESTA_HELD token=theirs expires=${expires} run=12 owner=bob reason=upgrade\n`, code: 3 });
    expect(existsSync(path.join(base, 'done'))).toBe(false);
    rmSync(file);
    const free = run(part);
    expect(free).toEqual({ out: 'host lock: ACQUIRED\n', code: 0 });
    expect(readFileSync(path.join(base, 'done'), 'utf8')).toBe('did-the-work\n');
    expect(existsSync(file)).toBe(false);
    // a failing part releases the lock too, and keeps its exit code
    expect(run(lockedPart(mine, 'exit 7')).code).toBe(7);
    expect(existsSync(file)).toBe(false);
  });
});
