import { useState } from 'react';
import { useApi, useQuery } from '../../api/context.js';
import { ErrorBox, PageHeader, Section, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { errorMessage } from '../../lib/form.js';

/** Window event after the operator name changes (the sidebar shows it). */
export const OPERATOR_CHANGED = 'puesta:operator-changed';

function OperatorForm({ current, onSaved }: { current: string; onSaved: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [name, setName] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    if (!name.trim()) {
      setError('required');
      return;
    }
    try {
      const r = await api.call('settings.setOperator', { name: name.trim() });
      setError(null);
      toast.success(`The audit log now records changes as “${r.operator}”.`);
      window.dispatchEvent(new Event(OPERATOR_CHANGED));
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <form
      className="operator-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className={'field' + (error ? ' has-error' : '')}>
        <label htmlFor="operator">Operator name</label>
        <div className="input-row">
          <input id="operator" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
          <button className="btn btn-primary" type="submit" disabled={name.trim() === current}>
            Save
          </button>
        </div>
        {error ? <div className="field-error">{error}</div> : <div className="field-hint">Written to the audit log with every change you make.</div>}
      </div>
    </form>
  );
}

export function SettingsScreen() {
  const info = useQuery('system.info', {});
  const d = info.data;
  return (
    <div className="page" data-testid="settings">
      <PageHeader icon="settings" title="Settings" subtitle="This installation, its data and who is at the desk." />
      {info.error && <ErrorBox error={info.error} onRetry={() => void info.reload()} />}
      {!d ? (
        !info.error && <Spinner />
      ) : (
        <div className="settings-grid">
          <Section title="Operator">
            <OperatorForm current={d.operator} onSaved={() => void info.reload()} />
          </Section>
          <Section title="Secret store">
            {!d.secretStore.secure && (
              <div className="callout callout-warn" role="alert" data-testid="secret-warning">
                <Icon name="warn" />
                <span>
                  <strong>Secrets are not stored securely.</strong> {d.secretStore.warning ?? 'Passwords and passphrases could be read by anyone who can read the data folder.'}
                </span>
              </div>
            )}
            <dl className="kv">
              <dt>Kind</dt>
              <dd className="mono">{d.secretStore.kind}</dd>
              <dt>Secure</dt>
              <dd>{d.secretStore.secure ? 'yes — encrypted by the operating system’s key store' : 'no'}</dd>
              {d.secretStore.secure && d.secretStore.warning && (
                <>
                  <dt>Note</dt>
                  <dd>{d.secretStore.warning}</dd>
                </>
              )}
            </dl>
          </Section>
          <Section title="Data">
            <dl className="kv">
              <dt>Version</dt>
              <dd>
                Puesta {d.version} <span className="muted">({d.shell} shell)</span>
              </dd>
              <dt>Data folder</dt>
              <dd className="mono selectable">{d.dataDir}</dd>
              <dt>Database</dt>
              <dd className="mono selectable">{d.dbPath}</dd>
              <dt>Schema version</dt>
              <dd>{d.schemaVersion}</dd>
            </dl>
          </Section>
          <Section title="Database backups" count={d.backups.length}>
            {d.backups.length ? (
              <table className="table table-inner">
                <thead>
                  <tr>
                    <th>File</th>
                    <th>Taken</th>
                    <th className="right">Size</th>
                  </tr>
                </thead>
                <tbody>
                  {d.backups.map((b) => (
                    <tr key={b.file}>
                      <td className="mono small">{b.file}</td>
                      <td className="nowrap">{formatDateTime(b.at)}</td>
                      <td className="right nowrap">{formatBytes(b.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">No backup yet. Puesta copies the database here before every schema migration.</p>
            )}
          </Section>
        </div>
      )}
    </div>
  );
}
