/**
 * Debian's supervisor: one `<supervisorConfDir>/puesta-<slug>.conf` per application holding a
 * `[program:puesta-<slug>-<svc>]` per service with numprocs = instances (a service at 0 instances
 * has no program). `supervisorctl reread` + `update` converge the counts (update restarts a
 * changed group); then every process is waited for until RUNNING.
 */
import type { Application } from '../../../../shared/contract/inventory.js';
import { shJoin, shq } from '../../ssh/quote.js';
import { putFile, type AppLayout, type ProvisionPaths } from '../common.js';
import type { RenderedFile, ServiceAction, ServiceManager } from './types.js';

const confPath = (l: AppLayout, paths: ProvisionPaths) => `${paths.supervisorConfDir}/puesta-${l.slug}.conf`;

function renderConf(app: Application, l: AppLayout): string {
  const out = [`; Written by Puesta for application ${l.slug}; changes here are overwritten by the next install.`];
  for (const s of app.services) {
    if (s.instances < 1) continue;
    out.push(
      '',
      `[program:puesta-${l.slug}-${s.name}]`,
      `command=/bin/sh ${l.bin}/puesta-${s.name}`,
      'process_name=%(program_name)s_%(process_num)02d',
      `numprocs=${s.instances}`,
      'numprocs_start=1',
      `directory=${l.current}`,
      `user=${l.user}`,
      `environment=PUESTA_INSTANCE="%(process_num)d",PUESTA_SERVICE="${s.name}",HOME="${l.base}"`,
      'autostart=true',
      'autorestart=true',
      'startsecs=1',
      'stopasgroup=true',
      'killasgroup=true',
      'redirect_stderr=true',
      `stdout_logfile=${l.logs}/${s.name}-%(process_num)d.log`,
      // logrotate rotates these files (copytruncate), not supervisor.
      'stdout_logfile_maxbytes=0',
      'stdout_logfile_backups=0',
    );
  }
  return out.join('\n') + '\n';
}

export const supervisorManager: ServiceManager = {
  kind: 'supervisor',
  unitName: (l, service) => `puesta-${l.slug}-${service}`,
  render: (app, l, paths): RenderedFile[] => [{ path: confPath(l, paths), mode: '644', content: renderConf(app, l) }],

  applyFragment(app, l, paths) {
    const ctl = shJoin(paths.supervisorctl);
    const conf = confPath(l, paths);
    const running = app.services.filter((s) => s.instances > 0);
    const down = `echo "supervisord is not running (or not reachable with: ${paths.supervisorctl.join(' ')}): start it (service supervisor start) and retry." >&2; exit 1`;
    const lines = [
      `command -v supervisorctl >/dev/null 2>&1 || { echo "supervisor is not installed on this host: apt-get install supervisor, then retry." >&2; exit 1; }`,
      `sup() { ${ctl} "$@"; }`,
      running.length ? putFile(conf, '644', 'root:root', renderConf(app, l)) : `remove_file ${shq(conf)}`,
      `if [ -e ${shq(l.current)} ]; then`,
      `  _rr=$(sup reread 2>&1) || { printf '%s\\n' "$_rr" >&2; ${down}; }`,
      // only this application's groups: the inventory's services plus any of ours that disappeared
      `  if printf '%s\\n' "$_rr" | grep -q ${shq(`^puesta-${l.slug}-[a-z0-9-]*: `)}; then`,
      `    _gone=$(printf '%s\\n' "$_rr" | sed -n ${shq(`s/^\\(puesta-${l.slug}-[a-z0-9-]*\\): disappeared$/\\1/p`)})`,
      // never a bare `update` (it would apply every application's pending changes)
      `    _names=$(echo ${shJoin(app.services.map((s) => `puesta-${l.slug}-${s.name}`))} $_gone)`,
      `    if [ -n "$_names" ]; then _upd=$(sup update $_names 2>&1 || true); else _upd=''; fi`,
      `    if printf '%s\\n' "$_upd" | grep -q -E ': (added|updated|removed)'; then`,
      `      PUESTA_CHANGED=1; printf '%s\\n' "$_upd" | grep -E ': (added|updated|removed)' | sed 's/^/changed: supervisor /'`,
      `    fi`,
      `  fi`,
    ];
    running.forEach((s) => {
      const i = app.services.indexOf(s);
      const prog = `puesta-${l.slug}-${s.name}`;
      lines.push(`  if [ "\${PUESTA_RESTART_${i}:-0}" = 1 ]; then sup restart ${shq(`${prog}:*`)} >/dev/null 2>&1 || true; changed ${shq(`${s.name} restarted (its command changed)`)}; fi`);
    });
    if (running.length) {
      // one status call per poll for every program; start what is stopped; wait for RUNNING
      lines.push(`  _tries=0`, `  while :; do`, `    _st=$(sup status 2>&1 || true); _ok=1`);
      for (const s of running) {
        const prog = `puesta-${l.slug}-${s.name}`;
        lines.push(
          `    _n=$(printf '%s\\n' "$_st" | grep -c -E ${shq(`^${prog}:[^ ]+ +RUNNING`)} || true)`,
          `    if [ "$_n" -lt ${s.instances} ]; then _ok=0; if printf '%s\\n' "$_st" | grep -q -E ${shq(`^${prog}:[^ ]+ +(STOPPED|EXITED|FATAL)`)}; then sup start ${shq(`${prog}:*`)} >/dev/null 2>&1 || true; changed ${shq(`${s.name} started`)}; fi; fi`,
        );
      }
      lines.push(
        `    [ "$_ok" = 1 ] && break`,
        `    _tries=$((_tries + 1))`,
        `    if [ "$_tries" -gt 60 ]; then echo 'not every process reached RUNNING:' >&2; printf '%s\\n' "$_st" | grep ${shq(`^puesta-${l.slug}-`)} >&2; exit 1; fi`,
        `    sleep 0.25`,
        `  done`,
        `  note ${shq(running.map((s) => `${s.name}: ${s.instances} RUNNING`).join(', '))}`,
      );
    }
    lines.push(`else`, `  sup pid >/dev/null 2>&1 || { ${down}; }`, `  note ${shq(`services written; not started: ${l.current} does not exist yet (no release switched in)`)}`, `fi`);
    return lines.join('\n');
  },

  controlFragment(app, l, paths, action: ServiceAction, service) {
    const ctl = shJoin(paths.supervisorctl);
    const progs = app.services.filter((s) => s.instances > 0 && (!service || s.name === service)).map((s) => `puesta-${l.slug}-${s.name}:*`);
    if (!progs.length) return `echo 'no such service with running instances' >&2; exit 1`;
    return `${ctl} ${action} ${shJoin(progs)}`;
  },

  statusFragment(app, l, paths) {
    const ctl = shJoin(paths.supervisorctl);
    return [
      `_st=$(${ctl} status 2>/dev/null || true)`,
      ...app.services.map((s) => {
        const prog = `puesta-${l.slug}-${s.name}`;
        return `_n=$(printf '%s\\n' "$_st" | grep -c -E ${shq(`^${prog}:[^ ]+ +RUNNING`)} || true); echo "PUESTA_SERVICE ${s.name} ${s.instances} $_n"`;
      }),
    ].join('\n');
  },
};
