import type { Application, Contact, Contract, Customer, EntityName, Environment, Placement, Server } from '../../../shared/contract/inventory.js';
import type { Db } from '../db/connection.js';
import { Audit } from './audit.js';
import { EntityRepo, type EntityDef } from './entity.js';

const name = (r: Record<string, unknown>) => String(r.name ?? r.reference ?? r.id);

export const ENTITY_DEFS: Record<EntityName, EntityDef> = {
  environments: {
    entity: 'environments',
    label: 'environment',
    table: 'environments',
    select: 'SELECT t.* FROM environments t',
    fields: ['name', 'colour', 'confirmRuns', 'notes'],
    bool: ['confirmRuns'],
    search: ['t.name', 't.notes'],
    sortable: { name: 't.name COLLATE NOCASE', createdAt: 't.created_at', updatedAt: 't.updated_at' },
    referencedBy: [
      ['servers', 'environment_id', 'server'],
      ['runs', 'environment_id', 'run'],
    ],
    unique: ['name'],
    display: name,
  },
  servers: {
    entity: 'servers',
    label: 'server',
    table: 'servers',
    select: 'SELECT t.*, e.name AS environment_name FROM servers t LEFT JOIN environments e ON e.id = t.environment_id',
    fields: ['name', 'host', 'port', 'user', 'auth', 'keyPath', 'environmentId', 'roles', 'tags', 'notes'],
    json: ['roles', 'tags'],
    search: ['t.name', 't.host', 't.user', 't.roles', 't.tags', 't.notes', 'e.name'],
    sortable: {
      name: 't.name COLLATE NOCASE',
      host: 't.host',
      port: 't.port',
      user: 't.user',
      environmentId: 't.environment_id',
      environmentName: 'e.name COLLATE NOCASE',
      updatedAt: 't.updated_at',
    },
    filters: { environmentId: 't.environment_id', role: "EXISTS (SELECT 1 FROM json_each(t.roles) WHERE value = ?)" },
    foreignKeys: { environmentId: ['environments', 'environment'] },
    referencedBy: [
      ['placements', 'server_id', 'placement'],
      ['window_servers', 'server_id', 'maintenance window'],
      ['run_steps', 'server_id', 'run step'],
    ],
    unique: ['name'],
    display: name,
  },
  applications: {
    entity: 'applications',
    label: 'application',
    table: 'applications',
    select: 'SELECT t.* FROM applications t',
    fields: [
      'name', 'runtimeUser', 'basePath', 'sourceKind', 'source', 'keepReleases', 'sharedDirs', 'sharedFiles', 'strategy',
      'healthCheck', 'services', 'logRotation', 'backupPolicy', 'monitoring', 'notes',
    ],
    json: ['sharedDirs', 'sharedFiles', 'healthCheck', 'services', 'logRotation', 'backupPolicy', 'monitoring'],
    search: ['t.name', 't.base_path', 't.runtime_user', 't.source', 't.notes'],
    sortable: { name: 't.name COLLATE NOCASE', runtimeUser: 't.runtime_user', basePath: 't.base_path', strategy: 't.strategy', updatedAt: 't.updated_at' },
    referencedBy: [
      ['placements', 'application_id', 'placement'],
      ['contract_applications', 'application_id', 'contract'],
      ['window_applications', 'application_id', 'maintenance window'],
      ['runs', 'application_id', 'run'],
    ],
    unique: ['name'],
    display: name,
  },
  placements: {
    entity: 'placements',
    label: 'placement',
    table: 'placements',
    select:
      'SELECT t.*, a.name AS application_name, s.name AS server_name FROM placements t JOIN applications a ON a.id = t.application_id JOIN servers s ON s.id = t.server_id',
    fields: ['applicationId', 'serverId', 'role', 'slot'],
    search: ['a.name', 's.name', 't.role'],
    sortable: { applicationName: 'a.name COLLATE NOCASE', serverName: 's.name COLLATE NOCASE', role: 't.role', name: 'a.name COLLATE NOCASE, s.name COLLATE NOCASE' },
    filters: { applicationId: 't.application_id', serverId: 't.server_id' },
    foreignKeys: { applicationId: ['applications', 'application'], serverId: ['servers', 'server'] },
    unique: ['applicationId+serverId+role'],
    display: (r) => `${String(r.applicationName)} on ${String(r.serverName)} (${String(r.role)})`,
  },
  customers: {
    entity: 'customers',
    label: 'customer',
    table: 'customers',
    select: 'SELECT t.* FROM customers t',
    fields: ['name', 'timezone', 'language', 'notes'],
    search: ['t.name', 't.timezone', 't.notes'],
    sortable: { name: 't.name COLLATE NOCASE', timezone: 't.timezone', language: 't.language', updatedAt: 't.updated_at' },
    referencedBy: [
      ['contacts', 'customer_id', 'contact'],
      ['contracts', 'customer_id', 'contract'],
    ],
    unique: ['name'],
    display: name,
  },
  contacts: {
    entity: 'contacts',
    label: 'contact',
    table: 'contacts',
    select: 'SELECT t.*, c.name AS customer_name FROM contacts t JOIN customers c ON c.id = t.customer_id',
    fields: ['customerId', 'name', 'email', 'role', 'optedOut'],
    bool: ['optedOut'],
    search: ['t.name', 't.email', 't.role', 'c.name'],
    sortable: { name: 't.name COLLATE NOCASE', email: 't.email', customerName: 'c.name COLLATE NOCASE', role: 't.role', optedOut: 't.opted_out' },
    filters: { customerId: 't.customer_id' },
    foreignKeys: { customerId: ['customers', 'customer'] },
    unique: ['customerId+email'],
    display: (r) => `${String(r.name)} <${String(r.email)}>`,
  },
  contracts: {
    entity: 'contracts',
    label: 'contract',
    table: 'contracts',
    select: 'SELECT t.*, c.name AS customer_name FROM contracts t JOIN customers c ON c.id = t.customer_id',
    fields: ['customerId', 'reference', 'startDate', 'endDate', 'graceDays', 'state', 'suspensionAction', 'allowedHours', 'notes'],
    json: ['allowedHours'],
    search: ['t.reference', 'c.name', 't.state', 't.notes'],
    sortable: { name: 't.reference COLLATE NOCASE', reference: 't.reference COLLATE NOCASE', customerName: 'c.name COLLATE NOCASE', startDate: 't.start_date', endDate: 't.end_date', state: 't.state' },
    filters: {
      customerId: 't.customer_id',
      state: 't.state',
      applicationId: 'EXISTS (SELECT 1 FROM contract_applications ca WHERE ca.contract_id = t.id AND ca.application_id = ?)',
    },
    foreignKeys: { customerId: ['customers', 'customer'] },
    link: { field: 'applicationIds', table: 'contract_applications', self: 'contract_id', other: 'application_id', otherTable: 'applications', otherLabel: 'application' },
    unique: ['reference'],
    display: (r) => String(r.reference),
  },
};

/** The record type of each entity, as the contract defines it. */
export interface EntityRecords {
  environments: Environment;
  servers: Server;
  applications: Application;
  placements: Placement;
  customers: Customer;
  contacts: Contact;
  contracts: Contract;
}

export type InventoryRepos = { readonly [K in EntityName]: EntityRepo<EntityRecords[K]> };

export function createInventoryRepos(db: Db, audit: Audit): InventoryRepos {
  const repo = <K extends EntityName>(k: K) => new EntityRepo<EntityRecords[K]>(db, ENTITY_DEFS[k], audit);
  return {
    environments: repo('environments'),
    servers: repo('servers'),
    applications: repo('applications'),
    placements: repo('placements'),
    customers: repo('customers'),
    contacts: repo('contacts'),
    contracts: repo('contracts'),
  };
}
