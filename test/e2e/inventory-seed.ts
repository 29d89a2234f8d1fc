/**
 * The inventory the inventory e2e test builds through the UI, created through the API instead, in
 * layers: a test seeds the layers before the one it exercises and starts from there.
 *   servers      the environment "production", web-01 (in it, role web) and db-01 (port 2222)
 *   application  billing-api, blue-green, one web service ×2 and a health URL
 *   placement    billing-api on web-01, role web, slot blue
 *   customer     Acme Logistics with the contact Ana García and the contract HC-2026-001 (billing-api)
 */
import type { App } from './harness.js';

export const LAYERS = ['servers', 'application', 'placement', 'customer'] as const;
export type Layer = (typeof LAYERS)[number];

export interface InventorySeed {
  envId: number;
  web01: number;
  db01: number;
  appId?: number;
  customerId?: number;
}

/** Seeds every layer up to and including `upTo`. */
export async function seedInventory(app: App, upTo: Layer): Promise<InventorySeed> {
  const wanted = (l: Layer) => LAYERS.indexOf(l) <= LAYERS.indexOf(upTo);
  const env = await app.call('environments.create', { name: 'production', colour: '#dc2626', confirmRuns: true });
  const web01 = (await app.call('servers.create', { name: 'web-01', host: '10.0.0.11', user: 'deploy', environmentId: env.id, roles: ['web'] })).id;
  const db01 = (await app.call('servers.create', { name: 'db-01', host: '10.0.0.21', port: 2222, user: 'deploy' })).id;
  const seed: InventorySeed = { envId: env.id, web01, db01 };
  if (!wanted('application')) return seed;
  seed.appId = (
    await app.call('applications.create', {
      name: 'billing-api',
      runtimeUser: 'billing',
      basePath: '/srv/billing',
      strategy: 'blue-green',
      services: [{ name: 'web', kind: 'web', command: 'bin/server --port 8080', instances: 2 }],
      healthCheck: { kind: 'http', target: 'http://127.0.0.1:8080/health', expectStatus: 200 },
    })
  ).id;
  if (!wanted('placement')) return seed;
  await app.call('placements.create', { applicationId: seed.appId, serverId: web01, role: 'web', slot: 'blue' });
  if (!wanted('customer')) return seed;
  seed.customerId = (await app.call('customers.create', { name: 'Acme Logistics', timezone: 'Europe/Madrid', language: 'es-ES' })).id;
  await app.call('contacts.create', { customerId: seed.customerId, name: 'Ana García', email: 'ana@acme.example', role: 'IT manager' });
  await app.call('contracts.create', { customerId: seed.customerId, reference: 'HC-2026-001', applicationIds: [seed.appId], startDate: '2026-01-01', endDate: '2027-12-31' });
  return seed;
}
