import { useState } from 'react';
import type { Release } from '../../../../shared/contract/runs.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, EmptyState, ErrorBox, ErrorLine, PageHeader, Section } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime, plural } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { href, navigate } from '../../lib/router.js';
import { useServers } from '../inventory/lookups.js';
import { RunsTable } from './RunsScreen.js';
import './runs.css';

/**
 * The application page's panel: the release current on each host, Deploy / Roll back, and links to
 * the checklists, the release history and the application's runs.
 * Mount it with APPLICATION_PANELS (renderer/src/panels.ts).
 */
export function ApplicationReleases({ applicationId }: { applicationId: number }) {
  const current = useApiQuery('releases.current', { applicationId });
  const items = current.data?.items ?? [];
  return (
    <section className="card app-releases" aria-label="Releases" data-testid="app-releases">
      <header className="card-head">
        <h2>Releases</h2>
        <div className="card-actions">
          <button className="btn btn-small btn-primary" onClick={() => navigate(`/runs/new?app=${applicationId}&kind=${items.length ? 'upgrade' : 'install'}`)} data-testid="deploy">
            Deploy…
          </button>
        </div>
      </header>
      <div className="card-body">
        {current.error && <ErrorBox error={current.error} onRetry={() => void current.refetch()} />}
        {current.data && !items.length && <p className="muted small">Nothing deployed with Puesta yet. Deploy installs the first release on the application’s placements.</p>}
        {items.length > 0 && (
          <ul className="current-list">
            {items.map((c) => (
              <li key={c.serverId}>
                <span className="current-host">{c.serverName}</span>
                <code>{c.key}</code>
                {c.label && <span className="muted small">{c.label}</span>}
              </li>
            ))}
          </ul>
        )}
        <div className="link-row">
          <a href={href(`/runs/releases/${applicationId}`)}>Release history</a>
          <a href={href(`/runs/checklists/${applicationId}`)}>Checklists</a>
          {items.some((c) => c.previousKey) && (
            <a href={href(`/runs/new?app=${applicationId}&kind=rollback`)} data-testid="rollback-link">
              Roll back…
            </a>
          )}
        </div>
      </div>
    </section>
  );
}

