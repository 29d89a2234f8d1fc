/**
 * The bundled main process (dist/electron/main.cjs as built by scripts/build.mjs) run under Node
 * with a stand-in for the `electron` module — there is no Electron binary on this machine.
 * What is real: the bundle, the core (SQLite through the nativeBinding path), the contract
 * dispatch, the protocol handler's file serving and the security wiring. What is a stand-in:
 * only Electron's API objects, which record what main asked of them.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleElectron } from '../../scripts/build.mjs';
import { METHOD_NAMES } from '../../shared/contract/index.js';
import type { Envelope } from '../../shared/errors.js';
import { CSP } from '../../shared/shell.js';
import { MIGRATIONS, ROOT } from '../helpers/core.js';

type Fn = (...args: never[]) => unknown;
const log: string[] = [];
const appListeners = new Map<string, Fn[]>();
const ipcHandlers = new Map<string, (event: unknown, input: unknown, callId?: string) => Promise<Envelope<unknown>>>();
const ipcListeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
const opened: string[] = [];
const openedPaths: string[] = [];
let menu: { label?: string; submenu?: { label?: string; click?: () => void }[] }[] = [];
let protocolHandler: ((req: Request) => Promise<Response>) | null = null;
let privileged: unknown = null;
let permissionRequest: ((wc: unknown, permission: string, cb: (ok: boolean) => void, details: { requestingUrl: string }) => void) | null = null;
let exitCode: number | null = null;
let webContentsId = 100;

class FakeWebContents {
  readonly id = ++webContentsId;
  url = '';
  sent: [string, unknown][] = [];
  listeners = new Map<string, Fn>();
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  getURL() {
    return this.url;
  }
  isDestroyed() {
    return false;
  }
  on(name: string, fn: Fn) {
    this.listeners.set(name, fn);
  }
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = fn;
  }
}

class FakeWindow {
  static all: FakeWindow[] = [];
  webContents = new FakeWebContents();
  constructor(readonly opts: { webPreferences: Record<string, unknown> } & Record<string, unknown>) {
    FakeWindow.all.push(this);
    log.push('BrowserWindow');
  }
  once() {}
  on() {}
  isDestroyed() {
    return false;
  }
  async loadURL(url: string) {
    this.webContents.url = url;
  }
}

const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x33));
const fakeElectron = {
  app: {
    isPackaged: false,
    getAppPath: () => appRoot,
    getPath: (name: string) => path.join(appRoot, 'userData-' + name),
    getName: () => 'Puesta',
    getVersion: () => '9.9.9',
    enableSandbox: () => void log.push('enableSandbox'),
    requestSingleInstanceLock: () => (log.push('singleInstanceLock'), true),
    whenReady: () => (log.push('whenReady'), Promise.resolve()),
    on: (name: string, fn: Fn) => void appListeners.set(name, [...(appListeners.get(name) ?? []), fn]),
    quit: () => void log.push('quit'),
    exit: (code: number) => void (exitCode = code),
  },
  BrowserWindow: FakeWindow,
  Menu: { buildFromTemplate: (t: typeof menu) => ((menu = t), { items: t }), setApplicationMenu: () => void log.push('menu') },
  dialog: { showErrorBox: (title: string, msg: string) => void log.push(`error: ${title}: ${msg}`) },
  shell: { openExternal: async (url: string) => void opened.push(url), openPath: async (p: string) => (openedPaths.push(p), '') },
  safeStorage: {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'basic_text',
    encryptString: (s: string) => xor(Buffer.from(s)),
    decryptString: (b: Buffer) => xor(b).toString(),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (fn: typeof permissionRequest) => void (permissionRequest = fn),
      setPermissionCheckHandler: () => {},
      webRequest: { onBeforeRequest: (filter: { urls: string[] }) => void log.push(`block ${filter.urls.join(' ')}`) },
    },
  },
  protocol: {
    registerSchemesAsPrivileged: (s: unknown) => void (log.push('registerScheme'), (privileged = s)),
    handle: (scheme: string, fn: (req: Request) => Promise<Response>) => void (log.push(`handle ${scheme}`), (protocolHandler = fn)),
  },
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, input: unknown, callId?: string) => Promise<Envelope<unknown>>) => void ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => void ipcHandlers.delete(channel),
    on: (channel: string, fn: (event: unknown, ...args: unknown[]) => void) => void ipcListeners.set(channel, fn),
    removeListener: (channel: string) => void ipcListeners.delete(channel),
  },
};

let appRoot = '';
let tmp = '';
let win: FakeWindow;
const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const originalLoad = loader._load;
const savedEnv = { ...process.env };

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'puesta-main-'));
  appRoot = path.join(tmp, 'app');
  mkdirSync(path.join(appRoot, 'dist', 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(appRoot, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Puesta</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(path.join(appRoot, 'dist', 'renderer', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(tmp, 'secret.txt'), 'top secret');
  symlinkSync(MIGRATIONS, path.join(appRoot, 'migrations'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(appRoot, 'node_modules'), 'dir'); // main.cjs requires its externals from there
  const out = await bundleElectron({ outdir: path.join(appRoot, 'dist', 'electron') });

  process.env.PUESTA_DATA_DIR = path.join(tmp, 'data');
  // Development path of native.ts, pointed at the Node build (the Electron one cannot be made here).
  process.env.PUESTA_SQLITE_BINDING = path.join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  loader._load = function (request, parent, isMain) {
    if (request === 'electron') return fakeElectron;
    return originalLoad.call(this, request, parent, isMain);
  };
  createRequire(import.meta.url)(out.main);
  for (let i = 0; i < 200 && FakeWindow.all.length === 0 && !log.some((l) => l.startsWith('error')); i++) await new Promise((r) => setTimeout(r, 10));
  expect(log.filter((l) => l.startsWith('error'))).toEqual([]);
  win = FakeWindow.all[0]!;
});

afterAll(async () => {
  loader._load = originalLoad;
  process.env = savedEnv;
  rmSync(tmp, { recursive: true, force: true });
});

const event = (url: string, id = win.webContents.id, isMain = true) => ({ sender: { id }, senderFrame: { url, parent: isMain ? null : {} } });
async function call(method: string, input: unknown, ev = event('app://puesta/index.html')) {
  const h = ipcHandlers.get(`puesta:call:${method}`);
  if (!h) throw new Error(`no handler for ${method}`);
  return h(ev, input);
}

describe('Electron main process (bundled main.cjs, stand-in Electron API)', () => {
  it('starts in the right order: sandbox and scheme before ready, then protocol, session, window', () => {
    const i = (s: string) => log.findIndex((l) => l.startsWith(s));
    expect(i('enableSandbox')).toBeGreaterThanOrEqual(0);
    expect(i('enableSandbox')).toBeLessThan(i('whenReady'));
    expect(i('singleInstanceLock')).toBeLessThan(i('whenReady'));
    expect(i('registerScheme')).toBeLessThan(i('whenReady'));
    expect(i('handle app')).toBeGreaterThan(i('whenReady'));
    expect(i('block')).toBeLessThan(i('BrowserWindow'));
    expect(privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(log.find((l) => l.startsWith('block'))).toMatch(/https:\/\/\*\/\*/);
  });

  it('opens one window with the security checklist settings on app://puesta', () => {
    expect(FakeWindow.all).toHaveLength(1);
    expect(win.opts.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false, webviewTag: false });
    expect(win.opts.webPreferences.preload).toBe(path.join(appRoot, 'dist', 'electron', 'preload.cjs'));
    expect(win.opts).toMatchObject({ width: 1280, height: 800, minWidth: 1024, minHeight: 700, title: 'Puesta' });
    expect(win.webContents.url).toBe('app://puesta/index.html');
  });

  it('serves the renderer over app:// with the CSP, and nothing outside it', async () => {
    const res = await protocolHandler!(new Request('app://puesta/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('<title>Puesta</title>');
    const js = await protocolHandler!(new Request('app://puesta/assets/app.js'));
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    for (const u of ['app://puesta/..%2f..%2fsecret.txt', 'app://puesta/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt', 'app://evil/index.html']) {
      const r = await protocolHandler!(new Request(u));
      expect(r.status).toBe(403);
      expect(await r.text()).not.toContain('top secret');
    }
    expect((await protocolHandler!(new Request('app://puesta/assets/nope.js'))).status).toBe(404);
    expect((await protocolHandler!(new Request('app://puesta/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('binds every contract method and answers system.info from a real core', async () => {
    for (const m of METHOD_NAMES) expect(ipcHandlers.has(`puesta:call:${m}`)).toBe(true);
    const r = await call('system.info', {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ shell: 'electron', version: '9.9.9', dataDir: path.join(tmp, 'data'), secretStore: { kind: 'safeStorage:basic_text', secure: false } });
    expect((r.value as { secretStore: { warning: string } }).secretStore.warning).toMatch(/keyring/i);
  });

  it('refuses calls from other senders before any handler runs', async () => {
    for (const ev of [event('https://evil.example/'), event('file:///tmp/x.html'), event('app://puesta.evil/'), event('app://puesta/index.html', 999), event('app://puesta/index.html', undefined, false), { sender: { id: win.webContents.id }, senderFrame: null }]) {
      const r = await call('settings.setOperator', { name: 'mallory' }, ev as ReturnType<typeof event>);
      expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const info = await call('system.info', {});
    expect(info.ok && (info.value as { operator: string }).operator).not.toBe('mallory');
    expect(await call('settings.setOperator', { name: 'ana' })).toEqual({ ok: true, value: { operator: 'ana' } });
    expect(await call('settings.setOperator', { bogus: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('takes calls that carry a cancel id, and listens for cancels only from its own window', async () => {
    const senderEvents: string[] = [];
    const ev = { ...event('app://puesta/index.html'), sender: { id: win.webContents.id, on: (name: string) => void senderEvents.push(name) } };
    const h = ipcHandlers.get('puesta:call:system.info')!;
    const r = await h(ev, {}, 'c1');
    expect(r.ok).toBe(true);
    // The page going away aborts its calls, like a closed HTTP request in the browser shell.
    expect(senderEvents.sort()).toEqual(['destroyed', 'did-start-navigation', 'render-process-gone']);
    const cancel = ipcListeners.get('puesta:cancel');
    expect(cancel).toBeTypeOf('function');
    expect(() => cancel!(event('https://evil.example/'), 'c1')).not.toThrow();
    expect(() => cancel!(ev, 'unknown-id')).not.toThrow();
  });

  it('forwards core events to the window', async () => {
    const before = win.webContents.sent.length;
    const r = await call('environments.create', { name: 'staging', colour: '#16a34a', confirmRuns: false });
    expect(r.ok).toBe(true);
    const sent = win.webContents.sent.slice(before);
    expect(sent).toContainEqual(['puesta:event:inventory.changed', expect.objectContaining({ entity: expect.any(String), action: 'create' })]);
  });

  it('denies navigation, new windows, webviews and permissions', () => {
    const contents = new FakeWebContents();
    for (const fn of appListeners.get('web-contents-created') ?? []) (fn as (e: unknown, c: FakeWebContents) => void)({}, contents);
    let prevented = 0;
    const nav = contents.listeners.get('will-navigate') as unknown as (e: { url: string; preventDefault(): void }) => void;
    nav({ url: 'https://docs.example.com/x', preventDefault: () => prevented++ });
    nav({ url: 'file:///etc/passwd', preventDefault: () => prevented++ });
    nav({ url: 'app://puesta/index.html#/runs', preventDefault: () => prevented++ });
    expect(prevented).toBe(2);
    expect(contents.windowOpenHandler!({ url: 'https://example.com/help' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://docs.example.com/x', 'https://example.com/help']);
    let webview = 0;
    (contents.listeners.get('will-attach-webview') as unknown as (e: { preventDefault(): void }) => void)({ preventDefault: () => webview++ });
    expect(webview).toBe(1);
    const answers: boolean[] = [];
    permissionRequest!({}, 'media', (ok) => answers.push(ok), { requestingUrl: 'app://puesta/index.html' });
    permissionRequest!({}, 'clipboard-sanitized-write', (ok) => answers.push(ok), { requestingUrl: 'app://puesta/index.html' });
    expect(answers).toEqual([false, true]);
  });

  it('has a menu whose File → Open Data Folder opens the data folder', () => {
    expect(log).toContain('menu');
    const item = menu.find((m) => m.label === '&File')?.submenu?.find((i) => i.label === 'Open Data Folder');
    expect(item).toBeDefined();
    item!.click!();
    expect(openedPaths).toEqual([path.join(tmp, 'data')]);
    const view = menu.find((m) => m.label === '&View')?.submenu as { role?: string }[];
    expect(view.map((i) => i.role)).toContain('toggleDevTools'); // not packaged
  });

  it('closes the core and exits cleanly on quit', async () => {
    let prevented = 0;
    for (const fn of appListeners.get('will-quit') ?? []) (fn as (e: { preventDefault(): void }) => void)({ preventDefault: () => prevented++ });
    for (let i = 0; i < 200 && exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(prevented).toBe(1);
    expect(exitCode).toBe(0);
    expect(ipcHandlers.size).toBe(0); // handlers removed before the core closed
  });
});
