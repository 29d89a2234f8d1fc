import { useState } from 'react';
import { DRIVER_GUARANTEES, type HostSlots, type Slot, type SlotInfo } from '../../../../shared/contract/proxy.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorBox } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime } from '../../lib/format.js';
import { Experiments, History } from './ProxyHistory.js';
import { ProxySettingsDialog } from './ProxySettingsDialog.js';
import './proxy.css';

const TONE: Record<SlotInfo['state'], 'green' | 'amber' | 'neutral' | 'blue'> = { live: 'green', warm: 'amber', draining: 'blue', idle: 'neutral' };
const other = (s: Slot): Slot => (s === 'blue' ? 'green' : 'blue');

/**
 * The application page's panel for a blue-green / A/B application: the proxy driver and what it
 * guarantees, both slots of each host per environment, switch / switch back, the A/B weights and
 * the history. Mounted with APPLICATION_PANELS (renderer/src/panels.ts).
 */
export function ApplicationProxyPanel({ applicationId }: { applicationId: number }) {
  const app = useApiQuery('applications.get', { id: applicationId });
  const settings = useApiQuery('proxy.settings.get', { applicationId }, { enabled: !!app.data && app.data.strategy !== 'symlink' });
  const placements = useApiQuery('placements.list', { applicationId, limit: 1000 });
  const servers = useApiQuery('servers.list', { limit: 10_000 });
  const [editing, setEditing] = useState(false);
  if (!app.data || app.data.strategy === 'symlink') return null;
  const onApp = new Set((placements.data?.items ?? []).map((p) => p.serverId));
  const envs = new Map<number, string>();
  for (const s of servers.data?.items ?? []) if (onApp.has(s.id) && s.environmentId) envs.set(s.environmentId, s.environmentName ?? '');
  const driver = settings.data?.driver;
  const g = driver ? DRIVER_GUARANTEES[driver] : null;
  return (
    <section className="card proxy-panel" aria-label="Slots" data-testid="proxy-panel">
      <header className="card-head">
        <h2>{app.data.strategy === 'ab' ? 'A/B slots' : 'Blue-green slots'}</h2>
        <div className="card-actions">
          <button className="btn btn-small" onClick={() => setEditing(true)} data-testid="proxy-settings">
            Proxy…
          </button>
        </div>
      </header>
      <div className="card-body">
        {settings.error && <ErrorBox error={settings.error} />}
        {g && (
          <div className="proxy-driver" data-testid="proxy-guarantee">
            <strong>{g.title}</strong> <span className="small">{g.guarantee}</span>
            {g.warning && <p className="proxy-warning small" data-testid="proxy-warning">{g.warning}</p>}
          </div>
        )}
        {[...envs].map(([envId, envName]) => (
          <EnvSlots key={envId} applicationId={applicationId} environmentId={envId} environmentName={envName} ab={!!g?.ab} />
        ))}
        {placements.data && envs.size === 0 && <p className="muted small">No placement yet: slots appear once the application is placed on servers.</p>}
        <Experiments applicationId={applicationId} />
        <History applicationId={applicationId} />
      </div>
      {editing && settings.data && <ProxySettingsDialog settings={settings.data} onClose={() => setEditing(false)} />}
    </section>
  );
}

