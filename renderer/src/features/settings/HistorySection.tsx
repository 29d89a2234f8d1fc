import { useEffect, useState } from 'react';
import type { HistoryStatus } from '../../../../shared/contract/history.js';
import { useApi } from '../../api/context.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { ErrorBox, Section, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { formatBytes, formatDateTime } from '../../lib/format.js';
import { errorMessage } from '../../lib/form.js';

/** '' is "no limit"; otherwise a whole number ≥ 1. */
const parseLimit = (s: string): number | null | 'bad' => {
  if (!s.trim()) return null;
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 ? n : 'bad';
};

function RetentionForm({ status }: { status: HistoryStatus }) {
  const toast = useToast();
  const [days, setDays] = useState(status.retention.keepDays?.toString() ?? '');
  const [runs, setRuns] = useState(status.retention.keepRuns?.toString() ?? '');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDays(status.retention.keepDays?.toString() ?? '');
    setRuns(status.retention.keepRuns?.toString() ?? '');
  }, [status.retention.keepDays, status.retention.keepRuns]);
  const save = useApiMutation('history.setRetention', { invalidates: ['history.status'] });
  const d = parseLimit(days);
  const r = parseLimit(runs);
  const unchanged = d === status.retention.keepDays && r === status.retention.keepRuns;
  return (
    <form
      className="retention-form"
      data-testid="retention-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (d === 'bad' || r === 'bad') return setError('Give whole numbers of 1 or more, or leave a box empty for no limit.');
        save.mutate(
          { keepDays: d, keepRuns: r },
          {
            onSuccess: () => {
              setError(null);
              toast.success(d === null && r === null ? 'Run logs are kept forever.' : 'Retention saved: logs past it are pruned in the background.');
            },
            onError: (e) => setError(errorMessage(e)),
          },
        );
      }}
    >
      <div className="input-row">
        <div className="field">
          <label htmlFor="keep-days">Keep full logs for (days)</label>
          <input id="keep-days" inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} placeholder="no limit" />
        </div>
        <div className="field">
          <label htmlFor="keep-runs">…and the last runs of each application</label>
          <input id="keep-runs" inputMode="numeric" value={runs} onChange={(e) => setRuns(e.target.value)} placeholder="no limit" />
        </div>
      </div>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : (
        <div className="field-hint">
          A log is kept while either rule keeps it. Run summaries, step results, the audit log and the delivery metrics are kept forever; only the output lines go. Export a
          run’s log from its page to keep it.
        </div>
      )}
      <button className="btn btn-primary" type="submit" disabled={unchanged || save.isPending}>
        Save retention
      </button>
    </form>
  );
}

/**
 * Settings → History: the retention policy of run logs, what the database holds, and compaction.
 * The keeper prunes in the background in small steps; "Prune now" and "Compact" run it at once.
 */
export function HistorySection() {
  const api = useApi();
  const toast = useToast();
  const status = useApiQuery('history.status', {});
  const prune = useApiMutation('history.prune', { invalidates: ['history.status'] });
  const [compacting, setCompacting] = useState(false);
  const s = status.data;
  return (
    <Section title="Run history" id="history">
      {status.error && <ErrorBox error={status.error} onRetry={() => void status.refetch()} />}
      {!s ? (
        !status.error && <Spinner />
      ) : (
        <>
          <RetentionForm status={s} />
          <dl className="kv" data-testid="history-figures">
            <dt>Database</dt>
            <dd>
              {formatBytes(s.dbBytes)}
              {s.freeBytes > 0 && <span className="muted"> ({formatBytes(s.freeBytes)} free inside)</span>}
            </dd>
            <dt>Logs held</dt>
            <dd>
              {s.logLines.toLocaleString()} lines of {s.runsWithLogs.toLocaleString()} runs
            </dd>
            <dt>Pruned</dt>
            <dd>
              {s.prunedRuns.toLocaleString()} runs{s.lastPruneAt && <span className="muted">, last on {formatDateTime(s.lastPruneAt)}</span>}
            </dd>
            <dt>Compaction</dt>
            <dd>{s.autoVacuum === 'incremental' ? 'in the background, after each prune' : 'not set up: this database was created by an older Puesta'}</dd>
          </dl>
          <div className="history-actions">
            <button
              className="btn"
              disabled={prune.isPending || s.busy}
              onClick={() =>
                prune.mutate({}, { onSuccess: (r) => toast.success(r.runs ? `Pruned the logs of ${r.runs} runs (${r.lines.toLocaleString()} lines).` : 'Nothing to prune.') })
              }
            >
              {prune.isPending || s.busy ? 'Pruning…' : 'Prune now'}
            </button>
            {s.autoVacuum !== 'incremental' && (
              <button className="btn" onClick={() => setCompacting(true)} data-testid="compact-db">
                Compact the database…
              </button>
            )}
          </div>
          {compacting && (
            <ConfirmDialog
              title="Compact the database now?"
              body={
                <p>
                  Puesta rebuilds the file once ({formatBytes(s.dbBytes)}) so that from then on freed space goes back to the disk in the background. Puesta does not answer
                  while it works: a few seconds for a large history. Do it when no run is under way.
                </p>
              }
              confirmLabel="Compact"
              onClose={() => setCompacting(false)}
              onConfirm={async () => {
                const after = await api.call('history.compact', {});
                await status.refetch();
                toast.success(`Compacted: the database is ${formatBytes(after.dbBytes)}.`);
              }}
            />
          )}
        </>
      )}
    </Section>
  );
}
