/**
 * "Services & health" on the application page (APPLICATION_PANELS) and host statistics on the
 * server page (SERVER_PANELS): per placement the services with running/expected instances, the
 * health endpoint as the host sees it, load / memory / disk with a small chart of the history
 * (stats.history), "Collect now" (stats.collect; `stats.collected` refreshes every view through the cache),
 * start / stop / restart with a confirmation (services.control, audited), the upgrade review and
 * the database password.
 */
import { useState } from 'react';
import { dfUsedPercent, type HostStats } from '../../../../shared/contract/provision.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorBox } from '../../components/Bits.js';
import { ConfirmDialog, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { Gauge, Sparkline } from './Sparkline.js';
import { UpgradeReviewDialog } from './UpgradeReview.js';
import './provision.css';

const HISTORY = 30;

function useCollect(input: { applicationId?: number; serverId?: number }) {
  const api = useApi();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      const r = await api.call('stats.collect', input);
      const bad = r.items.filter((i) => i.error);
      if (bad.length) toast.error(bad.map((b) => `${b.serverName}: ${b.error!.message}`).join(' '));
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, go };
}

const pct = (r: number) => `${Math.round(r * 100)}%`;
const memUsed = (s: NonNullable<HostStats['stats']>) => (s.memory.totalKb ? 1 - s.memory.availableKb / s.memory.totalKb : 0);
/** As `df` shows it, so the gauge and the "free" figure beside it agree with the host. */
const diskUsed = (s: NonNullable<HostStats['stats']>) => dfUsedPercent(s.disk.usedKb, s.disk.availableKb) / 100;
const gib = (kb: number) => (kb >= 1024 * 1024 ? `${(kb / 1024 / 1024).toFixed(1)} GiB` : `${Math.round(kb / 1024)} MiB`);

/** Load, memory and disk of one host with the history charts (oldest → newest). */
function HostMetrics({ items }: { items: HostStats[] }) {
  const chrono = [...items].reverse();
  const last = items.find((i) => i.stats)?.stats;
  if (!last) return null;
  const loads = chrono.map((i) => i.stats?.load[0] ?? null);
  return (
    <dl className="prov-metrics">
      <dt>Load</dt>
      <dd>
        <span className="prov-num">{last.load[0].toFixed(2)}</span>
        <Sparkline values={loads} label={`Load (1 min) over the last ${chrono.length} collections`} />
      </dd>
      <dt>Memory</dt>
      <dd>
        <span className="prov-num">{pct(memUsed(last))}</span>
        <Sparkline values={chrono.map((i) => (i.stats ? memUsed(i.stats) * 100 : null))} max={100} label="Memory used (%) over time" />
        <span className="muted small">of {gib(last.memory.totalKb)}</span>
      </dd>
      <dt>Disk</dt>
      <dd>
        <span className="prov-num">{pct(diskUsed(last))}</span>
        <Gauge ratio={diskUsed(last)} label={`Disk used under ${last.disk.path}: ${pct(diskUsed(last))}`} />
        <span className="muted small" title={last.disk.path}>
          {gib(last.disk.availableKb)} free
        </span>
      </dd>
    </dl>
  );
}

function HealthBadge({ h }: { h: NonNullable<HostStats['stats']>['health'] }) {
  if (!h) return <Badge>no health URL</Badge>;
  return (
    <Badge tone={h.ok ? 'green' : 'red'} title={h.url}>
      {h.ok ? 'healthy' : 'unhealthy'} · {h.status || 'no answer'}
      {h.seconds !== null ? ` · ${Math.round(h.seconds * 1000)} ms` : ''}
    </Badge>
  );
}

type Action = { action: 'start' | 'stop' | 'restart'; service: string; serverId: number; serverName: string };

