/**
 * Runtime user: created when missing (`useradd --system`), never recreated and its uid never
 * changed. Missing supplementary groups are added; a different home or shell on an existing user
 * is reported (PUESTA_WARN) and left alone — changing them is the operator's decision.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { assertSafePath, assertUnixName, frame, layoutOf, type Built } from './common.js';
import { shq } from '../ssh/quote.js';

export interface UserOptions {
  /** Home folder (default: the application's base path). */
  home?: string;
  /** Login shell (default /usr/sbin/nologin). */
  shell?: string;
  /** Supplementary groups (must exist on the host). */
  groups?: string[];
  /** Primary group (default: a group named like the user). */
  group?: string;
}

export function userStep(app: Application, opts: UserOptions = {}): Built {
  const l = layoutOf(app, opts.group);
  const home = assertSafePath(opts.home ?? l.base, 'home folder');
  const shell = assertSafePath(opts.shell ?? '/usr/sbin/nologin', 'login shell');
  const groups = (opts.groups ?? []).map((g) => assertUnixName(g, 'supplementary group'));
  const u = shq(l.user);
  const g = shq(l.group);
  const groupArgs = groups.length ? ` --groups ${shq(groups.join(','))}` : '';
  const body = `
if id -u ${u} >/dev/null 2>&1; then
  note "user ${l.user} exists (uid $(id -u ${u}))"
  _home=$(getent passwd ${u} | cut -d: -f6)
  _shell=$(getent passwd ${u} | cut -d: -f7)
  [ "$_home" = ${shq(home)} ] || echo "PUESTA_WARN user ${l.user} has home $_home, the inventory says ${home}; left unchanged"
  [ "$(id -gn ${u})" = ${shq(l.group)} ] || { echo ${shq(`User ${l.user} exists with another primary group than ${l.group}: set that group in Puesta's provisioning options, or change the user by hand, then retry.`)} >&2; exit 1; }
  [ "$_shell" = ${shq(shell)} ] || echo "PUESTA_WARN user ${l.user} has shell $_shell, the inventory says ${shell}; left unchanged"
else
  if getent group ${g} >/dev/null 2>&1; then _gopt="--gid ${l.group}"; else _gopt="--user-group"; fi
  useradd --system --home-dir ${shq(home)} --no-create-home --shell ${shq(shell)} $_gopt${groupArgs} ${u}
  changed "user ${l.user} created (uid $(id -u ${u}))"
fi
${groups
  .map(
    (gr) => `if id -nG ${u} | tr ' ' '\\n' | grep -qx ${shq(gr)}; then :; else usermod -a -G ${shq(gr)} ${u}; changed "user ${l.user} added to group ${gr}"; fi`,
  )
  .join('\n')}
`;
  return {
    title: `Runtime user ${l.user}`,
    script: frame(body),
    checkScript: `id -u ${u} >/dev/null 2>&1`,
    touches: ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'],
  };
}
