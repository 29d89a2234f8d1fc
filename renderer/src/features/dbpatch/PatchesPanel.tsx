import { useState } from 'react';
import type { Database, PatchState } from '../../../../shared/contract/dbpatch.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorBox, ErrorLine, type Tone } from '../../components/Bits.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { href } from '../../lib/router.js';
import { BackupAge } from './BackupAge.js';
import { DatabaseDialog } from './DatabaseDialog.js';
import { RollbackPlanView } from './RollbackPlanView.js';
import './dbpatch.css';

/** A release key's label ("v5"), or its UTC stamp when it has none (20261202T010359079 → 2026-12-02 01:03). */
const releaseLabel = (key: string): string => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})\d*(?:-(.+))?$/.exec(key);
  return m ? (m[6] ?? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`) : key;
};

export const STATE_TONE: Record<PatchState['state'], Tone> = { pending: 'neutral', applying: 'amber', applied: 'green', reverted: 'blue', failed: 'red' };

/**
 * The application page's panel of database patches: its databases, each patch and where it is
 * applied (the local mirror of each database's ledger), import from the release's patch folder,
 * and what a rollback would undo. Mounted with APPLICATION_PANELS (renderer/src/panels.ts).
 */
export function ApplicationPatchesPanel({ applicationId }: { applicationId: number }) {
  const api = useApi();
  const toast = useToast();
  const invalidate = useInvalidate();
  const list = useApiQuery('dbpatch.list', { applicationId });
  const [folder, setFolder] = useState('');
  const [editing, setEditing] = useState<Database | 'new' | null>(null);
  const importing = useAction();
  const syncing = useAction();
  const doImport = () =>
    importing.run(async () => {
      const r = await api.call('dbpatch.import', { applicationId, path: folder.trim() });
      toast.success(`${r.imported.length} patch(es) read${r.changed.length ? `; changed: ${r.changed.join(', ')}` : ''}.`);
      await invalidate('dbpatch.*', 'provision.review');
    });
  const sync = (databaseId: number) =>
    syncing.run(async () => {
      await api.call('dbpatch.sync', { databaseId });
      await invalidate('dbpatch.*');
    });
  const data = list.data;
  // the oldest release whose db/patches/ carried it (sets are listed newest first)
  const firstRelease = (patchId: string) => data?.releases.findLast((r) => r.patches.some((x) => x.patchId === patchId))?.releaseKey ?? null;
  const stateOf = (databaseId: number, patchId: string) => data?.states.find((s) => s.databaseId === databaseId && s.patchId === patchId);
  return (
    <section className="card dbpatch-panel" aria-label="Database patches" data-testid="dbpatch-panel">
      <header className="card-head">
        <h2>Database patches</h2>
        <div className="card-actions">
          <button className="btn btn-small" onClick={() => setEditing('new')} data-testid="dbpatch-add-db">
            Add database…
          </button>
        </div>
      </header>
      <div className="card-body">
        {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
        {data && data.databases.length === 0 && <p className="muted small">No database yet: add the one the patches apply to (reached through a server’s SSH tunnel).</p>}
        {data && data.databases.length > 0 && (
          <ul className="dbpatch-dbs">
            {data.databases.map((d) => (
              <li key={d.id} data-testid={`dbpatch-db-${d.name}`}>
                <strong>{d.name}</strong>{' '}
                <span className="small muted">
                  {d.user}@{d.host}:{d.port}/{d.database} via {d.serverName}
                </span>{' '}
                {!d.passwordSet && <Badge tone="amber">no password</Badge>}{' '}
                <span className="small muted">
                  · <BackupAge backup={data.backups.find((b) => b.databaseId === d.id) ?? null} maxAgeHours={d.backupMaxAgeHours} testId={`dbpatch-backup-${d.name}`} />
                </span>{' '}
                <button className="btn btn-small btn-ghost" onClick={() => setEditing(d)}>
                  Edit
                </button>
                <button className="btn btn-small btn-ghost" disabled={syncing.busy} onClick={() => void sync(d.id)} data-testid="dbpatch-sync">
                  Read ledger
                </button>
              </li>
            ))}
          </ul>
        )}
        <ErrorLine error={syncing.error} />
        {data && data.patches.length > 0 && (
          <table className="table dbpatch-matrix" data-testid="dbpatch-matrix">
            <thead>
              <tr>
                <th>Patch</th>
                <th>Kind</th>
                <th>Came with</th>
                {data.databases.map((d) => (
                  <th key={d.id}>{d.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.patches.map((p) => {
                const danger = p.lint.filter((f) => f.severity === 'danger').length;
                const release = firstRelease(p.patchId);
                return (
                  <tr key={p.patchId} data-testid={`dbpatch-row-${p.patchId}`}>
                    <td>
                      <a href={href(`/applications/${applicationId}/patches/${encodeURIComponent(p.patchId)}`)}>
                        <code>{p.patchId}</code>
                      </a>
                      {danger > 0 && (
                        <Badge tone="red" title="lint findings that refuse the patch until acknowledged">
                          {danger} danger
                        </Badge>
                      )}
                    </td>
                    <td className="small">
                      {p.meta.compat} · {p.meta.reversible === 'yes' ? 'reversible' : p.meta.reversible === 'lossy' ? 'lossy down' : 'irreversible'}
                      {!p.meta.transactional && ' · non-transactional'}
                    </td>
                    <td className="small" data-testid={`dbpatch-release-${p.patchId}`}>
                      {release ? <span title={`release ${release}`}>{releaseLabel(release)}</span> : <span className="muted">imported</span>}
                    </td>
                    {data.databases.map((d) => {
                      const s = stateOf(d.id, p.patchId);
                      return (
                        <td key={d.id} data-testid={`dbpatch-state-${p.patchId}-${d.name}`}>
                          <Badge tone={STATE_TONE[s?.state ?? 'pending']}>{s?.state ?? 'pending'}</Badge>
                          {s?.mismatch && <Badge tone="red">edited</Badge>}
                          {s?.at && <div className="muted small">{formatDateTime(s.at)}</div>}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <div className="dbpatch-import">
          <label htmlFor="dbpatch-folder" className="small">
            A run reads the patches from its release’s <code>db/patches/</code> (one folder per patch: patch.json, up.sql, down.sql, verify.sql). To review them before a run, read a local copy
          </label>
          <div className="dbpatch-import-row">
            <input id="dbpatch-folder" className="input mono" value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/path/to/release/db/patches" data-testid="dbpatch-folder" />
            <button className="btn btn-small" disabled={!folder.trim() || importing.busy} onClick={() => void doImport()} data-testid="dbpatch-import">
              {importing.busy ? 'Reading…' : 'Read patches'}
            </button>
          </div>
          <ErrorLine error={importing.error} testId="dbpatch-import-error" />
        </div>
        {data && data.databases.length > 0 && <RollbackPlanView applicationId={applicationId} databases={data.databases} />}
      </div>
      {editing && <DatabaseDialog applicationId={applicationId} database={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </section>
  );
}
