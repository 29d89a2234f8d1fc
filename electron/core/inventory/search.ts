import type { Core } from '../core.js';

/** Global search across the inventory (the command palette). */
export function globalSearch(core: Core, query: string, limit: number): { items: { entity: string; id: number; label: string; detail: string }[] } {
  const items: { entity: string; id: number; label: string; detail: string }[] = [];
  const detail: Record<string, (r: Record<string, unknown>) => string> = {
    environments: () => 'environment',
    servers: (r) => `${String(r.user)}@${String(r.host)}:${String(r.port)}`,
    applications: (r) => String(r.basePath),
    placements: (r) => `${String(r.role)}`,
    customers: (r) => String(r.timezone),
    contacts: (r) => `${String(r.email)} · ${String(r.customerName)}`,
    contracts: (r) => `${String(r.customerName)} · ends ${String(r.endDate)}`,
  };
  for (const [entity, repo] of Object.entries(core.inventory)) {
    const { items: rows } = repo.list({ query, limit, offset: 0 });
    for (const r of rows) items.push({ entity, id: r.id as number, label: repo.def.display(r), detail: detail[entity]?.(r) ?? '' });
  }
  const q = query.toLowerCase();
  items.sort((a, b) => Number(!a.label.toLowerCase().startsWith(q)) - Number(!b.label.toLowerCase().startsWith(q)));
  return { items: items.slice(0, limit) };
}
