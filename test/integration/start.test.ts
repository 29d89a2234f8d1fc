/**
 * `npm start` end to end on a machine without the Electron binary: the start script picks the
 * browser shell, prints its URL, serves the API with the token, and stops on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/core.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

function startScript(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Puesta is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, output: () => out, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start.mjs exited (${code}) before printing its URL:\n${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('npm start without an Electron binary', () => {
  it.each([
    { args: [] as string[], says: true },
    { args: ['--web'], says: false },
  ])('start.mjs $args serves the browser shell, answers system.info with the token and stops on SIGTERM', async ({ args, says }) => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'puesta-start-')), 'fresh', 'data'); // not created yet
    dirs.push(path.dirname(path.dirname(dataDir)));
    const port = await freePort();
    const token = 'start-test-token-' + port;
    const env: NodeJS.ProcessEnv = { ...process.env, PUESTA_DATA_DIR: dataDir, PUESTA_PORT: String(port), PUESTA_TOKEN: token, PUESTA_NO_BUILD: '1' };
    delete env.PUESTA_KEY_FILE;

    const s = await startScript(args, env);
    children.push(s.child);
    expect(s.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(/Electron binary is not installed/.test(s.output())).toBe(says);

    const res = await fetch(`http://127.0.0.1:${port}/api/system.info`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; value: { shell: string; dataDir: string; dbPath: string; schemaVersion: number; secretStore: { kind: string; secure: boolean } } };
    expect(body.ok).toBe(true);
    expect(body.value.shell).toBe('web');
    expect(body.value.dataDir).toBe(dataDir);
    expect(body.value.dbPath).toBe(path.join(dataDir, 'puesta.sqlite'));
    expect(body.value.schemaVersion).toBeGreaterThanOrEqual(1);
    expect(body.value.secretStore).toMatchObject({ kind: 'key-file', secure: false });

    const wrong = await fetch(`http://127.0.0.1:${port}/api/system.info`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body: '{}' });
    expect(wrong.status).toBe(401);

    s.child.kill('SIGTERM');
    const { code } = await exited(s.child);
    expect(code).toBe(0);
    expect(await portOpen(port)).toBe(false); // the server child went away too
  });
});

describe('npm start: a session that survives a restart, a private data folder, a shell that does not stop silently', () => {
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  const webEnv = (dataDir: string, port: number): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, PUESTA_DATA_DIR: dataDir, PUESTA_PORT: String(port), PUESTA_NO_BUILD: '1' };
    delete env.PUESTA_TOKEN;
    delete env.PUESTA_KEY_FILE;
    return env;
  };

  it('reuses the installation token after a restart, and keeps the data folder 0700 / files 0600 even over loose modes', async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'puesta-start-')), 'data');
    dirs.push(path.dirname(dataDir));
    const port = await freePort();
    const first = await startScript(['--web'], webEnv(dataDir, port));
    children.push(first.child);
    const token = new URL(first.url).searchParams.get('token')!;
    const login = await fetch(first.url, { redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(mode(dataDir)).toBe('700');
    for (const f of ['puesta.sqlite', 'puesta.sqlite-wal', 'puesta.sqlite-shm', 'secret.key', 'browser-token']) expect([f, mode(path.join(dataDir, f))]).toEqual([f, '600']);
    first.child.kill('SIGTERM');
    expect((await exited(first.child)).code).toBe(0);

    // what an older Puesta (or a copy) left behind
    chmodSync(dataDir, 0o755);
    for (const f of readdirSync(dataDir)) chmodSync(path.join(dataDir, f), 0o644);
    const second = await startScript(['--web'], webEnv(dataDir, port));
    children.push(second.child);
    expect(new URL(second.url).searchParams.get('token')).toBe(token);
    const res = await fetch(`http://127.0.0.1:${port}/api/system.info`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200); // the tab opened before the restart still works
    expect(mode(dataDir)).toBe('700');
    expect(readdirSync(dataDir).map((f) => [f, mode(path.join(dataDir, f))]).filter(([, m]) => m !== '600')).toEqual([]);
    second.child.kill('SIGTERM');
    expect((await exited(second.child)).code).toBe(0);
  });

  it('says plainly that the browser shell stopped, and why, when it dies under it (and exits non-zero)', async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'puesta-start-')), 'data');
    dirs.push(path.dirname(dataDir));
    const s = await startScript(['--web'], webEnv(dataDir, await freePort()));
    children.push(s.child);
    const shellPid = Number(spawnSync('ps', ['-o', 'pid=', '--ppid', String(s.child.pid)], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0]);
    expect(shellPid).toBeGreaterThan(0);
    process.kill(shellPid, 'SIGKILL');
    const end = await exited(s.child);
    expect(end.code).toBe(137);
    expect(s.output()).toMatch(/\[puesta\] The browser shell stopped: killed by signal SIGKILL, with no error printed\n\[puesta\] Puesta is not running any more; start it again with `npm start`\./);
  });

  it('says why when the browser shell cannot start at all', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-start-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs'), '--web'], { cwd: ROOT, env: webEnv(path.join(dir, 'not-a-folder', 'data'), await freePort()), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const end = await exited(child);
    expect(end.code).toBe(2);
    expect(out).toMatch(/\[puesta\] The browser shell stopped: exit code 2\. Its last error: cannot open the data in .*not-a-folder\/data: E[A-Z]+/);
  });
});

/**
 * The desktop path of `npm start`, with a stand-in executable where Electron's binary would be
 * (electron's own ELECTRON_OVERRIDE_DIST_PATH points its package at it). It records how it was
 * started, then exits with the code we choose.
 */
