import { useState } from 'react';
import type { Lock, RunState, RunSummary } from '../../../../shared/contract/runs.js';
import { isTerminalRunState, RUN_STATES } from '../../../../shared/contract/runs.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, EmptyState, EnvTag, ErrorBox, ErrorLine, PageHeader } from '../../components/Bits.js';
import { DataTable, FilterSelect, Pager, type Column } from '../../components/DataTable.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { formatDateTime } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { href, navigate, useLocation } from '../../lib/router.js';
import { useApplications, useEnvironments } from '../inventory/lookups.js';
import { formatDuration, KIND_LABEL, RUN_STATE_LABEL, runStateText, runTone } from './util.js';
import './runs.css';

const PAGE = 50;

/** Runs, newest first, with filters; the Locks tab lists application × environment locks. */
export function RunsScreen() {
  const loc = useLocation();
  const tab = loc.query.get('tab') === 'locks' ? 'locks' : 'runs';
  return (
    <div className="page" data-testid="runs-screen">
      <PageHeader
        icon="runs"
        title="Runs"
        subtitle="Installs, upgrades and rollbacks: what ran where, and what is running now."
        actions={
          <button className="btn btn-primary" onClick={() => navigate('/runs/new')} data-testid="new-run">
            <Icon name="plus" /> New run
          </button>
        }
      />
      <div className="rtabs" role="tablist">
        <a role="tab" aria-selected={tab === 'runs'} className={'rtab' + (tab === 'runs' ? ' on' : '')} href={href('/runs')}>
          Runs
        </a>
        <a role="tab" aria-selected={tab === 'locks'} className={'rtab' + (tab === 'locks' ? ' on' : '')} href={href('/runs?tab=locks')} data-testid="tab-locks">
          Locks
        </a>
      </div>
      {tab === 'runs' ? <RunsTable /> : <LocksView />}
    </div>
  );
}

export function RunsTable({ applicationId, compact }: { applicationId?: number; compact?: boolean }) {
  const envs = useEnvironments();
  const apps = useApplications();
  const [state, setState] = useState<RunState | ''>('');
  const [app, setApp] = useState<number | ''>(applicationId ?? '');
  const [offset, setOffset] = useState(0);
  const input = { limit: compact ? 10 : PAGE, offset, ...(state ? { state } : {}), ...(app ? { applicationId: app } : {}) };
  // Refreshed when a run changes state (runs.state in api/queries.tsx).
  const list = useApiQuery('runs.list', input);
  const columns: Column<RunSummary>[] = [
    { key: 'id', label: '#', width: '3.5rem', render: (r) => <span className="muted">{r.id}</span> },
    {
      key: 'what',
      label: 'Run',
      render: (r) => (
        <span>
          <strong>{KIND_LABEL[r.kind]}</strong> {compact ? '' : r.applicationName} <code className="small">{r.releaseKey}</code>
        </span>
      ),
    },
    {
      key: 'env',
      label: 'Environment',
      render: (r) => {
        const e = envs.byId.get(r.environmentId);
        return e ? <EnvTag name={e.name} colour={e.colour} /> : r.environmentName;
      },
    },
    {
      key: 'state',
      label: 'State',
      render: (r) => (
        <Badge tone={runTone(r.state, r.waitingFor)}>
          {runStateText(r)}
          {!isTerminalRunState(r.state) && r.stepCount ? ` · ${Math.min(r.currentStep + 1, r.stepCount)}/${r.stepCount}` : ''}
        </Badge>
      ),
    },
    { key: 'started', label: 'Started', render: (r) => formatDateTime(r.startedAt) },
    { key: 'took', label: 'Took', align: 'right', render: (r) => (r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : <span className="muted">—</span>) },
  ];
  if (!compact) columns.push({ key: 'op', label: 'Operator', render: (r) => r.operator });
  const empty = list.data && list.data.total === 0 && !state && !app;
  return (
    <>
      {!compact && !empty && (
        <div className="toolbar">
          <FilterSelect label="Application" allLabel="All applications" value={app} options={apps.options} onChange={(v) => (setApp(v ? Number(v) : ''), setOffset(0))} />
          <FilterSelect label="State" allLabel="Any state" value={state} options={RUN_STATES.map((s) => ({ value: s, label: RUN_STATE_LABEL[s] }))} onChange={(v) => (setState(v as RunState | ''), setOffset(0))} />
          <div className="spacer" />
          {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} onPage={setOffset} />}
        </div>
      )}
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {empty ? (
        compact ? (
          <p className="muted">No run yet.</p>
        ) : (
          <EmptyState
            icon="runs"
            title="No run yet"
            action={
              <button className="btn btn-primary" onClick={() => navigate('/runs/new')}>
                <Icon name="plus" /> New run
              </button>
            }
          >
            A run installs, upgrades or rolls back an application on its servers, following the application’s checklist step by step, with the plan shown first.
          </EmptyState>
        )
      ) : list.data ? (
        <DataTable testId="runs-table" columns={columns} rows={list.data.items} onOpen={(r) => navigate(`/runs/${r.id}`)} loading={list.isFetching} rowClass={(r) => `run-${r.state}`} />
      ) : null}
    </>
  );
}

