import { useState } from 'react';
import type { Proposal } from '../../../../shared/contract/contracts.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, Section } from '../../components/Bits.js';
import { formatDate, relDays, daysUntil } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { DismissDialog } from './dialogs.js';
import { REASON_LABEL } from './lifecycle.js';
import { SuspendDialog } from './SuspendDialog.js';

/** Today: the suspensions that came due and wait for the operator (nothing happens without a decision). */
export function DueDecisions() {
  const q = useApiQuery('contracts.due', {});
  const [suspend, setSuspend] = useState<Proposal | null>(null);
  const [dismiss, setDismiss] = useState<Proposal | null>(null);
  const items = q.data?.items ?? [];
  return (
    <Section title="Due for a decision" count={q.data ? items.length : undefined}>
      <div data-testid="today-decisions">
        {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
        {q.data && !items.length && <p className="muted">No suspension waits for a decision.</p>}
        {items.length > 0 && (
          <table className="table table-inner">
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-testid="decision-row">
                  <td className="nowrap">
                    <a href={href(`/contracts/${p.contractId}/lifecycle`)}>
                      <strong>{p.reference}</strong>
                    </a>
                    <div className="small">
                      <a className="muted" href={href(`/customers/${p.customerId}`)}>
                        {p.customerName}
                      </a>
                    </div>
                  </td>
                  <td>
                    Suspend <strong>{p.applicationName}</strong>
                    <div className="small muted">
                      {REASON_LABEL[p.reason]} · ended {formatDate(p.period)} ({relDays(daysUntil(p.period))})
                    </div>
                  </td>
                  <td className="right nowrap">
                    <button className="btn btn-small" onClick={() => setDismiss(p)} aria-label={`Dismiss the suspension of ${p.applicationName} (${p.reference})`}>
                      Dismiss…
                    </button>{' '}
                    <button className="btn btn-small btn-danger" onClick={() => setSuspend(p)} data-testid={`decide-${p.id}`} aria-label={`Suspend ${p.applicationName} (${p.reference})…`}>
                      Suspend…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {suspend && (
        <SuspendDialog
          contractId={suspend.contractId}
          reference={suspend.reference}
          applicationId={suspend.applicationId}
          applicationName={suspend.applicationName}
          proposal={suspend}
          onClose={() => setSuspend(null)}
        />
      )}
      {dismiss && <DismissDialog p={dismiss} onClose={() => setDismiss(null)} />}
    </Section>
  );
}
