import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Checklist, ChecklistKind, ChecklistStep } from '../../../../shared/contract/runs.js';
import { CHECKLIST_KINDS, STEP_ACTIONS, StepCheck } from '../../../../shared/contract/runs.js';
import { PuestaError } from '../../../../shared/errors.js';
import { useApi } from '../../api/context.js';
import { queryKey, useApiQuery } from '../../api/queries.js';
import { Badge, ErrorBox, PageHeader, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { navigate, useLocation } from '../../lib/router.js';
import { KIND_LABEL } from './util.js';
import './runs.css';

const ROLES = ['web', 'worker', 'db', 'proxy'] as const;

function newStep(existing: ChecklistStep[]): ChecklistStep {
  let n = existing.length + 1;
  while (existing.some((s) => s.key === `step-${n}`)) n++;
  return { key: `step-${n}`, title: 'New step', kind: 'auto', action: 'shell', enabled: true, roles: [], command: '', sudo: false, timeoutSeconds: 600, instructions: '', check: null };
}

/**
 * An application's install / upgrade / rollback checklist: add, remove, reorder, disable steps,
 * edit their command templates; "Reset to built-in" puts the shipped one back.
 */
export function ChecklistEditor({ applicationId }: { applicationId: number }) {
  const api = useApi();
  const toast = useToast();
  const loc = useLocation();
  const kind = (CHECKLIST_KINDS as readonly string[]).includes(loc.query.get('kind') ?? '') ? (loc.query.get('kind') as ChecklistKind) : 'upgrade';
  const app = useApiQuery('applications.get', { id: applicationId });
  const client = useQueryClient();
  const key = { applicationId, kind };
  const loaded = useApiQuery('checklists.get', key, { placeholderData: undefined });
  const list = loaded.data ?? null;
  const error = loaded.error;
  const [steps, setSteps] = useState<ChecklistStep[]>([]);
  const [dirty, setDirty] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [resetting, setResetting] = useState(false);

  // The edited copy starts from each checklist the cache holds: loaded, saved or reset.
  const [editing, setEditing] = useState<Checklist | null>(null);
  if (list && list !== editing) {
    setEditing(list);
    setSteps(list.steps);
    setDirty(false);
    setIssues({});
    setOpen(null);
  }
  const show = (c: Checklist) => client.setQueryData(queryKey('checklists.get', key), c);

  const update = (i: number, patch: Partial<ChecklistStep>) => {
    setSteps((s) => s.map((x, j) => (j === i ? { ...x, ...patch } : x)));
    setDirty(true);
  };
  const move = (i: number, d: -1 | 1) => {
    const j = i + d;
    if (j < 0 || j >= steps.length) return;
    const next = steps.slice();
    [next[i], next[j]] = [next[j]!, next[i]!];
    setSteps(next);
    setDirty(true);
    if (open === i) setOpen(j);
  };
  const save = async () => {
    setSaving(true);
    setIssues({});
    try {
      show(await api.call('checklists.save', { applicationId, kind, steps }));
      toast.success(`${KIND_LABEL[kind]} checklist saved.`);
    } catch (e) {
      const d = e instanceof PuestaError ? (e.details as { issues?: { path: (string | number)[]; message: string }[]; field?: string } | undefined) : undefined;
      const m: Record<string, string> = {};
      for (const is of d?.issues ?? []) m[is.path.filter((p) => p !== 'steps').join('.')] = is.message;
      if (d?.field && e instanceof Error) m[d.field.replace(/^steps\./, '')] = e.message;
      setIssues(m);
      toast.error(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };
  const switchKind = (k: ChecklistKind) => {
    if (dirty && !window.confirm('Your changes to this checklist are not saved. Leave them?')) return;
    navigate(`/runs/checklists/${applicationId}?kind=${k}`, { replace: true });
  };

  const appName = app.data?.name ?? '…';
  return (
    <div className="page checklist-page" data-testid="checklist-editor">
      <PageHeader
        back={{ to: `/applications/${applicationId}`, label: appName }}
        title={`Checklists of ${appName}`}
        subtitle="Copied from the built-in ones for this application; a run keeps the version it started with."
        actions={
          <>
            <button className="btn" disabled={!list || list.builtin || saving} onClick={() => setResetting(true)} data-testid="reset-checklist">
              Reset to built-in…
            </button>
            <button className="btn btn-primary" disabled={!dirty || saving} onClick={() => void save()} data-testid="save-checklist">
              {saving ? 'Saving…' : 'Save'}
            </button>
          </>
        }
      />
      <div className="rtabs" role="tablist">
        {CHECKLIST_KINDS.map((k) => (
          <button key={k} role="tab" aria-selected={k === kind} className={'rtab' + (k === kind ? ' on' : '')} onClick={() => switchKind(k)}>
            {KIND_LABEL[k]}
          </button>
        ))}
        <div className="spacer" />
        {list && (list.builtin && !dirty ? <Badge>built-in</Badge> : dirty ? <Badge tone="amber">unsaved changes</Badge> : <Badge tone="blue">edited</Badge>)}
      </div>
      {error && <ErrorBox error={error} />}
      {!list ? (
        !error && <Spinner />
      ) : (
        <div className="checklist-layout">
          <ol className="cl-steps" data-testid="checklist-steps">
            {steps.map((s, i) => {
              const err = Object.entries(issues).filter(([k]) => k === String(i) || k.startsWith(`${i}.`));
              return (
                <li key={i} className={'cl-step' + (s.enabled ? '' : ' is-disabled') + (open === i ? ' open' : '') + (err.length ? ' has-error' : '')} data-step={s.key}>
                  <div className="cl-head">
                    <span className="cl-no">{i + 1}</span>
                    <button type="button" className="cl-title" onClick={() => setOpen(open === i ? null : i)} aria-expanded={open === i}>
                      <span>{s.title}</span>
                      <Badge tone={s.kind === 'auto' ? 'blue' : s.kind === 'manual' ? 'amber' : 'violet'}>{s.kind}</Badge>
                      {s.action !== 'shell' && <Badge>{s.action}</Badge>}
                      {s.roles.length > 0 && <span className="muted small">on {s.roles.join(', ')}</span>}
                      {!s.enabled && <Badge>disabled</Badge>}
                    </button>
                    <label className="check small" title="A disabled step is shown in the plan and skipped">
                      <input type="checkbox" checked={s.enabled} onChange={(e) => update(i, { enabled: e.target.checked })} aria-label={`Enable ${s.title}`} /> on
                    </label>
                    <button className="icon-btn" aria-label={`Move ${s.title} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                      <Icon name="up" />
                    </button>
                    <button className="icon-btn" aria-label={`Move ${s.title} down`} disabled={i === steps.length - 1} onClick={() => move(i, 1)}>
                      <Icon name="down" />
                    </button>
                    <button
                      className="icon-btn"
                      aria-label={`Remove ${s.title}`}
                      disabled={steps.length === 1}
                      onClick={() => {
                        setSteps(steps.filter((_, j) => j !== i));
                        setDirty(true);
                        setOpen(null);
                      }}
                    >
                      <Icon name="trash" />
                    </button>
                  </div>
                  {err.length > 0 && <div className="field-error">{err.map(([k, m]) => `${k.split('.').slice(1).join('.') || 'step'}: ${m}`).join('; ')}</div>}
                  {open !== i && s.kind !== 'manual' && s.command && <pre className="cmd cl-preview">{s.command}</pre>}
                  {open === i && <StepForm step={s} onChange={(p) => update(i, p)} />}
                </li>
              );
            })}
            <li className="cl-add">
              <button
                className="btn"
                onClick={() => {
                  setSteps([...steps, newStep(steps)]);
                  setOpen(steps.length);
                  setDirty(true);
                }}
                data-testid="add-step"
              >
                <Icon name="plus" /> Add a step
              </button>
            </li>
          </ol>
          <aside className="cl-vars card">
            <header className="card-head">
              <h2>Variables</h2>
            </header>
            <div className="card-body">
              <p className="muted small">
                Write <code>{'{{name}}'}</code> in a command. Every value is quoted for the shell when the command is rendered — never put quotes around a variable.
              </p>
              <dl className="var-list">
                {list.variables.map((v) => (
                  <div key={v.name}>
                    <dt>
                      <code>{`{{${v.name}}}`}</code>
                    </dt>
                    <dd>
                      {v.description}
                      {v.example && <span className="muted"> — e.g. {v.example}</span>}
                    </dd>
                  </div>
                ))}
              </dl>
            </div>
          </aside>
        </div>
      )}
      {resetting && (
        <ConfirmDialog
          title={`Reset the ${kind} checklist?`}
          body={<p>The built-in {kind} checklist replaces this application’s edited one: added steps and edited commands are lost. Runs already made keep their own copy.</p>}
          confirmLabel="Reset to built-in"
          danger
          onClose={() => setResetting(false)}
          onConfirm={async () => {
            show(await api.call('checklists.reset', { applicationId, kind }));
            toast.success('Built-in checklist restored.');
          }}
        />
      )}
    </div>
  );
}

function StepForm({ step, onChange }: { step: ChecklistStep; onChange: (p: Partial<ChecklistStep>) => void }) {
  const check = step.check ?? StepCheck.parse({});
  return (
    <div className="cl-form">
      <div className="wizard-row">
        <div className="field grow">
          <label>Title</label>
          <input value={step.title} onChange={(e) => onChange({ title: e.target.value })} aria-label="Step title" />
        </div>
        <div className="field" style={{ flex: '0 0 10rem' }}>
          <label>Key</label>
          <input className="mono" value={step.key} onChange={(e) => onChange({ key: e.target.value })} aria-label="Step key" />
        </div>
        <div className="field" style={{ flex: '0 0 9rem' }}>
          <label>Kind</label>
          <select value={step.kind} onChange={(e) => onChange({ kind: e.target.value as ChecklistStep['kind'], check: e.target.value === 'check' ? (step.check ?? check) : step.check })} aria-label="Step kind">
            <option value="auto">automatic</option>
            <option value="manual">manual</option>
            <option value="check">check</option>
          </select>
        </div>
        {step.kind === 'auto' && (
          <div className="field" style={{ flex: '0 0 8rem' }}>
            <label>Action</label>
            <select value={step.action} onChange={(e) => onChange({ action: e.target.value as ChecklistStep['action'] })} aria-label="Step action">
              {STEP_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {step.kind !== 'manual' && (
        <div className="wizard-row">
          <div className="field">
            <label>Runs on roles</label>
            <div className="role-choice">
              {ROLES.map((r) => (
                <label key={r} className="check">
                  <input type="checkbox" checked={step.roles.includes(r)} onChange={(e) => onChange({ roles: e.target.checked ? [...step.roles, r] : step.roles.filter((x) => x !== r) })} />
                  <span>{r}</span>
                </label>
              ))}
              <span className="muted small">{step.roles.length ? '' : '(none ticked: every target host)'}</span>
            </div>
          </div>
          <label className="check" style={{ alignSelf: 'end' }}>
            <input type="checkbox" checked={step.sudo} onChange={(e) => onChange({ sudo: e.target.checked })} /> <span>with sudo</span>
          </label>
          <div className="field" style={{ flex: '0 0 8rem' }}>
            <label>Timeout (s)</label>
            <input type="number" min={1} max={86400} value={step.timeoutSeconds} onChange={(e) => onChange({ timeoutSeconds: Math.max(1, Number(e.target.value) || 1) })} />
          </div>
        </div>
      )}
      {(step.kind === 'auto' || (step.kind === 'check' && check.kind === 'command')) && (
        <div className="field">
          <label>Command template (POSIX sh)</label>
          <textarea className="mono" rows={Math.min(14, Math.max(3, step.command.split('\n').length + 1))} value={step.command} onChange={(e) => onChange({ command: e.target.value })} aria-label="Command template" spellCheck={false} />
        </div>
      )}
      {step.kind === 'manual' && (
        <div className="field">
          <label>Instructions for the operator</label>
          <textarea rows={3} value={step.instructions} onChange={(e) => onChange({ instructions: e.target.value })} />
        </div>
      )}
      {step.kind === 'check' && (
        <div className="wizard-row">
          <div className="field" style={{ flex: '0 0 8rem' }}>
            <label>Check</label>
            <select value={check.kind} onChange={(e) => onChange({ check: { ...check, kind: e.target.value as 'http' | 'command' } })}>
              <option value="http">HTTP GET</option>
              <option value="command">command</option>
            </select>
          </div>
          {check.kind === 'http' && (
            <>
              <div className="field grow">
                <label>URL</label>
                <input className="mono" value={check.url} onChange={(e) => onChange({ check: { ...check, url: e.target.value } })} placeholder="http://{{host.address}}:8080/health" />
              </div>
              <div className="field" style={{ flex: '0 0 6rem' }}>
                <label>Status</label>
                <input type="number" value={check.expectStatus} onChange={(e) => onChange({ check: { ...check, expectStatus: Number(e.target.value) || 200 } })} />
              </div>
            </>
          )}
          <div className="field" style={{ flex: '0 0 10rem' }}>
            <label>Must contain</label>
            <input value={check.expectText} onChange={(e) => onChange({ check: { ...check, expectText: e.target.value } })} />
          </div>
          <div className="field" style={{ flex: '0 0 7rem' }}>
            <label>Deadline (s)</label>
            <input type="number" min={1} value={check.deadlineSeconds} onChange={(e) => onChange({ check: { ...check, deadlineSeconds: Math.max(1, Number(e.target.value) || 1) } })} />
          </div>
          <label className="check" style={{ alignSelf: 'end' }} title="After the switch, a host whose check fails goes back to the release it had before the run (and is restarted)">
            <input type="checkbox" checked={step.switchBackOnFailure ?? false} onChange={(e) => onChange({ switchBackOnFailure: e.target.checked })} data-testid="switch-back" /> <span>switch back on failure</span>
          </label>
        </div>
      )}
    </div>
  );
}
