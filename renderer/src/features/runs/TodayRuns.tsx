import { useCallback, useEffect, useState } from 'react';
import type { RunSummary } from '../../../../shared/contract/runs.js';
import { useApi, useEvent } from '../../api/context.js';
import { Badge, Section } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { KIND_LABEL, runStateText, runTone } from './util.js';

const LIVE = ['running', 'waiting', 'interrupted'] as const;
const RECENT_MS = 7 * 86_400_000;

/** Today's "Runs in progress": runs going or waiting for someone, and runs aborted in the last 7 days. */
export function TodayRuns() {
  const api = useApi();
  const [live, setLive] = useState<RunSummary[] | null>(null);
  const [failed, setFailed] = useState<RunSummary[]>([]);
  const [tick, setTick] = useState(0);
  useEvent(
    'runs.state',
    useCallback(() => setTick((t) => t + 1), []),
  );
  useEffect(() => {
    let stale = false;
    const t = setTimeout(() => {
      void Promise.all([...LIVE.map((state) => api.call('runs.list', { state, limit: 50 })), api.call('runs.list', { state: 'aborted', limit: 10 })]).then(
        (lists) => {
          if (stale) return;
          const aborted = lists.pop()!.items.filter((r) => Date.now() - Date.parse(r.finishedAt ?? r.startedAt) < RECENT_MS);
          setLive(lists.flatMap((l) => l.items).sort((a, b) => b.id - a.id));
          setFailed(aborted.slice(0, 5));
        },
        () => !stale && setLive([]),
      );
    }, 150);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [api, tick]);
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
