import { useState } from 'react';
import type { Database, RollbackPlan } from '../../../../shared/contract/dbpatch.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorLine } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { formatDateTime } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { ageOf } from '../../../../shared/backup-age.js';

type Decision = NonNullable<RollbackPlan['decision']>;
const DECISIONS: { value: Decision; label: string; what: string }[] = [
  { value: 'app-only', label: 'Roll back the application only', what: 'the database keeps the patches; the previous release works with them (every irreversible patch is expand-compatible)' },
  { value: 'restore', label: 'Restore from the pre-patch backup', what: 'the rollback run restores each database from its backup taken before these patches (pg_restore on its server); changes written since are lost' },
  { value: 'forward-fix', label: 'Fix forward', what: 'no rollback of the database: a new release repairs it' },
];

/** Per environment of the application's databases: what a rollback (one release back) would undo, and the decision an irreversible patch needs. */
export function RollbackPlanView({ applicationId, databases }: { applicationId: number; databases: Database[] }) {
  const servers = useApiQuery('servers.list', { limit: 10_000 });
  const envs = new Map<number, string>();
  for (const s of servers.data?.items ?? []) if (s.environmentId && databases.some((d) => d.serverId === s.id)) envs.set(s.environmentId, s.environmentName ?? '');
  return (
    <div className="dbpatch-rollback">
      <h3>If you roll back</h3>
      {[...envs].map(([id, name]) => (
        <EnvPlan key={id} applicationId={applicationId} environmentId={id} environmentName={name} />
      ))}
    </div>
  );
}

function EnvPlan({ applicationId, environmentId, environmentName }: { applicationId: number; environmentId: number; environmentName: string }) {
  const plan = useApiQuery('dbpatch.rollbackPlan', { applicationId, environmentId });
  const [deciding, setDeciding] = useState(false);
  const p = plan.data;
  if (!p) return null;
  return (
    <div className="dbpatch-env" data-testid={`dbpatch-rollback-${environmentName}`}>
      <strong>{environmentName}</strong>{' '}
      {p.patches.length === 0 ? (
        <span className="small muted">no patch to undo</span>
      ) : (
        <>
          <span className="small">undoes, in this order: </span>
          {p.patches.map((x) => (
            <span key={`${x.databaseId}-${x.patchId}`} className="dbpatch-undo">
              <code>{x.patchId}</code> <Badge tone={x.reversible === 'yes' ? 'green' : x.reversible === 'lossy' ? 'amber' : 'red'}>{x.reversible === 'no' ? 'irreversible' : x.reversible === 'lossy' ? 'lossy' : 'reversible'}</Badge>
              {x.typeToUndo && <TypeToUndo databaseId={x.databaseId} patchId={x.patchId} table={x.typeToUndo} />}
            </span>
          ))}
        </>
      )}
      {p.blocked && (
        <div className="proxy-warning small" data-testid="dbpatch-rollback-blocked">
          A rollback is blocked: an irreversible patch cannot be undone ({p.lastBackupAt ? `last backup ${ageOf(p.lastBackupAt)} old` : 'no backup known'}).{' '}
          <button className="btn btn-small" onClick={() => setDeciding(true)} data-testid="dbpatch-decide">
            Decide…
          </button>
        </div>
      )}
      {p.decision && <div className="small">Decided: {DECISIONS.find((d) => d.value === p.decision)?.label}</div>}
      {deciding && <DecideDialog plan={p} environmentId={environmentId} onClose={() => setDeciding(false)} />}
    </div>
  );
}

/** A lossy down runs only once its table's name was typed (audited). */
function TypeToUndo({ databaseId, patchId, table }: { databaseId: number; patchId: string; table: string }) {
  const api = useApi();
  const invalidate = useInvalidate();
  const [typed, setTyped] = useState('');
  const { busy, error, run } = useAction();
  const allow = () =>
    run(async () => {
      await api.call('dbpatch.acknowledge', { databaseId, patchId, what: 'lossy', reason: typed });
      await invalidate('dbpatch.*');
    });
  return (
    <span className="dbpatch-type" data-testid={`dbpatch-lossy-${patchId}`}>
      <span className="small">its down loses data of {table}: type the table’s name to allow it</span>
      <input className="mono" aria-label={`Type ${table} to allow the lossy down of ${patchId}`} value={typed} onChange={(e) => setTyped(e.target.value)} />
      <button className="btn btn-small btn-danger" disabled={typed !== table || busy} onClick={() => void allow()}>
        Allow
      </button>
      <ErrorLine error={error} />
    </span>
  );
}

function DecideDialog({ plan, environmentId, onClose }: { plan: RollbackPlan; environmentId: number; onClose: () => void }) {
  const api = useApi();
  const invalidate = useInvalidate();
  const app = useApiQuery('applications.get', { id: plan.applicationId });
  const options = DECISIONS.filter((d) => d.value !== 'app-only' || plan.appOnlyOffered);
  const [decision, setDecision] = useState<Decision>((options.find((d) => d.value !== 'restore' || plan.lastBackupAt) ?? options[0]!).value);
  const [confirm, setConfirm] = useState('');
  const { busy, error, run } = useAction();
  const go = () =>
    run(async () => {
      await api.call('dbpatch.decideRollback', { applicationId: plan.applicationId, environmentId, decision, confirm });
      await invalidate('dbpatch.*');
      onClose();
    });
  return (
    <Dialog
      title="Pass an irreversible patch"
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger disabled={busy || confirm !== app.data?.name} onConfirm={() => void go()} testId="dbpatch-decide-confirm">
          {busy ? 'Recording…' : 'Record the decision'}
        </ConfirmButtons>
      }
    >
      {!plan.appOnlyOffered && <p className="small">An application-only rollback is not offered: a patch to pass is not expand-compatible (the previous release would break on it).</p>}
      <p className="small" data-testid="dbpatch-decide-backup">
        {plan.lastBackupAt
          ? `Pre-patch backup: ${formatDateTime(plan.lastBackupAt)}, ${ageOf(plan.lastBackupAt)} old — a restore loses what was written since.`
          : 'No backup of these databases is known to Puesta: restoring is not offered (set their backup folder, or fix forward).'}
      </p>
      <fieldset className="proxy-drivers">
        {options.map((d) => (
          <label key={d.value} className="check">
            <input
              type="radio"
              name="decision"
              checked={decision === d.value}
              disabled={d.value === 'restore' && !plan.lastBackupAt}
              onChange={() => setDecision(d.value)}
              data-testid={`decision-${d.value}`}
            />
            <span>
              <strong>{d.label}</strong> <span className="small muted">{d.what}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Type the application’s name ({app.data?.name}) to confirm; the decision is audited</span>
        <input value={confirm} onChange={(e) => setConfirm(e.target.value)} data-testid="dbpatch-decide-name" />
      </label>
      <ErrorLine error={error} />
    </Dialog>
  );
}
