/**
 * A service per slot, when the application gives `slotCommand`: the install writes it for the
 * service manager the host has (systemd as PID 1: the template unit `puesta-<slug>-slot@.service`,
 * instances `@blue` / `@green`; otherwise Debian's supervisor: programs `puesta-<slug>-slot-blue` /
 * `-green`), never started by the manager on its own — the slot steps start, restart and stop them
 * (`slot_service`). Each instance gets PUESTA_SLOT, PUESTA_SLOT_DIR (its release link) and
 * PUESTA_SLOT_SOCKET. The command itself is data in the wrapper `<base>/bin/puesta-slot`, as the
 * provisioning's services are (provision/services).
 */
import { shJoin, shq } from '../ssh/quote.js';
import { frame, IS_SYSTEMD, putFile, type ProvisionPaths } from '../provision/common.js';
import type { ServiceManagerKind } from '../provision/services/types.js';

/** What the slots' services are built from. */
export interface SlotApp {
  slug: string;
  user: string;
  base: string;
  command: string;
  paths: ProvisionPaths;
  /** Forced manager (tests, or a host known in advance); detected on the host otherwise. */
  manager?: ServiceManagerKind | undefined;
}

const SLOT_NAMES = ['blue', 'green'] as const;
const wrapperPath = (a: SlotApp) => `${a.base}/bin/puesta-slot`;
const unitFile = (a: SlotApp) => `${a.paths.systemdUnitDir}/puesta-${a.slug}-slot@.service`;
const supervisorFile = (a: SlotApp) => `${a.paths.supervisorConfDir}/puesta-${a.slug}-slots.conf`;

export function renderWrapper(a: SlotApp): string {
  return `#!/bin/sh
# Written by Puesta: the service of blue-green slot $PUESTA_SLOT (its release: $PUESTA_SLOT_DIR).
cd "$PUESTA_SLOT_DIR" || exit 1
${a.command}
`;
}

export function renderSlotUnit(a: SlotApp): string {
  return `# Written by Puesta; changes here are overwritten by the next install.
# puesta-application: ${a.slug}
[Unit]
Description=Puesta ${a.slug} blue-green slot %i
After=network-online.target

[Service]
Type=simple
User=${a.user}
WorkingDirectory=${a.base}/slots/%i
Environment=PUESTA_SLOT=%i PUESTA_SLOT_DIR=${a.base}/slots/%i PUESTA_SLOT_SOCKET=${a.base}/run/%i.sock HOME=${a.base}
ExecStart=/bin/sh ${wrapperPath(a)}
Restart=always
RestartSec=2
KillMode=control-group
StandardOutput=append:${a.base}/run/slot-%i.log
StandardError=inherit
`;
}

export function renderSlotPrograms(a: SlotApp): string {
  const out = [`; Written by Puesta for application ${a.slug}; changes here are overwritten by the next install.`];
  for (const slot of SLOT_NAMES) {
    out.push(
      '',
      `[program:puesta-${a.slug}-slot-${slot}]`,
      `command=/bin/sh ${wrapperPath(a)}`,
      `directory=${a.base}/slots/${slot}`,
      `user=${a.user}`,
      `environment=PUESTA_SLOT="${slot}",PUESTA_SLOT_DIR="${a.base}/slots/${slot}",PUESTA_SLOT_SOCKET="${a.base}/run/${slot}.sock",HOME="${a.base}"`,
      // the slot steps start it: a slot without a release must not be started by supervisord
      'autostart=false',
      'autorestart=true',
      'startsecs=1',
      'stopasgroup=true',
      'killasgroup=true',
      'redirect_stderr=true',
      `stdout_logfile=${a.base}/run/slot-${slot}.log`,
    );
  }
  return out.join('\n') + '\n';
}

/** Root script (run with sudo): the wrapper and the manager's files, idempotently; nothing is started here. */
export function slotUnitsScript(a: SlotApp): string {
  const systemd = [
    putFile(unitFile(a), '644', 'root:root', renderSlotUnit(a)),
    `if [ "$PUESTA_WROTE" = 1 ]; then systemctl daemon-reload; fi`,
    `note ${shq(`systemd: puesta-${a.slug}-slot@blue / @green`)}`,
  ].join('\n');
  const ctl = shJoin(a.paths.supervisorctl);
  const supervisor = [
    `command -v supervisorctl >/dev/null 2>&1 || { echo "supervisor is not installed on this host: apt-get install supervisor, or run the slots with start/stop commands." >&2; exit 1; }`,
    putFile(supervisorFile(a), '644', 'root:root', renderSlotPrograms(a)),
    // only our two programs: never a bare `update`, which applies every application's pending changes
    `if [ "$PUESTA_WROTE" = 1 ]; then ${ctl} reread >/dev/null && ${ctl} update ${shq(`puesta-${a.slug}-slot-blue`)} ${shq(`puesta-${a.slug}-slot-green`)} >/dev/null; fi`,
    `note ${shq(`supervisor: puesta-${a.slug}-slot-blue / -green`)}`,
  ].join('\n');
  const pick = a.manager === 'systemd' ? systemd : a.manager === 'supervisor' ? supervisor : `if ${IS_SYSTEMD}; then\n${systemd}\nelse\n${supervisor}\nfi`;
  return frame(`mkdir -p ${shq(`${a.base}/bin`)}\n${putFile(wrapperPath(a), '755', 'root:root', renderWrapper(a))}\nPUESTA_WROTE=0\n${pick}`);
}

/** `slot_service <start|restart|stop> <slot>`: the slot's service through the host's manager (sudo). */
export function slotServiceFunction(a: SlotApp): string {
  const systemd = `sudo -n systemctl "$1" ${shq(`puesta-${a.slug}-slot@`)}"$2.service"`;
  const supervisor = `sudo -n ${shJoin(a.paths.supervisorctl)} "$1" ${shq(`puesta-${a.slug}-slot-`)}"$2" >/dev/null`;
  if (a.manager === 'systemd') return `slot_service() { ${systemd}; }`;
  if (a.manager === 'supervisor') return `slot_service() { ${supervisor}; }`;
  return `slot_service() { if ${IS_SYSTEMD}; then ${systemd}; else ${supervisor}; fi; }`;
}
