import { useEffect, useState } from 'react';
import { useApiQuery } from './api/queries.js';
import { Icon } from './components/Icon.js';
import { Kbd } from './components/Bits.js';
import { CommandPalette } from './components/CommandPalette.js';
import { useHotkey } from './lib/hooks.js';
import { href, matchPath, useLocation } from './lib/router.js';
import { NAV_GROUPS, ROUTES } from './routes.js';

function Sidebar({ path }: { path: string }) {
  const info = useApiQuery('system.info', {});
  const section = '/' + (path.split('/')[1] ?? '');
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">P</span>
        <span className="brand-name">Puesta</span>
        {info.data && <span className="brand-version">v{info.data.version}</span>}
      </div>
      {NAV_GROUPS.map((g) => {
        const items = ROUTES.filter((r) => r.nav && r.nav.group === g);
        if (!items.length) return null;
        return (
          <div className="nav-group" key={g || 'top'}>
            {g && <div className="nav-title">{g}</div>}
            {items.map((r) => {
              const active = r.path === '/' ? path === '/' : section === r.path || (r.nav!.also ?? []).includes(section);
              return (
                <a key={r.path} href={href(r.path)} className={'nav-item' + (active ? ' active' : '')} aria-current={active ? 'page' : undefined}>
                  <Icon name={r.nav!.icon} />
                  <span>{r.nav!.label}</span>
                </a>
              );
            })}
          </div>
        );
      })}
      <div className="sidebar-foot">
        {info.data && (
          <a href={href('/settings')} className="operator" title="Operator name written to the audit log">
            <span className="avatar">{info.data.operator.slice(0, 1).toUpperCase()}</span>
            <span>{info.data.operator}</span>
          </a>
        )}
      </div>
    </nav>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <div className="page">
      <div className="empty">
        <h2>Nothing here</h2>
        <p>
          There is no screen at <code>{path}</code>. <a href={href('/')}>Go to Today</a>.
        </p>
      </div>
    </div>
  );
}

export function App() {
  const loc = useLocation();
  const [palette, setPalette] = useState(false);
  useHotkey('k', () => setPalette((p) => !p));
  let screen: React.ReactNode = null;
  for (const r of ROUTES) {
    const params = matchPath(r.path, loc.path);
    if (params) {
      screen = r.render(params);
      break;
    }
  }
  useEffect(() => {
    document.querySelector('.main')?.scrollTo(0, 0);
  }, [loc.path]);
  return (
    <div className="shell">
      <Sidebar path={loc.path} />
      <div className="main-col">
        <header className="topbar">
          <button className="search-trigger" onClick={() => setPalette(true)} data-testid="open-palette">
            <Icon name="search" />
            <span>Search servers, applications, customers…</span>
            <Kbd>Ctrl K</Kbd>
          </button>
        </header>
        <main className="main" key={loc.path}>
          {screen ?? <NotFound path={loc.path} />}
        </main>
      </div>
      {palette && <CommandPalette onClose={() => setPalette(false)} />}
    </div>
  );
}
