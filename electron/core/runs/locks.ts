/**
 * The application × environment lock: a row on the laptop (owner, reason, lease) and a lock file
 * `<base>/.puesta-lock` on every target host, created with its content in one step (link(2) of a
 * written file, which never overwrites),
 * so two laptops cannot deploy the same application at once (as Kamal does).
 * An expired lease, or an explicit override, lets another run take it — always audited.
 */
import { PuestaError } from '../../../shared/errors.js';
import type { Lock } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { sh } from '../ssh/quote.js';
import { deleteLock, getLock, putLock } from './lock-store.js';

export const LEASE_MS = 10 * 60_000;
/** The lock file on the hosts carries the same lease, renewed by the engine every few minutes while the run lives. */
export const HOST_LEASE_S = LEASE_MS / 1000;
export const HOST_RENEW_MS = 3 * 60_000;

export function leaseFromNow(ms = LEASE_MS): string {
  return new Date(Date.now() + ms).toISOString();
}

export function lockHeldError(l: Lock): PuestaError {
  return new PuestaError(
    'LOCKED',
    `${l.applicationName} on ${l.environmentName} is locked by ${l.owner} since ${l.since}${l.reason ? ` (${l.reason})` : ''}${l.runId ? `, run #${l.runId}` : ''}. ` +
      `Wait until that run ends or its lease expires (${l.leaseExpiresAt}), or override the lock.`,
    { owner: l.owner, reason: l.reason, since: l.since, leaseExpiresAt: l.leaseExpiresAt, runId: l.runId },
  );
}

/**
 * Takes the laptop-side lock for a run (call inside a transaction). Refuses with LOCKED when another
 * run holds a live lease, unless `override`; taking an expired or overridden lock is audited.
 */
export function takeLocalLock(
  core: Core,
  p: { applicationId: number; environmentId: number; runId: number | null; owner: string; reason: string; override: boolean },
): void {
  const cur = getLock(core, p.applicationId, p.environmentId);
  const now = nowIso();
  // a lock taken by hand (no run) lets its own owner start runs
  const mine = cur !== null && cur.runId === null && cur.owner === p.owner;
  if (cur && !mine && cur.runId !== p.runId) {
    if (!cur.expired && !p.override) throw lockHeldError(cur);
    core.audit.write(p.owner, cur.expired ? 'lock.take-expired' : 'lock.override', 'locks', p.applicationId, cur, {
      owner: p.owner,
      reason: p.reason,
      runId: p.runId,
      environmentId: p.environmentId,
    });
  }
  putLock(core, {
    applicationId: p.applicationId,
    environmentId: p.environmentId,
    owner: p.owner,
    reason: p.reason,
    runId: p.runId,
    since: cur && cur.runId === p.runId && p.runId !== null ? cur.since : now,
    leaseExpiresAt: leaseFromNow(),
  });
}

export function releaseLocalLock(core: Core, applicationId: number, environmentId: number, runId?: number): boolean {
  return deleteLock(core, applicationId, environmentId, runId);
}

const safeWord = (s: string) => s.replace(/[^A-Za-z0-9@._:-]+/g, '_').slice(0, 100);

/** The line written into the host lock file. */
export function lockInfo(p: { token: string; runId: number; owner: string; reason: string; expiresEpoch: number }): string {
  return `token=${p.token} expires=${p.expiresEpoch} run=${p.runId} owner=${safeWord(p.owner)} reason=${p.reason.replace(/[\r\n]+/g, ' ').slice(0, 300)}`;
}

/**
 * Shell script taking the host lock. Prints ACQUIRED / OURS / TAKEN <old> and exits 0, or prints
 * HELD <line> and exits 3 when another live lock is there. A base folder the deploy user cannot
 * create (a new host where /srv belongs to root) is created with `sudo -n`, owned by the deploy user
 * (who owns <base> and releases/ once provisioned); without sudo the script exits 4.
 *
 * The lock file appears with its content in one step: the line is written to a file of this
 * process, then hard-linked to the lock name, which fails if the name exists — so no reader ever
 * sees a lock half written (with `set -C` the loser could read it empty, take it as expired and
 * overwrite the winner's). Taking over an expired (or overridden) lock moves the very file that was
 * judged aside first: of two takers only one can move it, and one that moved a newer lock puts it
 * back. An empty lock file (written by an older Puesta) counts as live for a minute.
 */
export function hostLockScript(base: string, info: string, token: string, override: boolean): string {
  return sh`lock=${base}/.puesta-lock
[ -d ${base} ] || mkdir -p ${base} 2>/dev/null || { sudo -n mkdir -p ${base} && sudo -n chown "$(id -un)" ${base}; } || exit 4
new="$lock.new.$$"; old="$lock.old.$$"
trap 'rm -f "$new" "$old"' EXIT
printf '%s\\n' ${info} > "$new" || exit 4
for try in 1 2 3; do
  if ln "$new" "$lock" 2>/dev/null; then echo ACQUIRED; exit 0; fi
  cur=$(cat "$lock" 2>/dev/null) || continue
  case "$cur" in "token="${token}" "*) mv -f "$new" "$lock" && echo OURS; exit $?;; esac
  exp=$(printf '%s' "$cur" | sed -n 's/^token=[^ ]* expires=\\([0-9]*\\).*/\\1/p')
  if [ -z "$cur" ] && [ -z "$(find "$lock" -mmin +1 2>/dev/null)" ]; then exp=4102444800; fi
  if [ ${override ? '1' : '0'} = 1 ] || [ "\${exp:-0}" -lt "$(date +%s)" ]; then
    mv "$lock" "$old" 2>/dev/null || continue
    if [ "$(cat "$old")" != "$cur" ]; then ln "$old" "$lock" 2>/dev/null; continue; fi
    if ln "$new" "$lock" 2>/dev/null; then echo "TAKEN $cur"; exit 0; fi
    continue
  fi
  echo "HELD $cur"
  exit 3
done
echo "HELD $(cat "$lock" 2>/dev/null)"
exit 3`;
}

export function hostUnlockScript(base: string, token: string): string {
  return sh`lock=${base}/.puesta-lock
puesta_lock_line=; { IFS= read -r puesta_lock_line < "$lock"; } 2>/dev/null
case "$puesta_lock_line" in "token="${token}" "*) rm -f "$lock"; echo RELEASED;; *) echo NOT-HELD;; esac`;
}
