import { useState } from 'react';
import type { Database } from '../../../../shared/contract/dbpatch.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { useAction } from '../../lib/hooks.js';

/** A database of the application: the server whose SSH tunnel reaches it, host and port as seen from that server, the role (password into the secret store). */
export function DatabaseDialog({ applicationId, database, onClose }: { applicationId: number; database: Database | null; onClose: () => void }) {
  const api = useApi();
  const invalidate = useInvalidate();
  const placements = useApiQuery('placements.list', { applicationId, limit: 1000 });
  const servers = [...new Map((placements.data?.items ?? []).map((p) => [p.serverId, p.serverName])).entries()];
  const [v, setV] = useState({
    name: database?.name ?? 'main',
    serverId: database?.serverId ?? 0,
    host: database?.host ?? '127.0.0.1',
    port: database?.port ?? 5432,
    database: database?.database ?? '',
    user: database?.user ?? '',
    password: '',
    backupDir: database?.backupDir ?? '',
    backupBeforePatch: database?.backupBeforePatch ?? false,
    backupMaxAgeHours: database?.backupMaxAgeHours ?? null,
  });
  const { busy, error, run } = useAction();
  const set = <K extends keyof typeof v>(k: K, x: (typeof v)[K]) => setV((o) => ({ ...o, [k]: x }));
  const serverId = v.serverId || servers[0]?.[0] || 0;
  const save = () =>
    run(async () => {
      const { password, ...rest } = v;
      await api.call('dbpatch.saveDatabase', { ...rest, serverId, applicationId, ...(database ? { id: database.id } : {}), ...(password ? { password } : {}) });
      await invalidate('dbpatch.*', 'provision.review');
      onClose();
    });
  const text = (k: 'name' | 'host' | 'database' | 'user' | 'backupDir', label: string) => (
    <label className="field">
      <span>{label}</span>
      <input className="mono" value={v[k]} onChange={(e) => set(k, e.target.value)} data-testid={`db-${k}`} />
    </label>
  );
  return (
    <Dialog
      title={database ? `Database ${database.name}` : 'Add a database'}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={busy || !serverId} onConfirm={() => void save()} testId="db-save">
          {busy ? 'Saving…' : 'Save'}
        </ConfirmButtons>
      }
    >
      <div className="form-grid">
        {text('name', 'Name in Puesta')}
        <label className="field">
          <span>Reached through (SSH tunnel)</span>
          <select value={serverId} onChange={(e) => set('serverId', Number(e.target.value))} data-testid="db-server">
            {servers.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {text('host', 'PostgreSQL host, as the server sees it')}
        <label className="field">
          <span>Port</span>
          <input type="number" min={1} max={65535} value={v.port} onChange={(e) => set('port', Number(e.target.value))} data-testid="db-port" />
        </label>
        {text('database', 'Database')}
        {text('user', 'Role')}
        <label className="field">
          <span>{database?.passwordSet ? 'Password (stored; leave empty to keep it)' : 'Password (kept in the secret store)'}</span>
          <input type="password" autoComplete="new-password" value={v.password} onChange={(e) => set('password', e.target.value)} data-testid="db-password" />
        </label>
        {text('backupDir', 'Backup folder on the server (its newest dump is the last backup)')}
        <label className="field">
          <span>Refuse patches when the last backup is older than (hours; empty: only show its age)</span>
          <input
            type="number"
            min={1}
            value={v.backupMaxAgeHours ?? ''}
            onChange={(e) => set('backupMaxAgeHours', e.target.value === '' ? null : Number(e.target.value))}
            data-testid="db-backupMaxAgeHours"
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={v.backupBeforePatch} onChange={(e) => set('backupBeforePatch', e.target.checked)} data-testid="db-backupBeforePatch" />
          <span>Dump the database (pg_dump on the server, into the backup folder) before applying patches</span>
        </label>
      </div>
      {servers.length === 0 && <p className="small muted">Place the application on a server first: the database is reached through that server’s SSH connection.</p>}
      <ErrorLine error={error} />
    </Dialog>
  );
}
