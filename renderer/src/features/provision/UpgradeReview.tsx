/**
 * The upgrade review: what the next upgrade changes on the hosts, compared with what the last
 * install/upgrade applied (provision.review). `UpgradeReview` is the list (mountable anywhere, e.g.
 * in the New-run wizard for kind 'upgrade'); `UpgradeReviewDialog` wraps it in a dialog.
 */
import type { ProvisionDelta } from '../../../../shared/contract/provision.js';
import { Badge, ErrorBox, Spinner } from '../../components/Bits.js';
import { Dialog } from '../../components/Dialog.js';
import { formatDateTime } from '../../lib/format.js';
import { useApiQuery } from '../../api/queries.js';
import { href } from '../../lib/router.js';
import './provision.css';

const KIND_LABEL: Record<ProvisionDelta['kind'], string> = {
  user: 'User',
  layout: 'Folders',
  service: 'Service',
  scale: 'Scale',
  logrotate: 'Log rotation',
  backup: 'Backup',
  monitoring: 'Monitoring',
  health: 'Health check',
  database: 'Database',
};

export function UpgradeReview({ applicationId, serverId }: { applicationId: number; serverId?: number }) {
  const q = useApiQuery('provision.review', serverId === undefined ? { applicationId } : { applicationId, serverId });
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Spinner />;
  const r = q.data;
  return (
    <div className="prov-review" data-testid="upgrade-review">
      <p className="muted small">
        {r.firstInstall ? (
          <>Nothing was installed by Puesta yet: the install creates everything below.</>
        ) : (
          <>
            Compared with what {r.lastRunId ? <a href={href(`/runs/${r.lastRunId}`)}>run #{r.lastRunId}</a> : 'the last install'} applied on {formatDateTime(r.lastAppliedAt!)}.
          </>
        )}
      </p>
      {r.deltas.length === 0 ? (
        <div className="callout callout-ok" data-testid="review-none">
          <span>No change to users, folders, services, counts, backups or log rotation: the upgrade only ships the new release.</span>
        </div>
      ) : (
        <table className="table prov-review-table">
          <thead>
            <tr>
              <th>What</th>
              <th>Before</th>
              <th>After</th>
              <th>The upgrade will</th>
            </tr>
          </thead>
          <tbody>
            {r.deltas.map((d, i) => (
              <tr key={i} data-testid="review-delta">
                <td>
                  <Badge tone={d.kind === 'scale' ? 'blue' : d.kind === 'service' || d.kind === 'user' ? 'violet' : 'neutral'}>{KIND_LABEL[d.kind]}</Badge> {d.what}
                </td>
                <td className="prov-val">{d.before ?? <span className="muted">—</span>}</td>
                <td className="prov-val">{d.after ?? <span className="muted">—</span>}</td>
                <td>{d.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function UpgradeReviewDialog({ applicationId, onClose }: { applicationId: number; onClose: () => void }) {
  return (
    <Dialog
      title="Upgrade review"
      wide
      onClose={onClose}
      footer={
        <button className="btn btn-primary" onClick={onClose}>
          Close
        </button>
      }
    >
      <UpgradeReview applicationId={applicationId} />
    </Dialog>
  );
}
