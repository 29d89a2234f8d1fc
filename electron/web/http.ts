/**
 * The browser shell's small HTTP pieces: answers, security headers, reading the request. Whatever a
 * client sends, these either return a value or throw a PuestaError the server turns into a 4xx —
 * never an exception that could end the process.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { PuestaError } from '../../shared/errors.js';
import { CSP } from '../../shared/shell.js';

const COOKIE = 'puesta_token';

export function securityHeaders(res: http.ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { ok: false, error: { code, message } });
}

export function sendHtml(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><meta charset="utf-8"><title>Puesta</title><body style="font:15px system-ui;margin:4rem;max-width:40rem"><h1>Puesta</h1><p>${message}</p></body>`);
}

/** The cookie that carries the token (set from the printed URL, and again after a rotation). */
export function sessionCookie(token: string): string {
  return `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The request path as a URL; a path such as `//x` must not be read as a protocol-relative host. */
export function parseRequestUrl(raw: string | undefined): URL | null {
  const p = raw ?? '/';
  if (!p.startsWith('/')) return null;
  try {
    return new URL('http://puesta.invalid' + p);
  } catch {
    return null;
  }
}

/** decodeURIComponent that answers 400 for a malformed percent-escape (`%E0%A4%A`) instead of throwing a URIError. */
export function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new PuestaError('INVALID_INPUT', `The ${what} holds a malformed percent-escape.`);
  }
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token from the session cookie (null when there is none); read before authentication. */
export function cookieToken(req: http.IncomingMessage): string | null {
  const raw = req.headers.cookie;
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeComponent(v.join('='), 'session cookie');
  }
  return null;
}

export const BAD_JSON = Symbol('bad-json');
export const TOO_BIG = Symbol('too-big');

/** The request body as JSON ({} when empty), or BAD_JSON / TOO_BIG. */
export function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
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

/** How a request is named in the log: method and path, without the query (it may carry the token), bounded. */
export function describeRequest(req: http.IncomingMessage): string {
  const p = (req.url ?? '').split('?')[0]!;
  return `${req.method ?? '?'} ${JSON.stringify(p.length > 200 ? p.slice(0, 200) + '…' : p)}`;
}
