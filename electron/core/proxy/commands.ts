/**
 * Command builders of the proxy drivers (Kamal style: pure functions that only build quoted
 * command lines; the runs engine or `switch.ts` runs them). Every script starts with `prelude`,
 * which defines, for the application's driver, the shell functions the step scripts use:
 *
 *   live_slot          blue | green | both (A/B: both take new clients) | none — read from the proxy itself
 *   switch_to <slot>   point the proxy at that slot (and only it)
 *   inflight <slot>    requests the slot is serving now
 *   slot_of <path>     the slot whose release link is <path> (fails when none)
 *
 * Layout on a host: `<base>/slots/{blue,green}` → the slot's release; `<base>/run/{blue,green}.sock`
 * where each slot's service listens; `<base>/run/live.sock` → the live slot's socket (nginx-socket).
 * `base` is a shell word: `{{app.base}}` in a checklist step, the quoted path in a direct action.
 */
import type { ProxySettingsFields, Slot } from '../../../shared/contract/proxy.js';
import { hostLockScript, hostUnlockScript } from '../runs/locks.js';
import { raw, sh, shq, type RawShell } from '../ssh/quote.js';

type Settings = ProxySettingsFields;

/** `base` as a template variable (checklist steps) or as a quoted path (direct actions). */
export type Base = { template: true } | { path: string };
const baseWord = (b: Base): RawShell => raw('template' in b ? '{{app.base}}' : shq(b.path));

const COMMON = `run="$base/run"
other() { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
slot_of() { for s in blue green; do if [ "$(readlink "$base/slots/$s" 2>/dev/null)" = "$1" ]; then echo "$s"; return 0; fi; done; return 1; }`;

/** Unix-socket connections a slot is serving (nginx opens one per request: no keepalive pool on these sockets). */
const SOCKET_INFLIGHT = `inflight() { ss -xH 2>/dev/null | grep -c -F " $run/$1.sock " || true; }`;

/**
 * While a suspension is in force (suspension/commands.ts) live.sock points at the suspended
 * responder and `<run>/suspension/previous` holds where it pointed: the live slot is read from, and
 * a switch written to, that file — a switch never lifts a suspension.
 */
const NGINX_SOCKET = `live_slot() { t=$(cat "$run/suspension/previous" 2>/dev/null || readlink "$run/live.sock" 2>/dev/null); case "$t" in blue.sock) echo blue ;; green.sock) echo green ;; *) echo none ;; esac; }
switch_to() {
  if [ -f "$run/suspension/previous" ]; then printf '%s\\n' "$1.sock" > "$run/suspension/previous.tmp" && mv -f "$run/suspension/previous.tmp" "$run/suspension/previous"
  else ln -sfn "$1.sock" "$run/.live.sock.tmp" && mv -T "$run/.live.sock.tmp" "$run/live.sock"; fi; }`;

/**
 * HAProxy's runtime API over its admin socket on TCP loopback, with bash's /dev/tcp (no socat
 * needed). One command per connection; a reply other than an empty line is an error.
 */
function haproxyFunctions(s: Settings): string {
  const [host, port] = s.haproxyAdmin.split(':') as [string, string];
  const be = s.haproxyBackend;
  return (
    sh`hap() { bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "%s\\n" "$2" >&3; cat <&3' ${host} ${port} "$1"; }
hapdo() { out=$(hap "$1") || return 1; if [ -n "$(printf %s "$out" | tr -d '\\n')" ]; then echo "haproxy: $1: $out" >&2; return 1; fi; }
be=${be}
` +
    `live_slot() { hap "show servers state $be" | awk '$4 == "blue" || $4 == "green" { if ($7 == 0 && $8 > 0) l = l " " $4 } END { n = split(l, a, " "); print (n == 2 ? "both" : n == 1 ? a[1] : "none") }'; }
save_state() { hap "show servers state" > "$run/haproxy.state.tmp" && mv -f "$run/haproxy.state.tmp" "$run/haproxy.state"; }
switch_to() { o=$(other "$1"); hapdo "set weight $be/$1 100" && hapdo "set server $be/$1 state ready" && hapdo "set server $be/$o state drain" && save_state; }
set_green() { g=$1; b=$((100 - g))
  if [ "$g" -gt 0 ]; then hapdo "set weight $be/green $g" && hapdo "set server $be/green state ready" || return 1; else hapdo "set server $be/green state drain" || return 1; fi
  if [ "$b" -gt 0 ]; then hapdo "set weight $be/blue $b" && hapdo "set server $be/blue state ready" || return 1; else hapdo "set server $be/blue state drain" || return 1; fi
  save_state; }
inflight() { hap "show stat" | awk -F, -v b="$be" -v s="$1" '$1 == b && $2 == s { print $5 }'; }`
  );
}

