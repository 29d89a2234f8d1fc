/**
 * Shared parts of the provisioning builders (Kamal-style: they only BUILD shell scripts).
 *
 * Every builder returns a `Built` script: POSIX sh, `set -eu`, every inventory value quoted by
 * THE quoting function (`shq` / `sh`), file contents carried as quoted data (never heredocs that a
 * value could end early), and a last line `PUESTA_RESULT changed|unchanged` so a re-run reports
 * "already in place". Scripts write only the paths listed in `touches`.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { PuestaError } from '../../../shared/errors.js';
import { shq } from '../ssh/quote.js';

export interface Built {
  title: string;
  script: string;
  /** A read-only script whose exit status 0 means "in place" (optional). */
  checkScript?: string;
  /** Every path the script may create or change (files and folders), for the plan. */
  touches: string[];
}

export type ProvisionResult = 'changed' | 'unchanged';

/** Where things live on a host. Defaults are Debian's; tests point them at private copies. */
export interface ProvisionPaths {
  logrotateDir: string;
  cronDir: string;
  systemdUnitDir: string;
  supervisorConfDir: string;
  /** The supervisorctl command as words, e.g. ['supervisorctl'] or ['supervisorctl', '-c', '/tmp/x/supervisord.conf']. */
  supervisorctl: string[];
  /** The logrotate state file used by `logrotate -d` validation (default: the system's). */
  logrotateState?: string;
}

export const DEFAULT_PATHS: ProvisionPaths = {
  logrotateDir: '/etc/logrotate.d',
  cronDir: '/etc/cron.d',
  systemdUnitDir: '/etc/systemd/system',
  supervisorConfDir: '/etc/supervisor/conf.d',
  supervisorctl: ['supervisorctl'],
};

/** How a script reaches PostgreSQL as a superuser on the host. */
export interface PostgresAccess {
  /** OS user psql runs as (via runuser when the script runs as root); null = the current user. */
  runAs: string | null;
  superuser: string;
  /** Socket folder or host name; null = libpq's default socket. */
  host: string | null;
  port: number | null;
}

export const DEFAULT_POSTGRES: PostgresAccess = { runAs: 'postgres', superuser: 'postgres', host: null, port: null };

export interface DatabaseTarget extends PostgresAccess {
  role: string;
  database: string;
}

// ------------------------------------------------------------------ safety of values

/**
 * Paths and names end up in config files (systemd units, supervisor INI, logrotate, cron), each
 * with its own quoting rules and some (cron) treating % specially. Rather than quote for each,
 * provisioning accepts only a plain path alphabet and says so.
 */
const SAFE_PATH = /^[A-Za-z0-9._/@+-]+$/;

export function assertSafePath(p: string, what: string): string {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..')) {
    throw new PuestaError(
      'INVALID_INPUT',
      `The ${what} "${p}" cannot be provisioned: use only letters, digits and . _ / @ + - (no spaces, quotes, % or ..). Rename it in the inventory and try again.`,
      { field: what, value: p },
    );
  }
  return p;
}

const UNIX_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
export function assertUnixName(n: string, what: string): string {
  if (!UNIX_NAME.test(n)) throw new PuestaError('INVALID_INPUT', `The ${what} "${n}" is not a Unix name: use lower-case letters, digits, _ or -.`, { field: what, value: n });
  return n;
}

/** The name Puesta gives the application's units, programs and files: `puesta-<slug>-…`. */
export function appSlug(app: Pick<Application, 'name' | 'id'>): string {
  const s = app.name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || `app-${app.id}`;
}

/** A checked view of the application with every path it uses. */
export interface AppLayout {
  slug: string;
  user: string;
  group: string;
  base: string;
  releases: string;
  shared: string;
  logs: string;
  bin: string;
  current: string;
  sharedDirs: string[];
  sharedFiles: string[];
}

export function layoutOf(app: Application, group?: string): AppLayout {
  const base = assertSafePath(app.basePath.replace(/\/+$/, ''), 'base path');
  if (base === '' || base === '/') throw new PuestaError('INVALID_INPUT', 'The base path cannot be /: give the application its own folder, e.g. /srv/shop.');
  const user = assertUnixName(app.runtimeUser, 'runtime user');
  return {
    slug: appSlug(app),
    user,
    group: assertUnixName(group ?? user, 'runtime group'),
    base,
    releases: `${base}/releases`,
    shared: `${base}/shared`,
    logs: `${base}/logs`,
    bin: `${base}/bin`,
    current: `${base}/current`,
    sharedDirs: app.sharedDirs.map((d) => assertSafePath(d.replace(/\/+$/, ''), 'shared folder')),
    sharedFiles: app.sharedFiles.map((f) => assertSafePath(f, 'shared file')),
  };
}

