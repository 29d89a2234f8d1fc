import { useCallback, useMemo } from 'react';
import type { Application, Customer, Environment, Server } from '../../../../shared/contract/inventory.js';
import type { MethodInput, MethodOutput } from '../../../../shared/contract/index.js';
import { useApiQuery } from '../../api/queries.js';

type LookupMethod = 'environments.list' | 'servers.list' | 'applications.list' | 'customers.list';
type Row<M extends LookupMethod> = MethodOutput<M>['items'][number];

/** Every row of one entity, by id and as select options. */
export interface Lookup<T> {
  items: T[];
  byId: Map<number, T>;
  options: { value: number; label: string }[];
  loading: boolean;
}

/**
 * One cached `<entity>.list` shared by every select and name look-up on screen. Never stale by
 * age: `inventory.changed` invalidates it (see EVENT_INVALIDATES in api/invalidation.ts).
 */
function useLookup<M extends LookupMethod>(method: M, limit: number, label: (row: Row<M>) => string): Lookup<Row<M>> {
  const select = useCallback(
    (out: MethodOutput<M>) => {
      const items = out.items as Row<M>[];
      return { items, byId: new Map(items.map((e) => [e.id, e])), options: items.map((e) => ({ value: e.id, label: label(e) })) };
    },
    [label],
  );
  const q = useApiQuery(method, { limit, sort: 'name' } as MethodInput<M>, { staleTime: Infinity, select });
  return useMemo(() => ({ ...(q.data ?? { items: [], byId: new Map(), options: [] }), loading: q.isPending }), [q.data, q.isPending]);
}

const byName = (e: { name: string }) => e.name;
const serverLabel = (s: Server) => `${s.name} (${s.host})`;

/** Every environment (few), for selects and colour tags. */
export const useEnvironments = (): Lookup<Environment> => useLookup('environments.list', 1000, byName);
export const useServers = (): Lookup<Server> => useLookup('servers.list', 10_000, serverLabel);
export const useApplications = (): Lookup<Application> => useLookup('applications.list', 10_000, byName);
export const useCustomers = (): Lookup<Customer> => useLookup('customers.list', 10_000, byName);
