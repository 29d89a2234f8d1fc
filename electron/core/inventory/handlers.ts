import { existsSync } from 'node:fs';
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
  type inventoryMethods,
} from '../../../shared/contract/inventory.js';
import { invalidInput } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import type { EntityRepo } from '../repos/entity.js';
import { exportInventory, importInventory } from './transfer.js';
import { globalSearch } from './search.js';
import { toCsv } from '../util/csv.js';

/** An export holds at most this many audit entries (newest first); narrow the filter for older ones. */
const AUDIT_EXPORT_MAX = 100_000;

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
  const repo: EntityRepo = core.inventory[entity];
  const current = repo.get(id);
  const merged: Record<string, unknown> = {};
  for (const f of repo.def.fields) merged[f] = current[f];
  if (repo.def.link) merged[repo.def.link.field] = current[repo.def.link.field];
  for (const [k, v] of Object.entries(patch)) if (k !== 'id' && v !== undefined) merged[k] = v;
  const r = FIELDS[entity].safeParse(merged);
  if (!r.success) throw invalidInput(r.error.issues);
  return r.data as Record<string, unknown>;
}

type InventoryMethod = keyof typeof inventoryMethods;

/**
 * What the schema cannot see: a server that logs in with a key file needs that file on this
 * computer; saved without it, the first connection would fail later as a refused login.
 */
function checkRecord(entity: EntityName, rec: Record<string, unknown>): void {
  if (entity !== 'servers' || rec.auth !== 'key' || typeof rec.keyPath !== 'string' || !rec.keyPath) return;
  if (existsSync(rec.keyPath)) return;
  const hint = rec.keyPath.startsWith('~') ? ' (write the full path: ~ is not expanded)' : '';
  throw invalidInput([{ path: ['keyPath'], message: `there is no file ${rec.keyPath} on this computer${hint}` }]);
}

function crud(entity: EntityName) {
  const changed = (core: Core, id: number | null, action: 'create' | 'update' | 'delete') => core.events.emit('inventory.changed', { entity, id, action });
  return {
    [`${entity}.list`]: (core: Core, input: Record<string, unknown>) => core.inventory[entity].list(input as never),
    [`${entity}.get`]: (core: Core, input: { id: number }) => core.inventory[entity].get(input.id),
    [`${entity}.create`]: (core: Core, input: Record<string, unknown>) => {
      checkRecord(entity, input);
      const r = core.inventory[entity].create(input, core.operator());
      changed(core, r.id as number, 'create');
      return r;
    },
    [`${entity}.update`]: (core: Core, input: Record<string, unknown> & { id: number }) => {
      const r = core.tx(() => {
        const merged = mergeForUpdate(core, entity, input.id, input);
        checkRecord(entity, merged);
        return core.inventory[entity].update(input.id, merged, core.operator());
      });
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
  'inventory.import': async (core, input) => {
    const r = await importInventory(core, input);
    if (r.ok && !input.dryRun) core.events.emit('inventory.changed', { entity: input.entity ?? 'all', id: null, action: 'import' });
    return r;
  },
  'inventory.usage': (core, input) => ({ uses: core.inventory[input.entity].usage(input.id) }),
  'search.global': (core, input) => globalSearch(core, input.query, input.limit),
  'audit.list': (core, input) => core.audit.list(input),
  'audit.export': (core, input) => {
    const rows = core.audit.all(input, AUDIT_EXPORT_MAX);
    const json = (v: unknown) => (v == null ? '' : JSON.stringify(v));
    const content = toCsv(
      ['at', 'operator', 'action', 'entity', 'entityId', 'before', 'after'],
      rows.map((r) => [r.at, r.actor, r.action, r.entity, r.entityId == null ? '' : String(r.entityId), json(r.before), json(r.after)]),
    );
    return { filename: `puesta-audit-${new Date().toISOString().slice(0, 10)}.csv`, content, rows: rows.length };
  },
  'audit.facets': (core) => core.audit.facets(),
} as Handlers<InventoryMethod>;