/** Service commands go into a wrapper file as data; only NUL is impossible there. */
export function assertCommand(cmd: string, what: string): string {
  if (cmd.includes('\0')) throw new PuestaError('INVALID_INPUT', `The ${what} contains a NUL byte; remove it.`);
  return cmd;
}

// ------------------------------------------------------------------ script frame

/**
 * Shell functions every script starts with:
 *  - note/changed: report progress; changed marks the result;
 *  - fix_attrs PATH MODE USER:GROUP: mode/owner converge (only when different);
 *  - ensure_dir PATH MODE USER:GROUP;
 *  - put_file PATH MODE USER:GROUP CONTENT: writes atomically only when the content differs;
 *    sets PUESTA_WROTE=1 when it wrote;
 *  - remove_file PATH.
 */
const PRELUDE = `set -eu
umask 022
PUESTA_CHANGED=0
PUESTA_WROTE=0
note() { printf '%s\\n' "in place: $*"; }
changed() { PUESTA_CHANGED=1; printf '%s\\n' "changed: $*"; }
fix_attrs() {
  _want="$2 $3"
  _have=$(stat -c '%a %U:%G' -- "$1")
  if [ "$_have" != "$_want" ]; then chown -h -- "$3" "$1"; chmod -- "$2" "$1"; changed "$1 owner/mode $_have -> $_want"; fi
}
ensure_dir() {
  if [ -L "$1" ]; then echo "$1 is a symbolic link; Puesta expects a folder there and changes nothing." >&2; exit 1; fi
  if [ -d "$1" ]; then fix_attrs "$1" "$2" "$3"
  else install -d -m "$2" -o "\${3%%:*}" -g "\${3#*:}" -- "$1"; changed "$1 created"; fi
}
put_file() {
  PUESTA_WROTE=0
  if [ -f "$1" ] && [ ! -L "$1" ] && printf '%s' "$4" | cmp -s - "$1"; then fix_attrs "$1" "$2" "$3"; return 0; fi
  _tmp="$1.puesta-tmp.$$"
  printf '%s' "$4" > "$_tmp"
  chown -- "$3" "$_tmp"; chmod -- "$2" "$_tmp"
  mv -f -- "$_tmp" "$1"
  PUESTA_WROTE=1
  changed "$1 written"
}
remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then rm -f -- "$1"; changed "$1 removed"; fi
}
`;

const EPILOGUE = `if [ "$PUESTA_CHANGED" = 1 ]; then echo 'PUESTA_RESULT changed'; else echo 'PUESTA_RESULT unchanged'; fi
`;

/** Wraps a body in the prelude and the result line. */
export function frame(body: string): string {
  return PRELUDE + body.replace(/\n*$/, '\n') + EPILOGUE;
}

/** The result a script reported (its last PUESTA_RESULT line), or null. */
export function parseResult(stdout: string): ProvisionResult | null {
  const m = [...stdout.matchAll(/^PUESTA_RESULT (changed|unchanged)\s*$/gm)];
  return (m.at(-1)?.[1] as ProvisionResult | undefined) ?? null;
}

/** `put_file` call for content known at build time. */
export function putFile(path: string, mode: string, owner: string, content: string): string {
  return `put_file ${shq(path)} ${shq(mode)} ${shq(owner)} ${shq(content)}`;
}

/** A shell test for "the host runs systemd as PID 1". */
export const IS_SYSTEMD = `[ "$(ps -p 1 -o comm= 2>/dev/null || cat /proc/1/comm 2>/dev/null)" = systemd ]`;

/** libpq connection words (-h, -p) for a PostgreSQL access. */
export function pgConnWords(pg: PostgresAccess): string[] {
  const conn: string[] = [];
  if (pg.host) conn.push('-h', assertSafePath(pg.host, 'PostgreSQL host or socket folder'));
  if (pg.port) conn.push('-p', String(pg.port));
  return conn;
}

/**
 * Shell functions for PostgreSQL: `pg_run CMD…` runs a client as the PostgreSQL OS user (runuser
 * when we are someone else), `pg_sql ARGS…` is psql as the superuser, quiet, unaligned, stopping
 * at the first error. Connection values are quoted; no password is ever on a command line.
 */
export function pgFunctions(pg: PostgresAccess): string {
  const conn = pgConnWords(pg);
  const runAs = pg.runAs ? assertUnixName(pg.runAs, 'PostgreSQL OS user') : null;
  const run = runAs
    ? `pg_run() { if [ "$(id -un)" = ${shq(runAs)} ]; then "$@"; else runuser -u ${shq(runAs)} -- "$@"; fi; }`
    : `pg_run() { "$@"; }`;
  const connWords = conn.map(shq).join(' ');
  return `${run}
pg_sql() { pg_run psql -X -q -At -v ON_ERROR_STOP=1 ${connWords} -U ${shq(assertUnixName(pg.superuser, 'PostgreSQL superuser'))} "$@"; }
`;
}
