import { useState } from 'react';
import { PLACEMENT_ROLES, PlacementFields, type Placement } from '../../../../shared/contract/inventory.js';
import { useApi } from '../../api/context.js';
import { Badge, EnvTag, Section } from '../../components/Bits.js';
import type { Column } from '../../components/DataTable.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { SelectField, Segmented } from '../../components/Fields.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { apiErrorToFields, errorMessage, useForm } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { EntityEditor, type Draft, type EditorSpec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { useApplications, useEnvironments, useServers } from './lookups.js';
import { useApiQuery } from '../../api/queries.js';

const ROLE_OPTIONS = PLACEMENT_ROLES.map((r) => ({ value: r, label: r }));
const SLOT_OPTIONS = [
  { value: 'blue', label: 'blue' },
  { value: 'green', label: 'green' },
];

export function PlacementsScreen() {
  const servers = useServers();
  const envs = useEnvironments();
  const columns: Column<Placement>[] = [
    { key: 'app', label: 'Application', sort: 'applicationName', render: (p) => <strong>{p.applicationName}</strong> },
    { key: 'server', label: 'Server', sort: 'serverName', render: (p) => p.serverName },
    {
      key: 'env',
      label: 'Environment',
      render: (p) => {
        const s = servers.byId.get(p.serverId);
        const e = s?.environmentId ? envs.byId.get(s.environmentId) : undefined;
        return e ? <EnvTag name={e.name} colour={e.colour} /> : <span className="muted">—</span>;
      },
    },
    { key: 'role', label: 'Role', sort: 'role', render: (p) => <Badge tone="blue">{p.role}</Badge> },
    { key: 'slot', label: 'Slot', render: (p) => (p.slot ? <Badge tone="violet">{p.slot}</Badge> : <span className="muted">—</span>) },
  ];
  return <EntityList<Placement> entity="placements" columns={columns} defaultSort={{ sort: 'name', desc: false }} />;
}

function PlacementForm({ form }: { form: Parameters<EditorSpec['form']>[0] }) {
  const apps = useApplications();
  const servers = useServers();
  return (
    <div className="card">
      <div className="card-body grid-2">
        <SelectField form={form} name="applicationId" label="Application" options={apps.options} placeholder="Choose an application…" />
        <SelectField form={form} name="serverId" label="Server" options={servers.options} placeholder="Choose a server…" />
        <Segmented form={form} name="role" label="Role" options={ROLE_OPTIONS} />
        <SelectField form={form} name="slot" label="Live slot" options={SLOT_OPTIONS} nullable="No slot" hint="Blue-green and A/B only. Puesta sets it to the slot the proxy serves after every switch or read-back; a value typed here is overwritten." />
      </div>
    </div>
  );
}

export const placementSpec: EditorSpec = {
  entity: 'placements',
  schema: PlacementFields,
  blank: () => ({ applicationId: undefined, serverId: undefined, role: 'web', slot: null }),
  title: (rec) => (rec ? `${String(rec.applicationName)} on ${String(rec.serverName)}` : 'New placement'),
  subtitle: (rec) => (
    <>
      Placement · <a href={href(`/applications/${String(rec.applicationId)}`)}>application</a> · <a href={href(`/servers/${String(rec.serverId)}`)}>server</a>
    </>
  ),
  label: (r) => `${String(r.applicationName)} on ${String(r.serverName)} (${String(r.role)})`,
  form: (form) => <PlacementForm form={form} />,
};

export function PlacementPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={placementSpec} id={id} />;
}

/** The placements of one application, with add and remove in place (the application page). */
export function PlacementsPanel({ applicationId }: { applicationId: number }) {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('placements.list', { applicationId, limit: 500, sort: 'serverName' });
  const servers = useServers();
  const envs = useEnvironments();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Placement | null>(null);
  const form = useForm<Draft>(PlacementFields, { applicationId, serverId: undefined, role: 'web', slot: null });
  const items: Placement[] = q.data?.items ?? [];

  const add = async () => {
    const data = form.validate();
    if (!data) return;
    try {
      const p = await api.call('placements.create', data as never);
      toast.success(`Placed on ${p.serverName} as ${p.role}.`);
      form.reset({ applicationId, serverId: undefined, role: data.role, slot: null });
      setAdding(false);
    } catch (e) {
      const f = apiErrorToFields(e);
      if (f) form.setErrors(f);
      toast.error(errorMessage(e));
    }
  };

  return (
    <Section
      title="Placements"
      count={q.data?.total}
      actions={
        !adding && (
          <button className="btn btn-small" onClick={() => setAdding(true)} data-testid="add-placement">
            <Icon name="plus" size={14} /> Place on a server
          </button>
        )
      }
    >
      {items.length > 0 && (
        <table className="table table-inner" data-testid="placements-of-app">
          <tbody>
            {items.map((p) => {
              const s = servers.byId.get(p.serverId);
              const e = s?.environmentId ? envs.byId.get(s.environmentId) : undefined;
              return (
                <tr key={p.id}>
                  <td className="placement-server">
                    <a href={href(`/servers/${p.serverId}`)}>{p.serverName}</a>
                    {s && <div className="muted mono small">{s.host}</div>}
                  </td>
                  <td>{e ? <EnvTag name={e.name} colour={e.colour} /> : null}</td>
                  <td className="placement-badges">
                    <Badge tone="blue">{p.role}</Badge> {p.slot && <Badge tone="violet">{p.slot}</Badge>}
                  </td>
                  <td className="row-actions">
                    <button className="icon-btn" aria-label={`Remove placement on ${p.serverName}`} title="Remove this placement" onClick={() => setRemoving(p)}>
                      <Icon name="trash" size={14} />
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {!items.length && !adding && <p className="muted">This application is not placed on any server yet. Place it to deploy it there.</p>}
      {adding && (
        <div className="inline-form" data-testid="placement-form">
          <SelectField form={form} name="serverId" label="Server" options={servers.options} placeholder="Choose a server…" />
          <Segmented form={form} name="role" label="Role" options={ROLE_OPTIONS} />
          <SelectField form={form} name="slot" label="Live slot" options={SLOT_OPTIONS} nullable="No slot" hint="Set by Puesta after each switch." />
          <div className="inline-actions">
            <button className="btn" onClick={() => setAdding(false)}>
              Cancel
            </button>
            <button className="btn btn-primary" onClick={() => void add()}>
              Add placement
            </button>
          </div>
        </div>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove placement on “${removing.serverName}”?`}
          body={<p>{removing.applicationName} will no longer be deployed to {removing.serverName} as {removing.role}. Nothing is changed on the server itself.</p>}
          confirmLabel="Remove placement"
          danger
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.call('placements.delete', { id: removing.id });
            toast.success(`Removed the placement on ${removing.serverName}.`);
          }}
        />
      )}
    </Section>
  );
}
