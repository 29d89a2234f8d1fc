import type { Experiment } from '../../../../shared/contract/proxy.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';

/** The A/B experiments of an application: who started and ended each, the releases, the weights over time. */
export function Experiments({ applicationId }: { applicationId: number }) {
  const q = useApiQuery('proxy.experiments', { applicationId, limit: 10 });
  const items = q.data?.items ?? [];
  if (!items.length) return null;
  return (
    <div className="proxy-experiments" data-testid="proxy-experiments">
      <h3>A/B experiments</h3>
      <ul>
        {items.map((x) => (
          <ExperimentLine key={x.id} x={x} />
        ))}
      </ul>
    </div>
  );
}

function ExperimentLine({ x }: { x: Experiment }) {
  return (
    <li data-testid={`experiment-${x.id}`}>
      <div>
        {x.endedAt ? <Badge tone="neutral">ended</Badge> : <Badge tone="green">running</Badge>} <strong>{x.environmentName}</strong>: blue{' '}
        {x.blueRelease ? <code>{x.blueRelease}</code> : <span className="muted">?</span>} against green{' '}
        {x.greenRelease ? <code>{x.greenRelease}</code> : <span className="muted">?</span>}
      </div>
      <div className="muted small">
        started {formatDateTime(x.startedAt)} by {x.startedBy}
        {x.endedAt && (
          <>
            {' '}
            · ended {formatDateTime(x.endedAt)} by {x.endedBy}
            {x.endNote && <> ({x.endNote})</>}
          </>
        )}
      </div>
      <ol className="proxy-weight-steps" aria-label="Weights over time">
        {x.steps.map((s, i) => (
          <li key={i}>
            <span className="proxy-weight-bar" aria-hidden="true">
              <span style={{ width: `${s.green}%` }} />
            </span>{' '}
            green {s.green} % <span className="muted small">{formatDateTime(s.at)} · {s.operator}</span>
            {s.reason && <span className="muted small"> — {s.reason}</span>}
          </li>
        ))}
      </ol>
    </li>
  );
}

/** Switches, switch-backs, reads from the servers and weight changes, newest first. */
export function History({ applicationId }: { applicationId: number }) {
  const h = useApiQuery('proxy.history', { applicationId, limit: 10 });
  const items = h.data?.items ?? [];
  if (!items.length) return null;
  return (
    <details className="proxy-history" data-testid="proxy-history">
      <summary>Switches and weights ({items.length})</summary>
      <ul>
        {items.map((e) => (
          <li key={e.id}>
            <span className="muted small">{formatDateTime(e.at)}</span> {e.serverName}: {e.kind}
            {e.live && <> → {e.live}</>}
            {e.weights && <> (green {e.weights.green} %)</>}
            {e.release && <> <code>{e.release}</code></>} <span className="muted small">{e.runId ? `run #${e.runId}` : e.operator}</span>
            {e.note && <span className="muted small"> — {e.note}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}
