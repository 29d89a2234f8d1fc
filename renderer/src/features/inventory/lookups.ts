import { useMemo } from 'react';
import type { Application, Customer, Environment, Server } from '../../../../shared/contract/inventory.js';
import { useLiveQuery } from '../../lib/hooks.js';

/** Every environment (few), for selects and colour tags. */
export function useEnvironments() {
  const q = useLiveQuery('environments.list', { limit: 1000, sort: 'name' }, ['environments']);
  return useMemo(() => {
    const items: Environment[] = q.data?.items ?? [];
    return { items, byId: new Map(items.map((e) => [e.id, e])), options: items.map((e) => ({ value: e.id, label: e.name })), loading: q.loading };
  }, [q.data, q.loading]);
}

export function useServers() {
  const q = useLiveQuery('servers.list', { limit: 10_000, sort: 'name' }, ['servers']);
  return useMemo(() => {
    const items: Server[] = q.data?.items ?? [];
    return { items, byId: new Map(items.map((e) => [e.id, e])), options: items.map((s) => ({ value: s.id, label: `${s.name} (${s.host})` })) };
  }, [q.data]);
}

export function useApplications() {
  const q = useLiveQuery('applications.list', { limit: 10_000, sort: 'name' }, ['applications']);
  return useMemo(() => {
    const items: Application[] = q.data?.items ?? [];
    return { items, byId: new Map(items.map((e) => [e.id, e])), options: items.map((a) => ({ value: a.id, label: a.name })) };
  }, [q.data]);
}

export function useCustomers() {
  const q = useLiveQuery('customers.list', { limit: 10_000, sort: 'name' }, ['customers']);
  return useMemo(() => {
    const items: Customer[] = q.data?.items ?? [];
    return { items, byId: new Map(items.map((e) => [e.id, e])), options: items.map((c) => ({ value: c.id, label: c.name })) };
  }, [q.data]);
}
