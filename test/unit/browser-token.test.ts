/**
 * Tabs survive a restart without weakening the session: one token per installation, kept 0600 in
 * the data folder and reused at each start (PUESTA_TOKEN still overrides it); rotating it from
 * Settings signs every other tab out at once, and the rotating tab keeps working.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { KeyFileCipher } from '../../electron/core/secrets.js';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { call, fails } from '../helpers/api.js';
import { MIGRATIONS } from '../helpers/core.js';

let dataDir: string;
const open: { core: Core; web?: WebServer }[] = [];

function start(opts: { browserToken?: string } = {}): Core {
  const core = createCore({ dataDir, migrationsDir: MIGRATIONS, cipher: new KeyFileCipher(path.join(dataDir, 'secret.key')), shell: 'web', version: 'test', ...opts });
  open.push({ core });
  return core;
}
async function serve(core: Core): Promise<WebServer> {
  const web = await startWebServer({ core });
  open.find((o) => o.core === core)!.web = web;
  return web;
}
async function stop(core: Core): Promise<void> {
  const i = open.findIndex((o) => o.core === core);
  const [o] = open.splice(i, 1);
  await o!.web?.close();
  await o!.core.close();
}

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.web?.close();
    await o.core.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function post(web: WebServer, method: string, headers: Record<string, string>): Promise<{ status: number; setCookie: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: web.port, method: 'POST', path: `/api/${method}`, headers: { Host: `127.0.0.1:${web.port}`, 'Content-Type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie']?.[0]?.split(';')[0] ?? null, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

/** The cookie a tab gets from the printed URL. */
async function cookieFrom(web: WebServer): Promise<string> {
  const res = await fetch(web.url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** An open event stream; resolves `ended` when the server closes it. */
function eventStream(web: WebServer, cookie: string): Promise<{ ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: web.port, path: '/api/events', headers: { Host: `127.0.0.1:${web.port}`, Cookie: cookie } }, (res) => {
      expect(res.statusCode).toBe(200);
      res.resume();
      resolve({ ended: new Promise((done) => res.on('close', () => done())) });
    });
    req.on('error', reject);
  });
}

describe('the browser token', () => {
  it('is kept 0600 in the data folder and reused after a restart: an open tab’s cookie stays valid', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-token-'));
    const first = start();
    const web1 = await serve(first);
    const cookie = await cookieFrom(web1);
    const file = path.join(dataDir, 'browser-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(web1.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(web1.token.length).toBeGreaterThanOrEqual(43); // 32 random bytes
    await stop(first);

    const second = start();
    const web2 = await serve(second);
    expect(web2.token).toBe(web1.token);
    expect((await post(web2, 'system.info', { Cookie: cookie })).status).toBe(200);
    expect((await post(web2, 'system.info', { Cookie: 'puesta_token=not-it' })).status).toBe(401);
  });

  it('replaces a stored token that is not a proper one (empty, truncated)', () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-token-'));
    writeFileSync(path.join(dataDir, 'browser-token'), 'short\n', { mode: 0o644 });
    const token = start().browserToken.value();
    expect(token).not.toBe('short');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(dataDir, 'browser-token')).mode & 0o777).toBe(0o600);
  });

  it('PUESTA_TOKEN overrides it, is never written, and cannot be rotated from Settings', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-token-'));
    const core = start({ browserToken: 'fixed-by-the-environment' });
    const web = await serve(core);
    expect(web.url).toMatch(/\?token=fixed-by-the-environment$/);
    expect(await fails(core, 'settings.rotateBrowserToken', {})).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringMatching(/PUESTA_TOKEN/) });
    expect(() => statSync(path.join(dataDir, 'browser-token'))).toThrow();
  });

  it('rotating it from Settings signs every other tab and link out at once; the rotating tab carries on', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-token-'));
    const core = start();
    const web = await serve(core);
    const oldUrl = web.url;
    const tabA = await cookieFrom(web);
    const tabB = await cookieFrom(web);
    const streamB = await eventStream(web, tabB);

    const rotated = await post(web, 'settings.rotateBrowserToken', { Cookie: tabA });
    expect(rotated.status).toBe(200);
    expect(JSON.parse(rotated.body)).toMatchObject({ ok: true, value: { rotatedAt: expect.any(String) } });
    expect(rotated.body).not.toContain(web.token); // the new token never reaches page scripts
    const newCookie = rotated.setCookie!;
    expect(newCookie).not.toBe(tabA);

    await streamB.ended; // tab B's event stream was closed
    expect((await post(web, 'system.info', { Cookie: tabB })).status).toBe(401);
    expect((await post(web, 'system.info', { Cookie: tabA })).status).toBe(401);
    expect((await fetch(oldUrl, { redirect: 'manual' })).status).toBe(401);
    expect((await post(web, 'system.info', { Cookie: newCookie })).status).toBe(200);
    expect(web.url).not.toBe(oldUrl);
    expect(readFileSync(path.join(dataDir, 'browser-token'), 'utf8').trim()).toBe(web.token);

    // and it is the new one that survives a restart
    await stop(core);
    const again = await serve(start());
    expect((await post(again, 'system.info', { Cookie: newCookie })).status).toBe(200);
    expect((await post(again, 'system.info', { Cookie: tabB })).status).toBe(401);
    expect(await call(open[0]!.core, 'audit.list', { entity: 'settings.browserToken' })).toMatchObject({ total: 1 });
  });
});
