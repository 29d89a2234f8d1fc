/**
 * The inventory behind the Windows/Notices e2e test and screenshots, created through the API:
 * two applications on three servers, customers in two time zones (Madrid, New York) with
 * contacts (one opted out), contracts in force.
 */
import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract/index.js';

type Call = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>;

export interface WindowsSeed {
  billing: number;
  portal: number;
  web1: number;
  web2: number;
  db1: number;
  madrid: number;
  newYork: number;
  contacts: { ana: number; bob: number; olga: number; carla: number };
}

export async function seedWindowsInventory(call: Call): Promise<WindowsSeed> {
  const env = await call('environments.create', { name: 'production', colour: '#c62828', confirmRuns: true });
  const srv = async (name: string) => (await call('servers.create', { name, host: `${name}.example.net`, user: 'deploy', environmentId: env.id })).id;
  const web1 = await srv('web-1');
  const web2 = await srv('web-2');
  const db1 = await srv('db-1');
  const app = async (name: string) => (await call('applications.create', { name, runtimeUser: name, basePath: `/srv/${name}` })).id;
  const billing = await app('billing');
  const portal = await app('portal');
  await call('placements.create', { applicationId: billing, serverId: web1, role: 'web' });
  await call('placements.create', { applicationId: billing, serverId: db1, role: 'db' });
  await call('placements.create', { applicationId: portal, serverId: web2, role: 'web' });
  const madrid = (await call('customers.create', { name: 'Acme Madrid', timezone: 'Europe/Madrid', language: 'es' })).id;
  const newYork = (await call('customers.create', { name: 'Globex New York', timezone: 'America/New_York', language: 'en' })).id;
  const contact = async (customerId: number, name: string, email: string, role: string, optedOut = false) =>
    (await call('contacts.create', { customerId, name, email, role, optedOut })).id;
  const ana = await contact(madrid, 'Ana García', 'ana@acme.test', 'CTO');
  const bob = await contact(madrid, 'Bob Martín', 'bob@acme.test', 'Ops');
  const olga = await contact(madrid, 'Olga Ruiz', 'olga@acme.test', 'Finance', true);
  const carla = await contact(newYork, 'Carla Stone', 'carla@globex.test', 'IT lead');
  await call('contracts.create', { customerId: madrid, reference: 'C-MAD-2025', applicationIds: [billing], startDate: '2025-01-01', endDate: '2029-12-31' });
  await call('contracts.create', { customerId: newYork, reference: 'C-NY-2025', applicationIds: [billing, portal], startDate: '2025-01-01', endDate: '2029-12-31' });
  return { billing, portal, web1, web2, db1, madrid, newYork, contacts: { ana, bob, olga, carla } };
}
