import { useState } from 'react';
import type { NoticeKind, RenderedNotice } from '../../../../shared/contract/notices.js';
import type { Audience, Window } from '../../../../shared/contract/windows.js';
import { NOTICE_KINDS } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, Section, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { KIND_LABEL } from './meta.js';

type Tab = 'html' | 'text' | 'ics';

/** The rendered message exactly as a recipient gets it: subject, HTML, text and the invitation. */
export function RenderedView({ r, testId = 'preview' }: { r: RenderedNotice; testId?: string }) {
  const [tab, setTab] = useState<Tab>('html');
  return (
    <div className="rendered" data-testid={testId}>
      <dl className="kv kv-tight">
        <dt>To</dt>
        <dd data-testid="preview-to">
          {r.contactName} &lt;{r.to}&gt; · {r.customerName}
        </dd>
        <dt>Subject</dt>
        <dd data-testid="preview-subject">
          <strong>{r.subject}</strong>
        </dd>
        {r.timezone && (
          <>
            <dt>Written for</dt>
            <dd className="muted" data-testid="preview-zone">
              {r.timezone} · language {r.language}
            </dd>
          </>
        )}
        <dt>Invitation</dt>
        <dd className="muted">{r.ics ? (r.icsMethod === 'CANCEL' ? 'withdrawn (invite.ics, METHOD:CANCEL)' : 'attached as invite.ics') : 'none'}</dd>
      </dl>
      <div className="tabs" role="tablist">
        {(['html', 'text', 'ics'] as Tab[]).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab on' : 'tab'} onClick={() => setTab(t)} data-testid={`preview-tab-${t}`}>
            {t === 'html' ? 'HTML' : t === 'text' ? 'Plain text' : 'Invitation (ICS)'}
          </button>
        ))}
      </div>
      {tab === 'html' ? (
        <iframe className="preview-frame" title="HTML body" sandbox="" srcDoc={r.html} data-testid="preview-html" />
      ) : (
        <pre className="preview-pre" data-testid={tab === 'text' ? 'preview-text' : 'preview-ics'}>
          {tab === 'text' ? r.text : r.ics}
        </pre>
      )}
    </div>
  );
}

/**
 * Compose: the template (notice kind, in each customer's language) rendered per recipient,
 * with the ICS text, and a test send to the operator.
 */
export function ComposeSection({ w, audience, contactId, onContact }: { w: Window; audience: Audience | undefined; contactId: number | undefined; onContact: (id: number | undefined) => void }) {
  const api = useApi();
  const toast = useToast();
  const [kind, setKind] = useState<NoticeKind>(w.state === 'draft' ? 'announce' : w.state === 'in_progress' ? 'started' : 'reminder');
  // Refreshed when the window or the inventory changes (EVENT_INVALIDATES).
  const q = useApiQuery('notices.preview', { windowId: w.id, kind, ...(contactId ? { contactId } : {}) });
  const preview = q.data ?? null;
  const { error, isFetching: loading } = q;
  const [testTo, setTestTo] = useState('');
  const [sending, setSending] = useState(false);
  const contacts = audience?.customers.flatMap((c) => c.contacts.map((p) => ({ ...p, customer: c.name, language: c.language }))) ?? [];

  const testSend = async () => {
    setSending(true);
    try {
      const r = await api.call('notices.testSend', { windowId: w.id, kind, ...(testTo.trim() ? { to: testTo.trim() } : {}) });
      toast.success(`Test sent to ${r.to} (${r.response}).`);
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setSending(false);
    }
  };

  return (
    <Section
      title="Compose & preview"
      id="compose"
      actions={
        preview ? (
          <a className="btn btn-small" href={href(`/notices?tab=templates&kind=${kind}&language=${preview.language.slice(0, 2)}`)}>
            <Icon name="edit" size={14} /> Edit the {KIND_LABEL[kind].toLowerCase()} template ({preview.language})
          </a>
        ) : undefined
      }
    >
      <div className="compose-controls">
        <label className="field inline">
          <span>Notice</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as NoticeKind)} data-testid="compose-kind">
            {NOTICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline grow">
          <span>Recipient</span>
          <select value={contactId ?? ''} onChange={(e) => onContact(e.target.value ? Number(e.target.value) : undefined)} data-testid="compose-recipient">
            <option value="">{contacts.length ? 'First recipient' : 'A sample recipient (nobody in the audience)'}</option>
            {contacts.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} &lt;{p.email}&gt; — {p.customer} ({p.language})
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Test to</span>
          <input type="email" placeholder="the SMTP “from” address" value={testTo} onChange={(e) => setTestTo(e.target.value)} data-testid="test-to" />
        </label>
        <button className="btn" disabled={sending} onClick={() => void testSend()} data-testid="test-send">
          <Icon name="notices" /> {sending ? 'Sending…' : 'Send me a test'}
        </button>
      </div>
      {error ? <ErrorBox error={error} /> : preview ? <div className={loading ? 'is-loading' : ''}><RenderedView r={preview} /></div> : <Spinner />}
    </Section>
  );
}
