import type { MetricsSettings, metricsMethods, MetricsSummary } from '../../../shared/contract/metrics.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { refreshAnalysis } from './lanes.js';
import {
  addIncident,
  applicationNames,
  coverOf,
  deployedApplications,
  environmentNames,
  fixOf,
  getIncident,
  listIncidents,
  readDeploys,
  readFold,
  readSettings,
  removeIncident,
  runBasics,
  runLabels,
  saveSettings,
  setFix,
  type Scope,
} from './metrics-store.js';
import { behind, previousPeriod, summarise, type Period } from './summary.js';
import { addDays, parseDay, zoneOf } from './weeks.js';

type MetricsMethod = keyof typeof metricsMethods;

interface Filter {
  applicationId?: number | undefined;
  environmentId?: number | undefined;
  from: string;
  to: string;
  timeZone: string;
}

/** The filter's scope and period, once the analysed rows are up to date; `startMs` of a day, `endMs` of the period. */
function prepare(core: Core, f: Filter): { settings: MetricsSettings; scope: Scope; period: Period; startMs: (day: string) => number; endMs: number } {
  if (f.to < f.from) throw new PuestaError('INVALID_INPUT', 'The period ends before it starts.', { field: 'to' });
  const settings = readSettings(core);
  refreshAnalysis(core, settings.failureWindowHours);
  const scope: Scope = { environmentIds: f.environmentId ? [f.environmentId] : settings.productionEnvironmentIds, applicationId: f.applicationId };
  const zone = zoneOf(f.timeZone);
  return { settings, scope, period: { from: f.from, to: f.to, zone }, startMs: (day) => zone.midnight(parseDay(day)), endMs: zone.midnight(addDays(parseDay(f.to), 1)) };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The summary of a filter (also what the benchmark times). */
export function metricsSummary(core: Core, f: Filter): MetricsSummary {
  const { settings, scope, period, startMs, endMs } = prepare(core, f);
  const names = applicationNames(core);
  // the period and the one before it (the trends), as index ranges
  const items = readFold(core, scope, startMs(previousPeriod(period).from), endMs);
  const figures = summarise(items, period, deployedApplications(core, scope), (id) => names.get(id) ?? `#${id}`);
  const cover = coverOf(core, scope, startMs(f.from), endMs);
  return {
    cover: {
      from: f.from,
      to: f.to,
      timeZone: f.timeZone,
      productionEnvironments: environmentNames(core, scope.environmentIds),
      runs: cover.runs,
      firstRunAt: iso(cover.firstMs),
      lastRunAt: iso(cover.lastMs),
      failureWindowHours: settings.failureWindowHours,
    },
    ...figures,
  };
}

export const metricsHandlers: Handlers<MetricsMethod> = {
  'metrics.summary': (core, input) => metricsSummary(core, input),
  'metrics.runs': (core, input) => {
    const { scope, period, startMs, endMs } = prepare(core, input);
    const rows = behind(readDeploys(core, scope, startMs(input.from), endMs), period, input.key, input.week);
    const labels = runLabels(core, rows.map((r) => r.runId));
    return { items: rows.map((r) => ({ ...r, ...labels.get(r.runId)! })) };
  },
  'metrics.settings.get': (core) => readSettings(core),
  'metrics.settings.set': (core, input) => {
    const before = readSettings(core);
    if (environmentNames(core, input.productionEnvironmentIds).length !== new Set(input.productionEnvironmentIds).size) {
      throw new PuestaError('INVALID_INPUT', 'One of the production environments does not exist.', { field: 'productionEnvironmentIds' });
    }
    const apps = applicationNames(core);
    const cloned = input.localClones.map((c) => c.applicationId);
    if (cloned.some((id) => !apps.has(id)) || new Set(cloned).size !== cloned.length) {
      throw new PuestaError('INVALID_INPUT', 'Each local clone must name an existing application, at most one clone per application.', { field: 'localClones' });
    }
    core.tx(() => {
      saveSettings(core, input);
      core.audit.write(core.operator(), 'update', 'metrics.settings', null, before, input);
    });
    return readSettings(core);
  },
  'metrics.incidents.list': (core, { runId }) => ({ items: listIncidents(core, runId) }),
  'metrics.incidents.add': (core, input) => {
    runBasics(core, input.runId);
    const id = core.tx(() => {
      const n = addIncident(core, input, core.operator());
      core.audit.write(core.operator(), 'create', 'metric_incidents', n, null, input);
      return n;
    });
    return getIncident(core, id);
  },
  'metrics.incidents.remove': (core, { id }) => {
    const before = getIncident(core, id);
    core.tx(() => {
      removeIncident(core, id);
      core.audit.write(core.operator(), 'delete', 'metric_incidents', id, before, null);
    });
    return { ok: true as const };
  },
  'metrics.fixFor.set': (core, { runId, fixesRunId }) => {
    const run = runBasics(core, runId);
    if (fixesRunId !== null) {
      const target = runBasics(core, fixesRunId);
      if (fixesRunId === runId || target.applicationId !== run.applicationId || target.startedAt >= run.startedAt) {
        throw new PuestaError('INVALID_INPUT', 'A run can only be the fix for an earlier run of the same application.', { field: 'fixesRunId' });
      }
    }
    const before = fixOf(core, runId);
    core.tx(() => {
      setFix(core, runId, fixesRunId);
      core.audit.write(core.operator(), 'update', 'metric_fixes', runId, { fixesRunId: before }, { fixesRunId });
    });
    return { runId, fixesRunId };
  },
};
