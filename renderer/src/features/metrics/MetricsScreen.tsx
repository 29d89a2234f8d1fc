/**
 * Delivery metrics: the four DORA keys from the runs this Puesta recorded — tiles with their band
 * and trend, a chart per key over the ISO weeks of the period, filters, the runs behind a point,
 * a CSV of the weeks and the note of what the figures cover.
 */
import { useMemo, useState } from 'react';
import type { MetricKey, MetricsSummary } from '../../../../shared/contract/metrics.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge, ErrorBox, PageHeader, Section, Spinner } from '../../components/Bits.js';
import { FilterSelect } from '../../components/DataTable.js';
import { Icon } from '../../components/Icon.js';
import { addDays, formatDateTime, todayIso } from '../../lib/format.js';
import { useApplications, useEnvironments } from '../inventory/lookups.js';
import { download } from '../transfer/TransferScreen.js';
import { Chart } from './Chart.js';
import { DrillDown } from './DrillDown.js';
import { ProductionSettings } from './ProductionSettings.js';
import { chartOf, csvOf, tilesOf, type Tile } from './view.js';

const PERIODS = [
  { weeks: 4, label: 'Last 4 weeks' },
  { weeks: 12, label: 'Last 12 weeks' },
  { weeks: 26, label: 'Last 26 weeks' },
  { weeks: 52, label: 'Last 52 weeks' },
  { weeks: 260, label: 'Last 5 years' },
] as const;

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function TileCard({ tile, active, onSelect }: { tile: Tile; active: boolean; onSelect: () => void }) {
  const { direction } = tile.trend;
  const tone = direction === 'better' ? 'green' : direction === 'worse' ? 'red' : 'neutral';
  const arrow = direction === 'better' ? '▲' : direction === 'worse' ? '▼' : '•';
  return (
    <button type="button" className={`stat metric-tile${active ? ' active' : ''}`} onClick={onSelect} data-testid={`tile-${tile.key}`} aria-pressed={active}>
      <span className="stat-label">{tile.title}</span>
      <span className="stat-value" data-testid={`tile-${tile.key}-value`}>
        {tile.value}
      </span>
      <span className="small muted">{tile.detail}</span>
      <span className="metric-tile-foot">
        <Badge tone="blue" title="DORA performance band">
          {tile.band}
        </Badge>
        {direction !== 'none' && (
          <Badge tone={tone} title="Against the period of the same length just before">
            {arrow} {direction} (was {tile.previous})
          </Badge>
        )}
      </span>
    </button>
  );
}

function CoverNote({ s }: { s: MetricsSummary }) {
  const c = s.cover;
  const envs = c.productionEnvironments.map((e) => e.name).join(', ') || 'none';
  return (
    <p className="small muted" data-testid="metrics-cover">
      These figures cover the {c.runs} finished run{c.runs === 1 ? '' : 's'} recorded in this Puesta in {envs} from {c.from} to {c.to}
      {c.firstRunAt && c.lastRunAt ? ` (first ${formatDateTime(c.firstRunAt)}, last ${formatDateTime(c.lastRunAt)})` : ''}, in ISO weeks of {c.timeZone}. A
      deployment is an install or upgrade that switched production to its release and passed its checks, or that the health gate put back; rollbacks are
      counted apart. A deployment failed when, within {c.failureWindowHours} h, the health gate switched a host back, a rollback left its release, a later
      run was marked as its fix, or an incident was linked to it (outside planned maintenance windows). Lead time counts the commits Puesta read when a
      release was deployed (from git on the host or in the application's local clone, or the archive's puesta-release.json); runs made outside Puesta are not here.
    </p>
  );
}

export function MetricsScreen() {
  const apps = useApplications();
  const envs = useEnvironments();
  const settings = useApiQuery('metrics.settings.get', {});
  const [appId, setAppId] = useState('');
  const [envId, setEnvId] = useState('');
  const [weeks, setWeeks] = useState<number>(12);
  const [drill, setDrill] = useState<{ key: MetricKey; week?: string } | null>(null);
  const to = todayIso();
  const filter = useMemo(
    () => ({
      from: addDays(to, -weeks * 7 + 1),
      to,
      timeZone: ZONE,
      ...(appId ? { applicationId: Number(appId) } : {}),
      ...(envId ? { environmentId: Number(envId) } : {}),
    }),
    [to, weeks, appId, envId],
  );
  const q = useApiQuery('metrics.summary', filter);
  const s = q.data;
  const tiles = useMemo(() => (s ? tilesOf(s) : []), [s]);
  const charts = useMemo(() => (s ? tiles.map((t) => ({ tile: t, option: chartOf(t.key, s.weeks) })) : []), [s, tiles]);
  const prodIds = new Set(settings.data?.productionEnvironmentIds ?? []);
  const envOptions = envs.options.filter((o) => prodIds.has(o.value));

  const toolbar = (
    <div className="toolbar">
      <FilterSelect label="Application" allLabel="All applications" value={appId} options={apps.options} onChange={setAppId} />
      <FilterSelect label="Environment" allLabel="All production environments" value={envId} options={envOptions} onChange={setEnvId} />
      <select className="toolbar-select" aria-label="Period" value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
        {PERIODS.map((p) => (
          <option key={p.weeks} value={p.weeks}>
            {p.label}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-small" disabled={!s} onClick={() => s && download(`puesta-metrics-${s.cover.from}-to-${s.cover.to}.csv`, csvOf(s), 'text/csv')} data-testid="metrics-csv">
        <Icon name="download" size={14} /> CSV
      </button>
    </div>
  );

  return (
    <div className="page" data-testid="metrics">
      <PageHeader icon="chart" title="Delivery metrics" subtitle="Deployment frequency, lead time, change failure rate and recovery time, from the run history" />
      {toolbar}
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      {!s && !q.error && <Spinner />}
      {s && (
        <>
          <div className="grid-4 metric-tiles">
            {tiles.map((t) => (
              <TileCard key={t.key} tile={t} active={drill?.key === t.key} onSelect={() => setDrill({ key: t.key })} />
            ))}
          </div>
          <div className="grid-2">
            {charts.map(({ tile, option }) => (
              <Section key={tile.key} title={tile.title}>
                <div data-testid={`chart-${tile.key}`}>
                  <Chart label={`${tile.title} per ISO week`} option={option} onPoint={(i) => setDrill({ key: tile.key, week: s.weeks[i]!.week })} />
                </div>
              </Section>
            ))}
          </div>
          {drill && <DrillDown filter={filter} drill={drill} onClose={() => setDrill(null)} />}
          <CoverNote s={s} />
          <ProductionSettings />
        </>
      )}
    </div>
  );
}
