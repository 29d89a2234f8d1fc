import { useEffect, useState } from 'react';

/**
 * Hash routing: `#/servers/12?tab=x`. Reload keeps the screen; no router dependency.
 * Routes are declared in ../routes.tsx.
 */
export interface Location {
  path: string;
  query: URLSearchParams;
}

export function currentLocation(): Location {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [p = '/', q = ''] = raw.split('?');
  return { path: p.startsWith('/') ? p : '/' + p, query: new URLSearchParams(q) };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const hash = '#' + (to.startsWith('/') ? to : '/' + to);
  if (opts.replace) window.history.replaceState(null, '', hash);
  else window.location.hash = hash;
  if (opts.replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(currentLocation);
  useEffect(() => {
    const on = () => setLoc(currentLocation());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return loc;
}

export { matchPath } from './match.js';

export const href = (to: string): string => '#' + to;
