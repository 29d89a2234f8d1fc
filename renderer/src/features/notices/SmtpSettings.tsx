import { useEffect, useId, useState } from 'react';
import { SmtpSettingsFields } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, Section, Spinner } from '../../components/Bits.js';
import { CheckField, FieldShell, NumberField, TextArea, TextField } from '../../components/Fields.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, useForm, type Form } from '../../lib/form.js';
import { useFormSubmit } from '../../lib/hooks.js';
import { useOutboxStatus } from './status.js';
import './notices.css';

type Draft = { host: string; port: number; secure: boolean; user: string; from: string; ratePerSecond: number; maxConnections: number; senderName: string; signature: string };

/**
 * SMTP settings: server, sender, throttle; the password goes to the secret store and is never
 * shown again (only whether one is stored). "Send test" sends a message with the saved settings.
 * Self-contained: mount it in Settings or as the SMTP tab of Notices.
 */
export function SmtpSettingsPanel() {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('smtp.get', {});
  const { status, reload: reloadStatus } = useOutboxStatus();
  const form = useForm<Draft>(SmtpSettingsFields, { host: '', port: 587, secure: false, user: '', from: '', ratePerSecond: 5, maxConnections: 2, senderName: '', signature: '' });
  const f = form as unknown as Form<Record<string, unknown>>;
  const [password, setPassword] = useState('');
  const [forget, setForget] = useState(false);
  const { busy: saving, submit } = useFormSubmit(form);
  const [testTo, setTestTo] = useState('');
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<{ ok: boolean; text: string } | null>(null);
  const pwId = useId();
  const s = q.data;

  const { reset } = form;
  useEffect(() => {
    if (!s) return;
    reset({ host: s.host, port: s.port, secure: s.secure, user: s.user, from: s.from, ratePerSecond: s.ratePerSecond, maxConnections: s.maxConnections, senderName: s.senderName, signature: s.signature });
  }, [s, reset]);

  const save = () =>
    submit(async (v) => {
      const out = await api.call('smtp.save', { ...(v as Draft), ...(forget ? { password: null } : password ? { password } : {}) });
      toast.success(`SMTP settings saved${out.configured ? '' : ' (not complete yet: a host and a sender are needed)'}.`);
      setPassword('');
      setForget(false);
      await Promise.all([q.refetch(), reloadStatus()]);
    });

  const test = async () => {
    setTesting(true);
    setTestResult(null);
    try {
      const r = await api.call('smtp.test', { to: testTo.trim() });
      setTestResult({ ok: true, text: `Sent to ${testTo.trim()}. The server answered: ${r.response}` });
    } catch (e) {
      setTestResult({ ok: false, text: errorMessage(e) });
    } finally {
      setTesting(false);
      void reloadStatus();
    }
  };

  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  if (!s) return <Spinner />;
  return (
    <div className="smtp-settings" data-testid="smtp-settings">
      <Section
        title="SMTP server"
        actions={
          status ? (
            <span className={'smtp-state ' + (!status.configured ? 'muted' : status.online ? 'ok-text' : 'warn-text')} data-testid="smtp-state">
              {!status.configured ? 'not configured' : status.online ? 'answering' : 'not answering'}
            </span>
          ) : undefined
        }
      >
        <form
          className="form"
          data-testid="smtp-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <div className="w-row">
            <TextField form={f} name="host" label="Host" placeholder="smtp.example.com" mono />
            <NumberField form={f} name="port" label="Port" min={1} max={65535} hint="587 (STARTTLS) or 465 (TLS)" />
          </div>
          <CheckField form={f} name="secure" label="Implicit TLS (port 465)" hint="Off: plain connection upgraded with STARTTLS when the server offers it." />
          <div className="w-row">
            <TextField form={f} name="user" label="User" placeholder="leave empty when the server needs no login" />
            <FieldShell
              id={pwId}
              label="Password"
              hint={
                s.hasPassword ? (
                  <span>
                    A password is stored in the secret store; leave empty to keep it.{' '}
                    <label className="check inline-check">
                      <input type="checkbox" checked={forget} onChange={(e) => setForget(e.target.checked)} /> forget it
                    </label>
                  </span>
                ) : (
                  'Kept in the secret store, never shown again.'
                )
              }
            >
              <input id={pwId} type="password" autoComplete="new-password" value={password} disabled={forget} placeholder={s.hasPassword ? '••••••• (stored)' : ''} onChange={(e) => setPassword(e.target.value)} data-testid="smtp-password" />
            </FieldShell>
          </div>
          <TextField form={f} name="from" label="Sender (From)" placeholder="Release desk <ops@example.com>" />
          <div className="w-row">
            <TextField form={f} name="senderName" label="Notices signed by" placeholder="e.g. Release desk" hint="Empty: the name in the From address. Never your computer login." />
            <TextArea form={f} name="signature" label="Signature" rows={2} hint="Lines under the name in every notice (team, phone)." />
          </div>
          <div className="w-row">
            <NumberField form={f} name="ratePerSecond" label="Messages per second" hint="The sender never goes faster than this." />
            <NumberField form={f} name="maxConnections" label="Connections" min={1} max={50} />
          </div>
          <div className="form-actions">
            <button className="btn btn-primary" type="submit" disabled={saving} data-testid="smtp-save">
              <Icon name="check" /> Save SMTP settings
            </button>
          </div>
        </form>
      </Section>
      <Section title="Send test">
        <div className="test-row">
          <input type="email" placeholder="you@example.com" value={testTo} onChange={(e) => setTestTo(e.target.value)} aria-label="Send a test message to" data-testid="smtp-test-to" />
          <button className="btn" disabled={testing || !testTo.trim() || !s.configured} onClick={() => void test()} data-testid="smtp-test">
            <Icon name="notices" /> {testing ? 'Sending…' : 'Send test'}
          </button>
          {!s.configured && <span className="muted small">Save a host and a sender first.</span>}
        </div>
        {testResult && (
          <div className={testResult.ok ? 'callout callout-info' : 'callout callout-error'} role="status" data-testid="smtp-test-result">
            <Icon name={testResult.ok ? 'check' : 'warn'} />
            <span>{testResult.text}</span>
          </div>
        )}
        <p className="muted small">The test uses the saved settings, outside the notice ledger.</p>
      </Section>
    </div>
  );
}
