/** Which environments are production for the metrics, and the failure window. */
import { useState } from 'react';
import type { MetricsSettings } from '../../../../shared/contract/metrics.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { errorMessage } from '../../lib/form.js';
import { useEnvironments } from '../inventory/lookups.js';

function Editor({ saved }: { saved: MetricsSettings }) {
  const envs = useEnvironments();
  const [ids, setIds] = useState(() => new Set(saved.productionEnvironmentIds));
  const [hours, setHours] = useState(saved.failureWindowHours);
  const save = useApiMutation('metrics.settings.set', { invalidates: ['metrics.*'] });
  const toggle = (id: number) => setIds((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  return (
    <form
      className="card-body"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ productionEnvironmentIds: [...ids], failureWindowHours: hours });
      }}
    >
      <fieldset className="toolbar">
        <legend className="small muted">Production environments</legend>
        {envs.items.map((e) => (
          <label key={e.id} className="small">
            <input type="checkbox" checked={ids.has(e.id)} onChange={() => toggle(e.id)} /> {e.name}
          </label>
        ))}
      </fieldset>
      <div className="toolbar">
        <label className="small">
          A failure counts within{' '}
          <input aria-label="Failure window (hours)" type="number" min={1} max={720} value={hours} onChange={(e) => setHours(Number(e.target.value))} style={{ width: 70 }} /> hours of
          the deployment
        </label>
        <button className="btn btn-small" type="submit" disabled={save.isPending}>
          Save
        </button>
      </div>
      <ErrorLine error={save.error ? errorMessage(save.error) : null} />
    </form>
  );
}

export function ProductionSettings() {
  const q = useApiQuery('metrics.settings.get', {});
  return (
    <details className="card">
      <summary className="card-head small">What counts as production, and the failure window</summary>
      {q.data && <Editor key={JSON.stringify(q.data)} saved={q.data} />}
    </details>
  );
}
