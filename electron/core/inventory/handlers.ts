import type { z } from 'zod';
import {
  ApplicationFields,
  ContactFields,
  ContractFields,
  CustomerFields,
  ENTITIES,
  EnvironmentFields,
  PlacementFields,
  ServerFields,
  type EntityName,
} from '../../../shared/contract/inventory.js';
import type { MethodName } from '../../../shared/contract/index.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { exportInventory, importInventory } from './transfer.js';
import { globalSearch } from './search.js';

/** The full (create) schema of each entity; updates are merged onto the record and re-validated with it. */
export const FIELDS: Record<EntityName, z.ZodType> = {
  environments: EnvironmentFields,
  servers: ServerFields,
  applications: ApplicationFields,
  placements: PlacementFields,
  customers: CustomerFields,
  contacts: ContactFields,
  contracts: ContractFields,
};

/** Merges a partial update onto a stored record and validates the result as a whole. */
export function mergeForUpdate(core: Core, entity: EntityName, id: number, patch: Record<string, unknown>): Record<string, unknown> {
  const repo = core.inventory[entity];
  const current = repo.get(id);
  const merged: Record<string, unknown> = {};
  for (const f of repo.def.fields) merged[f] = current[f];
  if (repo.def.link) merged[repo.def.link.field] = current[repo.def.link.field];
  for (const [k, v] of Object.entries(patch)) if (k !== 'id' && v !== undefined) merged[k] = v;
  const r = FIELDS[entity].safeParse(merged);
  if (!r.success) {
    throw new PuestaError('INVALID_INPUT', r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), {
      issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return r.data as Record<string, unknown>;
}

type Crud = `${EntityName}.${'list' | 'get' | 'create' | 'update' | 'delete'}`;
type InventoryMethod = Crud | 'inventory.export' | 'inventory.import' | 'search.global' | 'audit.list';

function crud(entity: EntityName) {
  const changed = (core: Core, id: number | null, action: 'create' | 'update' | 'delete') => core.events.emit('inventory.changed', { entity, id, action });
  return {
    [`${entity}.list`]: (core: Core, input: Record<string, unknown>) => core.inventory[entity].list(input as never),
    [`${entity}.get`]: (core: Core, input: { id: number }) => core.inventory[entity].get(input.id),
    [`${entity}.create`]: (core: Core, input: Record<string, unknown>) => {
      const r = core.inventory[entity].create(input, core.operator());
      changed(core, r.id as number, 'create');
      return r;
    },
    [`${entity}.update`]: (core: Core, input: Record<string, unknown> & { id: number }) => {
      const r = core.tx(() => core.inventory[entity].update(input.id, mergeForUpdate(core, entity, input.id, input), core.operator()));
      changed(core, input.id, 'update');
      return r;
    },
    [`${entity}.delete`]: (core: Core, input: { id: number }) => {
      const r = core.inventory[entity].delete(input.id, core.operator());
      changed(core, input.id, 'delete');
      return r;
    },
  };
}

export const inventoryHandlers = {
  ...Object.assign({}, ...ENTITIES.map(crud)),
  'inventory.export': (core, input) => exportInventory(core, input),
  'inventory.import': (core, input) => {
    const r = importInventory(core, input);
    if (r.ok && !input.dryRun) core.events.emit('inventory.changed', { entity: input.entity ?? 'all', id: null, action: 'import' });
    return r;
  },
  'search.global': (core, input) => globalSearch(core, input.query, input.limit),
  'audit.list': (core, input) => core.audit.list(input),
} as Handlers<InventoryMethod & MethodName>;