/** One placement: its services, health and host metrics. */
function PlacementStats({ applicationId, serverId, serverName, onAction }: { applicationId: number; serverId: number; serverName: string; onAction: (a: Action) => void }) {
  const q = useApiQuery('stats.history', { serverId, applicationId, limit: HISTORY });
  const items = q.data?.items ?? [];
  const latest = items[0];
  const s = latest?.stats ?? null;
  return (
    <div className="prov-host" data-testid={`prov-host-${serverName}`}>
      <div className="prov-host-head">
        <a className="prov-host-name" href={href(`/servers/${serverId}`)}>
          {serverName}
        </a>
        {s && <HealthBadge h={s.health} />}
        {latest && (
          <span className="muted small prov-when" title={latest.at}>
            {formatDateTime(latest.at)}
          </span>
        )}
      </div>
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      {q.data && !latest && <p className="muted small">No statistics yet: Collect now reads them over SSH (an install collects them too).</p>}
      {latest?.error && (
        <div className="callout callout-error small" role="alert">
          <Icon name="warn" />
          <span>{latest.error.message}</span>
        </div>
      )}
      {s && s.services.length > 0 && (
        <table className="prov-services" data-testid="prov-services">
          <tbody>
            {s.services.map((sv) => {
              const tone = sv.running === sv.expected ? (sv.expected === 0 ? 'neutral' : 'green') : sv.running === 0 ? 'red' : 'amber';
              return (
                <tr key={sv.name} data-testid={`svc-${sv.name}`}>
                  <td className="prov-svc-name mono">{sv.name}</td>
                  <td>
                    <Badge tone={tone} title={`${sv.running} running of ${sv.expected} expected`}>
                      <span data-testid="svc-count">
                        {sv.running}/{sv.expected}
                      </span>
                      &nbsp;running
                    </Badge>
                  </td>
                  <td className="prov-svc-actions">
                    <button className="btn btn-small" onClick={() => onAction({ action: 'restart', service: sv.name, serverId, serverName })} aria-label={`Restart ${sv.name} on ${serverName}`}>
                      Restart
                    </button>
                    {sv.running > 0 ? (
                      <button className="btn btn-small" onClick={() => onAction({ action: 'stop', service: sv.name, serverId, serverName })} aria-label={`Stop ${sv.name} on ${serverName}`}>
                        Stop
                      </button>
                    ) : (
                      <button className="btn btn-small" onClick={() => onAction({ action: 'start', service: sv.name, serverId, serverName })} aria-label={`Start ${sv.name} on ${serverName}`}>
                        Start
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <HostMetrics items={items} />
    </div>
  );
}

/** The application page's "Services & health" panel. */
export function ApplicationServicesPanel({ applicationId }: { applicationId: number }) {
  const api = useApi();
  const toast = useToast();
  const invalidate = useInvalidate();
  const placements = useApiQuery('placements.list', { applicationId, limit: 500 });
  const app = useApiQuery('applications.get', { id: applicationId });
  const review = useApiQuery('provision.review', { applicationId });
  const pending = review.data && !review.data.firstInstall ? review.data.deltas.length : 0;
  const collect = useCollect({ applicationId });
  const [action, setAction] = useState<Action | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const servers = [...new Map((placements.data?.items ?? []).map((p) => [p.serverId, p.serverName])).entries()];
  const services = app.data?.services ?? [];
  return (
    <section className="card prov-panel" aria-label="Services & health" data-testid="services-health">
      <header className="card-head">
        <h2>Services &amp; health</h2>
        <div className="card-actions">
          <button className="btn btn-small" disabled={collect.busy || !servers.length} onClick={() => void collect.go()} data-testid="collect-now">
            {collect.busy ? 'Collecting…' : 'Collect now'}
          </button>
        </div>
      </header>
      <div className="card-body">
        {placements.error && <ErrorBox error={placements.error} onRetry={() => void placements.refetch()} />}
        {pending > 0 && (
          <div className="callout callout-warn small" data-testid="review-pending">
            <Icon name="warn" />
            <span>
              The inventory changed since the last install/upgrade: the next upgrade changes {pending === 1 ? '1 thing' : `${pending} things`} on the hosts.
            </span>
            <button className="btn btn-small" onClick={() => setReviewing(true)}>
              Review
            </button>
          </div>
        )}
        {services.length > 0 && (
          <p className="muted small prov-declared">
            Declared: {services.map((s) => `${s.name} ×${s.instances}`).join(', ')}
          </p>
        )}
        {app.data && !services.length && <p className="muted small">No web or worker service is declared for this application; the statistics show the hosts only.</p>}
        {placements.data && !servers.length && <p className="muted small">Not placed on any server yet: add a placement to install it and see its services here.</p>}
        {servers.map(([serverId, serverName]) => (
          <PlacementStats key={serverId} applicationId={applicationId} serverId={serverId} serverName={serverName} onAction={setAction} />
        ))}
        <div className="link-row prov-links">
          <button className="link-btn" onClick={() => setReviewing(true)} data-testid="open-review">
            Upgrade review…
          </button>
          <DbPasswordSetter applicationId={applicationId} needed={app.data?.backupPolicy.databaseDump ?? false} />
        </div>
      </div>
      {action && (
        <ConfirmDialog
          title={`${action.action[0]!.toUpperCase()}${action.action.slice(1)} ${action.service} on ${action.serverName}?`}
          body={
            <p>
              Puesta runs the service manager over SSH on {action.serverName} to {action.action} every instance of <code>{action.service}</code>
              {action.action === 'stop' ? '; it stays stopped until started again (or the next install/upgrade)' : ''}. This is recorded in the audit log.
            </p>
          }
          confirmLabel={`${action.action[0]!.toUpperCase()}${action.action.slice(1)}`}
          danger={action.action === 'stop'}
          onConfirm={async () => {
            const r = await api.call('services.control', { applicationId, action: action.action, service: action.service, serverId: action.serverId });
            const bad = r.items.filter((i) => !i.ok);
            if (bad.length) throw new Error(bad.map((b) => `${b.serverName}: ${b.output || 'failed'}`).join('\n'));
            const sv = r.items[0]?.services.find((x) => x.name === action.service);
            toast.success(`${action.service} on ${action.serverName}: ${action.action} done${sv ? ` (${sv.running}/${sv.expected} running)` : ''}.`);
            await api.call('stats.collect', { applicationId, serverId: action.serverId }).catch(() => invalidate('stats.history'));
          }}
          onClose={() => setAction(null)}
        />
      )}
      {reviewing && <UpgradeReviewDialog applicationId={applicationId} onClose={() => setReviewing(false)} />}
    </section>
  );
}

/** The server page's statistics: the host and each application placed on it. */
export function ServerStatsPanel({ serverId }: { serverId: number }) {
  const q = useApiQuery('stats.history', { serverId, limit: 200 });
  const collect = useCollect({ serverId });
  const items = q.data?.items ?? [];
  const byApp = new Map<string, HostStats[]>();
  for (const i of items) {
    const k = i.applicationName ?? '';
    byApp.set(k, [...(byApp.get(k) ?? []), i]);
  }
  // host metrics from every collection (whichever application it was for), newest first
  const host = items.slice(0, HISTORY);
  const latest = items[0];
  return (
    <section className="card prov-panel" aria-label="Host statistics" data-testid="server-stats">
      <header className="card-head">
        <h2>Host statistics</h2>
        <div className="card-actions">
          <button className="btn btn-small" disabled={collect.busy} onClick={() => void collect.go()} data-testid="collect-now">
            {collect.busy ? 'Collecting…' : 'Collect now'}
          </button>
        </div>
      </header>
      <div className="card-body">
        {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
        {q.data && !latest && <p className="muted small">No statistics yet: Collect now reads load, memory, disk and the services of each application here over SSH.</p>}
        {latest && (
          <p className="muted small prov-when-line">
            Last collected {formatDateTime(latest.at)}
            {latest.stats ? ` · up ${Math.floor(latest.stats.uptimeSeconds / 86400)} d ${Math.floor((latest.stats.uptimeSeconds % 86400) / 3600)} h` : ''}
          </p>
        )}
        {latest?.error && (
          <div className="callout callout-error small" role="alert">
            <Icon name="warn" />
            <span>{latest.error.message}</span>
          </div>
        )}
        <HostMetrics items={host} />
        {[...byApp].filter(([name]) => name).map(([name, rows]) => {
          const s = rows.find((r) => r.stats)?.stats;
          return (
            <div key={name} className="prov-app-line">
              <a href={href(`/applications/${rows[0]!.applicationId}`)}>{name}</a>
              {s?.services.map((sv) => (
                <Badge key={sv.name} tone={sv.running === sv.expected ? 'green' : sv.running === 0 ? 'red' : 'amber'}>
                  {sv.name} {sv.running}/{sv.expected}
                </Badge>
              ))}
              {s?.health && <HealthBadge h={s.health} />}
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** Whether the application's PostgreSQL password is stored, and a way to set or generate it (never shown back). */
export function DbPasswordSetter({ applicationId, needed = true }: { applicationId: number; needed?: boolean }) {
  const api = useApi();
  const toast = useToast();
  const status = useApiQuery('provision.dbPasswordStatus', { applicationId });
  const [open, setOpen] = useState(false);
  const [pw, setPw] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (generate: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await api.call('provision.setDbPassword', generate ? { applicationId, generate: true } : { applicationId, password: pw });
      toast.success(generate ? 'A random database password was generated and stored.' : 'Database password stored.');
      setPw('');
      setOpen(false);
      void status.refetch();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <span className="prov-db" data-testid="db-password">
        Database password{' '}
        {status.data ? (
          status.data.set ? (
            <Badge tone="green">stored</Badge>
          ) : (
            <Badge tone={needed ? 'amber' : 'neutral'} title={needed ? 'The install needs it: the backup dumps the database.' : 'Set it when the application uses PostgreSQL: the install then creates its role and database.'}>
              not set
            </Badge>
          )
        ) : null}{' '}
        <button className="link-btn" onClick={() => setOpen(true)} data-testid="set-db-password">
          {status.data?.set ? 'Change…' : 'Set…'}
        </button>
      </span>
      {open && (
        <Dialog
          title="Database password"
          onClose={() => setOpen(false)}
          footer={
            <>
              <button className="btn" onClick={() => setOpen(false)}>
                Cancel
              </button>
              <button className="btn" disabled={busy} onClick={() => void save(true)} data-testid="generate-db-password">
                Generate a random one
              </button>
              <button className="btn btn-primary" disabled={busy || pw.length < 8} onClick={() => void save(false)}>
                Store it
              </button>
            </>
          }
        >
          <p className="muted">
            The install creates the application’s PostgreSQL role with this password (an existing role keeps its own). It is kept in the secret store, written only on the database step’s stdin, and never shown again.
          </p>
          <div className="field">
            <label htmlFor="db-pw">Password (at least 8 characters)</label>
            <input id="db-pw" type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} />
          </div>
          {error && (
            <div className="callout callout-error" role="alert">
              <Icon name="warn" />
              <span>{error}</span>
            </div>
          )}
        </Dialog>
      )}
    </>
  );
}
