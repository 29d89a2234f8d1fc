import { useState } from 'react';
import { DRIVER_GUARANTEES, PROXY_DRIVERS, type ProxySettings, type ProxySettingsFields } from '../../../../shared/contract/proxy.js';
import { useApi } from '../../api/context.js';
import { useInvalidate } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { useAction } from '../../lib/hooks.js';

/** The proxy driver of an application (each states its guarantee) and the slot settings its checklists use. */
export function ProxySettingsDialog({ settings, onClose }: { settings: ProxySettings; onClose: () => void }) {
  const api = useApi();
  const invalidate = useInvalidate();
  const { applicationId: _a, updatedAt: _u, ...initial } = settings;
  const [v, setV] = useState<ProxySettingsFields>(initial);
  const { busy, error, run } = useAction();
  const set = <K extends keyof ProxySettingsFields>(k: K, x: ProxySettingsFields[K]) => setV((o) => ({ ...o, [k]: x }));
  const num = (k: 'healthSuccesses' | 'healthDeadlineSeconds' | 'drainSeconds' | 'warmSeconds', label: string) => (
    <div className="field">
      <label htmlFor={`proxy-${k}`}>{label}</label>
      <input id={`proxy-${k}`} type="number" min={0} value={v[k]} onChange={(e) => set(k, Number(e.target.value))} data-testid={`proxy-${k}`} />
    </div>
  );
  const list = (k: 'listen' | 'serverNames', label: string) => (
    <div className="field">
      <label htmlFor={`proxy-${k}`}>{label}</label>
      <input
        id={`proxy-${k}`}
        className="mono"
        value={v[k].join(' ')}
        onChange={(e) => set(k, e.target.value.split(/[\s,]+/).filter(Boolean))}
        data-testid={`proxy-${k}`}
      />
    </div>
  );
  const text = (k: 'healthPath' | 'haproxyAdmin' | 'haproxyBackend' | 'nginxInclude' | 'nginxSitesDir' | 'haproxyConfig' | 'haproxyReload', label: string) => (
    <div className="field">
      <label htmlFor={`proxy-${k}`}>{label}</label>
      <input id={`proxy-${k}`} className="mono" value={v[k]} onChange={(e) => set(k, e.target.value)} data-testid={`proxy-${k}`} />
    </div>
  );
  const area = (k: 'startCommand' | 'stopCommand' | 'slotCommand', label: string) => (
    <div className="field">
      <label htmlFor={`proxy-${k}`}>{label}</label>
      <textarea id={`proxy-${k}`} className="mono" rows={4} value={v[k]} onChange={(e) => set(k, e.target.value)} data-testid={`proxy-${k}`} />
    </div>
  );
  const save = () =>
    run(async () => {
      await api.call('proxy.settings.save', { applicationId: settings.applicationId, ...v });
      await invalidate('proxy.*', 'checklists.*');
      onClose();
    });
  const g = DRIVER_GUARANTEES[v.driver];
  return (
    <Dialog
      title="Proxy and slots"
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={busy} onConfirm={() => void save()} testId="proxy-save">
          {busy ? 'Saving…' : 'Save'}
        </ConfirmButtons>
      }
    >
      <fieldset className="proxy-drivers">
        <legend>Driver</legend>
        {PROXY_DRIVERS.map((d) => (
          <label key={d} className="check proxy-driver-choice">
            <input type="radio" name="driver" checked={v.driver === d} onChange={() => set('driver', d)} data-testid={`driver-${d}`} />
            <span>
              <strong>{DRIVER_GUARANTEES[d].title}</strong> <span className="small muted">{DRIVER_GUARANTEES[d].guarantee}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {g.warning && <p className="proxy-warning small">{g.warning}</p>}
      <div className="grid-2 proxy-fields">
        {text('healthPath', 'Idle slot check path (on its socket)')}
        {num('healthSuccesses', 'Answers in a row')}
        {num('healthDeadlineSeconds', 'Check deadline (s)')}
        {num('drainSeconds', 'Drain at most (s)')}
        {num('warmSeconds', 'Keep the old slot warm (s)')}
        {v.driver === 'haproxy-runtime' && text('haproxyAdmin', 'HAProxy admin socket (host:port)')}
        {v.driver === 'haproxy-runtime' && text('haproxyBackend', 'HAProxy backend')}
        {v.driver === 'nginx-reload' && text('nginxInclude', 'nginx include rewritten by a switch')}
      </div>
      <fieldset className="proxy-config">
        <legend>The proxy's config</legend>
        {v.driver === 'nginx-reload' ? (
          <p className="small muted">The site is yours with this driver (it exists for sites that cannot change their proxy): its location must include the file above.</p>
        ) : (
          <label className="check">
            <input type="checkbox" checked={v.writeProxyConfig} onChange={(e) => set('writeProxyConfig', e.target.checked)} data-testid="proxy-writeProxyConfig" />
            <span>
              The install writes it ({v.driver === 'nginx-socket' ? 'nginx -t' : 'haproxy -c'} before it is used; refused: the previous one stays)
            </span>
          </label>
        )}
        {v.writeProxyConfig && v.driver !== 'nginx-reload' && (
          <div className="grid-2 proxy-fields">
            {list('listen', 'Listen on (e.g. 80 [::]:80)')}
            {v.driver === 'nginx-socket' && list('serverNames', 'Server names')}
            {v.driver === 'nginx-socket' && text('nginxSitesDir', 'nginx sites folder')}
            {v.driver === 'haproxy-runtime' && text('haproxyConfig', 'HAProxy config file (Puesta owns it)')}
            {v.driver === 'haproxy-runtime' && text('haproxyReload', 'Reload HAProxy with')}
          </div>
        )}
      </fieldset>
      {area('slotCommand', "Each slot's service runs (a supervisor program or systemd unit per slot; empty: the commands below)")}
      {!v.slotCommand.trim() && area('startCommand', 'Start a slot ($PUESTA_SLOT, $PUESTA_SLOT_DIR, $PUESTA_SLOT_SOCKET)')}
      {!v.slotCommand.trim() && area('stopCommand', 'Stop a slot')}
      <ErrorLine error={error} />
    </Dialog>
  );
}
