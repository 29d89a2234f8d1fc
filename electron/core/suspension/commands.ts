/**
 * Command builders of suspension and reinstatement (pure: they only build quoted command lines;
 * `runner.ts` runs them). Every host script is idempotent and leaves the facts on the host before
 * it acts, so a run killed anywhere is finished (or reversed) by running the same script again:
 *
 *   <base>/run/suspension/previous   what live.sock pointed at before (present = suspended here)
 *   <base>/run/suspension/workers    the services this suspension stopped, one per line
 *   <base>/run/suspension/page       → pages/<name>-retry-<s>: the responder's page and Retry-After
 *   <base>/acme/.well-known/acme-challenge/puesta-probe   what the verification fetches
 *
 * The output carries `PUESTA_STEP <step>` as each step begins (live progress), then
 * `PUESTA_PREVIOUS <target>` and `PUESTA_WORKERS <names…>`. Several sites of one host run in one
 * script (`batchScript`), each part closed by `PUESTA_END <id> <exit code>`.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import type { SuspensionStep } from '../../../shared/contract/suspension.js';
import { pageDirName, sitePaths } from '../proxy/site-config.js';
import { serviceControlScript, serviceStatusScript, type ServicesOptions } from '../provision/index.js';
import { hostLockScript, hostUnlockScript } from '../runs/locks.js';
import { raw, sh, shq } from '../ssh/quote.js';

/** The marker the suspended page carries (and the verification looks for). */
export const pageMarker = (suspensionId: number): string => `puesta-suspended:${suspensionId}`;
/** The ACME probe's content: the verification expects exactly it. */
export const acmeToken = (suspensionId: number): string => `puesta-acme-${suspensionId}`;
export const ACME_PROBE = 'puesta-probe';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page the responder serves: the contract, how to regularise, the marker. */
export function pageHtml(p: { suspensionId: number; contractReference: string; customerName: string; message: string; retryAfterSeconds: number }): string {
  const hours = Math.max(1, Math.round(p.retryAfterSeconds / 3600));
  const how = p.message.trim() || `Please contact us to regularise contract ${p.contractReference}; the service is restored as soon as it is.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="puesta-suspension" content="${pageMarker(p.suspensionId)}">
<title>Service suspended</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head>
<body><main data-marker="${pageMarker(p.suspensionId)}">
<h1>This service is suspended</h1>
<p>The hosting contract <strong>${escapeHtml(p.contractReference)}</strong> of ${escapeHtml(p.customerName)} is suspended.</p>
<p>${escapeHtml(how)}</p>
<p>Your data is kept. Please try again in about ${hours} hour${hours === 1 ? '' : 's'}.</p>
</main></body></html>
`;
}

export interface SuspendHostInput {
  suspensionId: number;
  app: Application;
  retryAfterSeconds: number;
  page: string;
  /** Service names to stop (those running, or listed already by an earlier attempt). */
  stopWorkers: string[];
  services: ServicesOptions;
  /** Run the service manager through sudo (the SSH user is not root). */
  sudo: boolean;
}

const step = (s: SuspensionStep): string => `echo "PUESTA_STEP ${s}"`;
const asRoot = (script: string, sudo: boolean): string => (sudo ? sh`sudo -n sh -c ${script}` : sh`sh -c ${script}`);

function head(base: string): string {
  const p = sitePaths(base);
  return sh`run=${p.run}; s=${p.suspension}; acme=${p.acmeDir}\n` + `swap() { ln -sfn "$1" "$run/.live.sock.tmp" && mv -T "$run/.live.sock.tmp" "$run/live.sock"; }\n`;
}

/** Suspend one site on its host: record → page → swap → workers. */
export function suspendScript(i: SuspendHostInput): string {
  const dir = pageDirName(`s${i.suspensionId}`, i.retryAfterSeconds);
  const stops = i.stopWorkers.map((w) => sh`  ${w}) ${raw(asRoot(serviceControlScript(i.app, 'stop', w, i.services), i.sudo))} ;;`).join('\n');
  const workers = i.stopWorkers.length
    ? `st=$(${asRoot(serviceStatusScript(i.app, i.services), i.sudo)}) || { echo "could not read the services' status" >&2; exit 1; }
stop_one() { case "$1" in
${stops}
  esac; }
for w in ${i.stopWorkers.map((w) => shq(w)).join(' ')}; do
  n=$(printf '%s\\n' "$st" | awk -v w="$w" '$1 == "PUESTA_SERVICE" && $2 == w { print $4 }')
  if grep -qxF "$w" "$s/workers" 2>/dev/null; then :
  elif [ "\${n:-0}" -gt 0 ]; then echo "$w" >> "$s/workers"
  else echo "$w is not running: left alone"; continue; fi
  stop_one "$w" >/dev/null && echo "stopped $w"
done
echo "PUESTA_WORKERS $(tr '\\n' ' ' < "$s/workers" 2>/dev/null)"
`
    : 'echo "no workers to stop"\n';
  // few processes per site: 20 sites of a host run in one script
  return (
    `set -e\numask 022\n${head(i.app.basePath)}` +
    `${step('record')}
cur=$(readlink "$run/live.sock" 2>/dev/null || true)
if [ -f "$s/previous" ]; then read -r prev < "$s/previous"; echo "already suspended here: live.sock was $prev"
elif [ "$cur" = suspended.sock ]; then echo "live.sock points at suspended.sock but nothing records what it pointed at before: reinstate by hand" >&2; exit 1
elif [ -z "$cur" ]; then echo "no Puesta site on this host ($run/live.sock is missing): configure the site in the proxy settings and install" >&2; exit 1
else prev=$cur; mkdir -p "$s"; printf '%s\\n' "$cur" > "$s/previous.tmp" && mv -f "$s/previous.tmp" "$s/previous"; echo "live.sock pointed at $cur"; fi
echo "PUESTA_PREVIOUS $prev"
` +
    sh`d="$s/pages/"${dir}; mkdir -p "$d" "$acme"
printf '%s' ${i.page} > "$d/index.html.tmp" && mv -f "$d/index.html.tmp" "$d/index.html"
ln -sfn "pages/"${dir} "$s/.page.tmp" && mv -T "$s/.page.tmp" "$s/page"
printf '%s' ${acmeToken(i.suspensionId)} > "$acme/${ACME_PROBE}"
` +
    `${step('swap')}
[ -S "$run/suspended.sock" ] || { echo "$run/suspended.sock is missing: the site's suspended responder is not installed (nginx site)" >&2; exit 1; }
if [ "$cur" = suspended.sock ]; then echo "live.sock already points at suspended.sock"; else swap suspended.sock; echo "live.sock -> suspended.sock"; fi
${step('workers')}
${workers}`
  );
}

