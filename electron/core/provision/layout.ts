/**
 * Directory layout: <base>, releases/ (owned by the deploying SSH user, $SUDO_USER, so release
 * upload/extract/switch need no sudo; the runtime user when run as root directly), shared/ with the
 * shared folders and files and logs/ (runtime user), bin/ (root-owned: it holds the service
 * wrappers and the backup script, which root runs). Owners and modes converge; nothing outside
 * <base> is touched.
 */
import type { Application } from '../../../shared/contract/inventory.js';
import { frame, layoutOf, type Built } from './common.js';
import { shq } from '../ssh/quote.js';

export interface LayoutModes {
  base: string;
  releases: string;
  shared: string;
  logs: string;
  bin: string;
  sharedFile: string;
}

export const DEFAULT_MODES: LayoutModes = { base: '755', releases: '755', shared: '750', logs: '750', bin: '755', sharedFile: '640' };

export function layoutStep(app: Application, opts: { group?: string; modes?: Partial<LayoutModes> } = {}): Built {
  const l = layoutOf(app, opts.group);
  const m = { ...DEFAULT_MODES, ...opts.modes };
  for (const [k, v] of Object.entries(m)) if (!/^[0-7]{3,4}$/.test(v)) throw new Error(`layout mode ${k} must be octal digits, got ${v}`);
  const own = `${l.user}:${l.group}`;
  const touches: string[] = [l.base, l.releases, l.shared, l.logs, l.bin];
  const lines: string[] = [
    `id -u ${shq(l.user)} >/dev/null 2>&1 || { echo "The runtime user ${l.user} does not exist yet: run the user step first." >&2; exit 1; }`,
    // base/ and releases/ belong to the deploying SSH user (who uploads, extracts and switches
    // releases without sudo); the runtime user reads the code and writes only shared/ and logs/.
    // Run as root directly (no sudo), the runtime user owns them.
    `deployer=\${SUDO_USER:-}; case "$deployer" in ''|root) deployer=${shq(l.user)} ;; esac`,
    `ensure_dir ${shq(l.base)} ${m.base} "$deployer:"${shq(l.group)}`,
    `ensure_dir ${shq(l.releases)} ${m.releases} "$deployer:"${shq(l.group)}`,
    `ensure_dir ${shq(l.shared)} ${m.shared} ${shq(own)}`,
    `ensure_dir ${shq(l.logs)} ${m.logs} ${shq(own)}`,
    `ensure_dir ${shq(l.bin)} ${m.bin} root:root`,
  ];
  const dirs = new Set<string>();
  const addDir = (rel: string) => {
    const parts = rel.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      lines.push(`ensure_dir ${shq(`${l.shared}/${d}`)} ${m.shared} ${shq(own)}`);
      touches.push(`${l.shared}/${d}`);
    }
  };
  for (const d of l.sharedDirs) addDir(d);
  for (const f of l.sharedFiles) {
    const parent = f.split('/').slice(0, -1).join('/');
    if (parent) addDir(parent);
    const p = `${l.shared}/${f}`;
    touches.push(p);
    lines.push(
      `if [ -L ${shq(p)} ] || { [ -e ${shq(p)} ] && [ ! -f ${shq(p)} ]; }; then echo ${shq(`${p} exists and is not a regular file; Puesta changes nothing.`)} >&2; exit 1; fi`,
      `if [ -f ${shq(p)} ]; then fix_attrs ${shq(p)} ${m.sharedFile} ${shq(own)}; else install -m ${m.sharedFile} -o ${shq(l.user)} -g ${shq(l.group)} /dev/null ${shq(p)}; changed ${shq(`${p} created (empty)`)}; fi`,
    );
  }
  return {
    title: `Directory layout under ${l.base}`,
    script: frame(lines.join('\n')),
    checkScript: `[ -d ${shq(l.releases)} ] && [ -d ${shq(l.shared)} ] && [ -d ${shq(l.logs)} ]`,
    touches,
  };
}
