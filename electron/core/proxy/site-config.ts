/**
 * The nginx site Puesta writes for an application (pure builders: text in, text out; the install
 * step writes it, `nginx -t`, reloads once). Everything that changes later — the live slot, a
 * suspension, the suspension's page and its Retry-After — changes through files and symlinks
 * under `<base>/run/`, never through this config, so no later change needs a reload (an nginx
 * reload before 1.27.4 resets busy keep-alive connections of every site on that nginx).
 *
 *   location ^~ /.well-known/acme-challenge/   files under <base>/acme (certbot --webroot -w <base>/acme):
 *                                              answers in every state, so certificates keep renewing
 *   location /                                 proxy_pass to <base>/run/live.sock, a symlink:
 *                                                blue.sock | green.sock   blue-green slots (proxy/commands.ts)
 *                                                app.sock                 symlink strategy: the app's socket, or the
 *                                                                         bridge below to the app's TCP address
 *                                                suspended.sock           a suspension (suspension/commands.ts)
 *   server unix:<base>/run/suspended.sock      the suspended responder: 503, Retry-After, the page
 *
 * The responder's page is `<base>/run/suspension/page/index.html`, where `page` is a symlink to
 * `pages/<name>-retry-<seconds>`: the Retry-After value is read from that directory's real name
 * (`$realpath_root`, resolved on each request), so the page and its Retry-After change with one
 * atomic `mv -T` of the `page` link. nginx creates the unix listening sockets itself, mode 0666.
 */
import { PuestaError } from '../../../shared/errors.js';

export interface SiteOptions {
  /** The application's name: names the map variable (map names are global to nginx's http block). */
  appName: string;
  /** The application's base folder on the host (`<base>/run/…`, `<base>/acme`). */
  base: string;
  /** nginx `listen` values, e.g. `80`, `[::]:80`, `127.0.0.2:8080`. */
  listen: string[];
  /** server_name values (empty: `_`). */
  serverNames: string[];
  /**
   * Symlink strategy only: where the application answers. `socket` — it listens on
   * `<base>/run/app.sock` itself; an address (`127.0.0.1:3000`) — nginx bridges `app.sock` to it.
   * Blue-green / A/B applications leave it out (their slots listen on blue.sock / green.sock).
   */
  app?: 'socket' | { address: string } | undefined;
}

/** Paths on the host, all under `<base>/run` and `<base>/acme`. */
export function sitePaths(base: string): {
  run: string;
  live: string;
  suspended: string;
  app: string;
  suspension: string;
  page: string;
  acmeRoot: string;
  acmeDir: string;
} {
  const b = base.replace(/\/+$/, '');
  const run = `${b}/run`;
  return {
    run,
    live: `${run}/live.sock`,
    suspended: `${run}/suspended.sock`,
    app: `${run}/app.sock`,
    suspension: `${run}/suspension`,
    page: `${run}/suspension/page`,
    acmeRoot: `${b}/acme`,
    acmeDir: `${b}/acme/.well-known/acme-challenge`,
  };
}

/** The responder's default Retry-After (seconds) while its page link is missing or unnamed. */
export const DEFAULT_RETRY_AFTER = 3600;

/** The directory name (under pages/) that carries a suspension page and its Retry-After. */
export function pageDirName(name: string, retryAfterSeconds: number): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new PuestaError('INVALID_INPUT', `Not a page name: ${name}`);
  return `${name}-retry-${Math.max(0, Math.floor(retryAfterSeconds))}`;
}

// nginx strings are quoted with double quotes here; a path or name that needs escaping is refused.
function word(what: string, v: string, re: RegExp): string {
  if (!re.test(v)) throw new PuestaError('INVALID_INPUT', `${what} cannot go into an nginx config: ${JSON.stringify(v)}`);
  return v;
}
const PATH = /^\/[A-Za-z0-9_./-]{1,400}$/;
const LISTEN = /^[A-Za-z0-9_.:[\]]{1,100}$/;
const SERVER_NAME = /^[A-Za-z0-9_.*~-]{1,253}$/;
const ADDRESS = /^[A-Za-z0-9_.[\]-]{1,253}:[0-9]{1,5}$/;

/** The map variable's name for an application (`$puesta_retry_<slug>`). */
export function retryVariable(appName: string): string {
  const slug = appName.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'app';
  return `$puesta_retry_${slug}`;
}

/** The whole site file (a `sites-enabled` include: http context). */
export function siteConfig(o: SiteOptions): string {
  const base = word('The base folder', o.base.replace(/\/+$/, ''), PATH);
  const p = sitePaths(base);
  const listen = o.listen.map((l) => word('A listen value', l, LISTEN));
  if (!listen.length) throw new PuestaError('INVALID_INPUT', 'The site needs at least one listen value.');
  const names = o.serverNames.map((n) => word('A server name', n, SERVER_NAME));
  const retry = retryVariable(o.appName);
  const bridge =
    o.app && o.app !== 'socket'
      ? `
# The application's own answer when it listens on TCP: live.sock -> app.sock -> here -> the app.
server {
    listen unix:${p.app};
    location / {
        proxy_pass http://${word('The application address', o.app.address, ADDRESS)};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $http_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
    }
}
`
      : '';
  return `# Written by Puesta for ${o.appName.replace(/[\r\n]/g, ' ')}. Do not edit: the install step rewrites it.
# Switches (slots, suspension) swap ${p.live}; they never reload nginx.

# The suspension's Retry-After, read from the real name of its page directory (…-retry-<seconds>).
map $realpath_root ${retry} {
    "~-retry-(?<seconds>[0-9]+)$" $seconds;
    default ${DEFAULT_RETRY_AFTER};
}

server {
${listen.map((l) => `    listen ${l};`).join('\n')}
    server_name ${names.length ? names.join(' ') : '_'};

    # Certificates renew in every state (live, switching, suspended).
    location ^~ /.well-known/acme-challenge/ {
        root ${p.acmeRoot};
        default_type text/plain;
        try_files $uri =404;
    }

    # No upstream keepalive pool may point at live.sock: each request connects to where it points now.
    location / {
        proxy_pass http://unix:${p.live}:;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
    }
}

# The suspended responder: every request gets 503, Retry-After and the suspension's page.
server {
    listen unix:${p.suspended};
    root ${p.page};
    error_page 503 /index.html;
    location / {
        return 503;
    }
    location = /index.html {
        internal;
        default_type text/html;
        charset utf-8;
        add_header Retry-After ${retry} always;
        add_header Cache-Control "no-store" always;
    }
}
${bridge}`;
}
