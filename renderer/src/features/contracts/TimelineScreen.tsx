import { useState } from 'react';
import type { TimelineItem } from '../../../../shared/contract/contracts.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { EmptyState, ErrorBox, PageHeader, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { addDays, formatDateTime, plural, todayIso } from '../../lib/format.js';
import { ImportRenewalsDialog } from './dialogs.js';
import { STATUS_LABEL, type TimelineStatus } from './lifecycle.js';
import { TimelineTable } from './TimelineTable.js';
import './contracts.css';

const STATUSES = Object.keys(STATUS_LABEL) as TimelineStatus[];

/** Contracts › Expiry timeline: every reminder, end date and suspension due in a date range. */
export function TimelineScreen() {
  const toast = useToast();
  const [from, setFrom] = useState(() => addDays(todayIso(), -30));
  const [to, setTo] = useState(() => addDays(todayIso(), 90));
  const [status, setStatus] = useState<TimelineStatus | ''>('');
  const [importing, setImporting] = useState(false);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && to >= from;
  const q = useApiQuery('contracts.timeline', { from, to }, { enabled: valid });
  const evaluate = useApiMutation('contracts.evaluate', {
    invalidates: ['contracts.*'],
    onSuccess: (r) =>
      toast.success(
        r.reminders + r.stages + r.proposals + r.suspensionsStarted === 0
          ? 'Evaluated: nothing new was due.'
          : `Evaluated: ${plural(r.reminders, 'reminder')} queued, ${plural(r.stages, 'stage change')}, ${plural(r.proposals, 'suspension')} to decide.`,
      ),
    onError: (e) => toast.error(e.message),
  });
  const items: TimelineItem[] = (q.data?.items ?? []).filter((i) => !status || i.status === status);
  const counts = new Map<TimelineStatus, number>();
  for (const i of q.data?.items ?? []) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  return (
    <div className="page contracts-timeline" data-testid="contracts-timeline">
      <PageHeader
        icon="contract"
        back={{ to: '/contracts', label: 'Contracts' }}
        title="Expiry timeline"
        subtitle="Reminders, end dates and suspensions due, per contract and application. Dates are in each customer’s time zone."
        actions={
          <>
            <button className="btn" onClick={() => setImporting(true)} data-testid="import-renewals">
              <Icon name="upload" /> Import renewals…
            </button>
            <button className="btn" onClick={() => evaluate.mutate({})} disabled={evaluate.isPending} data-testid="evaluate-now">
              {evaluate.isPending ? 'Evaluating…' : 'Evaluate now'}
            </button>
          </>
        }
      />
      <div className="toolbar timeline-toolbar" role="group" aria-label="Range">
        <label>
          From <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From" />
        </label>
        <label>
          to <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label="To" />
        </label>
        {[30, 90, 365].map((n) => (
          <button
            key={n}
            className="btn btn-small"
            onClick={() => {
              setFrom(todayIso());
              setTo(addDays(todayIso(), n));
            }}
          >
            Next {n} days
          </button>
        ))}
        <span className="spacer" />
        <select className="toolbar-select" aria-label="Filter by status" value={status} onChange={(e) => setStatus(e.target.value as TimelineStatus | '')}>
          <option value="">Every status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]} ({counts.get(s) ?? 0})
            </option>
          ))}
        </select>
      </div>
      {!valid && <p className="field-error">The end of the range is before its start.</p>}
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      {!q.data ? (
        valid && !q.error && <Spinner />
      ) : items.length === 0 ? (
        <EmptyState icon="contract" title="Nothing due in this range">
          No reminder, end date or suspension falls between these dates{status ? ` with the status “${STATUS_LABEL[status]}”` : ''}.
        </EmptyState>
      ) : (
        <div className="card">
          <TimelineTable items={items} contract testId="timeline" />
        </div>
      )}
      {evaluate.data && <p className="muted small">Last evaluated {formatDateTime(evaluate.data.evaluatedAt)}.</p>}
      {importing && <ImportRenewalsDialog onClose={() => setImporting(false)} />}
    </div>
  );
}
