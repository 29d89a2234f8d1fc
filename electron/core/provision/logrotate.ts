/**
 * Log rotation: one logrotate file per application (`<logrotateDir>/puesta-<slug>`) for
 * <base>/logs/*.log, rendered from the inventory's policy, validated with `logrotate -d` before it
 * replaces the installed one, and written only when its content differs.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { DEFAULT_PATHS, IS_SYSTEMD, frame, layoutOf, putFile, type Built, type ProvisionPaths } from './common.js';
import { shJoin, shq } from '../ssh/quote.js';

export function logrotatePath(app: Application, paths: Pick<ProvisionPaths, 'logrotateDir'> = DEFAULT_PATHS): string {
  return `${paths.logrotateDir}/puesta-${layoutOf(app).slug}`;
}

/** The logrotate configuration for the application (pure). */
export function renderLogrotate(app: Application, opts: { group?: string; paths?: ProvisionPaths } = {}): string {
  const l = layoutOf(app, opts.group);
  const paths = opts.paths ?? DEFAULT_PATHS;
  const r = app.logRotation;
  const lines = [
    `# Written by Puesta for application ${l.slug}; changes here are overwritten by the next install.`,
    `${l.logs}/*.log {`,
    `    su ${l.user} ${l.group}`,
    `    ${r.frequency}`,
    `    rotate ${r.keep}`,
  ];
  if (r.maxSize) lines.push(`    maxsize ${r.maxSize}`);
  lines.push(r.compress ? '    compress' : '    nocompress', '    missingok', '    notifempty');
  if (r.copyTruncate) lines.push('    copytruncate');
  else {
    // The processes reopen their logs: supervisord reopens the files it captures on USR2 and the
    // programs get HUP; under systemd the units get HUP.
    const programs = app.services.filter((s) => s.instances > 0).map((s) => `puesta-${l.slug}-${s.name}:*`);
    const supctl = shJoin(paths.supervisorctl);
    lines.push(
      '    sharedscripts',
      '    postrotate',
      `        if ${IS_SYSTEMD}; then systemctl kill --signal=HUP ${app.services.map((s) => shq(`puesta-${l.slug}-${s.name}@*.service`)).join(' ') || "''"} 2>/dev/null || true; else _p=$(${supctl} pid 2>/dev/null || true); [ -z "$_p" ] || kill -USR2 "$_p" || true;${programs.length ? ` ${supctl} signal HUP ${shJoin(programs)} >/dev/null 2>&1 || true;` : ''} fi`,
      '    endscript',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

export function logrotateStep(app: Application, opts: { group?: string; paths?: ProvisionPaths } = {}): Built {
  const paths = opts.paths ?? DEFAULT_PATHS;
  const content = renderLogrotate(app, { ...opts, paths });
  const dest = logrotatePath(app, paths);
  const body = `
command -v logrotate >/dev/null 2>&1 || { echo "logrotate is not installed on this host: apt-get install logrotate, then retry." >&2; exit 1; }
_dir=$(mktemp -d)
trap 'rm -rf "$_dir"' EXIT
printf '%s' ${shq(content)} > "$_dir/puesta.conf"
chmod 644 "$_dir/puesta.conf"
if ! logrotate -d -s "$_dir/state" "$_dir/puesta.conf" > "$_dir/check.log" 2>&1; then
  echo "logrotate rejected the rendered configuration:" >&2; grep -i -E 'error|unknown|bad' "$_dir/check.log" >&2 || tail -n 20 "$_dir/check.log" >&2
  exit 1
fi
note "logrotate -d accepts the configuration"
${putFile(dest, '644', 'root:root', content)}
`;
  return {
    title: `Log rotation (${dest})`,
    script: frame(body),
    checkScript: `[ -f ${shq(dest)} ] && printf '%s' ${shq(content)} | cmp -s - ${shq(dest)}`,
    touches: [dest],
  };
}
