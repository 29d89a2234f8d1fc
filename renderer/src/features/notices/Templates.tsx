import { useEffect, useState } from 'react';
import type { NoticeKind, Template } from '../../../../shared/contract/notices.js';
import { NOTICE_KINDS } from '../../../../shared/contract/notices.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { ErrorBox, ErrorLine, Section, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { useAction } from '../../lib/hooks.js';
import { KIND_LABEL } from '../windows/meta.js';

/** Notice templates per kind × language (Handlebars), with the variables they can use. */
export function TemplatesPanel({ query }: { query: URLSearchParams }) {
  const q = useApiQuery('notices.templates.list', {});
  const [sel, setSel] = useState<{ kind: NoticeKind; language: string } | null>(() => {
    const k = query.get('kind') as NoticeKind | null;
    const l = query.get('language');
    return k && l ? { kind: k, language: l } : null;
  });
  const data = q.data;
  useEffect(() => {
    if (!sel && data?.items[0]) setSel({ kind: data.items[0].kind, language: data.items[0].language });
  }, [data, sel]);
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  if (!data) return <Spinner />;
  const languages = data.languages.length ? data.languages : [...new Set(data.items.map((t) => t.language))];
  const find = (kind: NoticeKind, language: string) => data.items.find((t) => t.kind === kind && t.language === language);
  return (
    <div className="templates" data-testid="templates">
      <div className="templates-grid">
        <table className="table compact template-matrix">
          <thead>
            <tr>
              <th>Notice</th>
              {languages.map((l) => (
                <th key={l}>{l}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {NOTICE_KINDS.map((k) => (
              <tr key={k}>
                <td>{KIND_LABEL[k]}</td>
                {languages.map((l) => {
                  const t = find(k, l);
                  const on = sel?.kind === k && sel.language === l;
                  return (
                    <td key={l}>
                      <button className={'chip-filter' + (on ? ' on' : '')} onClick={() => setSel({ kind: k, language: l })}>
                        {t ? (t.builtIn ? 'default' : 'edited') : 'default'}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <Section title="Variables">
          <ul className="variables">
            {data.variables.map((v) => (
              <li key={v.name}>
                <code>{`{{${v.name}}}`}</code> <span className="muted small">{v.description}</span>
              </li>
            ))}
          </ul>
        </Section>
      </div>
      {sel && <TemplateEditor key={`${sel.kind}:${sel.language}`} kind={sel.kind} language={sel.language} />}
    </div>
  );
}

function TemplateEditor({ kind, language }: { kind: NoticeKind; language: string }) {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('notices.templates.get', { kind, language });
  const invalidate = useInvalidate();
  const [draft, setDraft] = useState<Pick<Template, 'subject' | 'html' | 'text'> | null>(null);
  const { busy: saving, error, run } = useAction();
  const [resetting, setResetting] = useState(false);
  useEffect(() => {
    if (q.data) setDraft({ subject: q.data.subject, html: q.data.html, text: q.data.text });
  }, [q.data]);
  if (q.error) return <ErrorBox error={q.error} />;
  if (!q.data || !draft) return <Spinner />;
  const dirty = draft.subject !== q.data.subject || draft.html !== q.data.html || draft.text !== q.data.text;
  const save = () =>
    run(async () => {
      await api.call('notices.templates.save', { kind, language, ...draft });
      toast.success(`Template “${KIND_LABEL[kind]}” (${language}) saved.`);
      await invalidate('notices.templates.*');
    });
  return (
    <Section
      title={`${KIND_LABEL[kind]} — ${language}`}
      actions={
        <>
          {!q.data.builtIn && (
            <button className="btn btn-small" onClick={() => setResetting(true)}>
              Reset to default
            </button>
          )}
          <button className="btn btn-small btn-primary" disabled={!dirty || saving} onClick={() => void save()} data-testid="template-save">
            <Icon name="check" size={14} /> Save template
          </button>
        </>
      }
    >
      <div className="form template-form">
        <div className="field">
          <label>Subject</label>
          <input className="mono" value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />
        </div>
        <div className="w-row">
          <div className="field">
            <label>HTML body</label>
            <textarea className="mono" rows={14} value={draft.html} onChange={(e) => setDraft({ ...draft, html: e.target.value })} />
          </div>
          <div className="field">
            <label>Plain-text body</label>
            <textarea className="mono" rows={14} value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} />
          </div>
        </div>
        <ErrorLine error={error} />
        <p className="muted small">{q.data.builtIn ? 'This is the built-in default.' : `Edited${q.data.updatedAt ? ` ${new Date(q.data.updatedAt).toLocaleString()}` : ''}.`} A template is checked by compiling it before it is saved.</p>
      </div>
      {resetting && (
        <ConfirmDialog
          title="Reset to the built-in template?"
          body={<p>Your edits to the {KIND_LABEL[kind].toLowerCase()} template in “{language}” are replaced by the default.</p>}
          confirmLabel="Reset"
          danger
          onClose={() => setResetting(false)}
          onConfirm={async () => {
            await api.call('notices.templates.reset', { kind, language });
            await invalidate('notices.templates.*');
          }}
        />
      )}
    </Section>
  );
}
