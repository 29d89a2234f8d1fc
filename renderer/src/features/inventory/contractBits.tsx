import type { ReactNode } from 'react';
import type { Contract } from '../../../../shared/contract/inventory.js';
import { Badge, Section, type Tone } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { daysUntil, relDays } from '../../lib/format.js';
import { href, navigate } from '../../lib/router.js';
import { useApiQuery } from '../../api/queries.js';

const STATE_TONE: Record<string, Tone> = { active: 'green', grace: 'amber', suspended: 'red', terminated: 'neutral' };

export function ContractStateBadge({ state }: { state: string }) {
  return <Badge tone={STATE_TONE[state] ?? 'neutral'}>{state}</Badge>;
}

/** Days to expiry: amber within 30 days, red once past. Terminated contracts show nothing. */
export function ExpiryBadge({ days, state }: { days: number; state: string }) {
  if (state === 'terminated') return <span className="muted small">ended</span>;
  const tone: Tone = days < 0 ? 'red' : days <= 30 ? 'amber' : 'neutral';
  const text = days < 0 ? `expired ${relDays(days)}` : `ends ${relDays(days)}`;
  return (
    <Badge tone={tone} title={`${days} days`}>
      {text}
    </Badge>
  );
}

/**
 * The contracts of one customer or covering one application, soonest to end first, each with its
 * state and expiry; the button opens a new contract pre-filled with `filter`.
 */
export function ContractsPanel({
  filter,
  title,
  newLabel,
  newTestId,
  detail,
  empty,
}: {
  filter: { customerId: number } | { applicationId: number };
  title: string;
  newLabel: string;
  newTestId?: string;
  detail: (c: Contract) => ReactNode;
  empty: string;
}) {
  const q = useApiQuery('contracts.list', { ...filter, limit: 200, sort: 'endDate' });
  const items: Contract[] = q.data?.items ?? [];
  const prefill = 'customerId' in filter ? `customerId=${filter.customerId}` : `applicationIds=${filter.applicationId}`;
  return (
    <Section
      title={title}
      count={q.data?.total}
      actions={
        <button className="btn btn-small" onClick={() => navigate(`/contracts/new?${prefill}`)} data-testid={newTestId}>
          <Icon name="plus" size={14} /> {newLabel}
        </button>
      }
    >
      {items.length ? (
        <ul className="link-list">
          {items.map((c) => (
            <li key={c.id}>
              <a href={href(`/contracts/${c.id}`)}>{c.reference}</a>
              {detail(c)}
              <span className="spacer" />
              <ContractStateBadge state={c.state} />
              <ExpiryBadge days={daysUntil(c.endDate)} state={c.state} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{empty}</p>
      )}
    </Section>
  );
}
