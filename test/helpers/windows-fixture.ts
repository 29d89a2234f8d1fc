/** A small inventory for windows/notices tests: 2 customers in two zones, contracts, contacts. */
import type { Core } from '../../electron/core/core.js';
import { createApplication } from './core.js';

export interface SmallInventory {
  appBilling: number;
  appPortal: number;
  appOther: number;
  srvA: number;
  srvB: number;
  madrid: number;
  newYork: number;
  contacts: { ana: number; bob: number; carla: number; optedOut: number; dan: number };
  contracts: { madrid: number; newYork: number; expired: number };
}

export function seedSmallInventory(core: Core): SmallInventory {
  const op = 'test';
  const inv = core.inventory;
  const app = (name: string) => createApplication(core, { name });
  const srv = (name: string) =>
    inv.servers.create({ name, host: `${name}.example`, port: 22, user: 'deploy', auth: 'agent', keyPath: null, environmentId: null, roles: [], tags: [], notes: '' }, op).id as number;
  const appBilling = app('billing');
  const appPortal = app('portal');
  const appOther = app('other');
  const srvA = srv('srv-a');
  const srvB = srv('srv-b');
  inv.placements.create({ applicationId: appBilling, serverId: srvA, role: 'web', slot: null }, op);
  inv.placements.create({ applicationId: appPortal, serverId: srvB, role: 'web', slot: null }, op);
  inv.placements.create({ applicationId: appOther, serverId: srvB, role: 'worker', slot: null }, op);
  const cust = (name: string, timezone: string, language: string) => inv.customers.create({ name, timezone, language, notes: '' }, op).id as number;
  const madrid = cust('Acme Madrid', 'Europe/Madrid', 'es');
  const newYork = cust('Globex NY', 'America/New_York', 'en');
  const contact = (customerId: number, name: string, email: string, optedOut = false) =>
    inv.contacts.create({ customerId, name, email, role: '', optedOut }, op).id as number;
  const ana = contact(madrid, 'Ana', 'ana@acme.test');
  const bob = contact(madrid, 'Bob', 'bob@acme.test');
  const optedOut = contact(madrid, 'Olga', 'olga@acme.test', true);
  const carla = contact(newYork, 'Carla', 'carla@globex.test');
  const dan = contact(newYork, 'Dan', 'dan@globex.test');
  const contract = (customerId: number, reference: string, applicationIds: number[], startDate: string, endDate: string, state = 'active', allowedHours: unknown = null) =>
    inv.contracts.create(
      { customerId, reference, applicationIds, startDate, endDate, graceDays: 15, state, suspensionAction: '', allowedHours, notes: '' },
      op,
    ).id as number;
  const cm = contract(madrid, 'C-MAD', [appBilling], '2025-01-01', '2027-12-31');
  const cn = contract(newYork, 'C-NY', [appPortal], '2025-01-01', '2027-12-31');
  const expired = contract(newYork, 'C-OLD', [appBilling], '2020-01-01', '2021-01-01', 'terminated');
  return { appBilling, appPortal, appOther, srvA, srvB, madrid, newYork, contacts: { ana, bob, carla, optedOut, dan }, contracts: { madrid: cm, newYork: cn, expired } };
}
