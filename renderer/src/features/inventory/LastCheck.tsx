/** A server's last check (connection test or statistics collection) as a status badge. */
import type { ServerCheck } from '../../../../shared/contract/provision.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';

const NO_CHECKS = new Map<number, ServerCheck>();
const byServer = (r: { items: ServerCheck[] }) => new Map(r.items.map((c) => [c.serverId, c]));

/** The last check of every server, by server id (refreshed by `servers.checked`). */
export function useServerChecks(): Map<number, ServerCheck> {
  return useApiQuery('servers.checks', {}, { select: byServer }).data ?? NO_CHECKS;
}

const KIND = { connection: 'connection test', stats: 'statistics' } as const;

export function LastCheck({ check }: { check: ServerCheck | undefined }) {
  if (!check) return <span className="muted small nowrap">not checked</span>;
  const when = `${KIND[check.kind]}, ${formatDateTime(check.at)}`;
  // a collection that reached the host may still have found problems (they are its message)
  const tone = !check.ok ? 'red' : check.message && check.kind === 'stats' ? 'amber' : 'green';
  const label = !check.ok ? 'unreachable' : tone === 'amber' ? 'problems' : 'reachable';
  return (
    // the list stays narrow: what the check found and when are in the tooltip
    <span className="last-check nowrap" data-testid="last-check" data-ok={check.ok}>
      <Badge tone={tone} title={[when, check.message].filter(Boolean).join(': ')}>
        {label}
      </Badge>
    </span>
  );
}
