import { useQueries } from '@tanstack/react-query';
import type { RunSummary } from '../../../../shared/contract/runs.js';
import type { MethodInput } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/context.js';
import { queryKey } from '../../api/queries.js';
import { Badge, Section } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { KIND_LABEL, runStateText, runTone } from './util.js';

const LISTS: MethodInput<'runs.list'>[] = [
  { state: 'running', limit: 50 },
  { state: 'waiting', limit: 50 },
  { state: 'interrupted', limit: 50 },
  { state: 'aborted', limit: 10 },
];
const RECENT_MS = 7 * 86_400_000;

/** Today's "Runs in progress": runs going or waiting for someone, and runs aborted in the last 7 days. */
export function TodayRuns() {
  const api = useApi();
  // Refreshed when a run changes state (runs.state in api/queries.tsx).
  const { live, failed } = useQueries({
    queries: LISTS.map((input) => ({ queryKey: queryKey('runs.list', input), queryFn: () => api.call('runs.list', input) })),
    combine: (results) => {
      if (results.some((r) => r.isError)) return { live: [], failed: [] };
      if (results.some((r) => !r.data)) return { live: null, failed: [] };
      const lists = results.map((r) => r.data!.items);
      const aborted = lists.pop()!.filter((r) => Date.now() - Date.parse(r.finishedAt ?? r.startedAt) < RECENT_MS);
      return { live: lists.flat().sort((a, b) => b.id - a.id), failed: aborted.slice(0, 5) };
    },
  });
  const row = (r: RunSummary) => (
    <tr key={r.id}>
      <td>
        <a href={href(`/runs/${r.id}`)}>
          <strong>{KIND_LABEL[r.kind]}</strong> {r.applicationName}
        </a>
        <div className="small muted">
          {r.environmentName} · {r.label || r.releaseKey}
        </div>
      </td>
      <td className="right nowrap">
        <Badge tone={runTone(r.state, r.waitingFor)}>
          {runStateText(r)}
          {r.state !== 'aborted' && r.stepCount ? ` · ${Math.min(r.currentStep + 1, r.stepCount)}/${r.stepCount}` : ''}
        </Badge>
        <div className="small muted">{formatDateTime(r.startedAt)}</div>
      </td>
    </tr>
  );
  return (
    <Section title="Runs in progress" count={live?.length} actions={<a href={href('/runs/new')}>New run</a>}>
      <div data-testid="today-runs">
        {live && !live.length && <p className="muted">No run in progress.</p>}
        {live && live.length > 0 && (
          <table className="table table-inner">
            <tbody>{live.map(row)}</tbody>
          </table>
        )}
        {failed.length > 0 && (
          <>
            <div className="small muted" style={{ marginTop: 10 }}>
              Aborted in the last 7 days
            </div>
            <table className="table table-inner">
              <tbody>{failed.map(row)}</tbody>
            </table>
          </>
        )}
      </div>
    </Section>
  );
}
