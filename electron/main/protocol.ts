/**
 * app://puesta — serves the built renderer (dist/renderer) to the window, with the same CSP as
 * the browser shell. No http(s) server, no file:// pages, no remote content.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { CSP } from '../../shared/shell.js';
import { APP_SCHEME, resolveAppRequest } from './security.js';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const headers = {
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Only GET is served here.', { status: 405, headers });
    const r = resolveAppRequest(request.url, rendererDir, isFile);
    if (!r.ok) return new Response(r.reason, { status: r.status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
    if (!isFile(r.file)) {
      const page = '<!doctype html><meta charset="utf-8"><title>Puesta</title><body style="font:15px system-ui;margin:4rem"><h1>Puesta</h1><p>The user interface has not been built. Run <code>npm run build</code>, then start again.</p></body>';
      return new Response(page, { status: 503, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
    }
    const body = await readFile(r.file);
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { ...headers, 'Content-Type': r.mime } });
  });
}
