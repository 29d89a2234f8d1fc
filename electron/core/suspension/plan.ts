/**
 * What a suspension or a reinstatement does on each host, before anything runs: the targets (the
 * application's placements in each environment), each host's exact script, and the effects in
 * words for the confirmation. Local only (no SSH).
 */
import type { Application } from '../../../shared/contract/inventory.js';
import type { ReinstatePlan, SuspendParsed, Suspension, SuspensionPlan } from '../../../shared/contract/suspension.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { siteConfigured } from '../proxy/install.js';
import { getSettings } from '../proxy/proxy-store.js';
import { serviceOptionsOf } from '../provision/context.js';
import { targetsOf } from '../runs/planner.js';
import { serverTarget } from '../ssh/target.js';
import { pageHtml, reinstateScript, suspendScript } from './commands.js';
import { contractCovers, contractParty, listSuspensions } from './suspension-store.js';

type PlanHost = SuspensionPlan['environments'][number]['hosts'][number];

/** The environments the application is placed in (or the one asked), each with its hosts. */
export function targetEnvironments(core: Core, applicationId: number, environmentId?: number): { environmentId: number; environmentName: string; hosts: { serverId: number; serverName: string }[] }[] {
  const envIds = environmentId !== undefined ? [environmentId] : environmentsOf(core, applicationId);
  const out = envIds
    .map((id) => ({ environmentId: id, environmentName: core.inventory.environments.get(id).name, hosts: targetsOf(core, applicationId, id).hosts }))
    .filter((e) => e.hosts.length > 0);
  if (!out.length) throw new PuestaError('PRECONDITION_FAILED', `The application is not placed on any server${environmentId !== undefined ? ' of that environment' : ''}: there is nothing to suspend.`);
  return out;
}

function environmentsOf(core: Core, applicationId: number): number[] {
  const placements = core.inventory.placements.list({ applicationId, limit: 100_000, offset: 0 }).items;
  const ids = new Set<number>();
  for (const p of placements) {
    const env = core.inventory.servers.get(p.serverId).environmentId;
    if (env !== null) ids.add(env);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Checks a request against the inventory: the contract covers the application; the workers are its services. */
export function checkRequest(core: Core, req: SuspendParsed): Application {
  const app = core.inventory.applications.get(req.applicationId);
  contractParty(core, req.contractId);
  if (!contractCovers(core, req.contractId, app.id)) throw new PuestaError('PRECONDITION_FAILED', `The contract does not cover ${app.name}.`, { field: 'applicationId' });
  const unknown = req.stopWorkers.filter((w) => !app.services.some((s) => s.name === w));
  if (unknown.length) {
    throw new PuestaError('INVALID_INPUT', `${app.name} has no service named ${unknown.join(', ')}; its services are: ${app.services.map((s) => s.name).join(', ') || 'none'}.`, { field: 'stopWorkers' });
  }
  return app;
}

const sudoFor = (core: Core, serverId: number): boolean => serverTarget(core, serverId).user !== 'root';

export function suspendScriptFor(core: Core, app: Application, s: { id: number; contractId: number; retryAfterSeconds: number; message: string; stopWorkers: string[] }, serverId: number): string {
  const party = contractParty(core, s.contractId);
  const page = pageHtml({ suspensionId: s.id, contractReference: party.reference, customerName: party.customerName, message: s.message, retryAfterSeconds: s.retryAfterSeconds });
  return suspendScript({ suspensionId: s.id, app, retryAfterSeconds: s.retryAfterSeconds, page, stopWorkers: s.stopWorkers, services: serviceOptionsOf(core), sudo: sudoFor(core, serverId) });
}

export function reinstateScriptFor(core: Core, app: Application, serverId: number): string {
  return reinstateScript({ app, services: serviceOptionsOf(core), sudo: sudoFor(core, serverId) });
}

const TITLES = {
  record: 'Record what live.sock points at, write the page',
  swap: 'Point live.sock at the suspended responder (atomic, no proxy reload)',
  workers: 'Stop the workers, recording which',
  verify: 'Verify through the proxy: 503, Retry-After, the page; the ACME path answers',
};

export function planSuspension(core: Core, req: SuspendParsed): SuspensionPlan {
  const app = checkRequest(core, req);
  const envs = targetEnvironments(core, app.id, req.environmentId);
  const party = contractParty(core, req.contractId);
  const warnings: string[] = [];
  if (!app.healthCheck.target.trim() && !app.monitoring.healthUrl.trim()) warnings.push(`${app.name} has no health URL: the suspension cannot be verified through the proxy.`);
  // the suspended responder is part of Puesta's nginx site: without it the host script stops at its first step
  const noSite = !siteConfigured(getSettings(core, app.id), app.strategy);
  const environments = envs.map((e) => {
    const existing = listSuspensions(core, { applicationId: app.id, environmentId: e.environmentId, inForce: true, limit: 1 })[0] ?? null;
    if (existing && existing.contractId !== req.contractId) warnings.push(`${app.name} on ${e.environmentName} is already suspended under contract ${existing.contractReference}.`);
    const hosts: PlanHost[] = e.hosts.map((h) => {
      if (noSite) warnings.push(`No Puesta site on ${h.serverName}: configure the site in the proxy settings and install.`);
      const script = suspendScriptFor(core, app, { id: existing?.id ?? 0, ...req }, h.serverId);
      return {
        serverId: h.serverId,
        serverName: h.serverName,
        site: `${app.name} on ${h.serverName}`,
        steps: [
          { step: 'record', title: TITLES.record, command: script },
          { step: 'verify', title: TITLES.verify, command: '' },
        ],
      };
    });
    return { environmentId: e.environmentId, environmentName: e.environmentName, existingId: existing?.id ?? null, hosts };
  });
  const hostNames = environments.flatMap((e) => e.hosts.map((h) => `${h.serverName} (${e.environmentName})`));
  const effects = [
    `${app.name} answers 503 with Retry-After ${req.retryAfterSeconds} s and a page naming contract ${party.reference} on ${hostNames.join(', ')}; certificates keep renewing.`,
    req.stopWorkers.length ? `Stops ${req.stopWorkers.join(', ')} where running (recorded, started again on reinstatement).` : 'No worker is stopped.',
    req.notify ? `${party.customerName} is told (notices outbox).` : `${party.customerName} is not told.`,
    'Data is kept; nginx is not reloaded (other sites are not affected).',
  ];
  return { environments, effects, warnings };
}

export function planReinstatement(core: Core, s: Suspension): ReinstatePlan {
  const app = core.inventory.applications.get(s.applicationId);
  const hosts = s.hosts.map((h) => ({
    serverId: h.serverId,
    serverName: h.serverName,
    site: `${app.name} on ${h.serverName}`,
    steps: [
      { step: 'swap' as const, title: `Point live.sock back at ${h.previousTarget ?? 'what it pointed at'}, start the workers stopped`, command: reinstateScriptFor(core, app, h.serverId) },
      { step: 'verify' as const, title: 'Health check through the proxy', command: '' },
    ],
  }));
  const workers = [...new Set(s.hosts.flatMap((h) => h.stoppedWorkers))];
  const effects = [
    `${app.name} is served again on ${s.hosts.map((h) => h.serverName).join(', ')} (${s.environmentName}).`,
    workers.length ? `Starts ${workers.join(', ')} again (the workers the suspension stopped).` : 'No worker was stopped: none is started.',
  ];
  return { suspension: s, hosts, effects };
}
