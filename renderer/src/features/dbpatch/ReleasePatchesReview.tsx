import type { SourceReview } from '../../../../shared/contract/dbpatch.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge, ErrorBox, Spinner } from '../../components/Bits.js';
import { href } from '../../lib/router.js';
import './dbpatch.css';
import { VERDICT } from './PatchPage.js';

const fmt = (ms: number | null) => (ms == null ? '' : ms < 1000 ? `≈ ${Math.round(ms)} ms` : `≈ ${(ms / 1000).toFixed(1)} s`);

/**
 * The upgrade review's database part for a local release source, before it is uploaded
 * (dbpatch.review): the patches its db/patches/ carries, pending per database with the dry run's
 * verdict. Mounted by the New-run wizard once a plan is previewed.
 */
export function ReleasePatchesReview({ applicationId, source }: { applicationId: number; source: { kind: 'directory' | 'tarball'; path: string } }) {
  const q = useApiQuery('dbpatch.review', { applicationId, source });
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Spinner />;
  const r: SourceReview = q.data;
  if (!r.databases.length) return null;
  return (
    <div className="dbpatch-review" data-testid="release-patches-review">
      <h3>Database patches</h3>
      <p className="small muted">
        {r.from === 'release' ? (
          <>
            The release carries {r.patches.length} patch{r.patches.length === 1 ? '' : 'es'} in <code>db/patches/</code> (read on this computer, dry-run on each database):
          </>
        ) : (
          <>
            The release has no <code>db/patches/</code>: the patches imported into Puesta apply.
          </>
        )}
      </p>
      {r.databases.map((d) => (
        <div key={d.databaseId} className="dbpatch-review-db" data-testid={`review-db-${d.name}`}>
          <strong>{d.name}</strong>{' '}
          {d.error && <span className="small muted">not reached now ({d.error}): pending from what Puesta last saw, no verdict</span>}
          {d.pending.length === 0 ? (
            <span className="small muted">nothing pending</span>
          ) : (
            <ul className="dbpatch-lint">
              {d.pending.map((p) => (
                <li key={p.patchId} data-testid={`review-patch-${p.patchId}`}>
                  <a href={href(`/applications/${applicationId}/patches/${p.patchId}`)}>
                    <code>{p.patchId}</code>
                  </a>{' '}
                  {p.verdict && <Badge tone={VERDICT[p.verdict].tone}>{VERDICT[p.verdict].label}</Badge>} <span className="small muted">{fmt(p.estimateMs)}</span>
                  {p.reasons.map((x, i) => (
                    <div key={i} className="small">
                      {x}
                    </div>
                  ))}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </div>
  );
}