/**
 * nginx from 1.27.4 stops closing idle keep-alive connections on a reload once they are older than
 * `keepalive_min_timeout` (the reset requests of this driver): the include gets it only where the
 * host's nginx knows the directive (1.22 here does not, and `nginx -t` would refuse it).
 */
const KEEPALIVE_MIN = `keepalive_min() { v=$(sudo -n nginx -v 2>&1 | sed -n 's#.*nginx/\\([0-9.]*\\).*#\\1#p'); [ -n "$v" ] || return 0
  if [ "$(printf '%s\\n1.27.4\\n' "$v" | sort -V | head -n 1)" = 1.27.4 ]; then echo 'keepalive_min_timeout 10s;'; fi; }`;

/** nginx-reload: the include names the live slot's socket; nginx -t, then reload (sudo). */
function nginxReloadFunctions(s: Settings): string {
  return (
    sh`inc=${s.nginxInclude}
` +
    `${KEEPALIVE_MIN}
live_slot() { l=$(sed -n 's#.*/run/\\(blue\\|green\\)\\.sock.*#\\1#p' "$inc" 2>/dev/null | head -n 1); echo "\${l:-none}"; }
switch_to() {
  sudo -n mkdir -p "$(dirname "$inc")"
  if [ -f "$inc" ]; then sudo -n cp -f "$inc" "$inc.bak"; fi
  { printf 'proxy_pass http://unix:%s:;\\nadd_header X-Puesta-Slot %s always;\\n' "$run/$1.sock" "$1"; keepalive_min; } | sudo -n tee "$inc.tmp" >/dev/null
  sudo -n mv -f "$inc.tmp" "$inc"
  if ! sudo -n nginx -t -q; then if [ -f "$inc.bak" ]; then sudo -n mv -f "$inc.bak" "$inc"; fi; echo "nginx -t refused the new include: nothing switched" >&2; return 1; fi
  sudo -n nginx -s reload; }
${SOCKET_INFLIGHT}`
  );
}

/** The shell functions of every proxy script, for this application's driver. */
export function prelude(s: Settings, base: Base): string {
  const driver =
    s.driver === 'nginx-socket' ? `${NGINX_SOCKET}\n${SOCKET_INFLIGHT}` : s.driver === 'haproxy-runtime' ? haproxyFunctions(s) : nginxReloadFunctions(s);
  return sh`base=${baseWord(base)}\n` + COMMON + '\n' + driver + '\n';
}

/** Sets the slot variables the operator's start/stop commands read. */
const SLOT_ENV = `export PUESTA_SLOT="$slot" PUESTA_SLOT_DIR="$base/slots/$slot" PUESTA_SLOT_SOCKET="$run/$slot.sock"`;

const probe = (s: Settings): string =>
  sh`probe() { code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$run/$1.sock" ${'http://slot' + s.healthPath} 2>/dev/null || true); case "$code" in 2??|3??) return 0 ;; *) return 1 ;; esac; }\n`;

// ---------------------------------------------------------------- checklist steps (templates)

/** Upgrade: the idle slot (not live) gets the run's release; its pending stop, if any, is called off. */
export function assignScript(s: Settings, opts: { reuse: boolean }): string {
  const reuse = opts.reuse ? `if slot=$(slot_of {{release.path}}); then echo "{{release.key}} is already in slot $slot"; echo "PUESTA_SLOT $slot"; exit 0; fi\n` : '';
  return `set -e
${prelude(s, { template: true })}mkdir -p "$base/slots" "$run"
${reuse}live=$(live_slot)
case "$live" in blue|green) slot=$(other "$live") ;; both) echo "both slots take traffic (an A/B experiment): end it first" >&2; exit 1 ;; *) slot=blue ;; esac
if [ "$(readlink "$base/slots/$live" 2>/dev/null)" = {{release.path}} ]; then echo "{{release.key}} is already live in slot $live" >&2; exit 1; fi
rm -f "$run/$slot.stop"
ln -sfn {{release.path}} "$base/slots/.$slot.tmp"
mv -T "$base/slots/.$slot.tmp" "$base/slots/$slot"
echo "slot $slot -> {{release.key}} (live: $live)"
echo "PUESTA_SLOT $slot"`;
}