function EnvSlots({ applicationId, environmentId, environmentName, ab }: { applicationId: number; environmentId: number; environmentName: string; ab: boolean }) {
  const api = useApi();
  const toast = useToast();
  const invalidate = useInvalidate();
  const input = { applicationId, environmentId };
  const slots = useApiQuery('proxy.slots', input);
  const [read, setRead] = useState<HostSlots[] | null>(null);
  const [reading, setReading] = useState(false);
  const [switchTo, setSwitchTo] = useState<Slot | null>(null);
  const [weight, setWeight] = useState<number | null>(null);
  const [named, setNamed] = useState('');
  const hosts = read ?? slots.data?.hosts ?? [];
  const live = hosts.find((h) => h.live)?.live ?? null;
  // during an A/B experiment no single slot is live: either one can take everything again
  const targets: Slot[] = live ? [other(live)] : hosts.some((h) => h.slots.some((x) => x.weight !== null)) ? ['blue', 'green'] : [];
  const target = switchTo ? hosts.map((h) => h.slots.find((s) => s.slot === switchTo)) : [];
  const warm = target.every((s) => s && (s.state === 'warm' || s.state === 'live'));
  // database patches applied since the target's release that its code may not survive: named to go ahead
  const unsafe = [...new Map(target.flatMap((s) => s?.unsafePatches ?? []).map((p) => [p.patchId, p])).values()];
  const words = new Set(named.split(/[\s,]+/).filter(Boolean));
  const allNamed = unsafe.every((p) => words.has(p.patchId));
  const readBack = async () => {
    setReading(true);
    try {
      const r = await api.call('proxy.read', input);
      setRead(r.hosts);
      void invalidate('proxy.*');
      const told = r.hosts.filter((h) => h.notice || h.error).length;
      if (!told) toast.success('The servers agree with the record.');
    } catch (e) {
      toast.error((e as Error).message);
    } finally {
      setReading(false);
    }
  };
  return (
    <div className="proxy-env" data-testid={`proxy-env-${environmentName}`}>
      <div className="proxy-env-head">
        <h3>{environmentName}</h3>
        <button className="btn btn-small" disabled={reading} onClick={() => void readBack()} data-testid="proxy-read">
          {reading ? 'Reading…' : 'Read from the servers'}
        </button>
        {targets.map((t) => (
          <button key={t} className="btn btn-small btn-primary" onClick={() => setSwitchTo(t)} data-testid={live ? 'proxy-switch' : `proxy-all-${t}`}>
            {live ? `Switch to ${t}…` : `All to ${t}…`}
          </button>
        ))}
        {ab && (
          <button className="btn btn-small" onClick={() => setWeight(hosts[0]?.slots[1]?.weight ?? 10)} data-testid="proxy-weights">
            A/B weights…
          </button>
        )}
      </div>
      {slots.error && <ErrorBox error={slots.error} onRetry={() => void slots.refetch()} />}
      <table className="table proxy-slots">
        <thead>
          <tr>
            <th>Host</th>
            <th>Blue</th>
            <th>Green</th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => (
            <tr key={h.serverId} data-testid={`proxy-host-${h.serverName}`}>
              <td>
                {h.serverName}
                {h.notice && <p className="proxy-warning small" data-testid="proxy-notice">{h.notice}</p>}
                {h.error && <p className="error-text small">{h.error}</p>}
              </td>
              {h.slots.map((s) => (
                <td key={s.slot} data-testid={`slot-${h.serverName}-${s.slot}`}>
                  <Badge tone={TONE[s.state]}>{s.state}</Badge> {s.weight !== null && <span className="small">{s.weight} %</span>}
                  <div className="small">{s.release ? <code>{s.release}</code> : <span className="muted">no release</span>}</div>
                  {s.since && <div className="muted small">since {formatDateTime(s.since)}</div>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {switchTo && (
        <ConfirmDialog
          title={`Switch ${environmentName} to ${switchTo}?`}
          confirmLabel={`Switch to ${switchTo}`}
          danger={!warm || unsafe.length > 0}
          disabled={!allNamed}
          body={
            <>
              <p>
                The proxy of {hosts.map((h) => h.serverName).join(', ')} sends every new request to slot <strong>{switchTo}</strong> (
                {[...new Set(target.map((s) => s?.release ?? 'no release'))].join(', ')}); requests in flight on {other(switchTo)} finish there.{' '}
                {warm ? `${switchTo} is still running: nothing is started.` : `${switchTo} may not be running any more: Puesta checks that it answers first and refuses otherwise (then roll back with a run).`}
              </p>
              {unsafe.length > 0 && (
                <div className="proxy-unsafe" data-testid="proxy-unsafe">
                  <p className="proxy-warning small">
                    Database patches applied since that release may break its code:{' '}
                    {unsafe.map((p) => (
                      <span key={p.patchId}>
                        <code>{p.patchId}</code> ({p.compat}, {p.databaseName}){' '}
                      </span>
                    ))}
                  </p>
                  <div className="field">
                    <label htmlFor="confirm-patches">To switch back anyway, type the patch id{unsafe.length > 1 ? 's' : ''}</label>
                    <input id="confirm-patches" className="mono" value={named} onChange={(e) => setNamed(e.target.value)} data-testid="confirm-patches" />
                  </div>
                </div>
              )}
            </>
          }
          onConfirm={async () => {
            const r = await api.call('proxy.switch', { ...input, to: switchTo, reason: 'from the application page', ...(unsafe.length ? { confirmPatches: named } : {}) });
            setRead(null);
            void invalidate('proxy.*');
            const bad = r.hosts.filter((h) => !h.ok);
            if (bad.length) throw new Error(bad.map((h) => `${h.serverName}: ${h.error}`).join('\n'));
            toast.success(`${environmentName} now serves slot ${switchTo} (${Math.max(...r.hosts.map((h) => h.ms))} ms).`);
          }}
          onClose={() => {
            setSwitchTo(null);
            setNamed('');
          }}
        />
      )}
      {weight !== null && (
        <ConfirmDialog
          title={`A/B weights on ${environmentName}`}
          confirmLabel={`Send ${weight} % to green`}
          body={
            <div className="field">
              <label htmlFor="green-weight">Share of new clients sent to green, in % (blue gets the rest; returning clients keep their slot by cookie)</label>
              <input id="green-weight" type="number" min={0} max={100} value={weight} onChange={(e) => setWeight(Number(e.target.value))} data-testid="green-weight" />
            </div>
          }
          onConfirm={async () => {
            const r = await api.call('proxy.weights', { ...input, green: weight, reason: 'from the application page' });
            void invalidate('proxy.*');
            const bad = r.hosts.filter((h) => !h.ok);
            if (bad.length) throw new Error(bad.map((h) => `${h.serverName}: ${h.error}`).join('\n'));
            toast.success(`Green now gets ${weight} % of new clients.`);
          }}
          onClose={() => setWeight(null)}
        />
      )}
    </div>
  );
}
