import { CustomerFields, type Customer } from '../../../../shared/contract/inventory.js';
import type { Column } from '../../components/DataTable.js';
import { FieldShell, TextArea, TextField } from '../../components/Fields.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import type { Form } from '../../lib/form.js';
import { ContactsPanel } from './contacts.js';
import { ContractsPanel } from './contractBits.js';
import { EntityEditor, type Draft, type EditorSpec, type Rec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';

function localTime(tz: string): string {
  try {
    return new Date().toLocaleTimeString(undefined, { timeZone: tz, hour: '2-digit', minute: '2-digit' });
  } catch {
    return '';
  }
}

const columns: Column<Customer>[] = [
  { key: 'name', label: 'Name', sort: 'name', render: (c) => <strong>{c.name}</strong> },
  { key: 'tz', label: 'Time zone', sort: 'timezone', render: (c) => <span>{c.timezone} <span className="muted small">· {localTime(c.timezone)} now</span></span> },
  { key: 'lang', label: 'Language', sort: 'language', render: (c) => <span className="mono">{c.language}</span>, width: '100px' },
  { key: 'notes', label: 'Notes', render: (c) => <span className="muted ellipsis">{c.notes}</span> },
];

export function CustomersScreen() {
  return <EntityList<Customer> entity="customers" columns={columns} />;
}

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/Madrid', 'Europe/London', 'America/New_York'];
  }
})();

function TimeZoneField({ form }: { form: Form<Draft> }) {
  const v = String(form.get('timezone') ?? '');
  return (
    <FieldShell id="cust-tz" label="Time zone" error={form.error('timezone')} hint={v && !form.error('timezone') ? `It is ${localTime(v)} there now. Notices show times in this zone.` : 'An IANA zone, e.g. Europe/Madrid.'}>
      <input id="cust-tz" name="timezone" list="tz-list" value={v} onChange={(e) => form.set('timezone', e.target.value)} />
      <datalist id="tz-list">
        {ZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </FieldShell>
  );
}

export const customerSpec: EditorSpec = {
  entity: 'customers',
  schema: CustomerFields,
  blank: () => ({ name: '', timezone: 'UTC', language: 'en', notes: '' }),
  title: (rec, d) => String(d.name || rec?.name || 'New customer'),
  subtitle: (rec) => `${String(rec.timezone)} · ${String(rec.language)} · updated ${formatDateTime(String(rec.updatedAt))}`,
  label: (r) => String(r.name),
  deleteNote: (r) => `Contacts and contracts of “${String(r.name)}” must be removed first.`,
  layout: 'stack',
  form: (form) => (
    <div className="card">
      <div className="card-body grid-4">
        <TextField form={form} name="name" label="Name" placeholder="e.g. Acme Logistics" className="span-2" />
        <TimeZoneField form={form} />
        <TextField form={form} name="language" label="Language" placeholder="en, es-ES…" hint="Notices are written in this language." />
        <TextArea form={form} name="notes" label="Notes" className="span-4" rows={2} />
      </div>
    </div>
  ),
  related: (rec: Rec) => <ContactsPanel customerId={rec.id} />,
  relatedSide: (rec: Rec) => (
    <ContractsPanel filter={{ customerId: rec.id }} title="Contracts" newLabel="New contract" newTestId="add-contract" detail={(c) => <span className="muted small">{formatDate(c.endDate)}</span>} empty="No hosting contract for this customer." />
  ),
};

export function CustomerPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={customerSpec} id={id} />;
}
