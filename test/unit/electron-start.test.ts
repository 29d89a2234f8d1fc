import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideShell, electronBinaryAvailable, fallBackToWeb, electronBinaryPath, electronNeedsBuild, lastErrorLine, newestMtime, rendererNeedsBuild, shellEnded } from '../../scripts/start.mjs';

describe('npm start: which shell', () => {
  it('finds no Electron binary on this machine, so the browser shell is chosen', () => {
    expect(electronBinaryAvailable()).toBe(false);
    expect(electronBinaryPath()).toBeNull();
    const d = decideShell({ argv: [], electronAvailable: electronBinaryAvailable() });
    expect(d.shell).toBe('web');
    expect(d.reason).toMatch(/Electron binary is not installed/);
  });

  it('uses Electron when the binary and a display are there', () => {
    expect(decideShell({ electronAvailable: true, platform: 'linux', env: { DISPLAY: ':0' } })).toEqual({ shell: 'electron', reason: null });
    expect(decideShell({ electronAvailable: true, platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' } }).shell).toBe('electron');
    expect(decideShell({ electronAvailable: true, platform: 'darwin', env: {} }).shell).toBe('electron');
  });

  it('falls back to the browser shell without a display, and --web forces it', () => {
    const noDisplay = decideShell({ electronAvailable: true, platform: 'linux', env: {} });
    expect(noDisplay.shell).toBe('web');
    expect(noDisplay.reason).toMatch(/no graphical display/);
    expect(decideShell({ argv: ['--web'], electronAvailable: true, platform: 'darwin', env: {} })).toEqual({ shell: 'web', reason: null });
  });

  it('treats a broken electron package as no binary', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-el-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{"name":"x"}');
      expect(electronBinaryAvailable(dir)).toBe(false); // no node_modules/electron at all
      mkdirSync(path.join(dir, 'node_modules', 'electron'), { recursive: true });
      writeFileSync(path.join(dir, 'node_modules', 'electron', 'index.js'), 'module.exports = "/nonexistent/electron";');
      expect(electronBinaryAvailable(dir)).toBe(false); // points at a missing file
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ok = mkdtempSync(path.join(os.tmpdir(), 'puesta-el-'));
    try {
      writeFileSync(path.join(ok, 'package.json'), '{"name":"x"}');
      mkdirSync(path.join(ok, 'node_modules', 'electron'), { recursive: true });
      const fake = path.join(ok, 'electron-bin');
      writeFileSync(fake, '');
      writeFileSync(path.join(ok, 'node_modules', 'electron', 'index.js'), `module.exports = ${JSON.stringify(fake)};`);
      expect(electronBinaryPath(ok)).toBe(fake); // a real file: the desktop shell is possible
    } finally {
      rmSync(ok, { recursive: true, force: true });
    }
  });
});

describe('npm start: falling back when Electron cannot start', () => {
  it('falls back only on an early failure of Electron itself', () => {
    expect(fallBackToWeb({ code: 1, signal: null, forwarded: null, elapsedMs: 800 })).toBe(true);
    expect(fallBackToWeb({ code: null, signal: 'SIGSEGV', forwarded: null, elapsedMs: 800 })).toBe(true);
    expect(fallBackToWeb({ code: 0, signal: null, forwarded: null, elapsedMs: 800 })).toBe(false); // quit normally
    expect(fallBackToWeb({ code: null, signal: 'SIGINT', forwarded: 'SIGINT', elapsedMs: 800 })).toBe(false); // Ctrl+C
    expect(fallBackToWeb({ code: 130, signal: null, forwarded: 'SIGINT', elapsedMs: 800 })).toBe(false);
    expect(fallBackToWeb({ code: 1, signal: null, forwarded: null, elapsedMs: 3 * 3600_000 })).toBe(false); // a crash after hours of use
  });
});

describe('npm start: when the shell stops', () => {
  const web = (end: { code: number | null; signal: string | null; forwarded: string | null; lastError?: string | null }) => shellEnded({ name: 'browser shell', lastError: null, ...end });

  it('says plainly that the shell stopped and why, and exits non-zero', () => {
    const crashed = web({ code: 1, signal: null, forwarded: null, lastError: 'URIError: URI malformed' });
    expect(crashed.exitCode).toBe(1);
    expect(crashed.message).toMatch(/The browser shell stopped: exit code 1\. Its last error: URIError: URI malformed/);
    expect(crashed.message).toMatch(/Puesta is not running any more; start it again with `npm start`/);
    const killed = web({ code: null, signal: 'SIGKILL', forwarded: null });
    expect(killed.exitCode).toBe(137);
    expect(killed.message).toMatch(/stopped: killed by signal SIGKILL, with no error printed/);
    const failedToStop = web({ code: 1, signal: null, forwarded: 'SIGTERM', lastError: 'Error: the database is locked' });
    expect(failedToStop.exitCode).toBe(1);
    expect(failedToStop.message).toMatch(/stopped while stopping: exit code 1\. Its last error: Error: the database is locked/);
  });

  it('is quiet when it stopped because we passed a signal on, or exited cleanly', () => {
    expect(web({ code: 0, signal: null, forwarded: 'SIGTERM' })).toEqual({ message: null, exitCode: 0 });
    expect(web({ code: null, signal: 'SIGINT', forwarded: 'SIGINT' })).toEqual({ message: null, exitCode: 0 });
    expect(web({ code: 130, signal: null, forwarded: 'SIGINT' })).toEqual({ message: null, exitCode: 130 });
    expect(web({ code: 0, signal: null, forwarded: null })).toEqual({ message: null, exitCode: 0 });
  });

  it('finds the line that says what went wrong in a crash report', () => {
    const nodeCrash = ['/app/electron/web/server.ts:100', '    return decodeURIComponent(x);', '           ^', '', 'URIError: URI malformed', '    at cookieToken (server.ts:100:30)', '    at Server.<anonymous> (server.ts:136:12)', '', 'Node.js v20.19.0', ''].join('\n');
    expect(lastErrorLine(nodeCrash)).toBe('URIError: URI malformed');
    expect(lastErrorLine('[puesta] cannot open the data in /x: EACCES\n')).toBe('[puesta] cannot open the data in /x: EACCES');
    expect(lastErrorLine('\x1b[31msomething odd\x1b[0m\n')).toBe('something odd');
    expect(lastErrorLine('')).toBeNull();
  });
});

describe('npm start: what needs building', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const touch = (rel: string, secondsAgo: number) => {
    const f = path.join(dir, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, 'x');
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(f, t, t);
  };

  it('rebuilds the renderer when index.html is missing or older than a source', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-b-'));
    touch('renderer/src/App.tsx', 100);
    touch('shared/contract/index.ts', 100);
    expect(rendererNeedsBuild(dir)).toBe(true);
    touch('dist/renderer/index.html', 50);
    expect(rendererNeedsBuild(dir)).toBe(false);
    touch('shared/contract/index.ts', 10);
    expect(rendererNeedsBuild(dir)).toBe(true);
    touch('dist/renderer/index.html', 5);
    touch('renderer/node_modules/.vite/deps.js', 1); // caches do not count
    expect(rendererNeedsBuild(dir)).toBe(false);
    touch('vite.config.ts', 1);
    expect(rendererNeedsBuild(dir)).toBe(true);
  });

  it('rebuilds the Electron bundles when either is missing or stale', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-b-'));
    touch('electron/main/main.ts', 100);
    touch('dist/electron/main.cjs', 50);
    expect(electronNeedsBuild(dir)).toBe(true); // preload missing
    touch('dist/electron/preload.cjs', 50);
    expect(electronNeedsBuild(dir)).toBe(false);
    touch('electron/core/core.ts', 10);
    expect(electronNeedsBuild(dir)).toBe(true);
  });

  it('newestMtime ignores missing paths', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-b-'));
    expect(newestMtime([path.join(dir, 'nope')])).toBe(0);
  });
});
