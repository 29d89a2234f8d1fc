import { useState } from 'react';
import { Section } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { useApiQuery } from '../../api/queries.js';

const IGNORED = new Set(['id', 'createdAt', 'updatedAt']);

function changedFields(before: unknown, after: unknown): string[] {
  if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return [];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !IGNORED.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

const VERB: Record<string, string> = { create: 'created it', update: 'changed', delete: 'deleted it', import: 'imported', 'ssh.exec': 'ran' };

/** The command of an ad-hoc run, from its audit entry. */
const commandOf = (after: unknown): string | null => (after && typeof after === 'object' && typeof (after as { command?: unknown }).command === 'string' ? (after as { command: string }).command : null);

/** The audit log of one record: who changed what, and when. */
export function HistoryPanel({ entity, id }: { entity: string; id: number }) {
  const [limit, setLimit] = useState(5);
  const q = useApiQuery('audit.list', { entity, entityId: id, limit });
  const items = q.data?.items ?? [];
  return (
    <Section title="History" count={q.data?.total}>
      {items.length ? (
        <ol className="history" data-testid="history">
          {items.map((e) => {
            const fields = e.action === 'update' ? changedFields(e.before, e.after) : [];
            return (
              <li key={e.id}>
                <span className="history-dot" data-action={e.action} />
                <div>
                  <strong>{e.actor}</strong> {VERB[e.action] ?? e.action}
                  {e.action === 'update' && (fields.length ? <> <span className="mono small">{fields.join(', ')}</span></> : ' nothing visible')}
                  {e.action === 'ssh.exec' && commandOf(e.after) !== null && <> <code className="small">{commandOf(e.after)}</code></>}
                  <div className="muted small">{formatDateTime(e.at)}</div>
                </div>
              </li>
            );
          })}
        </ol>
      ) : (
        <p className="muted">No change recorded yet.</p>
      )}
      {q.data && q.data.total > items.length && (
        <button className="btn btn-small" onClick={() => setLimit((l) => l + 20)}>
          Show older
        </button>
      )}{' '}
      {items.length > 0 && (
        <a className="small" href={href(`/audit?entity=${encodeURIComponent(entity)}&entityId=${id}`)}>
          Open in the audit log
        </a>
      )}
    </Section>
  );
}
