import { EnvironmentFields, type Environment, type Server } from '../../../../shared/contract/inventory.js';
import { Badge, EnvTag, Section } from '../../components/Bits.js';
import type { Column } from '../../components/DataTable.js';
import { CheckField, FieldShell, TextArea, TextField } from '../../components/Fields.js';
import { formatDateTime } from '../../lib/format.js';
import type { Form } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { EntityEditor, type Draft, type EditorSpec, type Rec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { useApiQuery } from '../../api/queries.js';

const PALETTE = ['#dc2626', '#ea580c', '#d97706', '#16a34a', '#0d9488', '#2563eb', '#7c3aed', '#db2777', '#64748b'];

const columns: Column<Environment>[] = [
  { key: 'name', label: 'Name', sort: 'name', render: (e) => <EnvTag name={e.name} colour={e.colour} /> },
  { key: 'confirm', label: 'Runs', render: (e) => (e.confirmRuns ? <Badge tone="amber">second confirmation</Badge> : <span className="muted">direct</span>) },
  { key: 'notes', label: 'Notes', render: (e) => <span className="muted ellipsis">{e.notes}</span> },
  { key: 'updated', label: 'Updated', sort: 'updatedAt', render: (e) => <span className="muted nowrap">{formatDateTime(e.updatedAt)}</span>, width: '170px' },
];

export function EnvironmentsScreen() {
  return <EntityList<Environment> entity="environments" columns={columns} />;
}

function ColourField({ form }: { form: Form<Draft> }) {
  const v = String(form.get('colour') ?? '#3b82f6');
  return (
    <FieldShell id="env-colour" label="Colour" error={form.error('colour')} hint="Shown on every server, run and window of this environment.">
      <div className="colour-row">
        <input id="env-colour" type="color" value={/^#[0-9a-f]{6}$/i.test(v) ? v : '#3b82f6'} onChange={(e) => form.set('colour', e.target.value)} aria-label="Pick a colour" />
        <input className="mono colour-text" name="colour" value={v} onChange={(e) => form.set('colour', e.target.value)} />
        <div className="swatches">
          {PALETTE.map((c) => (
            <button type="button" key={c} className={'swatch' + (c === v ? ' on' : '')} style={{ background: c }} aria-label={`Use ${c}`} onClick={() => form.set('colour', c)} />
          ))}
        </div>
      </div>
    </FieldShell>
  );
}

function EnvironmentServers({ env }: { env: Rec }) {
  const q = useApiQuery('servers.list', { environmentId: env.id, limit: 200, sort: 'name' });
  const items: Server[] = q.data?.items ?? [];
  return (
    <Section title="Servers" count={q.data?.total}>
      {items.length ? (
        <ul className="link-list">
          {items.map((s) => (
            <li key={s.id}>
              <a href={href(`/servers/${s.id}`)}>{s.name}</a>
              <span className="muted mono small">{s.host}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No server is in this environment yet. Pick it in a server’s form.</p>
      )}
    </Section>
  );
}

export const environmentSpec: EditorSpec = {
  entity: 'environments',
  schema: EnvironmentFields,
  blank: () => ({ name: '', colour: '#2563eb', confirmRuns: false, notes: '' }),
  title: (rec, d) => (d.name ? <EnvTag name={String(d.name)} colour={String(d.colour)} /> : rec ? String(rec.name) : 'New environment'),
  subtitle: (rec) => `Environment · updated ${formatDateTime(String(rec.updatedAt))}`,
  label: (r) => String(r.name),
  deleteNote: (r) => `Servers must leave “${String(r.name)}” first.`,
  form: (form) => (
    <div className="card">
      <div className="card-body grid-2">
        <TextField form={form} name="name" label="Name" placeholder="e.g. production" />
        <ColourField form={form} />
        <CheckField
          form={form}
          name="confirmRuns"
          label="Runs need a second confirmation"
          hint="Before a run touches this environment, the operator types its name."
          className="span-2"
        />
        <TextArea form={form} name="notes" label="Notes" className="span-2" />
      </div>
    </div>
  ),
  related: (rec) => <EnvironmentServers env={rec} />,
};

export function EnvironmentPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={environmentSpec} id={id} />;
}
