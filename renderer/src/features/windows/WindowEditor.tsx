import { useEffect, useId, useState } from 'react';
import type { Conflict, Window } from '../../../../shared/contract/windows.js';
import { WindowFields } from '../../../../shared/contract/windows.js';
import { useApi } from '../../api/context.js';
import { FieldShell, MultiSelectField, TextArea, TextField } from '../../components/Fields.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, useForm, type Form } from '../../lib/form.js';
import { useDebounced, useFormSubmit } from '../../lib/hooks.js';
import { useApplications, useCustomers, useServers } from '../inventory/lookups.js';
import { ConflictList } from './parts.js';
import { fmtDateTime, fmtDuration, fmtSpan, fromLocalInput, toLocalInput } from './time.js';
import './windows.css';

type Draft = {
  title: string;
  start: string;
  end: string;
  applicationIds: number[];
  serverIds: number[];
  impact: string;
  linkedRunId: number | null;
  notes: string;
};

/** A date and time typed in `zone` (the operator's), stored as a UTC instant. */
export function DateTimeField({ form, name, label, zone, testId }: { form: Form<Record<string, unknown>>; name: string; label: string; zone: string; testId?: string }) {
  const id = useId();
  const iso = form.get(name) as string | undefined;
  const [text, setText] = useState(() => (iso ? toLocalInput(iso, zone) : ''));
  const [gap, setGap] = useState(false);
  // Follow outside changes (a prefilled draft, the zone picker).
  useEffect(() => {
    if (!iso) return;
    const cur = fromLocalInput(text, zone);
    if (!cur || cur.iso !== iso) setText(toLocalInput(iso, zone));
  }, [iso, zone]);
  const err = form.error(name);
  return (
    <FieldShell
      id={id}
      label={label}
      error={err}
      hint={
        gap ? (
          <span className="warn-text">That time does not exist in {zone} (the clocks jump forward that night); it was read as {iso ? fmtDateTime(iso, zone) : '—'}.</span>
        ) : iso ? (
          <span>
            {zone} · {fmtDateTime(iso, 'UTC')}
          </span>
        ) : (
          zone
        )
      }
    >
      <input
        id={id}
        type="datetime-local"
        data-testid={testId}
        value={text}
        aria-invalid={err ? true : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const r = fromLocalInput(e.target.value, zone);
          setGap(Boolean(r?.gap));
          form.set(name, r?.iso ?? '');
        }}
      />
    </FieldShell>
  );
}

/** Live clashes of the draft (other windows, contract hours, blackouts), checked as it is typed. */
function DraftConflicts({ draft, excludeId }: { draft: Draft; excludeId?: number | undefined }) {
  const api = useApi();
  const scope = useDebounced(JSON.stringify({ start: draft.start, end: draft.end, applicationIds: draft.applicationIds, serverIds: draft.serverIds }), 400);
  const [items, setItems] = useState<Conflict[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const s = JSON.parse(scope) as Pick<Draft, 'start' | 'end' | 'applicationIds' | 'serverIds'>;
    if (!s.start || !s.end || Date.parse(s.end) <= Date.parse(s.start)) {
      setItems(null);
      return;
    }
    let live = true;
    api
      .call('windows.conflicts', { ...s, ...(excludeId ? { excludeId } : {}) })
      .then((r) => live && (setItems(r.items), setError(null)))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [api, scope, excludeId]);
  if (error) return <div className="muted small">Conflicts could not be checked: {error}</div>;
  if (!items) return null;
  return (
    <div className="draft-conflicts" data-testid="draft-conflicts">
      {items.length === 0 ? (
        <div className="ok-text">
          <Icon name="check" size={14} /> No clash with other windows, contract hours or blackout dates.
        </div>
      ) : (
        <ConflictList items={items} />
      )}
    </div>
  );
}

/**
 * The draft's times as its customers will read them: customers with a contract on the chosen
 * applications that is in force at the start, each in their own zone (before anything is saved).
 */
function DraftLocalTimes({ draft, zone }: { draft: Draft; zone: string }) {
  const api = useApi();
  const customers = useCustomers();
  const [ids, setIds] = useState<number[]>([]);
  const apps = draft.applicationIds.join(',');
  const day = draft.start.slice(0, 10);
  useEffect(() => {
    let live = true;
    const appIds = apps ? apps.split(',').map(Number) : [];
    void Promise.all(appIds.map((applicationId) => api.call('contracts.list', { applicationId, limit: 10_000 }).then((r) => r.items, () => [])))
      .then((lists) => {
        const inForce = lists.flat().filter((c) => (c.state === 'active' || c.state === 'grace') && (!day || (c.startDate <= day && c.endDate >= day)));
        if (live) setIds([...new Set(inForce.map((c) => c.customerId))]);
      });
    return () => {
      live = false;
    };
  }, [api, apps, day]);
  if (!draft.start || !draft.end || Date.parse(draft.end) <= Date.parse(draft.start) || !ids.length) return null;
  const list = ids
    .map((id) => customers.byId.get(id))
    .filter((c): c is NonNullable<typeof c> => Boolean(c))
    .sort((a, b) => a.name.localeCompare(b.name));
  const shown = list.slice(0, 6);
  return (
    <div className="draft-local" data-testid="draft-local-times">
      <div className="muted small">As the customers will read it:</div>
      <ul>
        {shown.map((c) => (
          <li key={c.id}>
            <strong>{c.name}</strong> <span className="muted">({c.timezone})</span> — {c.timezone === zone ? 'same as yours' : fmtSpan(draft.start, draft.end, c.timezone)}
          </li>
        ))}
        {list.length > shown.length && <li className="muted">… and {list.length - shown.length} more</li>}
      </ul>
    </div>
  );
}

