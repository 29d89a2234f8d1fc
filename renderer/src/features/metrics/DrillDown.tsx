/** The runs behind a tile or a chart point, with what the operator can link to them (an incident, a fix). */
import { useState } from 'react';
import type { MetricKey, MetricRun, MetricsFilter } from '../../../../shared/contract/metrics.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { Badge, ErrorLine, Section, Spinner } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { errorMessage } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { formatDuration } from './view.js';

const KEY_TITLES: Record<MetricKey, string> = {
  frequency: 'Deployments and rollbacks',
  leadTime: 'Deployments with commits',
  changeFailure: 'Failed deployments',
  recovery: 'Recovered deployments',
};

function LinkForm({ run, onDone }: { run: MetricRun; onDone: () => void }) {
  const [title, setTitle] = useState('');
  const [start, setStart] = useState('');
  const [fixes, setFixes] = useState('');
  const add = useApiMutation('metrics.incidents.add', { invalidates: ['metrics.*'], onSuccess: onDone });
  const fix = useApiMutation('metrics.fixFor.set', { invalidates: ['metrics.*'], onSuccess: onDone });
  const error = add.error ?? fix.error;
  return (
    <div className="metric-link-form" data-testid={`link-form-${run.runId}`}>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ runId: run.runId, title, startedAt: new Date(start).toISOString() });
        }}
      >
        <input aria-label="Incident title" placeholder="Incident title" value={title} onChange={(e) => setTitle(e.target.value)} required />
        <input aria-label="Incident start" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} required />
        <button className="btn btn-small" type="submit" disabled={add.isPending}>
          Link incident
        </button>
      </form>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          fix.mutate({ runId: run.runId, fixesRunId: fixes ? Number(fixes) : null });
        }}
      >
        <label className="small">
          Run #{run.runId} is the fix for run #{' '}
          <input aria-label="Fixes run" type="number" min={1} value={fixes} onChange={(e) => setFixes(e.target.value)} style={{ width: 90 }} />
        </label>
        <button className="btn btn-small" type="submit" disabled={fix.isPending}>
          Save
        </button>
      </form>
      <ErrorLine error={error ? errorMessage(error) : null} />
    </div>
  );
}

export function DrillDown({ filter, drill, onClose }: { filter: MetricsFilter; drill: { key: MetricKey; week?: string }; onClose: () => void }) {
  const q = useApiQuery('metrics.runs', { ...filter, key: drill.key, ...(drill.week ? { week: drill.week } : {}) });
  const [open, setOpen] = useState<number | null>(null);
  const items = q.data?.items ?? [];
  return (
    <Section
      title={`${KEY_TITLES[drill.key]}${drill.week ? ` in ${drill.week}` : ' in the period'}`}
      count={q.data ? items.length : undefined}
      actions={
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      }
    >
      <div data-testid="metrics-drill">
        {!q.data && <Spinner />}
        {q.data && !items.length && <p className="muted">No runs.</p>}
        {items.length > 0 && (
          <table className="table table-inner">
            <thead>
              <tr>
                <th>Run</th>
                <th>Application</th>
                <th>Environment</th>
                <th>Release</th>
                <th>In production</th>
                <th>Outcome</th>
                <th>Lead time</th>
                <th>Recovery</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <DrillRow key={r.runId} r={r} open={open === r.runId} onToggle={() => setOpen(open === r.runId ? null : r.runId)} />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Section>
  );
}

function DrillRow({ r, open, onToggle }: { r: MetricRun; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr data-testid={`drill-run-${r.runId}`}>
        <td className="nowrap">
          <a href={href(`/runs/${r.runId}`)}>#{r.runId}</a> <span className="muted small">{r.kind}</span>
        </td>
        <td>{r.applicationName}</td>
        <td>{r.environmentName}</td>
        <td className="mono small">{r.releaseKey}</td>
        <td className="nowrap small">{formatDateTime(r.at)}</td>
        <td>
          {r.kind === 'rollback' ? (
            <span className="small muted">{r.fixesRunId ? `rolls back #${r.fixesRunId}` : 'rolls back a rollback'}</span>
          ) : r.failed ? (
            r.causes.map((c) => (
              <Badge key={c} tone="red">
                {c}
              </Badge>
            ))
          ) : (
            <Badge tone="green">ok</Badge>
          )}
          {r.fixedBy && <span className="small muted"> by #{r.fixedBy}</span>}
        </td>
        <td className="small">
          {r.leadCommits ? `${formatDuration(r.leadMedianSeconds)} (${r.leadCommits})` : '–'}
          {r.commitsProblem && (
            <div style={{ color: 'var(--warn)' }} data-testid={`commits-problem-${r.runId}`}>
              {r.commitsProblem}
            </div>
          )}
        </td>
        <td className="small" title={r.recoveryExact ? 'From the failure Puesta saw to the recovery' : 'From the deployment itself: when it started to fail is not known, so at most this'}>
          {r.recoverySeconds === null ? '–' : `${r.recoveryExact ? '' : '≤ '}${formatDuration(r.recoverySeconds)}`}
        </td>
        <td className="row-actions">
          {r.kind !== 'rollback' && (
            <button type="button" className="btn btn-small" onClick={onToggle} aria-expanded={open}>
              Link…
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={9}>
            <LinkForm run={r} onDone={onToggle} />
          </td>
        </tr>
      )}
    </>
  );
}