/** Every release of an application on every host, newest first; which one is current. */
export function ReleasesScreen({ applicationId }: { applicationId: number }) {
  const app = useApiQuery('applications.get', { id: applicationId });
  const [removed, setRemoved] = useState(false);
  const list = useApiQuery('releases.list', { applicationId, includeRemoved: removed });
  const current = useApiQuery('releases.current', { applicationId });
  const [registering, setRegistering] = useState(false);
  const [scanning, setScanning] = useState(false);
  const items = list.data?.items ?? [];
  const byHost = new Map<string, Release[]>();
  for (const r of items) byHost.set(r.serverName, [...(byHost.get(r.serverName) ?? []), r]);
  const appName = app.data?.name ?? '…';
  const invalidate = useInvalidate();
  const reloadAll = () => void invalidate('releases.*');
  return (
    <div className="page" data-testid="releases-screen">
      <PageHeader
        back={{ to: `/applications/${applicationId}`, label: appName }}
        title={`Releases of ${appName}`}
        subtitle="Each release is a folder under releases/ on a host; current is the one the symlink points at."
        actions={
          <>
            <button className="btn" onClick={() => setScanning(true)} data-testid="scan-hosts">
              Check the hosts…
            </button>
            <button className="btn" onClick={() => setRegistering(true)}>
              Record a release…
            </button>
            <button className="btn btn-primary" onClick={() => navigate(`/runs/new?app=${applicationId}`)}>
              Deploy…
            </button>
          </>
        }
      />
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {current.data && current.data.items.length > 0 && (
        <Section title="Current on each host" count={current.data.items.length}>
          <div className="table-wrap">
            <table className="table" data-testid="current-table">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Current</th>
                  <th>Previous (rollback target)</th>
                  <th>Switched</th>
                  <th>By run</th>
                </tr>
              </thead>
              <tbody>
                {current.data.items.map((c) => (
                  <tr key={c.serverId}>
                    <td>{c.serverName}</td>
                    <td>
                      <code>{c.key}</code> {c.label && <span className="muted">{c.label}</span>}
                    </td>
                    <td>{c.previousKey ? <code>{c.previousKey}</code> : <span className="muted">none</span>}</td>
                    <td>{formatDateTime(c.switchedAt)}</td>
                    <td>{c.runId ? <a href={href(`/runs/${c.runId}`)}>#{c.runId}</a> : <span className="muted">by hand</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      )}
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={removed} onChange={(e) => setRemoved(e.target.checked)} /> <span>Show releases cleaned up from the hosts</span>
        </label>
      </div>
      {list.data && !items.length ? (
        <EmptyState icon="runs" title="No release yet" action={<button className="btn btn-primary" onClick={() => navigate(`/runs/new?app=${applicationId}&kind=install`)}>Install…</button>}>
          Releases appear here as runs install them, one per host, with the run that made each.
        </EmptyState>
      ) : (
        [...byHost].map(([host, rs]) => (
          <Section key={host} title={host} count={rs.length}>
            <div className="table-wrap">
              <table className="table" data-testid={`releases-${host}`}>
                <thead>
                  <tr>
                    <th>Release</th>
                    <th>Label</th>
                    <th>Created</th>
                    <th>Source</th>
                    <th>Run</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {rs.map((r) => (
                    <tr key={r.id} className={r.removedAt ? 'is-disabled' : ''}>
                      <td>
                        <code>{r.key}</code>
                      </td>
                      <td>{r.label || <span className="muted">—</span>}</td>
                      <td>{formatDateTime(r.createdAt)}</td>
                      <td>
                        <span className="ellipsis" title={r.source}>
                          {r.source || <span className="muted">—</span>}
                        </span>
                      </td>
                      <td>{r.runId ? <a href={href(`/runs/${r.runId}`)}>#{r.runId}</a> : <span className="muted">by hand</span>}</td>
                      <td>{r.current ? <Badge tone="green">current</Badge> : r.removedAt ? <Badge>removed</Badge> : null}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
        ))
      )}
      <Section title="Runs of this application">
        <RunsTable applicationId={applicationId} compact />
      </Section>
      {scanning && (
        <ScanDialog
          applicationId={applicationId}
          onClose={() => setScanning(false)}
          onDone={reloadAll}
        />
      )}
      {registering && (
        <RegisterDialog
          applicationId={applicationId}
          onClose={() => setRegistering(false)}
          onDone={reloadAll}
        />
      )}
    </div>
  );
}

function RegisterDialog({ applicationId, onClose, onDone }: { applicationId: number; onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const toast = useToast();
  const placements = useApiQuery('placements.list', { applicationId, limit: 1000 });
  const [serverId, setServerId] = useState<number | ''>('');
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [current, setCurrent] = useState(true);
  const { error, run } = useAction();
  const go = async () => {
    if (!serverId) return;
    await run(async () => {
      await api.call('releases.register', { applicationId, serverId, key: key.trim(), label: label.trim(), current });
      toast.success(`Release ${key} recorded.`);
      onDone();
      onClose();
    });
  };
  return (
    <Dialog
      title="Record a release installed by hand"
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={!serverId || !key.trim()} onConfirm={() => void go()}>
          Record it
        </ConfirmButtons>
      }
    >
      <p className="muted">Nothing is done on the host: Puesta only notes that this release folder exists there{current ? ' and is the current one' : ''}.</p>
      <div className="field">
        <label htmlFor="reg-host">Host</label>
        <select id="reg-host" value={serverId} onChange={(e) => setServerId(e.target.value ? Number(e.target.value) : '')}>
          <option value="">Choose…</option>
          {(placements.data?.items ?? []).map((p) => (
            <option key={p.id} value={p.serverId}>
              {p.serverName} ({p.role})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="reg-key">Folder name under releases/</label>
        <input id="reg-key" className="mono" value={key} onChange={(e) => setKey(e.target.value)} placeholder="20260301-120000-v2.3.0" />
      </div>
      <div className="field">
        <label htmlFor="reg-label">Label</label>
        <input id="reg-label" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="v2.3.0" />
      </div>
      <label className="check">
        <input type="checkbox" checked={current} onChange={(e) => setCurrent(e.target.checked)} /> <span>It is the current release on that host</span>
      </label>
      <ErrorLine error={error} />
    </Dialog>
  );
}

/** Reads each host (current link, releases/ folders) and brings the records in line with what is there. */
function ScanDialog({ applicationId, onClose, onDone }: { applicationId: number; onClose: () => void; onDone: () => void }) {
  const api = useApi();
  const servers = useServers();
  const placements = useApiQuery('placements.list', { applicationId, limit: 1000 });
  const { busy, error, run } = useAction();
  const [result, setResult] = useState<{ serverName: string; currentKey: string | null; present: string[]; error: string | null }[] | null>(null);
  const envIds = [...new Set((placements.data?.items ?? []).map((p) => servers.byId.get(p.serverId)?.environmentId).filter((x): x is number => x != null))];
  const go = () =>
    run(async () => {
      const all: NonNullable<typeof result> = [];
      for (const environmentId of envIds) all.push(...(await api.call('releases.scan', { applicationId, environmentId })).items);
      setResult(all);
      onDone();
    });
  return (
    <Dialog
      title="Check the releases on the hosts"
      onClose={onClose}
      wide={result !== null}
      footer={
        result ? (
          <button className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <ConfirmButtons onCancel={onClose} disabled={busy || !envIds.length} onConfirm={() => void go()} testId="confirm-scan">
            {busy ? 'Reading the hosts…' : 'Read the hosts'}
          </ConfirmButtons>
        )
      }
    >
      {!result ? (
        <p>
          Puesta connects to each host of the application ({plural(placements.data?.items.length ?? 0, 'placement')}), reads where <code>current</code> points and which folders are in <code>releases/</code>, and updates its records to match. Nothing is changed on the hosts.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="scan-table">
            <thead>
              <tr>
                <th>Host</th>
                <th>Current</th>
                <th>Releases found</th>
              </tr>
            </thead>
            <tbody>
              {result.map((r) => (
                <tr key={r.serverName}>
                  <td>{r.serverName}</td>
                  <td>{r.error ? <span className="field-error">{r.error}</span> : r.currentKey ? <code>{r.currentKey}</code> : <span className="muted">none</span>}</td>
                  <td>{r.present.length ? r.present.length : <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorLine error={error} />
    </Dialog>
  );
}