export interface ReinstateHostInput {
  app: Application;
  services: ServicesOptions;
  sudo: boolean;
}

/** Reinstate one site on its host: live.sock back, the recorded workers started, the records removed. */
export function reinstateScript(i: ReinstateHostInput): string {
  const starts = i.app.services.map((w) => sh`  ${w.name}) ${raw(asRoot(serviceControlScript(i.app, 'start', w.name, i.services), i.sudo))} ;;`).join('\n');
  return `set -e\n${head(i.app.basePath)}${step('swap')}
if [ -f "$s/previous" ]; then prev=$(cat "$s/previous")
  if [ "$(readlink "$run/live.sock" 2>/dev/null)" = "$prev" ]; then echo "live.sock already points at $prev"; else swap "$prev"; echo "live.sock -> $prev"; fi
else echo "no suspension is recorded on this host: live.sock left as it is ($(readlink "$run/live.sock" 2>/dev/null))"; fi
echo "PUESTA_PREVIOUS $(readlink "$run/live.sock" 2>/dev/null)"
${step('workers')}
start_one() { case "$1" in
${starts}
  *) echo "$1 is not a service of the application any more: not started" >&2 ;;
  esac; }
if [ -f "$s/workers" ]; then while read -r w; do [ -n "$w" ] && start_one "$w" >/dev/null && echo "started $w"; done < "$s/workers"; fi
echo "PUESTA_WORKERS $(cat "$s/workers" 2>/dev/null | tr '\\n' ' ')"
rm -f "$s/workers" "$s/previous"
`;
}

/** The host's run lock file of a site (`<base>/.puesta-lock`, ../runs/locks.ts) as a suspension holds it. */
export interface SiteLock {
  base: string;
  /** The lock file's line (lockInfo: run=0, the operator, the suspension). */
  info: string;
  token: string;
}

/**
 * A site's part wrapped in the runs' host lock: taken first (held by another run or laptop:
 * `PUESTA_HELD <its line>`, exit 3, nothing done), released after the part whatever its outcome.
 * A part cut off (connection lost) leaves the file until its lease ends; the same suspension
 * run's token takes it back on resume.
 */
export function lockedPart(lock: SiteLock, script: string): string {
  return `lockout=$(${hostLockScript(lock.base, lock.info, lock.token, false)}
); lockrc=$?
case $lockrc in
  0) echo "host lock: $lockout" ;;
  3) echo "PUESTA_HELD \${lockout#HELD }"; exit 3 ;;
  *) ${sh`echo "the lock file "${lock.base + '/.puesta-lock'}" could not be written (exit $lockrc)" >&2`}; exit $lockrc ;;
esac
( ${script}
); rc=$?
${hostUnlockScript(lock.base, lock.token)} >/dev/null
exit $rc`;
}

/** Several sites of one host in one script: each part in its own subshell, closed by `PUESTA_END <id> <code>`. */
export function batchScript(parts: { id: number; script: string }[]): string {
  return parts.map((p) => sh`echo "PUESTA_BEGIN "${p.id}\n( ${raw(p.script)}\n) 2>&1; echo "PUESTA_END "${p.id}" $?"\n`).join('');
}

/** The verification from the host itself (a health check `from: 'host'`): one curl per URL. */
export function verifyScript(checks: { id: number; url: string; acmeUrl: string }[]): string {
  return checks
    .map(
      (c) =>
        sh`h=$(mktemp); b=$(curl -s -D "$h" --max-time 10 ${c.url} || true); code=$(awk 'NR == 1 { print $2 }' "$h"); ra=$(awk 'tolower($1) == "retry-after:" { print $2 }' "$h" | tr -d '\\r')
a=$(curl -s --max-time 10 ${c.acmeUrl} || true); rm -f "$h"
echo "PUESTA_VERIFY "${c.id}" \${code:-0} \${ra:--}"; printf '%s' "$b" | grep -q ${'puesta-suspended:'} && echo "PUESTA_VERIFY_BODY "${c.id}" $(printf '%s' "$b" | grep -o 'puesta-suspended:[0-9]*' | head -n 1)"; echo "PUESTA_VERIFY_ACME "${c.id}" $a"\n`,
    )
    .join('');
}