/** Application × environment locks, with release and an audited override. */
export function LocksView() {
  const api = useApi();
  const toast = useToast();
  const list = useApiQuery('locks.list', {});
  const invalidate = useInvalidate();
  const [taking, setTaking] = useState<Lock | null>(null);
  const release = async (l: Lock) => {
    try {
      await api.call('locks.release', { applicationId: l.applicationId, environmentId: l.environmentId });
      toast.success(`Lock on ${l.applicationName} in ${l.environmentName} released.`);
      await invalidate('locks.list');
    } catch (e) {
      toast.error(errorMessage(e));
    }
  };
  const items = list.data?.items ?? [];
  return (
    <div data-testid="locks-view">
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && !items.length ? (
        <EmptyState icon="runs" title="No lock held">
          A run locks its application in its environment while it goes, so two people never deploy the same thing at once. Locks show here with their owner and lease.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="locks-table">
            <thead>
              <tr>
                <th>Application</th>
                <th>Environment</th>
                <th>Held by</th>
                <th>Reason</th>
                <th>Since</th>
                <th>Lease until</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((l) => (
                <tr key={`${l.applicationId}-${l.environmentId}`}>
                  <td>{l.applicationName}</td>
                  <td>{l.environmentName}</td>
                  <td>
                    {l.owner} {l.runId && <a href={href(`/runs/${l.runId}`)}>run #{l.runId}</a>}
                  </td>
                  <td>{l.reason || <span className="muted">—</span>}</td>
                  <td>{formatDateTime(l.since)}</td>
                  <td>{l.expired ? <Badge tone="amber">expired</Badge> : formatDateTime(l.leaseExpiresAt)}</td>
                  <td className="row-actions">
                    <button className="btn btn-small" onClick={() => void release(l)}>
                      Release
                    </button>
                    <button className="btn btn-small btn-danger" onClick={() => setTaking(l)} data-testid="override-lock">
                      Take over…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {taking && <OverrideDialog lock={taking} onClose={() => setTaking(null)} onDone={() => void invalidate('locks.list')} />}
    </div>
  );
}

function OverrideDialog({ lock, onClose, onDone }: { lock: Lock; onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const go = () =>
    run(async () => {
      await api.call('locks.override', { applicationId: lock.applicationId, environmentId: lock.environmentId, reason: reason.trim() });
      toast.success(`You now hold the lock on ${lock.applicationName} in ${lock.environmentName}.`);
      onDone();
      onClose();
    });
  return (
    <Dialog
      title={`Take over the lock on ${lock.applicationName} in ${lock.environmentName}?`}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger disabled={busy || !reason.trim()} onConfirm={() => void go()} testId="confirm-override">
          Take over the lock
        </ConfirmButtons>
      }
    >
      <p>
        {lock.owner} holds it{lock.runId ? ` for run #${lock.runId}` : ''} since {formatDateTime(lock.since)}
        {lock.expired ? ' (its lease has expired)' : ''}. Taking it makes you the owner: {lock.owner} can no longer start or go on with a run here until you release it. Your reason is written to the audit log.
      </p>
      <div className="field">
        <label htmlFor="override-reason">Reason (required)</label>
        <input id="override-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. Ana is away, her run was aborted" />
      </div>
      <ErrorLine error={error} />
    </Dialog>
  );
}