function blank(zoneStart: string | undefined): Draft {
  const start = zoneStart ?? new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 11) + '20:00:00Z';
  const end = new Date(Date.parse(start) + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { title: '', start, end, applicationIds: [], serverIds: [], impact: '', linkedRunId: null, notes: '' };
}

/**
 * Plan or edit a window: title, start/end typed in the operator's zone, applications and servers
 * touched, the impact text of the notices, an optional linked run; clashes shown live.
 */
export function WindowEditor({ window: rec, zone, initialStart, onClose, onSaved }: { window?: Window; zone: string; initialStart?: string; onClose: () => void; onSaved: (w: Window) => void }) {
  const api = useApi();
  const toast = useToast();
  const apps = useApplications();
  const servers = useServers();
  const form = useForm<Draft>(
    WindowFields,
    rec
      ? {
          title: rec.title,
          start: rec.start,
          end: rec.end,
          applicationIds: rec.applicationIds,
          serverIds: rec.serverIds,
          impact: rec.impact,
          linkedRunId: rec.linkedRunId,
          notes: rec.notes,
        }
      : blank(initialStart),
  );
  const f = form as unknown as Form<Record<string, unknown>>;
  const { busy: saving, submit } = useFormSubmit(form);
  const d = form.draft;
  const announced = rec && rec.state !== 'draft';
  const timesChanged = rec && (rec.start !== d.start || rec.end !== d.end || rec.title !== d.title);

  const save = () =>
    submit(async (v) => {
      const w = rec ? await api.call('windows.update', { ...(v as Draft), id: rec.id }) : await api.call('windows.create', v as Draft);
      toast.success(rec ? `Window “${w.title}” saved.` : `Window “${w.title}” planned as a draft.`);
      onSaved(w);
    });

  return (
    <Dialog
      wide
      title={rec ? `Edit “${rec.title}”` : 'Plan a maintenance window'}
      onClose={onClose}
      footer={
        <>
          {announced && timesChanged && <span className="warn-text small">Already announced: saving queues an “updated” notice and a new invitation to its audience.</span>}
          <ConfirmButtons onCancel={onClose} disabled={saving} onConfirm={() => void save()} testId="window-save">
            <Icon name="check" /> {rec ? 'Save' : 'Plan window'}
          </ConfirmButtons>
        </>
      }
    >
      <form
        className="form window-form"
        data-testid="window-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <TextField form={f} name="title" label="Title" placeholder="e.g. Billing upgrade to 4.2" />
        <div className="w-row">
          <DateTimeField form={f} name="start" label="Starts" zone={zone} testId="window-start" />
          <DateTimeField form={f} name="end" label="Ends" zone={zone} testId="window-end" />
        </div>
        {d.start && d.end && Date.parse(d.end) > Date.parse(d.start) && <div className="muted small duration">Lasts {fmtDuration(d.start, d.end)}.</div>}
        <DraftConflicts draft={d} excludeId={rec?.id} />
        <div className="w-row">
          <MultiSelectField form={f} name="applicationIds" label="Applications touched" options={apps.options} hint="Their customers (through contracts in force) are the audience." />
          <MultiSelectField form={f} name="serverIds" label="Other servers touched" options={servers.options} hint="Servers hosting the chosen applications count already; add shared ones (proxy, database)." />
        </div>
        <DraftLocalTimes draft={d} zone={zone} />
        <TextArea form={f} name="impact" label="Impact (what users will notice)" rows={3} hint="Goes into the notices as {{impact}}." />
        <div className="w-row">
          <LinkedRunField form={f} />
          <TextArea form={f} name="notes" label="Notes (internal)" rows={2} />
        </div>
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}

function LinkedRunField({ form }: { form: Form<Record<string, unknown>> }) {
  const api = useApi();
  const id = useId();
  const [runs, setRuns] = useState<{ value: number; label: string }[] | null>(null);
  useEffect(() => {
    let live = true;
    api
      .call('runs.list', { limit: 100 })
      .then((r) => {
        if (live) setRuns(r.items.map((x) => ({ value: x.id, label: `#${x.id} ${x.applicationName} — ${x.label} (${x.state})` })));
      })
      .catch(() => live && setRuns([]));
    return () => {
      live = false;
    };
  }, [api]);
  const v = form.get('linkedRunId') as number | null;
  return (
    <FieldShell id={id} label="Linked run" error={form.error('linkedRunId')} hint="The run this window covers, if planned already.">
      <select id={id} value={v == null ? '' : String(v)} onChange={(e) => form.set('linkedRunId', e.target.value ? Number(e.target.value) : null)}>
        <option value="">— none —</option>
        {v != null && !runs?.some((r) => r.value === v) && <option value={String(v)}>Run #{v}</option>}
        {runs?.map((r) => (
          <option key={r.value} value={String(r.value)}>
            {r.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}
