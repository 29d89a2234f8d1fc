import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isEventName, type MethodName } from '../../shared/contract/index.js';
import { httpStatusFor, PuestaError, type Envelope } from '../../shared/errors.js';
import type { Core } from '../core/core.js';
import { dispatch } from '../core/dispatch.js';
import { DEFAULT_STREAM_LIMITS, openEventStream, type EventStream, type StreamLimits } from './event-stream.js';
import {
  BAD_JSON,
  cookieToken,
  decodeComponent,
  describeRequest,
  parseRequestUrl,
  readJson,
  sameToken,
  securityHeaders,
  sendError,
  sendHtml,
  sendJson,
  sessionCookie,
  TOO_BIG,
} from './http.js';

/**
 * The browser shell: serves the renderer and the SAME handler table as Electron's IPC.
 * Loopback only, the installation's token (core.browserToken: a Bearer header, or an HttpOnly
 * SameSite=Strict cookie set from the printed URL), Host and Origin checks against DNS rebinding
 * and cross-site calls, CSP. No request can end the process: a malformed request answers 4xx, and
 * anything thrown while answering becomes a logged 500.
 */
export interface WebServerOptions {
  core: Core;
  port?: number;
  /** The built renderer (dist/renderer). Optional: API-only when absent. */
  staticDir?: string;
  maxBodyBytes?: number;
  /** Bounds of each /api/events subscriber (event-stream.ts); tests shorten them. */
  events?: Partial<StreamLimits>;
}

export interface WebServer {
  /** The address with the token in force (it changes when the token is rotated). */
  readonly url: string;
  port: number;
  readonly token: string;
  server: http.Server;
  /** The open event streams, for tests and the history bench: what each has queued. */
  streams(): EventStream[];
  close(): Promise<void>;
}

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

/** Its answer carries the new cookie, so the tab that rotates the token is the one that keeps working. */
const ROTATE_TOKEN: MethodName = 'settings.rotateBrowserToken';

/** The client went away mid-answer: nothing to answer, nothing worth logging. */
function clientLeft(res: http.ServerResponse, e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return res.destroyed && (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE');
}

/** The top-level guard's answer to anything thrown while answering a request. */
function answerFailure(req: http.IncomingMessage, res: http.ServerResponse, e: unknown): void {
  if (e instanceof PuestaError) {
    // An expected refusal (a malformed escape, a NUL in a path): a 4xx, nothing to log.
    if (!res.headersSent) return sendError(res, httpStatusFor(e.code), e.code, e.message);
    return void res.destroy();
  }
  if (clientLeft(res, e)) return void res.destroy();
  console.error(`[puesta] ${describeRequest(req)} failed:`, e);
  if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'The browser shell failed to answer this request; the error is in its log.');
  else res.destroy();
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const { core } = opts;
  const token = core.browserToken;
  token.value(); // read (or created) now: an unreadable data folder fails the start, not a request
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** Open event streams; a rotation closes them all, since they were authorised by the old token. */
  const streams = new Set<EventStream>();
  const streamLimits: StreamLimits = { ...DEFAULT_STREAM_LIMITS, ...opts.events };
  const unwatchRotation = token.onRotate(() => {
    for (const s of [...streams]) s.end();
  });

  const authorised = (req: http.IncomingMessage): boolean => {
    const current = token.value();
    const h = req.headers.authorization;
    if (h && h.startsWith('Bearer ') && sameToken(h.slice(7).trim(), current)) return true;
    const c = cookieToken(req);
    return c !== null && sameToken(c, current);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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
    if (url.pathname.startsWith('/api/')) return handleApi(req, res, url);

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'INVALID_INPUT', 'Only GET is served here.');
    // The printed URL carries the token once; swap it for a cookie and drop it from the address bar.
    const qt = url.searchParams.get('token');
    if (qt !== null) {
      if (!sameToken(qt, token.value())) {
        return sendHtml(res, 401, 'This link has an old or wrong token (it changes when the token is rotated in Settings). Use the URL printed by <code>npm start</code>.');
      }
      res.setHeader('Set-Cookie', sessionCookie(token.value()));
      url.searchParams.delete('token');
      // one leading slash only: `//evil.example` would be a redirect to another host
      res.writeHead(302, { Location: '/' + url.pathname.replace(/^\/+/, '') + (url.search || '') });
      return void res.end();
    }
    if (!authorised(req)) return sendHtml(res, 401, 'Open Puesta with the URL printed by <code>npm start</code> (it carries this installation’s token).');
    return serveStatic(url.pathname, res);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (!authorised(req)) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or wrong token. Open the URL printed by `npm start`.');
    if (url.pathname === '/api/events' && req.method === 'GET') return streamEvents(req, res, url);
    if (req.method !== 'POST') return sendError(res, 405, 'INVALID_INPUT', 'API methods are called with POST.');
    const method = decodeComponent(url.pathname.slice('/api/'.length), 'method name');
    const body = await readJson(req, maxBody);
    if (body === BAD_JSON) return sendError(res, 400, 'INVALID_INPUT', 'The request body is not valid JSON.');
    if (body === TOO_BIG) return sendError(res, 413, 'INVALID_INPUT', `The request body is larger than ${maxBody} bytes.`);
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const env: Envelope<unknown> = await dispatch(core, method, body, { signal: ac.signal });
    if (env.ok && method === ROTATE_TOKEN) res.setHeader('Set-Cookie', sessionCookie(token.value()));
    sendJson(res, env.ok ? 200 : httpStatusFor(env.error.code), env);
  }

  function streamEvents(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const filter = url.searchParams.getAll('event').filter(isEventName);
    const stream = openEventStream(core.events, req, res, filter, streamLimits, () => streams.delete(stream));
    streams.add(stream);
  }

  async function serveStatic(pathname: string, res: http.ServerResponse): Promise<void> {
    const dir = opts.staticDir;
    if (!dir || !existsSync(path.join(dir, 'index.html'))) {
      return sendHtml(res, 503, 'The user interface has not been built. Run <code>npm run build</code> (npm start does it for you).');
    }
    const rel = path.normalize(decodeComponent(pathname, 'path')).replace(/^([/\\])+/, '');
    if (rel.includes('\0')) throw new PuestaError('INVALID_INPUT', 'The path holds a NUL byte.');
    let file = path.join(dir, rel);
    if (!file.startsWith(path.resolve(dir)) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(dir, 'index.html');
    // Opened before the status line: a file that cannot be read is a 500, not a cut 200.
    const fh = await open(file, 'r');
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    await pipeline(fh.createReadStream(), res);
  }

  const server = http.createServer((req, res) => {
    // A write after the answer ended must not become an unhandled 'error' event (it would end the process).
    res.on('error', (e) => console.error(`[puesta] answering ${describeRequest(req)} failed:`, e));
    handle(req, res).catch((e: unknown) => {
      try {
        answerFailure(req, res, e);
      } catch (again) {
        console.error(`[puesta] ${describeRequest(req)}: could not answer the failure:`, again);
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  // From now on a server error (say, too many open files on accept) is logged; it must not end the process.
  server.on('error', (e) => console.error('[puesta] the browser shell server:', e));
  port = (server.address() as AddressInfo).port;
  return {
    get url() {
      return `http://127.0.0.1:${port}/?token=${token.value()}`;
    },
    port,
    get token() {
      return token.value();
    },
    server,
    streams: () => [...streams],
    close: () =>
      new Promise<void>((resolve) => {
        unwatchRotation();
        for (const s of [...streams]) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
