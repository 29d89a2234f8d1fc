import { useEffect, useState } from 'react';
import { ENTITIES, type Contract, type EntityName } from '../../../../shared/contract/inventory.js';
import type { MethodName } from '../../../../shared/contract/index.js';
import { useApi, useEvent } from '../../api/context.js';
import { PageHeader, Section } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { addDays, daysUntil, formatDate, todayIso } from '../../lib/format.js';
import { useLiveQuery } from '../../lib/hooks.js';
import { href } from '../../lib/router.js';
import { ContractStateBadge, ExpiryBadge } from '../inventory/contractBits.js';
import { META } from '../inventory/meta.js';
import { TODAY_PANELS } from '../../panels.js';

/** Places on Today that other features fill (see TODAY_PANELS in panels.ts); until then, an honest note. */
const TODAY_SLOTS = [
  { slot: 'runs', title: 'Runs in progress', pending: 'running and recently failed runs will be listed here by the Runs feature.' },
  { slot: 'windows', title: 'Next maintenance windows', pending: 'the next windows, their countdown and where their notices stand will show here.' },
  { slot: 'servers', title: 'Servers that failed their last check', pending: 'connection checks will report unreachable servers here.' },
];

function useCounts(): Partial<Record<EntityName, number>> {
  const api = useApi();
  const [counts, setCounts] = useState<Partial<Record<EntityName, number>>>({});
  const [tick, setTick] = useState(0);
  useEvent('inventory.changed', () => setTick((t) => t + 1));
  useEffect(() => {
    let stale = false;
    void Promise.all(
      ENTITIES.map(async (e) => {
        const r = (await api.call(`${e}.list` as MethodName, { limit: 1 } as never)) as { total: number };
        return [e, r.total] as const;
      }),
    ).then(
      (pairs) => !stale && setCounts(Object.fromEntries(pairs)),
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [api, tick]);
  return counts;
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
  const contracts = useLiveQuery('contracts.list', { sort: 'endDate', limit: 1000 }, ['contracts']);
  const all: Contract[] = contracts.data?.items ?? [];
  const expiring = all.filter((c) => (c.state === 'active' || c.state === 'grace') && c.endDate <= horizon);
  const suspended = all.filter((c) => c.state === 'suspended');
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
      <div className="today-grid">
        <Section title="Contracts expiring within 30 days" count={expiring.length}>
          <ContractRows items={expiring} empty="No active contract ends in the next 30 days." />
        </Section>
        <Section title="Suspended contracts" count={suspended.length}>
          <ContractRows items={suspended} empty="No contract is suspended." />
        </Section>
        {TODAY_SLOTS.map((slot) => {
          const panel = TODAY_PANELS.find((p) => p.slot === slot.slot);
          return panel ? (
            <panel.component key={slot.slot} />
          ) : (
            <Section key={slot.slot} title={slot.title}>
              <p className="muted placeholder-note">Not connected yet: {slot.pending}</p>
            </Section>
          );
        })}
        {TODAY_PANELS.filter((p) => !TODAY_SLOTS.some((s) => s.slot === p.slot)).map((p) => (
          <p.component key={p.slot} />
        ))}
      </div>
    </div>
  );
}
