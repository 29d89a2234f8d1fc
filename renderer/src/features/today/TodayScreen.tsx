import { useQueries } from '@tanstack/react-query';
import { ENTITIES, type Contract, type EntityName } from '../../../../shared/contract/inventory.js';
import type { MethodInput, MethodName } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/context.js';
import { apiQueryOptions, useApiQuery } from '../../api/queries.js';
import { PageHeader, Section } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { addDays, daysUntil, formatDate, todayIso } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { ContractStateBadge, ExpiryBadge } from '../inventory/contractBits.js';
import { META } from '../inventory/meta.js';
import { TODAY_PANELS } from '../../panels.js';
import { DueDecisions } from '../contracts/DueDecisions.js';
import { contractCards } from './contractCards.js';
import { GettingStarted } from './GettingStarted.js';

/** Where the panels of other features go on Today (see TODAY_PANELS in panels.ts), in this order. */
const TODAY_SLOTS = ['runs', 'windows', 'servers'];
const slotOrder = (slot: string) => (TODAY_SLOTS.includes(slot) ? TODAY_SLOTS.indexOf(slot) : TODAY_SLOTS.length);

/** How many of each entity: one `<entity>.list {limit: 1}` each, refreshed by `inventory.changed`. */
function useCounts(): Partial<Record<EntityName, number>> {
  const api = useApi();
  return useQueries({
    queries: ENTITIES.map((e) => apiQueryOptions(api, `${e}.list` as MethodName, { limit: 1 } as MethodInput<MethodName>)),
    combine: (results) => Object.fromEntries(results.flatMap((r, i) => (r.data ? [[ENTITIES[i]!, (r.data as { total: number }).total]] : []))),
  });
}

function ContractRows({ items, empty }: { items: Contract[]; empty: string }) {
  if (!items.length) return <p className="muted">{empty}</p>;
  return (
    <table className="table table-inner">
      <tbody>
        {items.map((c) => (
          <tr key={c.id}>
            <td className="nowrap">
              <a href={href(`/contracts/${c.id}`)}>
                <strong>{c.reference}</strong>
              </a>
              <div className="small">
                <a className="muted" href={href(`/customers/${c.customerId}`)}>
                  {c.customerName}
                </a>
              </div>
            </td>
            <td className="nowrap muted">{formatDate(c.endDate)}</td>
            <td>
              <ContractStateBadge state={c.state} />
            </td>
            <td className="right nowrap">
              <ExpiryBadge days={daysUntil(c.endDate)} state={c.state} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TodayScreen() {
  const counts = useCounts();
  const horizon = addDays(todayIso(), 30);
  const contracts = useApiQuery('contracts.list', { sort: 'endDate', limit: 1000 });
  const all: Contract[] = contracts.data?.items ?? [];
  const { expiring, expired, suspended } = contractCards(all, todayIso(), horizon);
  const today = new Date().toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const shown: EntityName[] = ['environments', 'servers', 'applications', 'placements', 'customers', 'contacts', 'contracts'];
  return (
    <div className="page" data-testid="today">
      <PageHeader icon="today" title="Today" subtitle={today} />
      <div className="stat-row">
        {shown.map((e) => (
          <a key={e} className="stat" href={href(META[e].path)} data-testid={`count-${e}`}>
            <span className="stat-value">{counts[e] ?? '–'}</span>
            <span className="stat-label">
              <Icon name={META[e].icon} size={13} /> {META[e].plural}
            </span>
          </a>
        ))}
      </div>
      <GettingStarted counts={counts} />
      <div className="today-grid">
        <DueDecisions />
        <Section title="Expired, not suspended" count={expired.length}>
          <div data-testid="today-expired">
            <ContractRows items={expired} empty="No contract is past its end date without being suspended." />
          </div>
        </Section>
        <Section title="Contracts expiring within 30 days" count={expiring.length}>
          <div data-testid="today-expiring">
            <ContractRows items={expiring} empty="No active contract ends in the next 30 days." />
          </div>
        </Section>
        <Section title="Suspended contracts" count={suspended.length}>
          <ContractRows items={suspended} empty="No contract is suspended." />
        </Section>
        {[...TODAY_PANELS].sort((a, b) => slotOrder(a.slot) - slotOrder(b.slot)).map((p) => (
          <p.component key={p.slot} />
        ))}
      </div>
    </div>
  );
}
