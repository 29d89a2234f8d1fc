/**
 * Statistics: ONE read-only command collecting load, uptime, memory, disk (of the base path),
 * the state of every service instance (from the host's service manager) and the health endpoint
 * (curl from the host itself), printed as one JSON line `PUESTA_STATS {…}`; `parseStats` turns it
 * into typed stats. The monitoring step installs the same collector as <base>/bin/stats.sh (root
 * owned) and runs it once, so an operator on the host sees what Puesta sees.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { CollectedStats } from '../../../shared/contract/provision.js';
import { PuestaError } from '../../../shared/errors.js';
import { shq } from '../ssh/quote.js';
import { DEFAULT_PATHS, frame, layoutOf, putFile, type Built, type ProvisionPaths } from './common.js';
import { serviceStatusScript, type ServicesOptions } from './services/index.js';

const HOST_VAR = /\{\{\s*host\.address\s*\}\}/g;
const HOST_MARK = '@PUESTA_HOST@';

/**
 * The line that tells the collector which address Puesta reaches this host by: a health URL may
 * use `{{host.address}}` (as the checklist's health check does); the collector puts
 * $PUESTA_HOST_ADDRESS there (localhost when unset, e.g. stats.sh run by hand on the host).
 */
export function hostAddressLine(address: string): string {
  return `PUESTA_HOST_ADDRESS=${shq(address)}; export PUESTA_HOST_ADDRESS\n`;
}

/** The health URL as seen for one host (`{{host.address}}` filled in). */
export function healthUrlFor(url: string | null, address: string): string | null {
  return url === null ? null : url.replace(HOST_VAR, address);
}

/** The URL the host checks: monitoring.healthUrl, else an http health check's target. */
export function healthUrlOf(app: Application): string | null {
  const u = app.monitoring.healthUrl.trim() || (app.healthCheck.kind === 'http' ? app.healthCheck.target.trim() : '');
  if (!u) return null;
  if (!/^https?:\/\/[^\s]+$/.test(u)) throw new PuestaError('INVALID_INPUT', `The health URL "${u}" must start with http:// or https:// and contain no spaces.`);
  return u;
}

/**
 * The collector. Without an application: host stats only (disk of /). With one: its services and
 * health too. Needs root for the service manager's status (run it with sudo).
 */
export function statsScript(app: Application | null, opts: ServicesOptions = {}): string {
  const l = app ? layoutOf(app, opts.group) : null;
  const url = app ? healthUrlOf(app) : null;
  const timeout = app ? Math.min(app.healthCheck.timeoutSeconds, 30) : 10;
  const diskPath = l?.base ?? '/';
  const status = app && app.services.length ? serviceStatusScript(app, { ...opts, paths: opts.paths ?? DEFAULT_PATHS }) : 'true';
  const expect = app?.healthCheck.expectStatus ?? 200;
  return `set -u
read _l1 _l5 _l15 _rest < /proc/loadavg
_up=$(cut -d' ' -f1 /proc/uptime)
_mt=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)
_ma=$(awk '/^MemAvailable:/{print $2}' /proc/meminfo)
_dp=${shq(diskPath)}
[ -e "$_dp" ] || _dp=/
set -- $(df -Pk "$_dp" | awk 'NR==2{print $2, $3, $4}')
_dt=\${1:-0}; _du=\${2:-0}; _da=\${3:-0}
_svc=$( { ${status}; } 2>/dev/null | awk 'BEGIN{ORS=""; n=0} /^PUESTA_SERVICE /{ if (n++) print ","; printf "{\\"name\\":\\"%s\\",\\"expected\\":%d,\\"running\\":%d}", $2, $3, $4 }')
${
  url
    ? `_url=${shq(url.replace(HOST_VAR, HOST_MARK))}
while :; do case "$_url" in *${HOST_MARK}*) _url="\${_url%%${HOST_MARK}*}\${PUESTA_HOST_ADDRESS:-localhost}\${_url#*${HOST_MARK}}" ;; *) break ;; esac; done
_h=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time ${timeout} -- "$_url" 2>/dev/null || true)
_hc=$(printf '%s' "\${_h%% *}" | sed 's/^0*//'); _hc=\${_hc:-0}
_ht=\${_h#* }; case "$_ht" in ''|*[!0-9.]*) _ht=null ;; esac
command -v curl >/dev/null 2>&1 || { _hc=0; _ht=null; }
_health="{\\"status\\":$_hc,\\"seconds\\":$_ht,\\"ok\\":$([ "$_hc" = ${expect} ] && echo true || echo false)}"`
    : '_health=null'
}
printf 'PUESTA_STATS {"load":[%s,%s,%s],"uptimeSeconds":%s,"memory":{"totalKb":%s,"availableKb":%s},"disk":{"path":"%s","totalKb":%s,"usedKb":%s,"availableKb":%s},"services":[%s],"health":%s}\\n' "$_l1" "$_l5" "$_l15" "$_up" "\${_mt:-0}" "\${_ma:-0}" "$_dp" "$_dt" "$_du" "$_da" "$_svc" "$_health"
`;
}

/** The stats a collector printed, or a PuestaError saying what was wrong. */
export function parseStats(stdout: string, healthUrl: string | null = null): CollectedStats {
  const line = [...stdout.matchAll(/^PUESTA_STATS (\{.*\})\s*$/gm)].at(-1)?.[1];
  if (!line) throw new PuestaError('COMMAND_FAILED', 'The statistics command printed no PUESTA_STATS line; check that the host has /proc, df, awk and curl.', { stdout: stdout.slice(-2000) });
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new PuestaError('COMMAND_FAILED', 'The statistics line is not valid JSON.', { line: line.slice(0, 2000) });
  }
  const r = raw as { health?: Record<string, unknown> | null };
  if (r.health) r.health.url = healthUrl ?? '';
  const parsed = CollectedStats.safeParse(raw);
  if (!parsed.success) throw new PuestaError('COMMAND_FAILED', 'The statistics line does not have the expected fields.', { line: line.slice(0, 2000), issues: parsed.error.issues });
  return parsed.data;
}

export function monitoringStep(app: Application, opts: ServicesOptions = {}): Built {
  const l = layoutOf(app, opts.group);
  const path = `${l.bin}/stats.sh`;
  const content = `#!/bin/sh\n# Written by Puesta: statistics of application ${l.slug} (one JSON line).\n${statsScript(app, opts)}`;
  const body = `
[ -d ${shq(l.bin)} ] || { echo ${shq(`${l.bin} is missing: run the directory layout step first.`)} >&2; exit 1; }
${putFile(path, '750', 'root:root', content)}
/bin/sh ${shq(path)}
`;
  return { title: `Monitoring (statistics collector${healthUrlOf(app) ? `, health ${healthUrlOf(app)}` : ''})`, script: frame(body), touches: [path] };
}

export type { ProvisionPaths };
