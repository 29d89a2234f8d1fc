import { useState } from 'react';
import type { OutboxRow, OutboxState } from '../../../../shared/contract/notices.js';
import { OUTBOX_STATES } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorBox, Spinner } from '../../components/Bits.js';
import { Pager, SearchBox } from '../../components/DataTable.js';
import { ConfirmDialog, Dialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { useDebounced } from '../../lib/hooks.js';
import { navigate } from '../../lib/router.js';
import { RenderedView } from '../windows/ComposeSection.js';
import { KIND_LABEL, OUTBOX_LABEL, OUTBOX_TONE } from '../windows/meta.js';
import { fmtDateTime, fmtRelative } from '../windows/time.js';
import { operatorZone } from '../windows/zone.js';
import { CountsBar } from './status.js';

const PAGE = 100;

/**
 * The per-recipient ledger: one row per message, filtered by state / campaign / window / text,
 * with resend (failed or unknown rows) and mark-sent (unknown rows) — each after a confirmation.
 */
export function Ledger({ query: urlQuery }: { query: URLSearchParams }) {
  const api = useApi();
  const toast = useToast();
  const zone = operatorZone();
  const campaignId = Number(urlQuery.get('campaignId')) || undefined;
  const windowId = Number(urlQuery.get('windowId')) || undefined;
  const state = (urlQuery.get('state') as OutboxState | null) ?? undefined;
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 250);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [open, setOpen] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<'resend' | 'mark' | null>(null);
  const [note, setNote] = useState('');
  const input = { ...(campaignId ? { campaignId } : {}), ...(windowId ? { windowId } : {}), ...(state ? { state } : {}), ...(q ? { query: q } : {}), limit: PAGE, offset };
  const list = useApiQuery('outbox.list', input);
  const invalidate = useInvalidate();
  const refresh = () => void invalidate('outbox.*', 'notices.campaigns');
  const campaigns = useApiQuery('notices.campaigns', {});
  const campaign = campaignId ? campaigns.data?.items.find((c) => c.id === campaignId) : undefined;

  const setParam = (k: string, v: string | undefined) => {
    const p = new URLSearchParams(urlQuery);
    p.set('tab', 'ledger');
    if (v === undefined) p.delete(k);
    else p.set(k, v);
    setOffset(0);
    setSelected(new Set());
    navigate(`/notices?${p.toString()}`, { replace: true });
  };

  const rows = list.data?.items ?? [];
  const counts = list.data?.counts;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const chosen = [...selected].map((id) => byId.get(id)).filter((r): r is OutboxRow => Boolean(r));
  const resendable = chosen.filter((r) => r.state === 'failed' || r.state === 'unknown');
  const markable = chosen.filter((r) => r.state === 'unknown');
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.id));

  return (
    <div className="ledger" data-testid="ledger">
      {campaignId && (
        <div className="ledger-scope">
          <span>
            Campaign: <strong>{campaign ? `${KIND_LABEL[campaign.kind]} of “${campaign.windowTitle}”` : `#${campaignId}`}</strong>
          </span>
          <button className="btn btn-small" onClick={() => setParam('campaignId', undefined)}>
            Show all campaigns
          </button>
        </div>
      )}
      {windowId && !campaignId && (
        <div className="ledger-scope">
          <span>
            Window #{windowId} <a href={`#/windows/${windowId}`}>open</a>
          </span>
          <button className="btn btn-small" onClick={() => setParam('windowId', undefined)}>
            Show all windows
          </button>
        </div>
      )}
      {counts && counts.total > 0 && <CountsBar counts={counts} label="Ledger progress" />}
      <div className="toolbar">
        <div className="state-filter" role="group" aria-label="State">
          <button className={!state ? 'chip-filter on' : 'chip-filter'} onClick={() => setParam('state', undefined)} data-testid="filter-all">
            All <span className="count">{counts?.total ?? '…'}</span>
          </button>
          {OUTBOX_STATES.map((s) => (
            <button key={s} className={state === s ? 'chip-filter on' : 'chip-filter'} onClick={() => setParam('state', s)} data-testid={`filter-${s}`}>
              {OUTBOX_LABEL[s]} <span className={`count count-${s}`}>{counts?.[s] ?? '…'}</span>
            </button>
          ))}
        </div>
        <SearchBox placeholder="Email, contact or customer…" label="Search recipients" value={text} onChange={(t) => (setText(t), setOffset(0))} />
        <div className="spacer" />
        {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} onPage={setOffset} />}
      </div>
      {selected.size > 0 && (
        <div className="bulk-bar" data-testid="bulk-bar">
          <span>{selected.size} selected</span>
          <button className="btn btn-small" disabled={!resendable.length} onClick={() => setConfirm('resend')} data-testid="resend">
            Resend {resendable.length || ''}
          </button>
          <button className="btn btn-small" disabled={!markable.length} onClick={() => setConfirm('mark')} data-testid="mark-sent">
            Mark sent {markable.length || ''}
          </button>
          <button className="btn btn-small" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        </div>
      )}
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {!list.data ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <div className="no-match" data-testid="ledger-empty">
          {counts?.total ? 'No message matches these filters.' : 'No message yet: they appear here when a notice is due.'}
        </div>
      ) : (
        <div className={'table-wrap' + (list.isFetching ? ' is-loading' : '')}>
          <table className="table ledger-table" data-testid="ledger-table">
            <thead>
              <tr>
                <th style={{ width: 32 }}>
                  <input
                    type="checkbox"
                    aria-label="Select all on this page"
                    checked={allOnPage}
                    onChange={() => setSelected(allOnPage ? new Set() : new Set(rows.map((r) => r.id)))}
                  />
                </th>
                <th>Recipient</th>
                <th>Customer</th>
                <th>Notice</th>
                <th style={{ width: 100 }}>State</th>
                <th style={{ width: 70, textAlign: 'right' }}>Tries</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className={'clickable' + (selected.has(r.id) ? ' selected' : '')} onClick={() => setOpen(r.id)} data-testid="ledger-row" data-state={r.state} data-email={r.email}>
                  <td onClick={(e) => e.stopPropagation()}>
                    <input type="checkbox" aria-label={`Select ${r.email}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
                  </td>
                  <td>
                    <div>{r.contactName}</div>
                    <div className="muted small">{r.email}</div>
                  </td>
                  <td>{r.customerName}</td>
                  <td>
                    <div>{KIND_LABEL[r.kind]}</div>
                    <div className="muted small ellipsis" title={r.subject}>
                      {r.subject}
                    </div>
                  </td>
                  <td>
                    <Badge tone={OUTBOX_TONE[r.state]}>
                      <span data-testid="row-state">{OUTBOX_LABEL[r.state]}</span>
                    </Badge>
                  </td>
                  <td style={{ textAlign: 'right' }}>{r.attempts}</td>
                  <td className="small">
                    {r.state === 'sent' && r.sentAt ? (
                      <>sent {fmtDateTime(r.sentAt, zone)}</>
                    ) : r.state === 'failed' || r.state === 'unknown' ? (
                      <span className="err-text" title={r.lastError ?? ''}>
                        {r.state === 'unknown' ? 'caught mid-send: decide' : r.lastError ?? 'failed'}
                      </span>
                    ) : r.nextAttemptAt ? (
                      <span className="muted">next try {fmtRelative(r.nextAttemptAt)}</span>
                    ) : (
                      <span className="muted">waiting</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open !== null && <MessageDialog id={open} onClose={() => setOpen(null)} onChanged={refresh} />}
      {confirm === 'resend' && (
        <ConfirmDialog
          title={`Send ${resendable.length} message${resendable.length === 1 ? '' : 's'} again?`}
          body={
            <>
              <p>
                {resendable.length} recipient{resendable.length === 1 ? '' : 's'} will get the message again, with the same Message-ID (mail clients that received the first one may show it
                once).{' '}
                {resendable.some((r) => r.state === 'unknown') && (
                  <strong>Some of these were caught mid-send and may already have been delivered: they may get it twice.</strong>
                )}
              </p>
              <ul className="small">
                {resendable.slice(0, 8).map((r) => (
                  <li key={r.id}>
                    {r.contactName} &lt;{r.email}&gt; — {OUTBOX_LABEL[r.state].toLowerCase()}
                  </li>
                ))}
                {resendable.length > 8 && <li>… and {resendable.length - 8} more</li>}
              </ul>
              <p className="muted small">Recorded in the audit log.</p>
            </>
          }
          confirmLabel={`Resend ${resendable.length}`}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            const r = await api.call('outbox.resend', { ids: resendable.map((x) => x.id) });
            toast.success(`${r.updated} message${r.updated === 1 ? '' : 's'} queued again.`);
            setSelected(new Set());
            refresh();
          }}
        />
      )}
      {confirm === 'mark' && (
        <ConfirmDialog
          title={`Mark ${markable.length} message${markable.length === 1 ? '' : 's'} as sent?`}
          body={
            <>
              <p>
                Nothing is sent: the ledger records that {markable.length === 1 ? 'this message was' : 'these messages were'} delivered (for instance, the SMTP server's log shows it). Say why —
                it goes to the audit log.
              </p>
              <textarea className="note-input" rows={2} placeholder="e.g. found in the relay's log at 14:02" value={note} onChange={(e) => setNote(e.target.value)} data-testid="mark-note" />
            </>
          }
          confirmLabel={`Mark ${markable.length} sent`}
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            if (!note.trim()) throw new Error('Say why you consider them sent (it is kept in the audit log).');
            const r = await api.call('outbox.markSent', { ids: markable.map((x) => x.id), note: note.trim() });
            toast.success(`${r.updated} message${r.updated === 1 ? '' : 's'} marked as sent.`);
            setNote('');
            setSelected(new Set());
            refresh();
          }}
        />
      )}
    </div>
  );
}

function MessageDialog({ id, onClose, onChanged }: { id: number; onClose: () => void; onChanged: () => void }) {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('outbox.get', { id });
  const zone = operatorZone();
  const m = q.data;
  const resend = async () => {
    try {
      await api.call('outbox.resend', { ids: [id] });
      toast.success('Queued again.');
      onChanged();
    } catch (e) {
      toast.error((e as Error).message);
    }
  };
  return (
    <Dialog
      wide
      title={m ? `${KIND_LABEL[m.kind]} to ${m.contactName}` : 'Message'}
      onClose={onClose}
      footer={
        m && (m.state === 'failed' || m.state === 'unknown') ? (
          <button className="btn btn-primary" onClick={() => void resend()}>
            Resend this one
          </button>
        ) : undefined
      }
    >
      {q.error && <ErrorBox error={q.error} />}
      {!m ? (
        <Spinner />
      ) : (
        <>
          <dl className="kv kv-tight" data-testid="message-meta">
            <dt>State</dt>
            <dd>
              <Badge tone={OUTBOX_TONE[m.state]}>{OUTBOX_LABEL[m.state]}</Badge> after {m.attempts} attempt{m.attempts === 1 ? '' : 's'}
              {m.sentAt ? ` · sent ${fmtDateTime(m.sentAt, zone)}` : ''}
            </dd>
            {m.lastError && (
              <>
                <dt>Last error</dt>
                <dd className="err-text">{m.lastError}</dd>
              </>
            )}
            {m.note && (
              <>
                <dt>Note</dt>
                <dd>{m.note}</dd>
              </>
            )}
            <dt>Message-ID</dt>
            <dd className="mono small">{m.messageId}</dd>
            {m.smtpMessageId && (
              <>
                <dt>Server answer</dt>
                <dd className="mono small">{m.smtpMessageId}</dd>
              </>
            )}
          </dl>
          <RenderedView
            testId="message-view"
            r={{ to: m.email, contactName: m.contactName, customerName: m.customerName, language: '', timezone: '', subject: m.subject, html: m.html, text: m.text, ics: m.ics, icsMethod: /METHOD:CANCEL/.test(m.ics) ? 'CANCEL' : 'REQUEST' }}
          />
        </>
      )}
    </Dialog>
  );
}
