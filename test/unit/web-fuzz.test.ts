/**
 * No request may end the browser shell: malformed percent-escapes (cookie before authentication,
 * method name, static path) answer 400 INVALID_INPUT, anything a handler throws answers a logged
 * 500, and a few thousand random malformed requests all get an answer. (The same fuzz against the
 * real `npm run web` process during a live run is test/integration/web-fuzz-live.test.ts.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { fuzzRequest, prng, rawRequest, serialise } from '../helpers/raw-http.js';

let TOKEN: string;
let t: TestCore;
let web: WebServer;

beforeAll(async () => {
  t = makeCore();
  const staticDir = path.join(t.dataDir, 'ui');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Puesta UI</title>');
  web = await startWebServer({ core: t.core, staticDir });
  TOKEN = web.token;
});
afterAll(async () => {
  await web.close();
  await t.cleanup();
});

const host = (): [string, string] => ['Host', `127.0.0.1:${web.port}`];
const send = (method: string, target: string, headers: [string, string][] = [], body = '') => rawRequest(web.port, serialise(method, target, [host(), ...headers], body));
const alive = async () => (await send('POST', '/api/system.info', [['Authorization', `Bearer ${TOKEN}`]], '{}')).status === 200;

describe('browser shell: bad percent-escapes', () => {
  it('a cookie with a malformed escape, no token needed, answers 400 and the shell lives on', async () => {
    for (const target of ['/', '/api/system.info', '/index.html']) {
      const r = await send(target.startsWith('/api/') ? 'POST' : 'GET', target, [['Cookie', 'puesta_token=%E0%A4%A']], '{}');
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    expect(await alive()).toBe(true);
  });

  it('a method name or a static path with a malformed escape answers 400 INVALID_INPUT', async () => {
    const m = await send('POST', '/api/system.%E0%A4%A', [['Authorization', `Bearer ${TOKEN}`]], '{}');
    expect(m.status).toBe(400);
    expect(JSON.parse(m.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const s = await send('GET', '/assets/%E0%A4%A.js', [['Authorization', `Bearer ${TOKEN}`]]);
    expect(s.status).toBe(400);
    expect(JSON.parse(s.body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await alive()).toBe(true);
  });
});

describe('browser shell: the top-level guard', () => {
  it('turns an error thrown while answering into a logged 500, and keeps serving', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const subscribe = vi.spyOn(t.core.events, 'subscribe').mockImplementation(() => {
      throw new Error('boom in a handler');
    });
    try {
      const r = await send('GET', '/api/events', [['Authorization', `Bearer ${TOKEN}`]]);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
      expect(logged.mock.calls.flat().map(String).join('\n')).toMatch(/boom in a handler/);
    } finally {
      subscribe.mockRestore();
      logged.mockRestore();
    }
    expect(await alive()).toBe(true);
  });

  it('a static file that cannot be read answers a logged 500, and keeps serving', async () => {
    // A socket file exists and is not a folder, but cannot be opened for reading (ENXIO).
    const sock = net.createServer();
    await new Promise<void>((resolve) => sock.listen(path.join(t.dataDir, 'ui', 'socket.js'), resolve));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const r = await send('GET', '/socket.js', [['Authorization', `Bearer ${TOKEN}`]]);
      expect(r.status).toBe(500);
      expect(logged).toHaveBeenCalled();
    } finally {
      logged.mockRestore();
      sock.close();
    }
    expect(await alive()).toBe(true);
  });
});

describe('browser shell: fuzz', () => {
  it('answers every one of 3 000 random malformed requests (paths, cookies, headers) and stays up', async () => {
    const seed = Number(process.env.PUESTA_FUZZ_SEED ?? 20261201);
    const rand = prng(seed);
    const statuses = new Map<number | null, number>();
    const silent: string[] = [];
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const total = 3_000;
      let next = 0;
      const worker = async () => {
        while (next < total) {
          next++;
          const req = fuzzRequest(rand, web.port, TOKEN);
          const r = await rawRequest(web.port, req);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === null || r.status >= 500) silent.push(`${r.status}: ${JSON.stringify(req.toString('latin1').slice(0, 300))}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      logged.mockRestore();
    }
    expect(silent, `seed ${seed}: requests without a 4xx/2xx/3xx answer`).toEqual([]);
    expect([...statuses.keys()].every((s) => s !== null && s < 500)).toBe(true);
    expect(await alive()).toBe(true);
  });
});
