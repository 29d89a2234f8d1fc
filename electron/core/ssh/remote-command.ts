/**
 * The command lines the engine itself sends — pure builders, every value quoted by `sh`/`shq`.
 * Unit-tested in test/unit/ssh-command.test.ts; runners in exec.ts and transfer.ts send them.
 */
import { PuestaError } from '../../../shared/errors.js';
import { raw, sh } from './quote.js';
import type { ExecOptions } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The command line sent to sshd, which runs it with the user's login shell exactly like
 * `ssh host cmd` — no wrapper process, no extra output: a pooled command costs one channel and
 * the session's own shell. With a working directory or environment, `cd -- <q> && export <q>… &&
 * eval <q(command)>` (builtins only, still no extra process). Under sudo the command runs as
 * `sudo -n [-u user] -- env … /bin/sh -c <q(command)>`, after printing the session's pid on the
 * first stdout line (consumed by the engine).
 */
export function buildRemoteCommand(command: string, opts: Pick<ExecOptions, 'cwd' | 'env' | 'sudo' | 'onPid'>): string {
  const parts: string[] = [];
  if (opts.onPid) {
    // The caller keeps the session's process group to stop it later, e.g. after a network cut left
    // it running (orphanStopCommand): its pid and start time (field 22 of /proc/<pid>/stat, read
    // with the shell's own `read`, no extra process), so a pid used again by then is not signalled.
    parts.push(`{ read -r ${'__pst '.repeat(21)}__pst_start __pst < /proc/$$/stat; } 2>/dev/null; printf '%s %s\\n' "$$" "$__pst_start"; unset __pst __pst_start`);
  }
  if (opts.cwd) parts.push(sh`cd -- ${opts.cwd}`);
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env) if (!ENV_NAME.test(k)) throw new PuestaError('INVALID_INPUT', `"${k}" is not a valid environment variable name.`);
  const assignments = env.map(([k, v]) => `${k}=${v}`);
  if (opts.sudo) {
    // Root processes cannot be signalled by the login user, and sudo relays a signal only to its
    // direct child: print the session's pid (= its process group) first, so a stop can also run
    // `sudo kill -- -<pgid>` on another channel (killGroupCommand).
    if (!opts.onPid) parts.unshift(`printf '%s\\n' "$$"`);
    const asUser = typeof opts.sudo === 'object' ? sh`-u ${opts.sudo.user} ` : '';
    const envPrefix = assignments.length ? sh`env -- ${assignments} ` : '';
    parts.push(sh`exec sudo -n ${raw(asUser)}-- ${raw(envPrefix)}/bin/sh -c ${command}`);
  } else {
    if (assignments.length) parts.push(sh`export ${assignments}`);
    parts.push(parts.length ? sh`eval ${command}` : command);
  }
  return parts.join(' && ');
}

/**
 * Stops what is left of a command whose connection was cut (its session's process group, from
 * `onPid`), before the step runs again: unless the pid now belongs to another process (its start
 * time differs), TERM the group, wait up to 5 s, then KILL. Prints STOPPED or GONE (nothing left).
 */
export function orphanStopCommand(p: { pid: number; start: string; sudo: boolean }): string {
  const kill = p.sudo ? 'sudo -n kill' : 'kill';
  return sh`p=${p.pid}; st=${p.start}
if [ -r /proc/$p/stat ] && [ -n "$st" ]; then
  { read -r ${raw('__pst '.repeat(21))}cur __pst < /proc/$p/stat; } 2>/dev/null
  if [ "$cur" != "$st" ]; then echo GONE; exit 0; fi
fi
${raw(kill)} -TERM -- -$p 2>/dev/null || { echo GONE; exit 0; }
i=0
while ${raw(kill)} -0 -- -$p 2>/dev/null; do
  i=$((i + 1))
  if [ $i -ge 50 ]; then ${raw(kill)} -KILL -- -$p 2>/dev/null; sleep 0.2; break; fi
  sleep 0.1
done
if ${raw(kill)} -0 -- -$p 2>/dev/null; then echo ALIVE; exit 1; fi
echo STOPPED`;
}

/**
 * Signals a sudo command's whole process group as root, from another channel of the same
 * connection; a group already gone is not an error.
 */
export function killGroupCommand(sig: 'TERM' | 'KILL', pgid: number): string {
  return sh`sudo -n kill -${sig} -- -${pgid} 2>/dev/null; true`;
}

/** The SHA-256 of a remote file, printed as sha256sum does (`<hex>  <path>`). */
export function sha256Command(remotePath: string): string {
  return sh`sha256sum -- ${remotePath}`;
}
