import { useState } from 'react';
import { SERVER_AUTH, ServerFields, type Placement, type Server } from '../../../../shared/contract/inventory.js';
import { Badge, EnvTag, Section } from '../../components/Bits.js';
import { FilterSelect, type Column } from '../../components/DataTable.js';
import { ListField, NullableTextField, NumberField, SelectField, Segmented, TextArea, TextField } from '../../components/Fields.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { SERVER_PANELS } from '../../panels.js';
import { EntityEditor, type EditorSpec, type Rec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { useEnvironments } from './lookups.js';
import { useApiQuery } from '../../api/queries.js';
import { LastCheck, useServerChecks } from './LastCheck.js';

function Chips({ items }: { items: string[] }) {
  return (
    <span className="chips">
      {items.map((t) => (
        <span className="chip chip-static" key={t}>
          {t}
        </span>
      ))}
    </span>
  );
}

export function ServersScreen() {
  const envs = useEnvironments();
  const checks = useServerChecks();
  const [envFilter, setEnvFilter] = useState('');
  const columns: Column<Server>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (s) => <strong>{s.name}</strong> },
    { key: 'env', label: 'Environment', sort: 'environmentName', render: (s) => {
      const e = s.environmentId ? envs.byId.get(s.environmentId) : undefined;
      return e ? <EnvTag name={e.name} colour={e.colour} /> : <span className="muted">—</span>;
    } },
    { key: 'host', label: 'Address', sort: 'host', render: (s) => <span className="mono">{s.host}{s.port !== 22 ? `:${s.port}` : ''}</span> },
    { key: 'user', label: 'SSH user', sort: 'user', render: (s) => <span className="mono">{s.user}</span> },
    { key: 'auth', label: 'Auth', render: (s) => <Badge>{s.auth}</Badge> },
    { key: 'roles', label: 'Roles', render: (s) => <Chips items={s.roles} /> },
    { key: 'tags', label: 'Tags', render: (s) => <Chips items={s.tags} /> },
    { key: 'check', label: 'Last check', render: (s) => <LastCheck check={checks.get(s.id)} /> },
  ];
  return (
    <EntityList<Server>
      entity="servers"
      columns={columns}
      filters={{ environmentId: envFilter ? Number(envFilter) : undefined }}
      toolbar={
        envs.items.length > 0 && (
          <FilterSelect label="Filter by environment" allLabel="All environments" value={envFilter} options={envs.options} onChange={setEnvFilter} />
        )
      }
    />
  );
}

function ServerForm({ form }: { form: Parameters<EditorSpec['form']>[0] }) {
  const envs = useEnvironments();
  const auth = form.get('auth');
  return (
    <>
      <div className="card">
        <header className="card-head"><h2>Connection</h2></header>
        <div className="card-body grid-2">
          <TextField form={form} name="name" label="Name" placeholder="e.g. web-01" />
          <SelectField form={form} name="environmentId" label="Environment" options={envs.options} nullable="No environment" />
          <TextField form={form} name="host" label="Host" placeholder="e.g. 10.0.0.12 or web-01.example.net" mono />
          <NumberField form={form} name="port" label="SSH port" min={1} max={65535} />
          <TextField form={form} name="user" label="SSH user" placeholder="e.g. deploy" mono />
          <Segmented form={form} name="auth" label="Authentication" options={SERVER_AUTH.map((a) => ({ value: a, label: a === 'agent' ? 'SSH agent' : a === 'key' ? 'Key file' : 'Password' }))} />
          {auth === 'key' && <NullableTextField form={form} name="keyPath" label="Private key file" placeholder="e.g. ~/.ssh/id_ed25519" mono className="span-2" />}
          {auth === 'password' && (
            <p className="field-hint span-2">The password is kept in Puesta’s secret store, never in the inventory or its exports.</p>
          )}
        </div>
      </div>
      <div className="card">
        <header className="card-head"><h2>Roles and tags</h2></header>
        <div className="card-body grid-2">
          <ListField form={form} name="roles" label="Roles" placeholder="web, worker, db…" hint="Checklist steps target hosts by role." />
          <ListField form={form} name="tags" label="Tags" placeholder="eu-west, rack-3…" />
          <TextArea form={form} name="notes" label="Notes" className="span-2" />
        </div>
      </div>
    </>
  );
}

function ServerRelated({ rec }: { rec: Rec }) {
  const q = useApiQuery('placements.list', { serverId: rec.id, limit: 500, sort: 'applicationName' });
  const items: Placement[] = q.data?.items ?? [];
  return (
    <>
      {SERVER_PANELS.map((P, i) => (
        <P key={i} serverId={rec.id} />
      ))}
      <Section title="Applications on this server" count={q.data?.total}>
        {items.length ? (
          <ul className="link-list">
            {items.map((p) => (
              <li key={p.id}>
                <a href={href(`/applications/${p.applicationId}`)}>{p.applicationName}</a>
                <Badge tone="blue">{p.role}</Badge>
                {p.slot && <Badge tone="violet">{p.slot}</Badge>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No application is placed here yet. Add placements from an application’s page.</p>
        )}
      </Section>
    </>
  );
}

export const serverSpec: EditorSpec = {
  entity: 'servers',
  schema: ServerFields,
  blank: () => ({ name: '', host: '', port: 22, user: 'deploy', auth: 'agent', keyPath: null, environmentId: null, roles: [], tags: [], notes: '' }),
  title: (rec, d) => String(d.name || rec?.name || 'New server'),
  subtitle: (rec) => (
    <span className="mono">
      {String(rec.user)}@{String(rec.host)}:{String(rec.port)} · updated {formatDateTime(String(rec.updatedAt))}
    </span>
  ),
  label: (r) => String(r.name),
  deleteNote: (r) => `Placements on “${String(r.name)}” must be removed first.`,
  form: (form) => <ServerForm form={form} />,
  related: (rec) => <ServerRelated rec={rec} />,
};

export function ServerPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={serverSpec} id={id} />;
}

