import type { EntityName } from '../../../../shared/contract/inventory.js';
import type { IconName } from '../../components/Icon.js';

export interface EntityMeta {
  entity: EntityName;
  singular: string;
  plural: string;
  icon: IconName;
  path: string;
  /** One sentence for empty states: what the thing is. */
  description: string;
}

export const META: Record<EntityName, EntityMeta> = {
  environments: {
    entity: 'environments',
    singular: 'environment',
    plural: 'Environments',
    icon: 'env',
    path: '/environments',
    description: 'An environment groups servers by purpose — production, staging, test — with a colour you will see everywhere, and can ask for a second confirmation before runs.',
  },
  servers: {
    entity: 'servers',
    singular: 'server',
    plural: 'Servers',
    icon: 'server',
    path: '/servers',
    description: 'A server is a host Puesta reaches over SSH: its address, SSH user and authentication, environment, roles and tags.',
  },
  applications: {
    entity: 'applications',
    singular: 'application',
    plural: 'Applications',
    icon: 'app',
    path: '/applications',
    description: 'An application is what you deploy: where it lives on the hosts, how releases arrive, its services, health check, log rotation, backups and monitoring.',
  },
  placements: {
    entity: 'placements',
    singular: 'placement',
    plural: 'Placements',
    icon: 'placement',
    path: '/placements',
    description: 'A placement says which application runs on which server, in which role (web, worker, db, proxy) and, for blue-green, which slot.',
  },
  customers: {
    entity: 'customers',
    singular: 'customer',
    plural: 'Customers',
    icon: 'customer',
    path: '/customers',
    description: 'A customer is who uses your applications: their time zone and language drive when and how notices reach their contacts.',
  },
  contacts: {
    entity: 'contacts',
    singular: 'contact',
    plural: 'Contacts',
    icon: 'contact',
    path: '/contacts',
    description: 'A contact is a person at a customer who receives maintenance notices, unless they opted out.',
  },
  contracts: {
    entity: 'contracts',
    singular: 'contract',
    plural: 'Contracts',
    icon: 'contract',
    path: '/contracts',
    description: 'A hosting contract covers applications for a customer between two dates; when it expires and the grace days pass, access is suspended until it is regularised.',
  },
};

export const detailPath = (entity: string, id: number | 'new'): string => `/${entity}/${id}`;
