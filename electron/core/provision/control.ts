/** Starting, stopping, restarting and reading an application's services on its servers, over SSH. */
import type { Application } from '../../../shared/contract/inventory.js';
import type { ServiceControlResult } from '../../../shared/contract/provision.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { serverTarget } from '../ssh/target.js';
import { placementsOf, serviceOptionsOf } from './context.js';
import { parseServiceStatus, serviceControlScript, serviceStatusScript } from './index.js';
import type { ServiceAction } from './services/types.js';
import { hostAddressLine } from './monitoring.js';

/**
 * Runs the action (or only reads the status) on every server the application is placed on (or the
 * one given), in parallel; a host's failure is its result's `ok: false`, never a throw. Audits actions.
 */
export async function controlServices(
  core: Core,
  app: Application,
  input: { action: ServiceAction | 'status'; service?: string | undefined; serverId?: number | undefined },
  signal?: AbortSignal,
): Promise<ServiceControlResult[]> {
  if (input.service && !app.services.some((s) => s.name === input.service)) {
    throw new PuestaError('NOT_FOUND', `${app.name} has no service named ${input.service}; its services are: ${app.services.map((s) => s.name).join(', ') || 'none'}.`);
  }
  const ps = placementsOf(core, { applicationId: app.id }).filter((p) => input.serverId === undefined || p.serverId === input.serverId);
  if (!ps.length) throw new PuestaError('PRECONDITION_FAILED', `${app.name} is not placed on ${input.serverId === undefined ? 'any server' : 'that server'}: add a placement first.`);
  const so = serviceOptionsOf(core);
  const script =
    (input.action === 'status' ? '' : `( ${serviceControlScript(app, input.action, input.service, so)} ) 2>&1 || echo "PUESTA_CONTROL_FAILED $?"\n`) + serviceStatusScript(app, so);
  const items = await Promise.all(
    [...new Set(ps.map((p) => p.serverId))].map(async (serverId): Promise<ServiceControlResult> => {
      const target = serverTarget(core, serverId);
      try {
        const r = await core.services.ssh.exec(target, hostAddressLine(target.host) + script, { sudo: target.user !== 'root', timeoutMs: 120_000, ...(signal ? { signal } : {}) });
        const failed = r.exitCode !== 0 || /^PUESTA_CONTROL_FAILED/m.test(r.stdout);
        const output = (r.stdout.replace(/^PUESTA_SERVICE .*\n?/gm, '') + r.stderr).trim().split('\n').slice(-40).join('\n');
        return { serverId, serverName: target.name, ok: !failed, output, services: parseServiceStatus(r.stdout).filter((s) => !input.service || s.name === input.service) };
      } catch (e) {
        return { serverId, serverName: target.name, ok: false, output: e instanceof Error ? e.message : String(e), services: [] };
      }
    }),
  );
  if (input.action !== 'status') core.audit.write(core.operator(), `services.${input.action}`, 'applications', app.id, null, { service: input.service ?? null, servers: items.map((i) => ({ server: i.serverName, ok: i.ok })) });
  return items;
}
