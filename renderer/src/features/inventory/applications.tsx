import { ApplicationFields, SOURCE_KINDS, STRATEGIES, type Application } from '../../../../shared/contract/inventory.js';
import { Badge, Section } from '../../components/Bits.js';
import type { Column } from '../../components/DataTable.js';
import { CheckField, ListField, NullableTextField, NumberField, SelectField, Segmented, TextArea, TextField } from '../../components/Fields.js';
import { Icon } from '../../components/Icon.js';
import { formatDateTime } from '../../lib/format.js';
import type { Form } from '../../lib/form.js';
import { APPLICATION_PANELS } from '../../panels.js';
import { ContractsPanel } from './contractBits.js';
import { EntityEditor, type Draft, type EditorSpec, type Rec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { PlacementsPanel } from './placements.js';

type F = Form<Draft>;

const STRATEGY_LABEL: Record<string, string> = { symlink: 'symlink', 'blue-green': 'blue-green', ab: 'A/B' };
const SOURCE_LABEL: Record<string, string> = { tarball: 'Tarball', directory: 'Directory', git: 'Git ref', build: 'Local build' };
const SOURCE_HINT: Record<string, string> = {
  tarball: 'A URL or a local path to a .tar.gz of the release.',
  directory: 'A local folder uploaded as the release.',
  git: 'A repository URL and ref, e.g. https://git.example.net/app.git#v2.3.1',
  build: 'A command run on this laptop that produces the release.',
};

export function ApplicationsScreen() {
  const columns: Column<Application>[] = [
    { key: 'name', label: 'Name', sort: 'name', render: (a) => <strong>{a.name}</strong> },
    { key: 'base', label: 'Base path', sort: 'basePath', render: (a) => <span className="mono">{a.basePath}</span> },
    { key: 'user', label: 'Runtime user', sort: 'runtimeUser', render: (a) => <span className="mono">{a.runtimeUser}</span> },
    { key: 'strategy', label: 'Strategy', sort: 'strategy', render: (a) => <Badge tone="violet">{STRATEGY_LABEL[a.strategy]}</Badge> },
    {
      key: 'services',
      label: 'Services',
      render: (a) =>
        a.services.length ? (
          <span className="chips">
            {a.services.map((s) => (
              <span key={s.name} className={'chip chip-static' + (s.kind === 'worker' ? ' chip-worker' : '')}>
                {s.name} ×{s.instances}
              </span>
            ))}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    { key: 'keep', label: 'Keep', align: 'right', render: (a) => a.keepReleases, width: '60px' },
  ];
  return <EntityList<Application> entity="applications" columns={columns} />;
}

function ServicesEditor({ form }: { form: F }) {
  const services = (form.get('services') as Draft[] | undefined) ?? [];
  const setList = (next: Draft[]) => form.set('services', next);
  return (
    <div className="card" id="services">
      <header className="card-head">
        <h2>
          Services <span className="count">{services.length}</span>
        </h2>
        <div className="card-actions">
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setList([...services, { name: services.length ? '' : 'web', kind: services.length ? 'worker' : 'web', command: '', instances: 1 }])}
          >
            <Icon name="plus" size={14} /> Add service
          </button>
        </div>
      </header>
      <div className="card-body">
        {services.length === 0 ? (
          <p className="muted">No service yet. A web service answers requests; workers run background jobs as systemd units, each with an instance count.</p>
        ) : (
          <div className="rows-editor">
            <div className="rows-head services-grid">
              <span>Name</span>
              <span>Kind</span>
              <span>Command</span>
              <span>Instances</span>
              <span />
            </div>
            {services.map((_, i) => (
              <div className="services-grid" key={i} data-testid="service-row">
                <TextField form={form} name={`services.${i}.name`} label={`Service ${i + 1} name`} className="label-hidden" mono placeholder="e.g. web" />
                <SelectField form={form} name={`services.${i}.kind`} label={`Service ${i + 1} kind`} className="label-hidden" options={[{ value: 'web', label: 'web' }, { value: 'worker', label: 'worker' }]} />
                <TextField form={form} name={`services.${i}.command`} label={`Service ${i + 1} command`} className="label-hidden" mono placeholder="e.g. bin/server --port 8080" />
                <NumberField form={form} name={`services.${i}.instances`} label={`Service ${i + 1} instances`} className="label-hidden" min={0} max={64} />
                <button type="button" className="icon-btn" aria-label={`Remove service ${i + 1}`} onClick={() => setList(services.filter((__, j) => j !== i))}>
                  <Icon name="trash" size={14} />
                </button>
              </div>
            ))}
          </div>
        )}
        {form.error('services') && <div className="field-error">{form.error('services')}</div>}
      </div>
    </div>
  );
}

function ApplicationForm({ form }: { form: F }) {
  const sourceKind = String(form.get('sourceKind') ?? 'tarball');
  const hcKind = form.get('healthCheck.kind');
  const hcFrom = form.get('healthCheck.from');
  // the collector's own URL is kept for applications that had one; new ones use the health check
  const ownHealthUrl = String(form.get('monitoring.healthUrl') ?? '') !== '';
  const backup = form.get('backupPolicy.enabled') === true;
  return (
    <>
      <div className="card">
        <header className="card-head"><h2>Release</h2></header>
        <div className="card-body grid-4">
          <TextField form={form} name="name" label="Name" placeholder="e.g. billing-api" className="span-2" />
          <TextField form={form} name="runtimeUser" label="Runtime user" placeholder="e.g. billing" mono hint="Services run as this user." />
          <NumberField form={form} name="keepReleases" label="Releases to keep" min={1} max={100} hint="Older ones are pruned." />
          <TextField form={form} name="basePath" label="Base path" placeholder="e.g. /srv/billing" mono className="span-2" hint="Holds releases/, shared/ and the current link." />
          <Segmented form={form} name="strategy" label="Switch strategy" options={STRATEGIES.map((k) => ({ value: k, label: STRATEGY_LABEL[k]! }))} className="span-2" />
          <SelectField form={form} name="sourceKind" label="Release source" options={SOURCE_KINDS.map((k) => ({ value: k, label: SOURCE_LABEL[k]! }))} className="span-2" />
          <TextField form={form} name="source" label="Source" mono className="span-2" hint={SOURCE_HINT[sourceKind]} />
        </div>
      </div>
      <ServicesEditor form={form} />
      <div className="card">
        <header className="card-head"><h2>Health check</h2></header>
        <div className="card-body grid-4">
          <Segmented form={form} name="healthCheck.kind" label="Kind" options={[{ value: 'http', label: 'HTTP' }, { value: 'command', label: 'Command' }]} className="span-2" />
          {hcKind !== 'command' ? <NumberField form={form} name="healthCheck.expectStatus" label="Expected status" min={0} max={599} /> : <div />}
          <NumberField form={form} name="healthCheck.timeoutSeconds" label="Timeout (s)" min={1} max={3600} />
          {hcKind !== 'command' && (
            <Segmented
              form={form}
              name="healthCheck.from"
              label="Runs"
              options={[
                { value: 'puesta', label: 'From Puesta' },
                { value: 'host', label: 'On the host' },
              ]}
              className="span-4"
            />
          )}
          <TextField
            form={form}
            name="healthCheck.target"
            label={hcKind === 'command' ? 'Command' : 'URL'}
            mono
            className="span-4"
            placeholder={hcKind === 'command' ? 'curl -fsS localhost:8080/health' : hcFrom === 'host' ? 'http://127.0.0.1:8080/health' : 'http://{{host.address}}:8080/health'}
            hint={
              hcKind === 'command'
                ? 'Runs on each host after the switch; exit 0 passes.'
                : hcFrom === 'host'
                  ? 'Fetched on each host with curl (the port need not be open to the outside). The statistics collector checks it too.'
                  : 'Fetched from this computer: {{host.address}} is each host’s address. The statistics collector checks it from the host too.'
            }
          />
        </div>
      </div>
      <div className="card">
        <header className="card-head"><h2>Shared between releases</h2></header>
        <div className="card-body grid-2">
          <ListField form={form} name="sharedDirs" label="Directories" placeholder="storage, uploads…" mono hint="Relative to the base path; linked into every release." />
          <ListField form={form} name="sharedFiles" label="Files" placeholder=".env, config/app.yml…" mono />
        </div>
      </div>
      <div className="card">
        <header className="card-head"><h2>Log rotation</h2></header>
        <div className="card-body grid-4">
          <SelectField form={form} name="logRotation.frequency" label="Frequency" options={['daily', 'weekly', 'monthly'].map((f) => ({ value: f, label: f }))} />
          <NumberField form={form} name="logRotation.keep" label="Keep (files)" min={1} max={365} />
          <NullableTextField form={form} name="logRotation.maxSize" label="Max size" placeholder="e.g. 100M" mono />
          <div className="checks">
            <CheckField form={form} name="logRotation.compress" label="Compress" />
            <CheckField form={form} name="logRotation.copyTruncate" label="Copy and truncate" />
          </div>
        </div>
      </div>
      <div className="card">
        <header className="card-head">
          <h2>Backups</h2>
          <div className="card-actions">
            <CheckField form={form} name="backupPolicy.enabled" label="Back up this application" />
          </div>
        </header>
        {backup ? (
          <div className="card-body grid-4">
            <ListField form={form} name="backupPolicy.paths" label="Paths" placeholder="e.g. shared/uploads" mono className="span-2" />
            <TextField form={form} name="backupPolicy.schedule" label="Schedule" placeholder="e.g. daily" />
            <NumberField form={form} name="backupPolicy.retentionDays" label="Retention (days)" min={1} max={3650} />
            <TextField form={form} name="backupPolicy.target" label="Target" placeholder="/backup/billing or s3://…" mono className="span-3" />
            <CheckField form={form} name="backupPolicy.databaseDump" label="Dump the database too" />
          </div>
        ) : (
          <div className="card-body">
            <p className="muted">No backup is installed for this application.</p>
          </div>
        )}
      </div>
      <div className="card">
        <header className="card-head"><h2>Monitoring and notes</h2></header>
        <div className="card-body grid-2">
          {ownHealthUrl && (
            <TextField
              form={form}
              name="monitoring.healthUrl"
              label="Health endpoint (collector)"
              mono
              hint="Checked on the host by the statistics collector instead of the health check's URL: clear it to use the health check."
            />
          )}
          <TextField form={form} name="monitoring.metricsUrl" label="Metrics endpoint" mono placeholder="e.g. http://127.0.0.1:9100/metrics" />
          <TextArea form={form} name="notes" label="Notes" className="span-2" />
        </div>
      </div>
    </>
  );
}

function ServicesSummary({ rec }: { rec: Rec }) {
  const services = (rec.services as Application['services']) ?? [];
  return (
    <Section title="Services" count={services.length}>
      {services.length ? (
        <ul className="link-list">
          {services.map((s) => (
            <li key={s.name}>
              <strong className="mono">{s.name}</strong>
              <Badge tone={s.kind === 'web' ? 'green' : 'blue'}>{s.kind}</Badge>
              <span className="spacer" />
              <span className="muted">×{s.instances}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None declared. Add them in the Services card.</p>
      )}
    </Section>
  );
}

export const applicationSpec: EditorSpec = {
  entity: 'applications',
  schema: ApplicationFields,
  blank: () => ({
    name: '',
    runtimeUser: '',
    basePath: '',
    sourceKind: 'tarball',
    source: '',
    keepReleases: 5,
    sharedDirs: [],
    sharedFiles: [],
    strategy: 'symlink',
    healthCheck: { kind: 'http', from: 'puesta', target: '', expectStatus: 200, timeoutSeconds: 30 },
    services: [],
    logRotation: { frequency: 'daily', maxSize: null, keep: 14, compress: true, copyTruncate: true },
    backupPolicy: { enabled: false, paths: [], databaseDump: false, schedule: 'daily', retentionDays: 14, target: '' },
    monitoring: { healthUrl: '', metricsUrl: '' },
    notes: '',
  }),
  title: (rec, d) => String(d.name || rec?.name || 'New application'),
  subtitle: (rec) => (
    <>
      <span className="mono">{String(rec.basePath)}</span> · runs as <span className="mono">{String(rec.runtimeUser)}</span> · {STRATEGY_LABEL[String(rec.strategy)]} · updated{' '}
      {formatDateTime(String(rec.updatedAt))}
    </>
  ),
  label: (r) => String(r.name),
  deleteNote: (r) => `Its placements and the contracts that cover “${String(r.name)}” must be removed first.`,
  form: (form) => <ApplicationForm form={form} />,
  related: (rec) => (
    <>
      {APPLICATION_PANELS.map((P, i) => (
        <P key={i} applicationId={rec.id} />
      ))}
      <PlacementsPanel applicationId={rec.id} />
      <ServicesSummary rec={rec} />
      <ContractsPanel filter={{ applicationId: rec.id }} title="Contracts covering it" newLabel="Contract" detail={(c) => <span className="muted">{c.customerName}</span>} empty="No contract covers this application." />
    </>
  ),
};

export function ApplicationPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={applicationSpec} id={id} />;
}
