import { useMemo, useState } from 'react';
import type { Campaign } from '../../../../shared/contract/notices.js';
import type { Window } from '../../../../shared/contract/windows.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { ErrorBox, PageHeader, Section, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { href, navigate } from '../../lib/router.js';
import { useEnvironments, useServers } from '../inventory/lookups.js';
import { CountsBar, OutboxBanner } from '../notices/status.js';
import { AudienceSection } from './AudienceSection.js';
import { ComposeSection } from './ComposeSection.js';
import { KIND_LABEL, transitionsFrom, type TransitionSpec } from './meta.js';
import { ConflictList, StateBadge } from './parts.js';
import { ScheduleDialog, TransitionDialog } from './dialogs.js';
import { fmtDateTime, fmtDuration, fmtRelative, fmtSpan } from './time.js';
import { WindowEditor } from './WindowEditor.js';
import { useOperatorZone } from './zone.js';
import './windows.css';

/**
 * A window's page: scope, conflicts, the notice timeline (what went out, what is scheduled),
 * the audience per customer, compose/preview, and the state transitions.
 */
export function WindowPage({ id }: { id: number }) {
  const api = useApi();
  const toast = useToast();
  const [zone] = useOperatorZone();
  // Audience and clashes also follow the inventory (a contact opting out, a contract ending…):
  // EVENT_INVALIDATES refreshes them on `inventory.changed` as on `windows.changed`.
  const wq = useApiQuery('windows.get', { id });
  const cq = useApiQuery('windows.conflicts', { id });
  const aq = useApiQuery('windows.audience', { id, includeContacts: true });
  const campaigns = useApiQuery('notices.campaigns', { windowId: id });
  const invalidate = useInvalidate();
  const [editing, setEditing] = useState(false);
  const [transition, setTransition] = useState<TransitionSpec | null>(null);
  const [scheduling, setScheduling] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [cancelCampaign, setCancelCampaign] = useState<Campaign | null>(null);
  const [previewContact, setPreviewContact] = useState<number | undefined>();

  // Scheduling notices announces no window change: refresh what this page shows after any action.
  const reloadAll = () => void invalidate('windows.*', 'notices.campaigns');

  const w = wq.data;
  if (wq.error) {
    return (
      <div className="page">
        <PageHeader title={`Window #${id}`} back={{ to: '/windows', label: 'Windows' }} />
        <ErrorBox error={wq.error} onRetry={() => void wq.refetch()} />
      </div>
    );
  }
  if (!w) {
    return (
      <div className="page">
        <Spinner />
      </div>
    );
  }
  const transitions = transitionsFrom(w.state);
  const audience = aq.data;
  const onCompose = (contactId: number) => {
    setPreviewContact(contactId);
    document.getElementById('compose')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };

  return (
    <div className="page window-page" data-testid="window-page">
      <PageHeader
        icon="windows"
        back={{ to: '/windows', label: 'Windows' }}
        title={<span data-testid="window-title">{w.title}</span>}
        subtitle={
          <span className="window-sub">
            <StateBadge state={w.state} /> {fmtSpan(w.start, w.end, zone)} · {fmtDuration(w.start, w.end)} · starts {fmtRelative(w.start)}
          </span>
        }
        actions={
          <>
            {w.state === 'draft' && (
              <button className="btn btn-ghost-danger" onClick={() => setDeleting(true)}>
                <Icon name="trash" /> Delete
              </button>
            )}
            {!['done', 'cancelled'].includes(w.state) && (
              <button className="btn" onClick={() => setEditing(true)} data-testid="edit-window">
                <Icon name="edit" /> Edit
              </button>
            )}
            {transitions.map((t) => (
              <button key={t.to + t.label} className={t.danger ? 'btn btn-ghost-danger' : 'btn'} onClick={() => setTransition(t)} data-testid={`transition-${t.to}`}>
                {t.label}
              </button>
            ))}
            {['draft', 'announced'].includes(w.state) && (
              <button className="btn btn-primary" onClick={() => setScheduling(true)} data-testid="schedule-notices">
                <Icon name="notices" /> {w.state === 'draft' ? 'Announce…' : 'Schedule notices…'}
              </button>
            )}
          </>
        }
      />
      <OutboxBanner />
      <div className="window-grid">
        <Section title="Scope">
          <ScopeView w={w} zone={zone} />
        </Section>
        <Section title="Conflicts" count={cq.data?.items.length}>
          {cq.error ? (
            <ErrorBox error={cq.error} onRetry={() => void cq.refetch()} />
          ) : !cq.data ? (
            <Spinner />
          ) : cq.data.items.length === 0 ? (
            <div className="ok-text" data-testid="no-conflicts">
              <Icon name="check" size={14} /> No clash: no other window on the same servers or customers, inside every contract's allowed hours, no blackout date.
            </div>
          ) : (
            <ConflictList items={cq.data.items} />
          )}
        </Section>
      </div>
      <Section
        title="Notice timeline"
        id="timeline"
        actions={
          ['draft', 'announced'].includes(w.state) ? (
            <button className="btn btn-small" onClick={() => setScheduling(true)}>
              {campaigns.data?.items.length ? 'Reschedule…' : 'Schedule…'}
            </button>
          ) : undefined
        }
      >
        <Timeline w={w} zone={zone} items={campaigns.data?.items} error={campaigns.error} onCancel={setCancelCampaign} />
      </Section>
      <AudienceSection audience={audience} error={aq.error} onRetry={() => void aq.refetch()} zone={zone} w={w} onPreview={onCompose} />
      <ComposeSection w={w} audience={audience} contactId={previewContact} onContact={setPreviewContact} />

      {editing && (
        <WindowEditor
          window={w}
          zone={zone}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            reloadAll();
          }}
        />
      )}
      {transition && (
        <TransitionDialog
          w={w}
          spec={transition}
          audience={audience}
          zone={zone}
          onClose={() => setTransition(null)}
          onDone={() => {
            setTransition(null);
            reloadAll();
          }}
        />
      )}
      {scheduling && (
        <ScheduleDialog
          w={w}
          audience={audience}
          zone={zone}
          existing={campaigns.data?.items ?? []}
          onClose={() => setScheduling(false)}
          onDone={() => {
            setScheduling(false);
            reloadAll();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the draft “${w.title}”?`}
          body={<p>It was never announced, so nobody was told. This removes it from the calendar; the change is written to the audit log.</p>}
          confirmLabel="Delete window"
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.call('windows.delete', { id: w.id });
            toast.success(`Window “${w.title}” deleted.`);
            navigate('/windows', { replace: true });
          }}
        />
      )}
      {cancelCampaign && (
        <ConfirmDialog
          title={`Cancel the ${KIND_LABEL[cancelCampaign.kind].toLowerCase()}?`}
          body={
            <p>
              Nothing more of it is sent:{' '}
              {cancelCampaign.state === 'scheduled'
                ? `it was due ${fmtDateTime(cancelCampaign.scheduledAt, zone)} and no message has gone out yet.`
                : `${cancelCampaign.counts.queued} queued message${cancelCampaign.counts.queued === 1 ? '' : 's'} will not be sent (the ${cancelCampaign.counts.sent} already sent cannot be recalled).`}
            </p>
          }
          confirmLabel="Cancel these notices"
          danger
          onClose={() => setCancelCampaign(null)}
          onConfirm={async () => {
            await api.call('notices.cancelCampaign', { id: cancelCampaign.id });
            void campaigns.refetch();
          }}
        />
      )}
    </div>
  );
}

function ScopeView({ w, zone }: { w: Window; zone: string }) {
  const placements = useApiQuery('placements.list', { limit: 10_000 });
  const servers = useServers();
  const envs = useEnvironments();
  const env = w.environmentId == null ? null : envs.byId.get(w.environmentId);
  const viaApps = useMemo(() => {
    const set = new Map<number, string>();
    for (const p of placements.data?.items ?? []) {
      // a window limited to one environment leaves the other environments' servers out
      if (w.environmentId != null && servers.byId.get(p.serverId)?.environmentId !== w.environmentId) continue;
      if (w.applicationIds.includes(p.applicationId) && !w.serverIds.includes(p.serverId)) set.set(p.serverId, p.serverName);
    }
    return [...set.values()].sort();
  }, [placements.data, servers.byId, w.applicationIds, w.serverIds, w.environmentId]);
  return (
    <dl className="kv" data-testid="scope">
      <dt>Your time</dt>
      <dd>{fmtSpan(w.start, w.end, zone)}</dd>
      {zone !== 'UTC' && (
        <>
          <dt>UTC</dt>
          <dd className="muted">{fmtSpan(w.start, w.end, 'UTC')}</dd>
        </>
      )}
      <dt>Environment</dt>
      <dd data-testid="scope-environment">{w.environmentId == null ? <span className="muted">all</span> : <strong>{env?.name ?? `#${w.environmentId}`} only</strong>}</dd>
      <dt>Applications</dt>
      <dd>
        {w.applicationNames.length ? (
          w.applicationIds.map((aid, i) => (
            <a key={aid} className="chip-link" href={href(`/applications/${aid}`)}>
              {w.applicationNames[i]}
            </a>
          ))
        ) : (
          <span className="muted">none — nobody will be told</span>
        )}
      </dd>
      <dt>Servers</dt>
      <dd>
        {w.serverNames.map((n, i) => (
          <a key={n} className="chip-link" href={href(`/servers/${w.serverIds[i]}`)}>
            {n}
          </a>
        ))}
        {viaApps.map((n) => (
          <span key={n} className="chip-link muted" title="Hosts one of the applications">
            {n}
          </span>
        ))}
        {!w.serverNames.length && !viaApps.length && <span className="muted">none</span>}
      </dd>
      <dt>Impact</dt>
      <dd className="pre-wrap">{w.impact || <span className="muted">not described — the notices will say less</span>}</dd>
      <dt>Linked run</dt>
      <dd>{w.linkedRunId ? <LinkedRun id={w.linkedRunId} /> : <span className="muted">none</span>}</dd>
      {w.notes && (
        <>
          <dt>Notes</dt>
          <dd className="pre-wrap">{w.notes}</dd>
        </>
      )}
      <dt>Invitation</dt>
      <dd className="muted small mono">
        {w.uid} · sequence {w.sequence}
      </dd>
    </dl>
  );
}

function LinkedRun({ id }: { id: number }) {
  const q = useApiQuery('runs.get', { id });
  return (
    <a href={href(`/runs/${id}`)} data-testid="linked-run">
      Run #{id}
      {q.data ? ` — ${q.data.applicationName} ${q.data.label} (${q.data.state})` : ''}
    </a>
  );
}

function Timeline({ w, zone, items, error, onCancel }: { w: Window; zone: string; items: Campaign[] | undefined; error: Error | null; onCancel: (c: Campaign) => void }) {
  if (error) return <ErrorBox error={error} />;
  if (!items) return <Spinner />;
  const sorted = [...items].sort((a, b) => Date.parse(a.scheduledAt) - Date.parse(b.scheduledAt));
  if (!sorted.length)
    return (
      <div className="muted" data-testid="timeline-empty">
        Nothing scheduled yet. {w.state === 'draft' ? 'Announce the window to send the announcement and schedule the reminders.' : ''}
      </div>
    );
  const startMs = Date.parse(w.start);
  return (
    <ol className="timeline" data-testid="timeline">
      {sorted.map((c) => {
        const due = Date.parse(c.scheduledAt);
        const isFuture = due > Date.now();
        return (
          <li key={c.id} className={`tl-item tl-${c.state}`} data-testid="timeline-item" data-kind={c.kind} data-state={c.state}>
            <div className="tl-when">
              <div>{fmtDateTime(c.scheduledAt, zone)}</div>
              <div className="muted small">
                {fmtRelative(c.scheduledAt)}
                {c.offsetHours != null ? ` · ${c.offsetHours} h before the start` : due < startMs ? '' : ''}
              </div>
            </div>
            <div className="tl-what">
              <strong>{KIND_LABEL[c.kind]}</strong>
              <span className={`tl-state tl-state-${c.state}`} data-testid="campaign-state">
                {c.state === 'scheduled' ? (isFuture ? 'scheduled' : 'due — waiting to go out') : c.state}
              </span>
            </div>
            <div className="tl-progress">
              {c.state === 'scheduled' ? (
                <span className="muted small">Recipients are fixed when it is due.</span>
              ) : c.state === 'cancelled' && c.counts.total === 0 ? (
                <span className="muted small">Cancelled before it was due: nothing was sent.</span>
              ) : (
                <CountsBar counts={c.counts} label={`${KIND_LABEL[c.kind]} progress`} />
              )}
            </div>
            <div className="tl-actions">
              {c.counts.total > 0 && (
                <a className="btn btn-small" href={href(`/notices?tab=ledger&campaignId=${c.id}`)}>
                  Recipients
                </a>
              )}
              {(c.state === 'scheduled' || c.state === 'sending') && (
                <button className="btn btn-small btn-ghost-danger" onClick={() => onCancel(c)}>
                  Cancel
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

