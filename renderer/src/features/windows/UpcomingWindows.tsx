import { useMemo } from 'react';
import type { Campaign } from '../../../../shared/contract/notices.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, Section, Spinner } from '../../components/Bits.js';
import { href } from '../../lib/router.js';
import { KIND_LABEL } from './meta.js';
import { StateBadge } from './parts.js';
import { fmtRelative, fmtSpan } from './time.js';
import { operatorZone } from './zone.js';
import './windows.css';

/**
 * For Today: the next windows with a countdown and where their notices stand (sent so far, what
 * is due next). Renders its own <Section>; mount it in the Today "windows" slot.
 */
export function UpcomingWindows({ limit = 5 }: { limit?: number }) {
  const zone = operatorZone();
  const from = useMemo(() => new Date().toISOString(), []);
  const wq = useApiQuery('windows.list', { from, limit: 50 });
  const cq = useApiQuery('notices.campaigns', {});
  const items = (wq.data?.items ?? [])
    .filter((w) => w.state !== 'done' && w.state !== 'cancelled')
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
    .slice(0, limit);
  const byWindow = new Map<number, Campaign[]>();
  for (const c of cq.data?.items ?? []) byWindow.set(c.windowId, [...(byWindow.get(c.windowId) ?? []), c]);
  return (
    <Section title="Next maintenance windows" count={items.length} actions={<a href={href('/windows')}>Calendar</a>}>
      {wq.error ? (
        <ErrorBox error={wq.error} onRetry={() => void wq.refetch()} />
      ) : !wq.data ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p className="muted">
          No window planned. <a href={href('/windows')}>Plan one</a>.
        </p>
      ) : (
        <ul className="upcoming" data-testid="upcoming-windows">
          {items.map((w) => {
            const cs = byWindow.get(w.id) ?? [];
            const live = cs.filter((c) => c.state !== 'cancelled');
            const sent = live.reduce((n, c) => n + c.counts.sent, 0);
            const total = live.reduce((n, c) => n + c.counts.total, 0);
            const problems = live.reduce((n, c) => n + c.counts.failed + c.counts.unknown, 0);
            const next = live.filter((c) => c.state === 'scheduled').sort((a, b) => Date.parse(a.scheduledAt) - Date.parse(b.scheduledAt))[0];
            return (
              <li key={w.id}>
                <div className="upcoming-main">
                  <a href={href(`/windows/${w.id}`)}>
                    <strong>{w.title}</strong>
                  </a>
                  <StateBadge state={w.state} />
                  <span className="upcoming-count">{Date.parse(w.start) > Date.now() ? `starts ${fmtRelative(w.start)}` : `ends ${fmtRelative(w.end)}`}</span>
                </div>
                <div className="muted small">{fmtSpan(w.start, w.end, zone)}</div>
                <div className="small">
                  {live.length === 0 ? (
                    <span className="warn-text">Nobody told yet.</span>
                  ) : (
                    <>
                      {sent}/{total} notices sent
                      {problems ? <span className="err-text"> · {problems} need attention</span> : null}
                      {next ? ` · next: ${KIND_LABEL[next.kind].toLowerCase()} ${fmtRelative(next.scheduledAt)}` : ''}
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}
