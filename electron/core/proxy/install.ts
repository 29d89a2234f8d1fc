/**
 * The install checklist's `proxy-install` step: the slot folders, the slots' services (when the
 * application gives `slotCommand`, see slot-units.ts) and the proxy's own config, idempotently:
 *
 *   nginx-socket     the site of `site-config.ts` in `nginxSitesDir`: put in place, `nginx -t`, the
 *                    previous file back (or none) on refusal; nginx reloads only when the file changed
 *   haproxy-runtime  the config of `haproxy-config.ts`: `haproxy -c` on the candidate first (refused:
 *                    nothing changes), the servers' state saved, installed, `haproxyReload`; a failed
 *                    reload puts the previous config back and reloads that
 *   nginx-reload     the site is the operator's (the driver exists for sites that cannot change their
 *                    proxy): the step says what its location must include; the first switch writes it
 *
 * With `writeProxyConfig` off, every driver only says what the proxy must contain.
 *
 * A symlink-strategy application has no slots; its install gets the `proxy-install` step only once
 * its site is configured (`siteConfigured`: proxy settings saved, nginx-socket, written by Puesta):
 * the same site with `live.sock` → `app.sock` (pointed once, when missing: a suspension's swap is
 * left alone), where the application listens — what a suspension swaps (../suspension/).
 */
import type { ProxySettings, ProxySettingsFields } from '../../../shared/contract/proxy.js';
import { ChecklistStep, type ChecklistKind } from '../../../shared/contract/runs.js';
import type { Application } from '../../../shared/contract/inventory.js';
import type { ProvisionPaths } from '../provision/common.js';
import type { ServiceManagerKind } from '../provision/services/types.js';
import { sh, shq } from '../ssh/quote.js';
import { prelude } from './commands.js';
import { haproxyConfig } from './haproxy-config.js';
import { siteConfig } from './site-config.js';
import { slotUnitsScript, type SlotApp } from './slot-units.js';

type Settings = ProxySettingsFields;

/** The application as the proxy's install and slot scripts need it (from the inventory and the core's options). */
export interface ProxyApp {
  name: string;
  slug: string;
  base: string;
  user: string;
  paths: ProvisionPaths;
  manager?: ServiceManagerKind | undefined;
}

export const slotApp = (s: Settings, a: ProxyApp): SlotApp => ({ slug: a.slug, user: a.user, base: a.base, command: s.slotCommand, paths: a.paths, manager: a.manager });

export const sitePath = (s: Settings, a: ProxyApp): string => `${s.nginxSitesDir}/puesta-${a.slug}.conf`;

/** nginx: the candidate goes in place, `nginx -t` judges the whole config; refused: the previous file (or none) is back. */
function nginxSite(s: Settings, a: ProxyApp, app?: 'socket'): string {
  // compared with `$(cat)`, which drops the trailing newline the file is written with
  const content = siteConfig({ appName: a.name, base: a.base, listen: s.listen, serverNames: s.serverNames, app }).replace(/\n+$/, '');
  return (
    sh`site=${sitePath(s, a)}; content=${content}
` +
    `mkdir -p "$base/acme/.well-known/acme-challenge"; chmod 755 "$base/acme" "$base/acme/.well-known" "$base/acme/.well-known/acme-challenge"
if [ "$(sudo -n cat "$site" 2>/dev/null)" = "$content" ]; then echo "nginx: $site already in place"
else
  had=0; if sudo -n test -f "$site"; then sudo -n cp -p "$site" "$run/nginx-site.bak"; had=1; fi
  printf '%s\\n' "$content" | sudo -n tee "$site.puesta-tmp" >/dev/null && sudo -n chmod 644 "$site.puesta-tmp" && sudo -n mv -f "$site.puesta-tmp" "$site"
  if ! out=$(sudo -n nginx -t 2>&1); then
    if [ "$had" = 1 ]; then sudo -n mv -f "$run/nginx-site.bak" "$site"; else sudo -n rm -f "$site"; fi
    echo "nginx -t refused the new site, the previous one is back (nginx was not reloaded): $out" >&2; exit 1
  fi
  sudo -n rm -f "$run/nginx-site.bak"
  sudo -n nginx -s reload
  echo "nginx: $site written, nginx -t passed, reloaded"
fi`
  );
}

