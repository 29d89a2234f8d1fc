/**
 * The pure rules of the desktop shell's security (Electron's checklist), kept free of any
 * runtime `electron` import so they are unit-tested under plain Node:
 * - which URLs count as our own page (IPC sender check, navigation),
 * - how an app:// request maps to a file of the built renderer (no path traversal),
 * - which links may leave the app (http/https only, through the OS browser),
 * - which permission requests are granted (almost none).
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'puesta';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

function parse(url: string | null | undefined): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True only for a URL of exactly our origin (`app://puesta`, no credentials, no port).
 * Used for the IPC sender check and for navigation: file://, https://anything, app://evil,
 * app://puesta.evil, app://x@puesta, data:, about:blank and blob: all fail.
 */
export function isTrustedSender(url: string | null | undefined, expectedOrigin: string = APP_ORIGIN): boolean {
  const u = parse(url);
  const want = parse(expectedOrigin);
  if (!u || !want) return false;
  return (
    u.protocol === want.protocol &&
    u.hostname.toLowerCase() === want.hostname.toLowerCase() &&
    u.port === want.port &&
    u.username === '' &&
    u.password === ''
  );
}

export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export type AppRequestResolution =
  | { ok: true; file: string; mime: string; spaFallback: boolean }
  | { ok: false; status: 403 | 404; reason: string };

/**
 * Maps `app://puesta/<path>` to a file under rootDir (the built renderer).
 * Refuses other hosts, encoded separators, `..` segments, NUL bytes and anything that
 * resolves outside rootDir. A path without an extension that matches no file is the SPA
 * fallback (index.html); a missing asset is a 404. `exists` is injectable for tests.
 */
export function resolveAppRequest(url: string, rootDir: string, exists: (file: string) => boolean): AppRequestResolution {
  const u = parse(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.hostname.toLowerCase() !== APP_HOST || u.port !== '' || u.username !== '' || u.password !== '') {
    return { ok: false, status: 403, reason: 'not our origin' };
  }
  const rawPath = u.pathname || '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 403, reason: 'bad encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\') || /%2f|%5c|%2e/i.test(rawPath)) {
    return { ok: false, status: 403, reason: 'encoded separators or dots' };
  }
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.' || /^[a-zA-Z]:$/.test(s))) {
    return { ok: false, status: 403, reason: 'dot segments' };
  }
  const root = path.resolve(rootDir);
  const rel = segments.length === 0 ? 'index.html' : segments.join('/');
  const file = path.resolve(root, rel);
  if (file !== root && !file.startsWith(root + path.sep)) return { ok: false, status: 403, reason: 'outside the renderer folder' };
  const ext = path.extname(file).toLowerCase();
  if (exists(file)) return { ok: true, file, mime: MIME[ext] ?? 'application/octet-stream', spaFallback: false };
  if (ext === '') {
    return { ok: true, file: path.join(root, 'index.html'), mime: MIME['.html']!, spaFallback: true };
  }
  return { ok: false, status: 404, reason: 'no such file' };
}

/** Links the app may hand to the OS browser: plain http(s) only (never file:, javascript:, custom schemes). */
export function isExternalHttpUrl(url: string | null | undefined): boolean {
  const u = parse(url);
  return !!u && (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '' && u.username === '' && u.password === '';
}

/**
 * Permission requests (camera, geolocation, notifications, …) are all refused, except writing
 * to the clipboard from our own page ("copy command" buttons).
 */
export function permissionAllowed(permission: string, requestingUrl: string | null | undefined): boolean {
  return permission === 'clipboard-sanitized-write' && isTrustedSender(requestingUrl);
}

/** What the IPC sender check needs to know about a call and about our window. */
export interface SenderInfo {
  /** id of the webContents that sent the message */
  webContentsId: number;
  /** the sending frame, null when it was destroyed meanwhile */
  frame: { url: string; isMainFrame: boolean } | null;
}
export interface WindowInfo {
  destroyed: boolean;
  webContentsId: number;
}

/** null when the call may proceed, else why it is refused (one plain phrase). */
export function senderProblem(sender: SenderInfo, win: WindowInfo | null): string | null {
  if (!win || win.destroyed) return 'the app window is gone';
  if (sender.webContentsId !== win.webContentsId) return 'it came from another window';
  if (!sender.frame) return 'its frame has been destroyed';
  if (!sender.frame.isMainFrame) return 'it came from an embedded frame';
  if (!isTrustedSender(sender.frame.url)) return `it came from ${sender.frame.url || 'an unknown page'}`;
  return null;
}
