/** Which environments are production for the metrics, the failure window, and the operator's local clones (lead time). */
import { useState } from 'react';
import type { LocalClone, MetricsSettings } from '../../../../shared/contract/metrics.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { errorMessage } from '../../lib/form.js';
import { useApplications, useEnvironments } from '../inventory/lookups.js';

/** One clone per application: each row picks an application and names the clone's folder on this machine. */
function LocalClones({ clones, onChange }: { clones: LocalClone[]; onChange: (c: LocalClone[]) => void }) {
  const apps = useApplications();
  const free = apps.items.filter((a) => !clones.some((c) => c.applicationId === a.id));
  const set = (i: number, c: Partial<LocalClone>) => onChange(clones.map((x, k) => (k === i ? { ...x, ...c } : x)));
  return (
    <fieldset>
      <legend className="small muted">Local clones: lead time reads the commit times of these applications&apos; git releases there, instead of on the host</legend>
      {clones.map((c, i) => (
        <div className="toolbar" key={c.applicationId}>
          <select aria-label={`Application of local clone ${i + 1}`} value={c.applicationId} onChange={(e) => set(i, { applicationId: Number(e.target.value) })}>
            {apps.items
              .filter((a) => a.id === c.applicationId || free.includes(a))
              .map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
          </select>
          <input
            aria-label={`Local clone of ${apps.byId.get(c.applicationId)?.name ?? `application #${c.applicationId}`}`}
            className="mono"
            placeholder="/home/me/src/shop"
            value={c.path}
            onChange={(e) => set(i, { path: e.target.value })}
            style={{ width: 360 }}
            required
          />
          <button type="button" className="btn btn-small" onClick={() => onChange(clones.filter((_, k) => k !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-small" disabled={!free.length} onClick={() => onChange([...clones, { applicationId: free[0]!.id, path: '' }])}>
        Add a local clone
      </button>
    </fieldset>
  );
}

function Editor({ saved }: { saved: MetricsSettings }) {
  const envs = useEnvironments();
  const [ids, setIds] = useState(() => new Set(saved.productionEnvironmentIds));
  const [hours, setHours] = useState(saved.failureWindowHours);
  const [clones, setClones] = useState(saved.localClones);
  const save = useApiMutation('metrics.settings.set', { invalidates: ['metrics.*'] });
  const toggle = (id: number) => setIds((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  return (
    <form
      className="card-body"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ productionEnvironmentIds: [...ids], failureWindowHours: hours, localClones: clones });
      }}
    >
      <fieldset className="toolbar">
        <legend className="small muted">Production environments (by default, those named prod…)</legend>
        {envs.items.map((e) => (
          <label key={e.id} className="small">
            <input type="checkbox" checked={ids.has(e.id)} onChange={() => toggle(e.id)} /> {e.name}
          </label>
        ))}
      </fieldset>
      <LocalClones clones={clones} onChange={setClones} />
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
      <summary className="card-head small">What counts as production, the failure window, local clones</summary>
      {q.data && <Editor key={JSON.stringify(q.data)} saved={q.data} />}
    </details>
  );
}
