import { useState } from 'react';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, PageHeader, Section, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { errorMessage } from '../../lib/form.js';
import { PolicyDefaultsSection } from '../contracts/PolicyForm.js';
import { BrowserTokenSection } from './BrowserTokenSection.js';
import { HistorySection } from './HistorySection.js';
import { href } from '../../lib/router.js';

/** The core announces the new name with `settings.changed`, which refreshes every `system.info` (the sidebar shows it). */
function OperatorForm({ current }: { current: string }) {
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
  const info = useApiQuery('system.info', {});
  const d = info.data;
  return (
    <div className="page" data-testid="settings">
      <PageHeader icon="settings" title="Settings" subtitle="This installation, its data and who is at the desk." />
      {info.error && <ErrorBox error={info.error} onRetry={() => void info.refetch()} />}
      {!d ? (
        !info.error && <Spinner />
      ) : (
        <div className="settings-grid">
          <Section title="Operator">
            <OperatorForm current={d.operator} />
          </Section>
          <Section title="Hosting contracts: default lifecycle" id="contract-policy">
            <p className="muted small">Every contract follows these unless it sets its own (on its lifecycle page). Reminders go out in each customer’s language and time zone.</p>
            <PolicyDefaultsSection />
          </Section>
          <Section title="Elsewhere">
            <ul className="link-list" data-testid="settings-links">
              <li>
                <a href={href('/notices?tab=smtp')}>SMTP server</a> <span className="muted small">— how notices are sent: server, sender, sending rate</span>
              </li>
              <li>
                <a href={href('/audit')}>Audit log</a> <span className="muted small">— every change and operation, by operator</span>
              </li>
            </ul>
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
          <HistorySection />
          {d.shell === 'web' && <BrowserTokenSection />}
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
