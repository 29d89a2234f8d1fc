/** What the metrics screen shows, as pure functions: labels, durations, chart options and the CSV. */
import type { MetricKey, MetricsSummary, WeekPoint } from '../../../../shared/contract/metrics.js';
import type { ChartOption } from './Chart.js';

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export const formatRate = (r: number | null): string => (r === null ? '–' : `${(r * 100).toFixed(1)} %`);

const DURATION_BANDS: Record<string, string> = {
  hour: 'Less than one hour',
  day: 'Less than one day',
  week: 'Less than one week',
  month: 'Less than one month',
  'six months': 'Less than six months',
  longer: 'Six months or more',
};
const FREQUENCY_BANDS: Record<string, string> = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly', yearly: 'Yearly' };

export interface Tile {
  key: MetricKey;
  title: string;
  value: string;
  detail: string;
  band: string;
  trend: MetricsSummary['leadTime']['trend'];
  previous: string;
}

/** The four tiles: value, what it counts, DORA band and the trend against the period before. */
export function tilesOf(s: MetricsSummary): Tile[] {
  const f = s.frequency;
  const l = s.leadTime;
  const c = s.changeFailure;
  const r = s.recovery;
  const perWeek = (n: number | null) => (n === null ? '–' : `${n.toFixed(n < 10 ? 2 : 1)} / week`);
  return [
    {
      key: 'frequency',
      title: 'Deployment frequency',
      value: perWeek(f.perWeek),
      detail: `${f.deployments} deployment${f.deployments === 1 ? '' : 's'}, ${f.rollbacks} rollback${f.rollbacks === 1 ? '' : 's'} apart`,
      band: f.bucket ? FREQUENCY_BANDS[f.bucket]! : 'No deployments',
      trend: f.trend,
      previous: perWeek(f.trend.previous),
    },
    {
      key: 'leadTime',
      title: 'Lead time for changes',
      value: formatDuration(l.medianSeconds),
      detail: `median of ${l.count} commit${l.count === 1 ? '' : 's'}; p90 ${formatDuration(l.p90Seconds)}`,
      band: l.bucket ? DURATION_BANDS[l.bucket]! : 'No commits recorded',
      trend: l.trend,
      previous: formatDuration(l.trend.previous),
    },
    {
      key: 'changeFailure',
      title: 'Change failure rate',
      value: formatRate(c.rate),
      detail: `${c.failed} of ${c.deployments} deployment${c.deployments === 1 ? '' : 's'} failed`,
      band: c.bucket ?? 'No deployments',
      trend: c.trend,
      previous: formatRate(c.trend.previous),
    },
    {
      key: 'recovery',
      title: 'Failed deployment recovery time',
      value: formatDuration(r.medianSeconds),
      detail: `median of ${r.count}, ${r.exact} exact; p90 ${formatDuration(r.p90Seconds)}`,
      band: r.bucket ? DURATION_BANDS[r.bucket]! : 'No recoveries',
      trend: r.trend,
      previous: formatDuration(r.trend.previous),
    },
  ];
}

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 100) / 100);

// greys that read on the light and the dark theme alike
const INK = '#8b93a3';
const RULE = 'rgba(128, 128, 128, 0.22)';

/** A value axis in the screen's greys. */
const valueAxis = (o: { name?: string; max?: number; unit?: string; minInterval?: number } = {}) => ({
  type: 'value' as const,
  ...(o.name ? { name: o.name, nameTextStyle: { fontSize: 10, color: INK } } : {}),
  ...(o.max !== undefined ? { max: o.max } : {}),
  ...(o.minInterval !== undefined ? { minInterval: o.minInterval } : {}),
  axisLabel: { color: INK, ...(o.unit ? { formatter: `{value}${o.unit}` } : {}) },
  splitLine: { lineStyle: { color: RULE } },
});

/** The chart of a key over the period's weeks. */
export function chartOf(key: MetricKey, weeks: readonly WeekPoint[]): ChartOption {
  const x = weeks.map((w) => w.week);
  const base: ChartOption = {
    animation: false,
    grid: { left: 44, right: 12, top: 28, bottom: 24 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 11, color: INK } },
    xAxis: { type: 'category', data: x, axisLabel: { fontSize: 10, color: INK }, axisLine: { lineStyle: { color: RULE } } },
  };
  switch (key) {
    case 'frequency':
      return {
        ...base,
        yAxis: valueAxis({ minInterval: 1 }),
        series: [
          { name: 'Deployments', type: 'bar', stack: 'runs', data: weeks.map((w) => w.deployments), color: '#3b82f6' },
          { name: 'Rollbacks', type: 'bar', stack: 'runs', data: weeks.map((w) => w.rollbacks), color: '#a3a3a3' },
        ],
      };
    case 'leadTime':
      return {
        ...base,
        yAxis: valueAxis({ name: 'hours' }),
        series: [
          { name: 'Median', type: 'line', connectNulls: false, data: weeks.map((w) => hours(w.leadMedianSeconds)), color: '#7c3aed', symbolSize: 7 },
          { name: 'p90', type: 'line', connectNulls: false, data: weeks.map((w) => hours(w.leadP90Seconds)), color: '#c4b5fd', symbolSize: 5 },
        ],
      };
    case 'changeFailure':
      return {
        ...base,
        yAxis: valueAxis({ max: 100, unit: ' %' }),
        series: [{ name: 'Failed deployments', type: 'bar', data: weeks.map((w) => (w.failureRate === null ? null : Math.round(w.failureRate * 1000) / 10)), color: '#dc2626' }],
      };
    case 'recovery':
      return {
        ...base,
        yAxis: valueAxis({ name: 'hours' }),
        series: [
          { name: 'Median', type: 'line', data: weeks.map((w) => hours(w.recoveryMedianSeconds)), color: '#d97706', symbolSize: 7 },
          { name: 'p90', type: 'line', data: weeks.map((w) => hours(w.recoveryP90Seconds)), color: '#fcd34d', symbolSize: 5 },
        ],
      };
  }
}

const cell = (v: string | number | null): string => {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One line per ISO week with every key (seconds and ratios as numbers), for a spreadsheet. */
export function csvOf(s: MetricsSummary): string {
  const head = ['week', 'monday', 'deployments', 'rollbacks', 'failed', 'failure_rate', 'lead_commits', 'lead_median_s', 'lead_p90_s', 'recoveries', 'recovery_median_s', 'recovery_p90_s'];
  const rows = s.weeks.map((w) =>
    [w.week, w.monday, w.deployments, w.rollbacks, w.failed, w.failureRate, w.leadCommits, w.leadMedianSeconds, w.leadP90Seconds, w.recoveries, w.recoveryMedianSeconds, w.recoveryP90Seconds].map(cell).join(','),
  );
  return [head.join(','), ...rows].join('\n') + '\n';
}
