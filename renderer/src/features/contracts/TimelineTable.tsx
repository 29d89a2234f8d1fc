import type { TimelineItem } from '../../../../shared/contract/contracts.js';
import { Badge } from '../../components/Bits.js';
import { daysUntil, formatDate, relDays } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { byMonth, dueLabel, monthTitle, STATUS_LABEL } from './lifecycle.js';
import { STATUS_TONE } from './tones.js';

/**
 * What is due when, one row per due point, a heading per month. `contract`: show the contract and
 * customer columns (the all-contracts timeline); a contract's own page leaves them out.
 */
export function TimelineTable({ items, contract, testId }: { items: readonly TimelineItem[]; contract: boolean; testId?: string }) {
  const cols = contract ? 6 : 4;
  return (
    <table className="table timeline-table" data-testid={testId}>
      <thead>
        <tr>
          <th>Date</th>
          {contract && <th>Contract</th>}
          {contract && <th>Customer</th>}
          <th>What</th>
          <th>Application</th>
          <th>Status</th>
        </tr>
      </thead>
      {byMonth(items).map((g) => (
        <tbody key={g.month}>
          <tr className="timeline-month">
            <th colSpan={cols} scope="colgroup">
              {monthTitle(g.month)}
            </th>
          </tr>
          {g.items.map((it) => {
            const days = daysUntil(it.date);
            return (
              <tr
                key={`${it.contractId}-${it.kind}-${it.days ?? ''}-${it.applicationId ?? ''}-${it.period}`}
                className={`timeline-row status-${it.status}`}
                data-testid="timeline-row"
              >
                <td className="nowrap">
                  {formatDate(it.date)} <span className="muted small">{relDays(days)}</span>
                </td>
                {contract && (
                  <td className="nowrap">
                    <a href={href(`/contracts/${it.contractId}/lifecycle`)}>
                      <strong>{it.reference}</strong>
                    </a>
                  </td>
                )}
                {contract && (
                  <td>
                    <a className="muted" href={href(`/customers/${it.customerId}`)}>
                      {it.customerName}
                    </a>
                  </td>
                )}
                <td className={it.kind === 'suspension_due' ? 'timeline-suspend' : undefined}>{dueLabel(it.kind, it.days)}</td>
                <td>{it.applicationName ?? <span className="muted">all</span>}</td>
                <td>
                  <Badge tone={STATUS_TONE[it.status]}>{STATUS_LABEL[it.status]}</Badge>
                </td>
              </tr>
            );
          })}
        </tbody>
      ))}
    </table>
  );
}
