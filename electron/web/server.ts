import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isEventName } from '../../shared/contract/index.js';
import { httpStatusFor, type Envelope } from '../../shared/errors.js';
import type { Core } from '../core/core.js';
import { dispatch } from '../core/dispatch.js';

/**
 * The browser shell: serves the renderer and the SAME handler table as Electron's IPC.
 * Loopback only, a per-run token (Bearer header, or an HttpOnly SameSite=Strict cookie set
 * from the printed URL), Host and Origin checks against DNS rebinding and cross-site calls, CSP.
 */
export interface WebServerOptions {
  core: Core;
  port?: number;
  token?: string;
  /** The built renderer (dist/renderer). Optional: API-only when absent. */
  staticDir?: string;
  maxBodyBytes?: number;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  server: http.Server;
  close(): Promise<void>;
}

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COOKIE = 'puesta_token';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function securityHeaders(res: http.ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { ok: false, error: { code, message } });
}

/** The request path as a URL; a path such as `//x` must not be read as a protocol-relative host. */
function parseRequestUrl(raw: string | undefined): URL | null {
  const p = raw ?? '/';
  if (!p.startsWith('/')) return null;
  try {
    return new URL('http://puesta.invalid' + p);
  } catch {
    return null;
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: http.IncomingMessage): string | null {
  const raw = req.headers.cookie;
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const { core } = opts;
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const authorised = (req: http.IncomingMessage): boolean => {
    const h = req.headers.authorization;
    if (h && h.startsWith('Bearer ') && sameToken(h.slice(7).trim(), token)) return true;
    const c = cookieToken(req);
    return c !== null && sameToken(c, token);
  };

  const server = http.createServer((req, res) => {
    securityHeaders(res);
    // 1. Host: defeats DNS rebinding (a foreign name resolving to 127.0.0.1).
    if (!req.headers.host || !allowedHosts().has(req.headers.host.toLowerCase())) {
      return sendError(res, 403, 'FORBIDDEN', 'Requests must be addressed to 127.0.0.1 or localhost on this port.');
    }
    // 2. Origin: a page from another origin may not call us, even with the cookie.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      return sendError(res, 403, 'FORBIDDEN', `Cross-origin requests are refused (Origin ${origin}).`);
    }
    const url = parseRequestUrl(req.url);
    if (!url) return sendError(res, 400, 'INVALID_INPUT', 'Malformed request path.');

    if (url.pathname.startsWith('/api/')) {
      if (!authorised(req)) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or wrong token. Open the URL printed by `npm start`.');
      if (url.pathname === '/api/events' && req.method === 'GET') return streamEvents(req, res);
      if (req.method !== 'POST') return sendError(res, 405, 'INVALID_INPUT', 'API methods are called with POST.');
      const method = decodeURIComponent(url.pathname.slice('/api/'.length));
      return void readJson(req, maxBody).then(
        async (body) => {
          if (body === BAD_JSON) return sendError(res, 400, 'INVALID_INPUT', 'The request body is not valid JSON.');
          if (body === TOO_BIG) return sendError(res, 413, 'INVALID_INPUT', `The request body is larger than ${maxBody} bytes.`);
          const ac = new AbortController();
          res.on('close', () => ac.abort());
          const env: Envelope<unknown> = await dispatch(core, method, body, { signal: ac.signal });
          sendJson(res, env.ok ? 200 : httpStatusFor(env.error.code), env);
        },
        (e: unknown) => sendError(res, 500, 'INTERNAL', String(e)),
      );
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'INVALID_INPUT', 'Only GET is served here.');
    // The printed URL carries the token once; swap it for a cookie and drop it from the address bar.
    const qt = url.searchParams.get('token');
    if (qt !== null) {
      if (!sameToken(qt, token)) return sendHtml(res, 401, 'This link has an old or wrong token. Use the URL printed by the latest <code>npm start</code>.');
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      // one leading slash only: `//evil.example` would be a redirect to another host
      res.writeHead(302, { Location: '/' + url.pathname.replace(/^\/+/, '') + (url.search || '') });
      return res.end();
    }
    if (!authorised(req)) return sendHtml(res, 401, 'Open Puesta with the URL printed by <code>npm start</code> (it carries this run’s token).');
    return serveStatic(url.pathname, res);
  });

  const BAD_JSON = Symbol('bad');
  const TOO_BIG = Symbol('big');
  function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) over = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        if (over) return resolve(TOO_BIG);
        const text = Buffer.concat(chunks).toString('utf8');
        if (!text.trim()) return resolve({});
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(BAD_JSON);
        }
      });
      req.on('error', reject);
    });
  }

  function streamEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    const filter = (parseRequestUrl(req.url)?.searchParams.getAll('event') ?? []).filter(isEventName);
    const unsubscribe = core.events.subscribe((event, payload) => {
      if (filter.length && !filter.includes(event)) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  }

  function sendHtml(res: http.ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>Puesta</title><body style="font:15px system-ui;margin:4rem;max-width:40rem"><h1>Puesta</h1><p>${message}</p></body>`);
  }

  function serveStatic(pathname: string, res: http.ServerResponse): void {
    const dir = opts.staticDir;
    if (!dir || !existsSync(path.join(dir, 'index.html'))) {
      return sendHtml(res, 503, 'The user interface has not been built. Run <code>npm run build</code> (npm start does it for you).');
    }
    const rel = path.normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = path.join(dir, rel);
    if (!file.startsWith(path.resolve(dir)) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(dir, 'index.html');
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
