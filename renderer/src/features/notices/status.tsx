import { useState } from 'react';
import type { OutboxStatus } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { fmtRelative } from '../windows/time.js';
import './notices.css';

/**
 * SMTP reachability and what waits in the outbox, kept live by `outbox.status` and
 * `outbox.progress` (EVENT_INVALIDATES). A failed read shows no banner; the screen shows its own errors.
 */
export function useOutboxStatus(): { status: OutboxStatus | undefined; reload: () => Promise<void> } {
  const q = useApiQuery('outbox.status', {});
  const invalidate = useInvalidate();
  return { status: q.data, reload: () => invalidate('outbox.status') };
}

/**
 * Says plainly when notices cannot go out (SMTP not set up, or not answering): they wait in the
 * outbox and go out when the server answers. Also flags rows that need an operator decision.
 */
export function OutboxBanner({ compact }: { compact?: boolean }) {
  const api = useApi();
  const toast = useToast();
  const { status, reload } = useOutboxStatus();
  const [busy, setBusy] = useState(false);
  if (!status) return null;
  const pending = status.pending ?? 0;
  const unknown = status.unknown ?? 0;
  const tryNow = async () => {
    setBusy(true);
    try {
      const s = await api.call('outbox.sendNow', {});
      if (s.online) toast.success('The SMTP server answers: waiting messages are going out.');
      else toast.error(`Still no answer from the SMTP server${s.lastError ? `: ${s.lastError}` : ''}. Messages keep waiting.`);
      await reload();
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const parts = [];
  if (!status.configured) {
    parts.push(
      <div className="callout callout-warn outbox-banner" key="cfg" data-testid="outbox-banner" data-state="unconfigured">
        <Icon name="warn" />
        <span>
          SMTP is not set up yet: notices are planned and queued, and {pending ? `the ${pending} waiting ` : ''}messages go out once a server is configured.{' '}
          <a href={href('/notices?tab=smtp')}>Set up SMTP</a>
        </span>
      </div>,
    );
  } else if (!status.online) {
    parts.push(
      <div className="callout callout-warn outbox-banner" key="off" data-testid="outbox-banner" data-state="offline">
        <Icon name="warn" />
        <span>
          <strong>Offline — the SMTP server does not answer.</strong> {pending ? `${pending} message${pending === 1 ? '' : 's'} wait` : 'Messages wait'} in the outbox and go out by
          themselves when it answers again
          {status.nextAttemptAt ? `; next try ${Date.parse(status.nextAttemptAt) - Date.now() < 60_000 ? 'in a moment' : fmtRelative(status.nextAttemptAt)}` : ''}.
          {status.lastError && <span className="banner-detail">{status.lastError}</span>}
        </span>
        <button className="btn btn-small" disabled={busy} onClick={() => void tryNow()}>
          Try now
        </button>
      </div>,
    );
  } else if (pending > 0 && !compact) {
    parts.push(
      <div className="callout callout-info outbox-banner" key="pend" data-testid="outbox-banner" data-state="sending">
        <Icon name="notices" />
        <span>
          {pending} message{pending === 1 ? '' : 's'} queued; the SMTP server answers.
        </span>
      </div>,
    );
  }
  if (unknown > 0) {
    parts.push(
      <div className="callout callout-error outbox-banner" key="unk" data-testid="outbox-unknown">
        <Icon name="warn" />
        <span>
          {unknown} message{unknown === 1 ? ' was' : 's were'} caught mid-send (the app stopped while sending). They may or may not have been delivered: decide for each
          one — resend or mark as sent. Nothing is sent again by itself.{' '}
          <a href={href('/notices?tab=ledger&state=unknown')}>Review them</a>
        </span>
      </div>,
    );
  }
  return parts.length ? <div className="outbox-banners">{parts}</div> : null;
}

/** A stacked progress bar of a campaign's (or a filter's) per-state counts. */
export function CountsBar({ counts, label }: { counts: { queued: number; sending: number; sent: number; failed: number; unknown: number; total: number }; label?: string }) {
  const t = Math.max(1, counts.total);
  const done = counts.sent + counts.failed + counts.unknown;
  const pct = (n: number) => `${(100 * n) / t}%`;
  return (
    <div className="counts-bar-wrap">
      <div
        className="counts-bar"
        role="progressbar"
        aria-label={label ?? 'Progress'}
        aria-valuemin={0}
        aria-valuemax={counts.total}
        aria-valuenow={done}
        title={`${counts.sent} sent, ${counts.failed} failed, ${counts.unknown} unknown, ${counts.queued + counts.sending} waiting`}
      >
        <span className="seg seg-sent" style={{ width: pct(counts.sent) }} />
        <span className="seg seg-failed" style={{ width: pct(counts.failed) }} />
        <span className="seg seg-unknown" style={{ width: pct(counts.unknown) }} />
        <span className="seg seg-sending" style={{ width: pct(counts.sending) }} />
      </div>
      <span className="counts-text" data-testid="counts-text">
        {counts.sent}/{counts.total} sent
        {counts.failed ? `, ${counts.failed} failed` : ''}
        {counts.unknown ? `, ${counts.unknown} unknown` : ''}
        {counts.queued + counts.sending ? `, ${counts.queued + counts.sending} waiting` : ''}
      </span>
    </div>
  );
}
