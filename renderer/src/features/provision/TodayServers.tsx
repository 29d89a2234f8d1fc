import { useCallback } from 'react';
import { useEvent, useQuery } from '../../api/context.js';
import { Badge, Section } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';

/** Today's "Servers that failed their last check": the latest collected stats of each server that show a problem. */
export function TodayServers() {
  const q = useQuery('stats.failing', {});
  useEvent(
    'stats.collected',
    useCallback(() => void q.reload(), [q.reload]),
  );
  const items = q.data?.items;
  return (
    <Section title="Servers that failed their last check" count={items?.length}>
      <div data-testid="today-servers">
        {q.error && <p className="muted">Could not read the checks: {q.error.message}</p>}
        {items && !items.length && <p className="muted">No server failed its last check. Checks (statistics, services and health) run after each install and with “Collect now” on a server or application page.</p>}
        {items && items.length > 0 && (
          <table className="table table-inner">
            <tbody>
              {items.map((i) => (
                <tr key={`${i.serverId}-${i.applicationId ?? 0}`}>
                  <td className="nowrap">
                    <a href={href(`/servers/${i.serverId}`)}>
                      <strong>{i.serverName}</strong>
                    </a>
                    {i.applicationName && <span className="muted"> · {i.applicationName}</span>}
                    <div className="small muted">{formatDateTime(i.at)}</div>
                  </td>
                  <td>
                    {i.problems.map((p) => (
                      <div key={p} className="small">
                        <Badge tone="red">problem</Badge> {p}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Section>
  );
}