/** HAProxy: `haproxy -c` on the candidate before anything changes; the live slot survives the reload (state file). */
function haproxyFile(s: Settings, a: ProxyApp): string {
  const content = haproxyConfig({ appName: a.name, base: a.base, listen: s.listen, admin: s.haproxyAdmin, backend: s.haproxyBackend }).replace(/\n+$/, '');
  return (
    sh`cfg=${s.haproxyConfig}; content=${content}
` +
    `reload_haproxy() {
${s.haproxyReload}
}
if [ "$(sudo -n cat "$cfg" 2>/dev/null)" = "$content" ]; then echo "haproxy: $cfg already in place"
else
  new=$(mktemp); printf '%s\\n' "$content" > "$new"; chmod 644 "$new"
  if ! out=$(sudo -n haproxy -c -f "$new" 2>&1); then rm -f "$new"; echo "haproxy -c refused the new config, $cfg is unchanged: $out" >&2; exit 1; fi
  had=0; if sudo -n test -f "$cfg"; then sudo -n cp -p "$cfg" "$run/haproxy.cfg.bak"; had=1; fi
  save_state 2>/dev/null || true
  sudo -n cp -f "$new" "$cfg.puesta-tmp" && sudo -n mv -f "$cfg.puesta-tmp" "$cfg"; rm -f "$new"
  if ! reload_haproxy; then
    if [ "$had" = 1 ]; then sudo -n mv -f "$run/haproxy.cfg.bak" "$cfg"; reload_haproxy || true; fi
    echo "the HAProxy reload failed: the previous config is back" >&2; exit 1
  fi
  sudo -n rm -f "$run/haproxy.cfg.bak"
  echo "haproxy: $cfg written, haproxy -c passed, reloaded (live: $(live_slot))"
fi`
  );
}

/** What the proxy must contain when Puesta does not write it. */
function manualNote(s: Settings): string {
  return s.driver === 'nginx-socket'
    ? `echo "nginx site: proxy_pass http://unix:$run/live.sock:;  (no upstream keepalive pool on it)"`
    : s.driver === 'haproxy-runtime'
      ? sh`echo "haproxy: backend ${s.haproxyBackend} with servers blue unix@$run/blue.sock and green unix@$run/green.sock (cookie), admin ${s.haproxyAdmin}, server-state-file $run/haproxy.state"`
      : `echo "nginx site: include $inc; in the location"; sudo -n nginx -v 2>&1`;
}

/** Install: the slot folders, the slots' services and the proxy's part, idempotently. */
export function installScript(s: Settings, a: ProxyApp): string {
  const units = s.slotCommand.trim() ? `sudo -n sh -c ${shq(slotUnitsScript(slotApp(s, a)))}\n` : '';
  const proxy = !s.writeProxyConfig || s.driver === 'nginx-reload' ? manualNote(s) : s.driver === 'nginx-socket' ? nginxSite(s, a) : haproxyFile(s, a);
  return `set -e\n${prelude(s, { template: true })}mkdir -p "$base/slots" "$run"\nchmod 755 "$run"\n${units}${proxy}\necho "live: $(live_slot)"`;
}

/**
 * Puesta writes (and a suspension can rely on) the application's nginx site: the nginx-socket
 * driver with `writeProxyConfig`; a symlink application also needs its proxy settings saved (the
 * defaults name no site of it: listen 80 for every application would collide).
 */
export function siteConfigured(s: ProxySettings, strategy: Application['strategy']): boolean {
  return s.driver === 'nginx-socket' && s.writeProxyConfig && (strategy !== 'symlink' || s.updatedAt !== null);
}

/** A symlink application's site: the run folder, live.sock → app.sock when missing, the site (nginx -t, one reload when it changed). */
export function symlinkSiteScript(s: Settings, a: ProxyApp): string {
  return `set -e
${sh`base=${a.base}`}; run="$base/run"
mkdir -p "$run"; chmod 755 "$run"
if [ -e "$run/live.sock" ] || [ -L "$run/live.sock" ]; then echo "live.sock -> $(readlink "$run/live.sock")"
else ln -sfn app.sock "$run/.live.sock.tmp" && mv -T "$run/.live.sock.tmp" "$run/live.sock"; echo "live.sock -> app.sock"; fi
${nginxSite(s, a, 'socket')}`;
}

/** A symlink application's built-in install with its site (configured: see siteConfigured) written after provisioning. */
export function withSymlinkSite(s: ProxySettings, kind: ChecklistKind, steps: ChecklistStep[], a: ProxyApp): ChecklistStep[] {
  if (kind !== 'install' || !siteConfigured(s, 'symlink') || steps.some((x) => x.key === 'proxy-install')) return steps;
  const site = ChecklistStep.parse({ key: 'proxy-install', title: `Write the nginx site (${s.listen.join(', ')}): live.sock → app.sock, nginx -t, reload`, command: symlinkSiteScript(s, a), timeoutSeconds: 120 });
  const at = steps.findIndex((x) => x.key === 'upload');
  return at < 0 ? [...steps, site] : [...steps.slice(0, at), site, ...steps.slice(at)];
}
