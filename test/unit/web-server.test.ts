import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
let web: WebServer;
let TOKEN: string;

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function request(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: web.port, method: opts.method ?? 'GET', path: opts.path, headers: { Host: `127.0.0.1:${web.port}`, ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
const api = (method: string, body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
  request({ method: 'POST', path: `/api/${method}`, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  t = makeCore();
  const staticDir = path.join(t.dataDir, 'ui');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Puesta UI</title>');
  web = await startWebServer({ core: t.core, staticDir });
  TOKEN = web.token; // the installation's token, kept in the data folder
});
afterAll(async () => {
  await web.close();
  await t.cleanup();
});

describe('browser shell API', () => {
  it('listens on 127.0.0.1 only and prints a tokened URL', () => {
    const addr = web.server.address();
    expect(addr && typeof addr === 'object' && addr.address).toBe('127.0.0.1');
    expect(web.url).toBe(`http://127.0.0.1:${web.port}/?token=${TOKEN}`);
  });

  it('answers {ok:true,value} for a valid call', async () => {
    const r = await api('servers.create', { name: 'web-1', host: '10.1.1.1', port: 22, user: 'deploy' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { ok: boolean; value: { id: number; name: string } };
    expect(body.ok).toBe(true);
    expect(body.value).toMatchObject({ name: 'web-1', host: '10.1.1.1', port: 22, user: 'deploy' });
    expect(body.value.id).toBeGreaterThan(0);
    const list = JSON.parse((await api('servers.list', {})).body) as { value: { items: unknown[]; total: number } };
    expect(list.value.total).toBe(1);
  });

  it('maps errors to HTTP statuses with {ok:false,error:{code,message}}', async () => {
    const bad = await api('servers.create', { name: '', host: 'x', user: 'deploy' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const dup = await api('servers.create', { name: 'web-1', host: 'x', user: 'deploy' });
    expect(dup.status).toBe(409);
    expect(JSON.parse(dup.body)).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/already exists/) } });
    const unknown = await api('servers.fly', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('UNKNOWN_METHOD');
    const missing = await api('servers.get', { id: 4242 });
    expect(missing.status).toBe(404);
    const garbage = await request({ method: 'POST', path: '/api/servers.list', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{nope' });
    expect(garbage.status).toBe(400);
  });

  it('401 without a token or with a wrong one', async () => {
    expect((await api('servers.list', {}, {})).status).toBe(401);
    expect((await api('servers.list', {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await api('servers.list', {}, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    const page = await request({ path: '/' });
    expect(page.status).toBe(401);
    expect(page.body).not.toContain('Puesta UI');
  });

  it('403 for a foreign Host (DNS rebinding) or a foreign Origin, even with the token', async () => {
    const host = await request({ method: 'POST', path: '/api/servers.list', headers: { Host: `evil.example:${web.port}`, Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(host.status).toBe(403);
    const host2 = await request({ method: 'POST', path: '/api/servers.list', headers: { Host: '127.0.0.1:1', Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(host2.status).toBe(403);
    const origin = await api('servers.list', {}, { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    const sameOrigin = await api('servers.list', {}, { Authorization: `Bearer ${TOKEN}`, Origin: `http://127.0.0.1:${web.port}` });
    expect(sameOrigin.status).toBe(200);
    const localhost = await request({ method: 'POST', path: '/api/servers.list', headers: { Host: `localhost:${web.port}`, Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(localhost.status).toBe(200);
  });

  it('swaps the URL token for an HttpOnly SameSite=Strict cookie, then serves the UI with CSP', async () => {
    const first = await request({ path: `/?token=${TOKEN}` });
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const c = cookie.split(';')[0]!;
    const page = await request({ path: '/', headers: { Cookie: c } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Puesta UI');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const viaCookie = await request({ method: 'POST', path: '/api/system.info', headers: { Cookie: c, 'Content-Type': 'application/json' }, body: '{}' });
    expect(viaCookie.status).toBe(200);
    expect((await request({ path: '/?token=wrong' })).status).toBe(401);
    const openRedirect = await request({ path: `//evil.example/?token=${TOKEN}` });
    expect(openRedirect.status).toBe(302);
    expect(openRedirect.headers.location).toBe('/evil.example/');
    const doubleSlash = await request({ path: '//#/', headers: { Cookie: c } });
    expect(doubleSlash.status).toBe(200);
    expect(doubleSlash.body).toContain('Puesta UI');
    const traversal = await request({ path: '/../../../../etc/passwd', headers: { Cookie: c } });
    expect(traversal.body).not.toMatch(/root:/);
  });

  it('streams events over SSE to an authorised client', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: web.port, path: '/api/events', headers: { Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${TOKEN}` } },
        (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            if (buf.includes('connected') && !buf.includes('inventory.changed')) void api('customers.create', { name: 'SSE Co' });
            if (buf.includes('event: inventory.changed')) {
              req.destroy();
              resolve(buf);
            }
          });
        },
      );
      req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
      req.end();
    });
    expect(received).toMatch(/event: inventory.changed\ndata: \{"entity":"customers","id":\d+,"action":"create"\}/);
  });
});
