import { useQueries } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Window } from '../../../../shared/contract/windows.js';
import { WindowFields } from '../../../../shared/contract/windows.js';
import { useApi } from '../../api/context.js';
import { apiQueryOptions, useApiQuery } from '../../api/queries.js';
import { FieldShell, MultiSelectField, SelectField, TextArea, TextField } from '../../components/Fields.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, useForm, type Form } from '../../lib/form.js';
import { useDebounced, useFormSubmit } from '../../lib/hooks.js';
import { useApplications, useCustomers, useEnvironments, useServers } from '../inventory/lookups.js';
import { linkableRuns, runChoiceLabel } from './rules.js';
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
  impacts: Record<string, string>;
  linkedRunId: number | null;
  environmentId: number | null;
  notes: string;
};

/** A date and time typed in `zone` (the operator's), stored as a UTC instant. */
export function DateTimeField({ form, name, label, zone, testId }: { form: Form<Record<string, unknown>>; name: string; label: string; zone: string; testId?: string }) {
  const id = useId();
  const iso = form.get(name) as string | undefined;
  const [text, setText] = useState(() => (iso ? toLocalInput(iso, zone) : ''));
  const [gap, setGap] = useState(false);
  // Follow outside changes (a prefilled draft, the zone picker), adjusted while rendering: only a
  // new value or zone may replace the text, never the operator's half-typed input.
  const [followed, setFollowed] = useState({ iso, zone });
  if (followed.iso !== iso || followed.zone !== zone) {
    setFollowed({ iso, zone });
    const cur = iso ? fromLocalInput(text, zone) : null;
    if (iso && (!cur || cur.iso !== iso)) setText(toLocalInput(iso, zone));
  }
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
  const scope = useDebounced(
    JSON.stringify({ start: draft.start, end: draft.end, applicationIds: draft.applicationIds, serverIds: draft.serverIds, environmentId: draft.environmentId }),
    400,
  );
  const s = JSON.parse(scope) as Pick<Draft, 'start' | 'end' | 'applicationIds' | 'serverIds' | 'environmentId'>;
  const valid = Boolean(s.start && s.end && Date.parse(s.end) > Date.parse(s.start));
  const q = useApiQuery('windows.conflicts', { ...s, ...(excludeId ? { excludeId } : {}) }, { enabled: valid });
  if (!valid) return null;
  if (q.error) return <div className="muted small">Conflicts could not be checked: {errorMessage(q.error)}</div>;
  const items = q.data?.items;
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
  const list = useDraftCustomers(draft);
  if (!draft.start || !draft.end || Date.parse(draft.end) <= Date.parse(draft.start) || !list.length) return null;
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

/**
 * The impact text in English (read by any language without its own) and one per other language of
 * the draft's customers, so no notice mixes languages.
 */
function ImpactFields({ form, draft }: { form: Form<Record<string, unknown>>; draft: Draft }) {
  const customers = useDraftCustomers(draft);
  const languages = [...new Set([...customers.map((c) => c.language.slice(0, 2).toLowerCase()), ...Object.keys(draft.impacts)])].filter((l) => l !== 'en').sort();
  return (
    <>
      <TextArea
        form={form}
        name="impact"
        label="Impact (what users will notice)"
        rows={3}
        hint={languages.length ? 'In English: goes into the notices as {{impact}}, and into those of any language left empty below.' : 'Goes into the notices as {{impact}}.'}
      />
      {languages.map((l) => (
        <TextArea
          key={l}
          form={form}
          name={`impacts.${l}`}
          label={`Impact in “${l}”`}
          rows={2}
          hint={draft.impact.trim() && !draft.impacts[l]?.trim() ? <span className="warn-text">Empty: customers reading “{l}” get the English text.</span> : `For the customers reading “${l}”.`}
        />
      ))}
    </>
  );
}

/**
 * Customers with a contract in force at the draft's start on its applications, by name (before
 * anything is saved). Limited to an environment, only the applications placed in it count — the
 * rule the core's audience applies once the window is saved.
 */
function useDraftCustomers(draft: Draft) {
  const api = useApi();
  const customers = useCustomers();
  const servers = useServers();
  const day = draft.start.slice(0, 10);
  const placements = useApiQuery('placements.list', { limit: 10_000, offset: 0 }, { enabled: draft.environmentId !== null });
  const applicationIds =
    draft.environmentId === null
      ? draft.applicationIds
      : draft.applicationIds.filter((id) => (placements.data?.items ?? []).some((p) => p.applicationId === id && servers.byId.get(p.serverId)?.environmentId === draft.environmentId));
  // The contracts of each chosen application (a failed read counts as none).
  const contracts = useQueries({
    queries: applicationIds.map((applicationId) => apiQueryOptions(api, 'contracts.list', { applicationId, limit: 10_000 })),
    combine: (results) => results.flatMap((r) => r.data?.items ?? []),
  });
  const inForce = contracts.filter((c) => (c.state === 'active' || c.state === 'grace') && (!day || (c.startDate <= day && c.endDate >= day)));
  const ids = [...new Set(inForce.map((c) => c.customerId))];
  return ids
    .map((id) => customers.byId.get(id))
    .filter((c): c is NonNullable<typeof c> => Boolean(c))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function blank(zoneStart: string | undefined): Draft {
  const start = zoneStart ?? new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 11) + '20:00:00Z';
  const end = new Date(Date.parse(start) + 2 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { title: '', start, end, applicationIds: [], serverIds: [], impact: '', impacts: {}, linkedRunId: null, environmentId: null, notes: '' };
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
  const envs = useEnvironments();
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
          impacts: rec.impacts,
          linkedRunId: rec.linkedRunId,
          environmentId: rec.environmentId,
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
        <SelectField
          form={f}
          name="environmentId"
          label="Environment"
          options={envs.options}
          nullable="All environments"
          hint="Limit the window to one: servers of the others, and applications placed only there (with their customers), are left out."
        />
        <DraftLocalTimes draft={d} zone={zone} />
        <ImpactFields form={f} draft={d} />
        <div className="w-row">
          <LinkedRunField form={f} zone={zone} />
          <TextArea form={f} name="notes" label="Notes (internal)" rows={2} />
        </div>
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}

function LinkedRunField({ form, zone }: { form: Form<Record<string, unknown>>; zone: string }) {
  const id = useId();
  const q = useApiQuery('runs.list', { limit: 200 });
  const v = form.get('linkedRunId') as number | null;
  const applicationIds = (form.get('applicationIds') as number[] | undefined) ?? [];
  const runs = q.data ? linkableRuns(q.data.items, applicationIds, v).map((x) => ({ value: x.id, label: runChoiceLabel(x, fmtDateTime(x.startedAt, zone)) })) : q.error ? [] : null;
  return (
    <FieldShell
      id={id}
      label="Linked run"
      error={form.error('linkedRunId')}
      hint="A run still going (or waiting) of the chosen applications; runs that start inside the announced window are linked by themselves."
    >
      <select id={id} value={v == null ? '' : String(v)} onChange={(e) => form.set('linkedRunId', e.target.value ? Number(e.target.value) : null)} data-testid="linked-run">
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