/** Starts the slot holding the run's release (`ifDown`: only when it does not answer — a warm slot is kept); `start` is the shell that (re)starts `$slot`. */
export function startScript(s: Settings, opts: { ifDown: boolean; start: string }): string {
  const skip = opts.ifDown ? `if probe "$slot"; then echo "slot $slot is running (warm): not restarted"; exit 0; fi\n` : '';
  return `set -e
${prelude(s, { template: true })}${probe(s)}slot=$(slot_of {{release.path}}) || { echo "no slot holds {{release.key}}" >&2; exit 1; }
${skip}${SLOT_ENV}
echo "starting slot $slot ({{release.key}}) on $PUESTA_SLOT_SOCKET"
${opts.start}`;
}

/** The idle slot, checked directly on its socket (not through the proxy): N successes in a row before the deadline. */
export function slotHealthScript(s: Settings): string {
  return (
    `${prelude(s, { template: true })}${probe(s)}slot=$(slot_of {{release.path}}) || { echo "no slot holds {{release.key}}" >&2; exit 1; }\n` +
    sh`need=${s.healthSuccesses}; end=$(( $(date +%s) + ${s.healthDeadlineSeconds} )); n=0
` +
    `while :; do
  if probe "$slot"; then n=$((n + 1)); echo "slot $slot answered $code ($n/$need)"; [ "$n" -ge "$need" ] && exit 0
  else n=0; echo "slot $slot answered \${code:-nothing}"; fi
  if [ "$(date +%s)" -ge "$end" ]; then echo "slot $slot did not answer $need times in a row in time: not switching" >&2; exit 1; fi
  sleep 0.5
done`
  );
}

/**
 * The switch: the proxy goes to the slot holding {{release.path}}, then `current` follows. The
 * health gate replays it with the previous release: that is the old, warm slot — a switch back.
 */
export function switchStepScript(s: Settings): string {
  return `set -e
${prelude(s, { template: true })}slot=$(slot_of {{release.path}}) || { echo "no slot holds {{release.key}}: it is not warm any more" >&2; exit 1; }
${switchBody()}
ln -sfn {{release.path}} "$base/.current.tmp"
mv -T "$base/.current.tmp" "$base/current"`;
}

function switchBody(): string {
  return `from=$(live_slot)
switch_to "$slot"
now=$(live_slot)
if [ "$now" != "$slot" ]; then echo "the proxy says $now after the switch to $slot" >&2; exit 1; fi
echo "PUESTA_LIVE $slot from=$from"`;
}

/** Waits until the old slot serves no request any more (or the drain time is over). */
export function drainScript(s: Settings): string {
  return (
    `${prelude(s, { template: true })}slot=$(slot_of {{release.path}}) || exit 1; old=$(other "$slot")\n` +
    sh`end=$(( $(date +%s) + ${s.drainSeconds} ))
` +
    `while n=$(inflight "$old"); [ "\${n:-0}" -gt 0 ]; do
  if [ "$(date +%s)" -ge "$end" ]; then echo "slot $old still serves $n request(s) after the drain time: going on"; exit 0; fi
  sleep 0.1
done
echo "slot $old drained (0 requests in flight)"`
  );
}

/**
 * The old slot stays warm, then stops — unless it is live again by then (a switch back) or was
 * given another release (its stop file is gone). With no warm time it stops now.
 */
