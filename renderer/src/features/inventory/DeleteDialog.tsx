/**
 * "Delete …?" for a record page. It asks the core what still uses the record first: while anything
 * does, the delete would be refused, so the button stays off and the blockers are listed with links.
 */
import type { ReactNode } from 'react';
import type { EntityName } from '../../../../shared/contract/inventory.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { href } from '../../lib/router.js';

/** Where the rows of a referencing table are listed. */
const LISTED_AT: Record<string, string> = {
  servers: '/servers',
  placements: '/placements',
  contacts: '/contacts',
  contracts: '/contracts',
  contract_applications: '/contracts',
  runs: '/runs',
  run_steps: '/runs',
  window_servers: '/windows',
  window_applications: '/windows',
};

export function DeleteDialog({ entity, id, title, note, confirmLabel, onDelete, onClose }: { entity: EntityName; id: number; title: string; note: ReactNode; confirmLabel: string; onDelete: () => Promise<void>; onClose: () => void }) {
  const usage = useApiQuery('inventory.usage', { entity, id });
  const uses = usage.data?.uses ?? [];
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel}
      danger
      disabled={uses.length > 0}
      testId="confirm-delete"
      onConfirm={onDelete}
      onClose={onClose}
      body={
        <>
          {uses.length > 0 ? (
            <div data-testid="delete-blockers">
              <p>It cannot be deleted while it is still used by:</p>
              <ul className="link-list">
                {uses.map((u) => (
                  <li key={u.table}>
                    {LISTED_AT[u.table] ? <a href={href(LISTED_AT[u.table]!)}>{`${u.count} ${u.label}${u.count === 1 ? '' : 's'}`}</a> : `${u.count} ${u.label}${u.count === 1 ? '' : 's'}`}
                  </li>
                ))}
              </ul>
              <p className="muted">Remove or reassign those first.</p>
            </div>
          ) : (
            <p>{note}</p>
          )}
          <ErrorLine error={usage.error?.message ?? null} />
        </>
      }
    />
  );
}
