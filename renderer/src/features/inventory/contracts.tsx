import { useEffect, useState } from 'react';
import { crossesMidnight, type AllowedRange } from '../../../../shared/allowed-hours.js';
import { CONTRACT_STATES, ContractFields, type Contact, type Contract } from '../../../../shared/contract/inventory.js';
import { Badge, Section } from '../../components/Bits.js';
import type { Column } from '../../components/DataTable.js';
import { FieldShell, MultiSelectField, NumberField, SelectField, TextArea, TextField } from '../../components/Fields.js';
import { addDays, daysUntil, formatDate, todayIso } from '../../lib/format.js';
import type { Form } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { ContractStateBadge, ExpiryBadge } from './contractBits.js';
import { EntityEditor, type Draft, type EditorSpec, type Rec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { useApplications, useCustomers } from './lookups.js';
import { useApiQuery } from '../../api/queries.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function ContractsScreen() {
  const apps = useApplications();
  const [state, setState] = useState<string>('');
  const columns: Column<Contract>[] = [
    { key: 'ref', label: 'Reference', sort: 'reference', render: (c) => <strong>{c.reference}</strong> },
    { key: 'customer', label: 'Customer', sort: 'customerName', render: (c) => c.customerName },
    { key: 'state', label: 'State', sort: 'state', render: (c) => <ContractStateBadge state={c.state} /> },
    { key: 'start', label: 'Start', sort: 'startDate', render: (c) => <span className="nowrap">{formatDate(c.startDate)}</span> },
    { key: 'end', label: 'End', sort: 'endDate', render: (c) => <span className="nowrap">{formatDate(c.endDate)}</span> },
    { key: 'expiry', label: 'Expiry', render: (c) => <ExpiryBadge days={daysUntil(c.endDate)} state={c.state} /> },
    {
      key: 'apps',
      label: 'Applications',
      render: (c) => (
        <span className="muted ellipsis">
          {c.applicationIds
            .map((id) => apps.byId.get(id)?.name)
            .filter(Boolean)
            .join(', ') || '—'}
        </span>
      ),
    },
  ];
  return (
    <EntityList<Contract>
      entity="contracts"
      columns={columns}
      defaultSort={{ sort: 'endDate', desc: false }}
      filters={{ state: state || undefined }}
      rowClass={(c) => (c.state === 'suspended' ? 'row-alert' : '')}
      toolbar={
        <>
          <a className="btn" href={href('/contracts/timeline')} data-testid="open-timeline">
            Expiry timeline
          </a>
          <select aria-label="Filter by state" value={state} onChange={(e) => setState(e.target.value)} className="toolbar-select">
            <option value="">All states</option>
            {CONTRACT_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </>
      }
    />
  );
}

type Range = AllowedRange;
const NIGHTS: Range = { days: [1, 2, 3, 4, 5], from: '22:00', to: '06:00' };

function AllowedHoursField({ form }: { form: Form<Draft> }) {
  const ranges = form.get('allowedHours') as Range[] | null | undefined;
  const err = Object.entries(form.errors)
    .filter(([k]) => k.startsWith('allowedHours'))
    .map(([k, m]) => `${k.replace(/^allowedHours\.?(\d+)?\.?/, (_, i: string | undefined) => (i !== undefined ? `range ${Number(i) + 1} ` : 'hours '))}: ${m}`)
    .join('; ');
  return (
    <FieldShell
      id="ah"
      label="Maintenance allowed"
      error={err || undefined}
      className="span-4"
      hint="In the customer’s time zone; windows outside these hours are flagged when planning. A range that ends at or before its start (22:00–06:00) runs into the next morning, and those early hours count for the day it started: Mon–Fri 22:00–06:00 covers Friday night, not early Monday."
    >
      <div className="allowed-hours-list">
        <label className="check">
          <input id="ah" type="checkbox" checked={!ranges} onChange={(e) => form.set('allowedHours', e.target.checked ? null : [NIGHTS])} />
          <span>At any time</span>
        </label>
        {ranges?.map((r, ri) => (
          <div className="allowed-hours" key={ri} role="group" aria-label={`Range ${ri + 1}`} data-testid="allowed-range">
            <div className="day-picks" role="group" aria-label="Days">
              {DAYS.map((d, i) => {
                const n = i + 1;
                const on = r.days.includes(n);
                return (
                  <button
                    type="button"
                    key={d}
                    className={'day' + (on ? ' on' : '')}
                    aria-pressed={on}
                    onClick={() => form.set(`allowedHours.${ri}.days`, on ? r.days.filter((x) => x !== n) : [...r.days, n].sort())}
                  >
                    {d}
                  </button>
                );
              })}
            </div>
            <span className="muted">from</span>
            <input className="time" aria-label="From" value={r.from} onChange={(e) => form.set(`allowedHours.${ri}.from`, e.target.value)} placeholder="hh:mm" />
            <span className="muted">to</span>
            <input className="time" aria-label="To" value={r.to} onChange={(e) => form.set(`allowedHours.${ri}.to`, e.target.value)} placeholder="hh:mm" />
            {/^\d\d:\d\d$/.test(r.from) && /^\d\d:\d\d$/.test(r.to) && crossesMidnight(r) && <span className="badge" data-testid="next-day">next day</span>}
            {ranges.length > 1 && (
              <button type="button" className="btn btn-small" aria-label={`Remove range ${ri + 1}`} onClick={() => form.set('allowedHours', ranges.filter((_, k) => k !== ri))}>
                Remove
              </button>
            )}
          </div>
        ))}
        {ranges && (
          <button type="button" className="btn btn-small" onClick={() => form.set('allowedHours', [...ranges, { days: [6, 7], from: '00:00', to: '24:00' }])}>
            Add a range
          </button>
        )}
      </div>
    </FieldShell>
  );
}

function ContractForm({ form, rec }: { form: Form<Draft>; rec: Record<string, unknown> | null }) {
  const customers = useCustomers();
  const apps = useApplications();
  const end = String(form.get('endDate') ?? '');
  const days = /^\d{4}-\d{2}-\d{2}$/.test(end) ? daysUntil(end) : null;
  // a new contract starts with the grace days of the Settings policy (until the operator types one)
  const defaults = useApiQuery('contracts.policyDefaults', {}, { enabled: !rec });
  const defaultGrace = defaults.data?.graceDays;
  const { dirty } = form;
  useEffect(() => {
    // reset, not set: the value becomes the form's starting point, so leaving an untouched form asks nothing
    if (!rec && !dirty && defaultGrace !== undefined && form.draft.graceDays !== defaultGrace) form.reset({ ...form.draft, graceDays: defaultGrace });
  }, [rec, dirty, defaultGrace, form]);
  return (
    <>
      <div className="card">
        <header className="card-head">
          <h2>Contract</h2>
          {days !== null && rec && (
            <div className="card-actions">
              <ExpiryBadge days={days} state={String(form.get('state'))} />
            </div>
          )}
        </header>
        <div className="card-body grid-4">
          <TextField form={form} name="reference" label="Reference" placeholder="e.g. HC-2026-014" className="span-2" />
          <SelectField form={form} name="customerId" label="Customer" options={customers.options} placeholder="Choose a customer…" className="span-2" />
          <TextField form={form} name="startDate" label="Start" type="date" />
          <TextField form={form} name="endDate" label="End (expiry)" type="date" />
          <NumberField form={form} name="graceDays" label="Grace days" min={0} max={365} hint="After the end date, before suspension." />
          <FieldShell id="contract-state" label="State" hint={rec ? 'Kept by the lifecycle: renew, hold or terminate on its lifecycle page.' : 'Active; the lifecycle moves it from then on.'}>
            <output id="contract-state" className="readonly-value">
              <ContractStateBadge state={String(form.get('state'))} />
            </output>
          </FieldShell>
          <MultiSelectField form={form} name="applicationIds" label="Applications covered" options={apps.options} className="span-2" />
          <div className="span-2 stack-fields">
            <TextArea form={form} name="suspensionAction" label="Suspension action" mono rows={3} hint="What suspends access, e.g. switch the vhost to the “suspended” page." />
          </div>
          <AllowedHoursField form={form} />
          <TextArea form={form} name="notes" label="Notes" className="span-4" />
        </div>
      </div>
    </>
  );
}

/** Who hears about this contract (its customer's contacts) and what it covers. */
function ContractRelated({ rec }: { rec: Rec }) {
  const apps = useApplications();
  const q = useApiQuery('contacts.list', { customerId: Number(rec.customerId), limit: 500, sort: 'name' });
  const contacts: Contact[] = q.data?.items ?? [];
  const ids = (rec.applicationIds as number[]) ?? [];
  const reached = contacts.filter((c) => !c.optedOut).length;
  return (
    <>
      <Section title="Applications covered" count={ids.length}>
        {ids.length ? (
          <ul className="link-list">
            {ids.map((id) => (
              <li key={id}>
                <a href={href(`/applications/${id}`)}>{apps.byId.get(id)?.name ?? `#${id}`}</a>
                <span className="muted mono small">{apps.byId.get(id)?.basePath}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">This contract covers no application yet.</p>
        )}
      </Section>
      <Section title="Notices reach" count={reached}>
        {contacts.length ? (
          <ul className="link-list">
            {contacts.map((c) => (
              <li key={c.id}>
                <a href={href(`/contacts/${c.id}`)}>{c.name}</a>
                <span className="muted small">{c.email}</span>
                <span className="spacer" />
                {c.optedOut && <Badge tone="amber">opted out</Badge>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">
            {String(rec.customerName)} has no contact: nobody would be told about maintenance or suspension.{' '}
            <a href={href(`/customers/${String(rec.customerId)}`)}>Add one</a>.
          </p>
        )}
      </Section>
    </>
  );
}

export const contractSpec: EditorSpec = {
  entity: 'contracts',
  schema: ContractFields,
  blank: () => ({
    customerId: undefined,
    reference: '',
    applicationIds: [],
    startDate: todayIso(),
    endDate: addDays(todayIso(), 365),
    graceDays: 15,
    state: 'active',
    suspensionAction: '',
    allowedHours: null,
    notes: '',
  }),
  title: (rec, d) => String(d.reference || rec?.reference || 'New contract'),
  subtitle: (rec) => (
    <>
      Hosting contract of <a href={href(`/customers/${String(rec.customerId)}`)}>{String(rec.customerName)}</a> · {formatDate(String(rec.startDate))} →{' '}
      {formatDate(String(rec.endDate))} <ContractStateBadge state={String(rec.state)} /> ·{' '}
      <a href={href(`/contracts/${rec.id}/lifecycle`)} data-testid="open-lifecycle">
        Lifecycle: reminders, holds, suspensions
      </a>
    </>
  ),
  label: (r) => String(r.reference),
  form: (form, rec) => <ContractForm form={form} rec={rec} />,
  related: (rec) => <ContractRelated rec={rec} />,
};

export function ContractPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={contractSpec} id={id} />;
}
