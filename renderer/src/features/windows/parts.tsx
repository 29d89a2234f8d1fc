import type { Conflict, WindowState } from '../../../../shared/contract/windows.js';
import { Badge } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { href } from '../../lib/router.js';
import { STATE_LABEL, STATE_TONE } from './meta.js';

const KIND_TEXT: Record<Conflict['kind'], string> = {
  server_overlap: 'Same server',
  customer_overlap: 'Same customer',
  outside_contract_hours: 'Outside contract hours',
  blackout: 'Blackout',
  contract_expires: 'Contract expires',
};

export function StateBadge({ state }: { state: WindowState }) {
  return (
    <Badge tone={STATE_TONE[state]}>
      <span data-testid="window-state">{STATE_LABEL[state]}</span>
    </Badge>
  );
}

export function ConflictList({ items }: { items: Conflict[] }) {
  return (
    <ul className="conflicts" data-testid="conflicts">
      {items.map((c, i) => (
        <li key={i} className={`conflict conflict-${c.kind}`}>
          <Icon name="warn" size={14} />
          <span className="conflict-kind">{KIND_TEXT[c.kind]}</span>
          <span className="conflict-msg">{c.message}</span>
          {c.otherWindowId && (
            <a className="conflict-link" href={href(`/windows/${c.otherWindowId}`)}>
              Open window
            </a>
          )}
          {c.customerId && !c.otherWindowId && (
            <a className="conflict-link" href={href(`/customers/${c.customerId}`)}>
              Customer
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
