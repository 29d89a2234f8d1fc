/**
 * systemd: one template unit `puesta-<slug>-<svc>@.service` per service; instances @1..@N are
 * enabled and started, instances above N are disabled and stopped (scaling), units of services no
 * longer in the inventory are stopped and removed. Every rendered unit is checked with
 * `systemd-analyze verify` (works offline) before it replaces the installed one.
 */
import type { ServiceSpec } from '../../../../shared/contract/inventory.js';
import type { z } from 'zod';
import { shq } from '../../ssh/quote.js';
import { putFile, type AppLayout, type ProvisionPaths } from '../common.js';
import type { RenderedFile, ServiceAction, ServiceManager } from './types.js';

type Service = z.infer<typeof ServiceSpec>;

/** The marker line that says which application a unit belongs to (slugs may prefix each other). */
export const unitMarker = (l: AppLayout) => `# puesta-application: ${l.slug}`;

export function renderUnit(l: AppLayout, s: Service): string {
  return [
    `# Written by Puesta; changes here are overwritten by the next install.`,
    unitMarker(l),
    '[Unit]',
    `Description=Puesta ${l.slug} ${s.name} (${s.kind}) instance %i`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${l.user}`,
    `Group=${l.group}`,
    `WorkingDirectory=${l.current}`,
    `Environment=PUESTA_INSTANCE=%i PUESTA_SERVICE=${s.name} HOME=${l.base}`,
    `ExecStart=/bin/sh ${l.bin}/puesta-${s.name}`,
    'Restart=always',
    'RestartSec=2',
    'KillMode=control-group',
    `StandardOutput=append:${l.logs}/${s.name}-%i.log`,
    'StandardError=inherit',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const unitFile = (l: AppLayout, paths: ProvisionPaths, name: string) => `${paths.systemdUnitDir}/puesta-${l.slug}-${name}@.service`;

export const systemdManager: ServiceManager = {
  kind: 'systemd',
  unitName: (l, service) => `puesta-${l.slug}-${service}@`,
  render: (app, l, paths): RenderedFile[] => app.services.map((s) => ({ path: unitFile(l, paths, s.name), mode: '644', content: renderUnit(l, s) })),

  applyFragment(app, l, paths) {
    const names = app.services.map((s) => `puesta-${l.slug}-${s.name}@.service`);
    const lines = [
      `command -v systemctl >/dev/null 2>&1 || { echo "systemctl is missing on this host." >&2; exit 1; }`,
      `_vdir=$(mktemp -d)`,
      `trap 'rm -rf "$_vdir"' EXIT`,
      `PUESTA_RELOAD=0`,
    ];
    app.services.forEach((s, i) => {
      const unit = `puesta-${l.slug}-${s.name}@.service`;
      const content = renderUnit(l, s);
      lines.push(
        `printf '%s' ${shq(content)} > "$_vdir/"${shq(unit)}`,
        `if ! systemd-analyze verify "$_vdir/"${shq(`puesta-${l.slug}-${s.name}@1.service`)} > "$_vdir/verify.log" 2>&1 || grep -q ${shq(`puesta-${l.slug}-${s.name}@`)} "$_vdir/verify.log"; then echo ${shq(`systemd-analyze verify rejected ${unit}:`)} >&2; cat "$_vdir/verify.log" >&2; exit 1; fi`,
        putFile(unitFile(l, paths, s.name), '644', 'root:root', content),
        `if [ "$PUESTA_WROTE" = 1 ]; then PUESTA_RELOAD=1; PUESTA_RESTART_${i}=1; fi`,
      );
    });
    // units of this application whose service left the inventory
    lines.push(
      `for _f in ${shq(paths.systemdUnitDir)}/puesta-${l.slug}-*@.service; do`,
      `  [ -f "$_f" ] || continue`,
      `  grep -qx ${shq(unitMarker(l))} "$_f" || continue`,
      `  case "\${_f##*/}" in ${names.length ? names.map(shq).join('|') : "''"}) continue ;; esac`,
      `  _u=\${_f##*/}; _p=\${_u%@.service}`,
      `  for _i in $(systemctl list-units --all --plain --no-legend "$_p@*.service" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /[.]service$/) { print $i; break }}'); do systemctl disable --now --quiet "$_i" || true; done`,
      `  for _w in ${shq(paths.systemdUnitDir)}/*.wants/"$_p"@*.service; do [ -L "$_w" ] && systemctl disable --now --quiet "\${_w##*/}" || true; done`,
      `  rm -f -- "$_f"; PUESTA_RELOAD=1; changed "$_u removed (its service left the inventory)"`,
      `done`,
      `if [ "$PUESTA_RELOAD" = 1 ]; then systemctl daemon-reload; fi`,
      `if [ -e ${shq(l.current)} ]; then`,
    );
    app.services.forEach((s, i) => {
      const p = `puesta-${l.slug}-${s.name}`;
      lines.push(
        `  _i=1`,
        `  while [ "$_i" -le ${s.instances} ]; do`,
        `    _u=${shq(p)}@$_i.service`,
        `    systemctl is-enabled --quiet "$_u" 2>/dev/null || { systemctl enable --quiet "$_u"; changed "$_u enabled"; }`,
        `    if systemctl is-active --quiet "$_u"; then`,
        `      if [ "\${PUESTA_RESTART_${i}:-0}" = 1 ]; then systemctl restart "$_u"; changed "$_u restarted (its unit or command changed)"; fi`,
        `    else systemctl start "$_u"; changed "$_u started"; fi`,
        `    _i=$((_i + 1))`,
        `  done`,
        // scale down: every known instance above N
        `  for _u in $( { systemctl list-units --all --plain --no-legend ${shq(`${p}@*.service`)} 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /[.]service$/) { print $i; break }}'; ls ${shq(paths.systemdUnitDir)}/*.wants/ 2>/dev/null | grep -E ${shq(`^${p}@[0-9]+\\.service$`)}; } | sort -u); do`,
        `    _n=\${_u#*@}; _n=\${_n%.service}`,
        `    case "$_n" in ''|*[!0-9]*) continue ;; esac`,
        `    if [ "$_n" -gt ${s.instances} ]; then systemctl disable --now --quiet "$_u" || true; changed "$_u stopped and disabled (scaled to ${s.instances})"; fi`,
        `  done`,
        `  note ${shq(`${s.name}: ${s.instances} instance(s) enabled and active`)}`,
      );
    });
    lines.push(`else`, `  note ${shq(`units written; not started: ${l.current} does not exist yet (no release switched in)`)}`, `fi`);
    return lines.join('\n');
  },

  controlFragment(app, l, _paths, action: ServiceAction, service) {
    const units = app.services
      .filter((s) => !service || s.name === service)
      .flatMap((s) => Array.from({ length: s.instances }, (_, k) => `puesta-${l.slug}-${s.name}@${k + 1}.service`));
    if (!units.length) return `echo 'no such service with instances' >&2; exit 1`;
    return `systemctl ${action} ${units.map(shq).join(' ')}`;
  },

  statusFragment(app, l) {
    return app.services
      .map((s) => {
        const p = `puesta-${l.slug}-${s.name}`;
        return `_n=0; _i=1; while [ "$_i" -le ${s.instances} ]; do systemctl is-active --quiet ${shq(p)}@$_i.service && _n=$((_n + 1)); _i=$((_i + 1)); done; echo "PUESTA_SERVICE ${s.name} ${s.instances} $_n"`;
      })
      .join('\n');
  },
};