function fakeElectron(exitCode: number): { dist: string; record: string } {
  const dist = mkdtempSync(path.join(os.tmpdir(), 'puesta-fake-electron-'));
  dirs.push(dist);
  const record = path.join(dist, 'record.json');
  const bin = path.join(dist, 'electron');
  writeFileSync(
    bin,
    `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }));\nprocess.exit(${exitCode});\n`,
  );
  chmodSync(bin, 0o755);
  return { dist, record };
}

describe('npm start with an Electron binary', () => {
  it('launches `electron .` from the project root when a display is there, and exits with it', async () => {
    const { dist, record } = fakeElectron(0);
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dist, DISPLAY: ':99', PUESTA_NO_BUILD: '1', ELECTRON_RUN_AS_NODE: '1' };
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const { code } = await exited(child);
    expect(code).toBe(0);
    expect(out).not.toMatch(/running at|not installed/);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual({ argv: ['.'], cwd: ROOT, runAsNode: null });
  });

  it('falls back to the browser shell when Electron fails at start', async () => {
    const { dist, record } = fakeElectron(1);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-start-'));
    dirs.push(dataDir);
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dist, DISPLAY: ':99', PUESTA_NO_BUILD: '1', PUESTA_DATA_DIR: dataDir, PUESTA_PORT: String(port), PUESTA_TOKEN: 'fallback-token' };
    const s = await startScript([], env);
    children.push(s.child);
    expect(JSON.parse(readFileSync(record, 'utf8')).argv).toEqual(['.']); // Electron was tried first
    expect(s.output()).toMatch(/desktop window could not start \(Electron exited with 1\); starting Puesta in your browser/);
    expect(s.url).toBe(`http://127.0.0.1:${port}/?token=fallback-token`);
    const res = await fetch(`http://127.0.0.1:${port}/api/system.info`, { method: 'POST', headers: { Authorization: 'Bearer fallback-token' }, body: '{}' });
    expect(((await res.json()) as { value: { shell: string } }).value.shell).toBe('web');
    s.child.kill('SIGTERM');
    expect((await exited(s.child)).code).toBe(0);
  });
});
