import { useState } from 'react';
import type { Campaign } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { EmptyState, ErrorBox, PageHeader } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { DataTable, type Column } from '../../components/DataTable.js';
import { navigate, useLocation } from '../../lib/router.js';
import { KIND_LABEL } from '../windows/meta.js';
import { fmtDateTime, fmtRelative } from '../windows/time.js';
import { operatorZone } from '../windows/zone.js';
import { Ledger } from './Ledger.js';
import { SmtpSettingsPanel } from './SmtpSettings.js';
import { CountsBar, OutboxBanner } from './status.js';
import { TemplatesPanel } from './Templates.js';
import './notices.css';

type Tab = 'campaigns' | 'ledger' | 'templates' | 'smtp';
const TABS: { id: Tab; label: string }[] = [
  { id: 'campaigns', label: 'Campaigns' },
  { id: 'ledger', label: 'Recipients' },
  { id: 'templates', label: 'Templates' },
  { id: 'smtp', label: 'SMTP' },
];

/** Notices: campaigns with their progress, the per-recipient ledger, templates and SMTP settings. */
export function NoticesScreen() {
  const loc = useLocation();
  const tab = (loc.query.get('tab') as Tab | null) ?? 'campaigns';
  const setTab = (t: Tab) => navigate(`/notices?tab=${t}`, { replace: true });
  return (
    <div className="page notices-page" data-testid="notices-screen">
      <PageHeader icon="notices" title="Notices" subtitle="What was sent to whom, what waits, and how it is sent." />
      <OutboxBanner />
      <div className="tabs page-tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.id} role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'tab on' : 'tab'} onClick={() => setTab(t.id)} data-testid={`tab-${t.id}`}>
            {t.label}
          </button>
        ))}
      </div>
      {tab === 'campaigns' && <Campaigns />}
      {tab === 'ledger' && <Ledger query={loc.query} />}
      {tab === 'templates' && <TemplatesPanel query={loc.query} />}
      {tab === 'smtp' && <SmtpSettingsPanel />}
    </div>
  );
}

function Campaigns() {
  const api = useApi();
  const q = useApiQuery('notices.campaigns', {});
  const [cancel, setCancel] = useState<Campaign | null>(null);
  const zone = operatorZone();
  const items = [...(q.data?.items ?? [])].sort((a, b) => Date.parse(b.scheduledAt) - Date.parse(a.scheduledAt));
  const columns: Column<Campaign>[] = [
    {
      key: 'when',
      label: `Due (${zone})`,
      width: '240px',
      render: (c) => (
        <>
          <div>{fmtDateTime(c.scheduledAt, zone)}</div>
          <div className="muted small">{fmtRelative(c.scheduledAt)}</div>
        </>
      ),
    },
    {
      key: 'window',
      label: 'Window',
      render: (c) => (
        <a href={`#/windows/${c.windowId}`} onClick={(e) => e.stopPropagation()}>
          {c.windowTitle}
        </a>
      ),
    },
    { key: 'kind', label: 'Notice', width: '150px', render: (c) => `${KIND_LABEL[c.kind]}${c.offsetHours != null ? ` (${c.offsetHours} h)` : ''}` },
    { key: 'state', label: 'State', width: '100px', render: (c) => <span className={`tl-state tl-state-${c.state}`}>{c.state}</span> },
    { key: 'progress', label: 'Progress', width: '300px', render: (c) =>
        c.state === 'scheduled' ? (
          <span className="muted small">not due yet</span>
        ) : c.state === 'cancelled' && c.counts.total === 0 ? (
          <span className="muted small">nothing was sent</span>
        ) : (
          <CountsBar counts={c.counts} />
        ),
    },
    {
      key: 'act',
      label: '',
      width: '90px',
      align: 'right',
      render: (c) =>
        c.state === 'scheduled' || c.state === 'sending' ? (
          <button
            className="btn btn-small btn-ghost-danger"
            onClick={(e) => {
              e.stopPropagation();
              setCancel(c);
            }}
          >
            Cancel
          </button>
        ) : null,
    },
  ];
  return (
    <>
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && items.length === 0 ? (
        <EmptyState icon="notices" title="No notice yet">
          Notices are scheduled from a maintenance window: open one in Windows and choose “Announce…”.
        </EmptyState>
      ) : (
        <DataTable testId="campaigns-table" columns={columns} rows={items} loading={q.isFetching} onOpen={(c) => navigate(`/notices?tab=ledger&campaignId=${c.id}`)} />
      )}
      {cancel && (
        <ConfirmDialog
          title={`Cancel the ${KIND_LABEL[cancel.kind].toLowerCase()} of “${cancel.windowTitle}”?`}
          body={
            <p>
              Nothing more of it is sent.{' '}
              {cancel.state === 'sending'
                ? `${cancel.counts.queued} queued message${cancel.counts.queued === 1 ? '' : 's'} will not go out; the ${cancel.counts.sent} already sent cannot be recalled.`
                : 'No message of it has gone out yet.'}
            </p>
          }
          confirmLabel="Cancel these notices"
          danger
          onClose={() => setCancel(null)}
          onConfirm={async () => {
            await api.call('notices.cancelCampaign', { id: cancel.id });
            void q.refetch();
          }}
        />
      )}
    </>
  );
}