export function stopScript(s: Settings, stopCmd: string): string {
  const stop = `${prelude(s, { template: true })}old=$1
[ -f "$run/$old.stop" ] && [ "$(cat "$run/$old.stop")" = "$2" ] || exit 0
[ "$(live_slot)" = "$old" ] && exit 0
rm -f "$run/$old.stop"
slot=$old
${SLOT_ENV}
${stopCmd}`;
  return (
    `set -e
${prelude(s, { template: true })}slot=$(slot_of {{release.path}}) || exit 1; old=$(other "$slot")
token=$(date +%s%N); echo "$token" > "$run/$old.stop"
cat > "$run/stop-slot.sh" <<'PUESTA_STOP'
${stop}
PUESTA_STOP
` +
    sh`warm=${s.warmSeconds}
` +
    `if [ "$warm" -eq 0 ]; then sh "$run/stop-slot.sh" "$old" "$token"; echo "slot $old stopped"; echo "PUESTA_WARM 0"
else setsid nohup sh -c 'sleep "$0"; sh "$1" "$2" "$3"' "$warm" "$run/stop-slot.sh" "$old" "$token" </dev/null >/dev/null 2>&1 &
  echo $! > "$run/$old.stopper"
  echo "slot $old stays warm for \${warm}s, then stops"; echo "PUESTA_WARM $warm"; fi`
  );
}

// ---------------------------------------------------------------- direct actions (switch.ts)

/** What the server says: the live slot, each slot's release, and the green share (A/B). */
export function readScript(s: Settings, basePath: string): string {
  const weights = s.driver === 'haproxy-runtime' ? `hap "show servers state $be" | awk '$4 == "green" { print "GREEN_WEIGHT", ($7 == 0 ? $8 : 0) } $4 == "blue" { print "BLUE_WEIGHT", ($7 == 0 ? $8 : 0) }'\n` : '';
  return `${prelude(s, { path: basePath })}echo "LIVE $(live_slot)"
echo "BLUE $(readlink "$base/slots/blue" 2>/dev/null)"
echo "GREEN $(readlink "$base/slots/green" 2>/dev/null)"
${weights}`;
}

/** The host lock a direct action takes, like a run's (`runs/locks.ts`): its line and token. */
export interface DirectLock {
  info: string;
  token: string;
  /** Tokens of earlier actions cut off before they could release their lock (only those are removed). */
  stale?: readonly string[];
}

/**
 * Takes the host's run lock file for the action, or refuses (exit 5, `HELD <line>` on stderr) while
 * a run (or another action) holds it; released when the script ends, whatever the outcome.
 */
function withHostLock(basePath: string, lock: DirectLock): string {
  return (
    (lock.stale ?? []).map((t) => `${hostUnlockScript(basePath, t)} >/dev/null\n`).join('') +
    `lrc=0; lout=$( (\n${hostLockScript(basePath, lock.info, lock.token, false)}\n) ) || lrc=$?\n` +
    `case "$lrc" in 0) ;; 3) echo "$lout" >&2; exit 5 ;; *) echo "the lock file could not be written (exit $lrc)" >&2; exit 6 ;; esac\n` +
    `trap ${shq(hostUnlockScript(basePath, lock.token) + ' >/dev/null')} EXIT\n`
  );
}

/** Operator's switch (or switch back): the target slot must hold a release and answer first. */
export function directSwitchScript(s: Settings, basePath: string, to: Slot, lock: DirectLock): string {
  return (
    withHostLock(basePath, lock) +
    `set -e\n${prelude(s, { path: basePath })}${probe(s)}` +
    sh`slot=${to}
` +
    `rel=$(readlink "$base/slots/$slot" 2>/dev/null) || { echo "slot $slot holds no release" >&2; exit 3; }
probe "$slot" || { echo "slot $slot does not answer (\${code:-no answer}): it is not warm any more" >&2; exit 4; }
${switchBody()}
ln -sfn "$rel" "$base/.current.tmp"
mv -T "$base/.current.tmp" "$base/current"
echo "PUESTA_RELEASE $(basename "$rel")"`
  );
}

/** A/B: the green share of new clients (HAProxy weights; the cookie keeps returning clients on their slot). */
export function weightsScript(s: Settings, basePath: string, green: number, lock: DirectLock): string {
  return withHostLock(basePath, lock) + `set -e\n${prelude(s, { path: basePath })}` + sh`set_green ${green}\n` + `echo "LIVE $(live_slot)"`;
}

/** `PUESTA_<KEY> value` lines of a script's output. */
export function markers(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/^(?:PUESTA_)?([A-Z_]+) ?(.*)$/gm)) out[m[1]!] = m[2]!.trim();
  return out;
}
