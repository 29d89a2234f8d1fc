import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { menuTemplate } from '../../electron/main/menu.js';
import { APP_ENTRY_URL, isExternalHttpUrl, isTrustedSender, permissionAllowed, resolveAppRequest, senderProblem } from '../../electron/main/security.js';

describe('isTrustedSender (IPC sender / navigation check)', () => {
  it('accepts our own pages', () => {
    expect(isTrustedSender(APP_ENTRY_URL)).toBe(true);
    expect(isTrustedSender('app://puesta/')).toBe(true);
    expect(isTrustedSender('app://puesta')).toBe(true);
    expect(isTrustedSender('app://PUESTA/index.html#/runs/3?x=1')).toBe(true);
  });

  it.each([
    'file:///work/main/dist/renderer/index.html',
    'https://evil.example/index.html',
    'http://127.0.0.1:8080/',
    'http://puesta/',
    'app://evil/index.html',
    'app://puesta.evil/index.html',
    'app://evil.puesta/index.html',
    'app://puesta:8080/index.html',
    'app://user@puesta/index.html',
    'app://puesta@evil/index.html',
    'app://user:pw@puesta/',
    'apps://puesta/index.html',
    'data:text/html,<script>alert(1)</script>',
    'about:blank',
    'blob:app://puesta/123',
    'javascript:alert(1)',
    'chrome://settings',
    'devtools://devtools/bundled/inspector.html',
    '',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isTrustedSender(url)).toBe(false);
  });

  it('refuses missing URLs', () => {
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('senderProblem (every IPC call)', () => {
  const win = { destroyed: false, webContentsId: 7 };
  const main = (url: string) => ({ webContentsId: 7, frame: { url, isMainFrame: true } });

  it('lets our window\'s main frame through', () => {
    expect(senderProblem(main('app://puesta/index.html'), win)).toBeNull();
  });

  it('refuses other windows, subframes, dead frames, foreign pages and a closed window', () => {
    expect(senderProblem({ webContentsId: 8, frame: { url: 'app://puesta/index.html', isMainFrame: true } }, win)).toMatch(/another window/);
    expect(senderProblem({ webContentsId: 7, frame: { url: 'app://puesta/index.html', isMainFrame: false } }, win)).toMatch(/embedded frame/);
    expect(senderProblem({ webContentsId: 7, frame: null }, win)).toMatch(/destroyed/);
    for (const u of ['https://evil.example/', 'file:///tmp/x.html', 'app://evil/', 'app://puesta.evil/', 'data:text/html,x', 'about:blank', '']) {
      expect(senderProblem(main(u), win)).toMatch(/came from/);
    }
    expect(senderProblem(main('app://puesta/'), null)).toMatch(/gone/);
    expect(senderProblem(main('app://puesta/'), { destroyed: true, webContentsId: 7 })).toMatch(/gone/);
  });
});

describe('resolveAppRequest (app:// protocol → dist/renderer)', () => {
  const root = path.resolve('/srv/puesta/dist/renderer');
  const files = new Set([path.join(root, 'index.html'), path.join(root, 'assets', 'index-abc.js'), path.join(root, 'assets', 'a b.css')]);
  const exists = (f: string) => files.has(f);

  it('serves files of the renderer with their MIME type', () => {
    expect(resolveAppRequest('app://puesta/index.html', root, exists)).toEqual({ ok: true, file: path.join(root, 'index.html'), mime: 'text/html; charset=utf-8', spaFallback: false });
    expect(resolveAppRequest('app://puesta/', root, exists)).toMatchObject({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppRequest('app://puesta/assets/index-abc.js?v=1', root, exists)).toMatchObject({ ok: true, file: path.join(root, 'assets', 'index-abc.js'), mime: 'text/javascript; charset=utf-8' });
    expect(resolveAppRequest('app://puesta/assets/a%20b.css', root, exists)).toMatchObject({ ok: true, file: path.join(root, 'assets', 'a b.css') });
  });

  it('falls back to index.html for client-side routes, 404s for missing assets', () => {
    expect(resolveAppRequest('app://puesta/runs/12', root, exists)).toMatchObject({ ok: true, file: path.join(root, 'index.html'), spaFallback: true });
    expect(resolveAppRequest('app://puesta/assets/missing.js', root, exists)).toMatchObject({ ok: false, status: 404 });
  });

  it.each([
    'app://puesta/..%2f..%2fetc/passwd',
    'app://puesta/assets/..%2F..%2F..%2Fetc%2Fpasswd',
    'app://puesta/assets/%2E%2E%2Fsecret.key',
    'app://puesta/..%5c..%5cwindows%5cwin.ini',
    'app://puesta/assets\\..\\..\\x.js',
    'app://puesta/index.html%00.png',
    'app://puesta/%E0%A4%A',
    'app://puesta/C:/Windows/win.ini',
    'app://evil/index.html',
    'app://puesta.evil/index.html',
    'app://x@puesta/index.html',
    'file:///etc/passwd',
  ])('refuses %s with 403', (url) => {
    expect(resolveAppRequest(url, root, () => true)).toMatchObject({ ok: false, status: 403 });
  });

  it.each(['app://puesta/../../etc/passwd', 'app://puesta/%2e%2e/%2e%2e/etc/passwd', 'app://puesta//etc/passwd', 'app://puesta/assets/../../../etc/passwd'])(
    'keeps %s inside the renderer folder (the URL parser drops the dot segments)',
    (url) => {
      const r = resolveAppRequest(url, root, () => true);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.file).toBe(path.join(root, 'etc', 'passwd'));
    },
  );

  it('never resolves outside the root, whatever the URL', () => {
    const hostile = ['..', '%2e%2e', '%2E%2e', '..%2f', '%2e%2e%2f', '.%2e', '..\\', '%c0%ae%c0%ae', '...', '.../..'];
    for (const a of hostile) {
      for (const b of hostile) {
        const r = resolveAppRequest(`app://puesta/${a}/${b}/etc/passwd`, root, () => true);
        if (r.ok) expect(r.file.startsWith(root + path.sep)).toBe(true);
      }
    }
  });
});

describe('external links and permissions', () => {
  it('only plain http(s) links leave the app', () => {
    expect(isExternalHttpUrl('https://docs.example.com/x')).toBe(true);
    expect(isExternalHttpUrl('http://intranet/wiki')).toBe(true);
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://share/x', 'ms-msdt:/id', 'app://puesta/', 'https://user:pw@example.com/', 'data:text/html,x', '']) {
      expect(isExternalHttpUrl(u)).toBe(false);
    }
  });

  it('refuses every permission except clipboard writes from our page', () => {
    expect(permissionAllowed('clipboard-sanitized-write', 'app://puesta/index.html')).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'app://puesta')).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'usb', 'serial']) {
      expect(permissionAllowed(p, 'app://puesta/index.html')).toBe(false);
    }
  });
});

describe('menu', () => {
  const roles = (t: ReturnType<typeof menuTemplate>): string[] =>
    t.flatMap((m) => [m.role ?? '', ...(Array.isArray(m.submenu) ? m.submenu.map((s) => s.role ?? '') : [])]).filter(Boolean);

  it('has the usual roles, devtools only in development', () => {
    const dev = roles(menuTemplate('linux', { devTools: true }));
    for (const r of ['quit', 'undo', 'redo', 'cut', 'copy', 'paste', 'selectAll', 'reload', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen', 'minimize']) expect(dev).toContain(r);
    expect(dev).toContain('toggleDevTools');
    expect(roles(menuTemplate('linux', { devTools: false }))).not.toContain('toggleDevTools');
  });

  it('follows macOS conventions on darwin', () => {
    const mac = menuTemplate('darwin', { devTools: false, productName: 'Puesta' });
    expect(mac[0]?.label).toBe('Puesta');
    expect(roles(mac)).toEqual(expect.arrayContaining(['about', 'hide', 'quit', 'close', 'front']));
  });
});
