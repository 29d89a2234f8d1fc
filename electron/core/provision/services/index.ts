/**
 * The services step: root-owned wrappers <base>/bin/puesta-<svc> holding each inventory command,
 * then the service manager the host has — systemd when it is PID 1, Debian's supervisor otherwise —
 * chosen on the host by the script itself, so one step serves both kinds of hosts.
 */
import type { Application } from '../../../../shared/contract/inventory.js';
import { shJoin, shq } from '../../ssh/quote.js';
import { assertCommand, DEFAULT_PATHS, frame, IS_SYSTEMD, layoutOf, putFile, type AppLayout, type Built, type ProvisionPaths } from '../common.js';
import { supervisorManager } from './supervisor.js';
import { systemdManager } from './systemd.js';
import type { ServiceAction, ServiceManager, ServiceManagerKind } from './types.js';

export * from './types.js';
export { supervisorManager } from './supervisor.js';
export { renderUnit, systemdManager, unitMarker } from './systemd.js';

export const MANAGERS: Record<ServiceManagerKind, ServiceManager> = { systemd: systemdManager, supervisor: supervisorManager };

export interface ServicesOptions {
  group?: string;
  paths?: ProvisionPaths;
  /** Force one manager instead of detecting it on the host. */
  manager?: ServiceManagerKind;
}

export function wrapperPath(l: AppLayout, service: string): string {
  return `${l.bin}/puesta-${service}`;
}

/** The wrapper a service runs: the inventory's command as the body of a small sh script. */
export function renderWrapper(app: Application, l: AppLayout, service: string): string {
  const s = app.services.find((x) => x.name === service);
  if (!s) throw new Error(`no service ${service}`);
  return `#!/bin/sh\n# Written by Puesta: the ${s.kind} service ${s.name} of ${l.slug}. Instance number in $PUESTA_INSTANCE.\n${assertCommand(s.command, `command of service ${s.name}`)}\n`;
}

function byHost(opts: ServicesOptions, fragment: (m: ServiceManager) => string): string {
  if (opts.manager) return fragment(MANAGERS[opts.manager]);
  return `if ${IS_SYSTEMD}; then\n${fragment(systemdManager)}\nelse\n${fragment(supervisorManager)}\nfi`;
}

function checkNames(app: Application): void {
  const seen = new Set<string>();
  for (const s of app.services) {
    if (seen.has(s.name)) throw new Error(`two services are named ${s.name}`);
    seen.add(s.name);
  }
}

export function servicesStep(app: Application, opts: ServicesOptions = {}): Built {
  checkNames(app);
  const paths = opts.paths ?? DEFAULT_PATHS;
  const l = layoutOf(app, opts.group);
  const lines = [
    `[ -d ${shq(l.bin)} ] || { echo ${shq(`${l.bin} is missing: run the directory layout step first.`)} >&2; exit 1; }`,
  ];
  app.services.forEach((s, i) => {
    lines.push(putFile(wrapperPath(l, s.name), '755', 'root:root', renderWrapper(app, l, s.name)), `if [ "$PUESTA_WROTE" = 1 ]; then PUESTA_RESTART_${i}=1; fi`);
  });
  // Log files exist and belong to the runtime user before the manager (root) opens them, so that
  // logrotate (which rotates as that user) can truncate them.
  lines.push(
    ...app.services
      .filter((s) => s.instances > 0)
      .map(
        (s) =>
          `_i=1; while [ "$_i" -le ${s.instances} ]; do _f=${shq(`${l.logs}/${s.name}-`)}"$_i.log"; if [ -f "$_f" ]; then chown ${shq(`${l.user}:${l.group}`)} "$_f"; elif [ -d ${shq(l.logs)} ]; then install -m 640 -o ${shq(l.user)} -g ${shq(l.group)} /dev/null "$_f"; fi; _i=$((_i + 1)); done`,
      ),
  );
  lines.push(byHost(opts, (m) => m.applyFragment(app, l, paths)));
  const counts = app.services.map((s) => `${s.name}×${s.instances}`).join(', ') || 'none';
  const touches = [...app.services.map((s) => wrapperPath(l, s.name))];
  if (opts.manager !== 'supervisor') touches.push(...systemdManager.render(app, l, paths).map((f) => f.path));
  if (opts.manager !== 'systemd') touches.push(...supervisorManager.render(app, l, paths).map((f) => f.path));
  return { title: `Services (${counts})`, script: frame(lines.join('\n')), touches };
}

/** Start / stop / restart all services (or one). */
export function serviceControlScript(app: Application, action: ServiceAction, service?: string, opts: ServicesOptions = {}): string {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const l = layoutOf(app, opts.group);
  return `set -eu\n${byHost(opts, (m) => m.controlFragment(app, l, paths, action, service))}\n`;
}

/**
 * Pre-flight fragment: the service manager the services step will use runs on the host — systemd
 * as PID 1 in a running (or degraded) state, else supervisord answering `supervisorctl pid` — so a
 * host without one fails before anything was created. Prints which one it found.
 */
export function serviceManagerPreflight(opts: ServicesOptions = {}): string {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const ctl = shJoin(paths.supervisorctl);
  const systemd = [
    `_st=$(systemctl is-system-running 2>/dev/null || true)`,
    `case "$_st" in running|degraded|starting|initializing) echo "service manager: systemd ($_st)" ;;`,
    `  *) echo "systemd is not running as the service manager (state: \${_st:-unknown}): the services cannot be installed on this host." >&2; exit 1 ;; esac`,
  ].join('\n');
  const supervisor = [
    `command -v supervisorctl >/dev/null 2>&1 || { echo "no service manager: systemd is not PID 1 and supervisor is not installed (apt-get install supervisor)." >&2; exit 1; }`,
    `_s=; [ "$(id -u)" = 0 ] || _s='sudo -n'`,
    `$_s ${ctl} pid >/dev/null 2>&1 || { echo ${shq(`supervisord is not running (or not reachable with: ${paths.supervisorctl.join(' ')}): start it (service supervisor start) and retry.`)} >&2; exit 1; }`,
    `echo "service manager: supervisor"`,
  ].join('\n');
  if (opts.manager) return opts.manager === 'systemd' ? systemd : supervisor;
  return `if ${IS_SYSTEMD}; then\n${systemd}\nelse\n${supervisor}\nfi`;
}

/** Prints `PUESTA_SERVICE <name> <expected> <running>` per service. */
export function serviceStatusScript(app: Application, opts: ServicesOptions = {}): string {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const l = layoutOf(app, opts.group);
  return byHost(opts, (m) => m.statusFragment(app, l, paths));
}

export interface ServiceStatus {
  name: string;
  expected: number;
  running: number;
}

export function parseServiceStatus(stdout: string): ServiceStatus[] {
  return [...stdout.matchAll(/^PUESTA_SERVICE (\S+) (\d+) (\d+)\s*$/gm)].map((m) => ({ name: m[1]!, expected: Number(m[2]), running: Number(m[3]) }));
}
