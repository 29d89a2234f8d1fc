import { useApiQuery } from '../../api/queries.js';
import { Badge, Section } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';

/** Today's "Servers that failed their last check": the latest collected stats of each server that show a problem. */
export function TodayServers() {
  const q = useApiQuery('stats.failing', {});
  const items = q.data?.items;
  return (
    <Section title="Servers that failed their last check" count={items?.length}>
      <div data-testid="today-servers">
        {q.error && <p className="muted">Could not read the checks: {q.error.message}</p>}
        {items && !items.length && <p className="muted">No server failed its last check. Checks run with “Test connection” on a server, with “Collect now” (statistics, services and health) on a server or application page, and after each install.</p>}
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
