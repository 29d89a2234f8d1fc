/**
 * What "Test connection" reads from a server: one shell script whose sections are separated by
 * `@@name` marker lines (one round trip), and its pure parser.
 */
import type { ConnectionFacts } from '../../../shared/contract/ssh.js';

/** Each section tolerates a missing tool: its section is then empty and its fact blank/null. */
export const FACTS_SCRIPT = [
  'echo @@kernel; uname -sr',
  'echo @@hostname; hostname',
  'echo @@os; ( . /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" ) || uname -o',
  'echo @@uptime; cat /proc/uptime 2>/dev/null; uptime 2>/dev/null',
  'echo @@disk; df -P -B1 / /srv /var /home 2>/dev/null',
  'echo @@mem; grep -E "^(MemTotal|MemAvailable):" /proc/meminfo 2>/dev/null',
  'echo @@sudo; sudo -n true 2>/dev/null && echo yes || echo no',
].join('; ');

export function parseFacts(out: string): Omit<ConnectionFacts, 'serverId' | 'fingerprint' | 'keyType' | 'latencyMs' | 'connectMs'> {
  const sec: Record<string, string[]> = {};
  let cur = '';
  for (const line of out.split('\n')) {
    const m = /^@@(\w+)$/.exec(line.trim());
    if (m) {
      cur = m[1]!;
      sec[cur] = [];
    } else if (cur && line.trim()) sec[cur]!.push(line.trim());
  }
  const up = sec.uptime ?? [];
  const secs = up[0] && /^\d+(\.\d+)?\s/.test(up[0]) ? Math.floor(Number(up[0].split(/\s+/)[0])) : null;
  const seen = new Set<string>();
  const disk = (sec.disk ?? [])
    .slice(1)
    .map((l) => l.split(/\s+/))
    .filter((c) => c.length >= 6 && /^\d+$/.test(c[1]!))
    .map((c) => ({ mount: c[5]!, sizeBytes: Number(c[1]), usedBytes: Number(c[2]), availableBytes: Number(c[3]) }))
    .filter((d) => (seen.has(d.mount) ? false : (seen.add(d.mount), true)));
  const mem = Object.fromEntries((sec.mem ?? []).map((l) => {
    const [k, v] = l.split(':');
    return [k!.trim(), Number.parseInt(v ?? '0', 10) * 1024];
  }));
  return {
    kernel: sec.kernel?.[0] ?? '',
    hostname: sec.hostname?.[0] ?? '',
    os: sec.os?.[0] ?? '',
    uptime: up.find((l) => / up /.test(l)) ?? (secs !== null ? `${Math.floor(secs / 86400)} days` : ''),
    uptimeSeconds: secs,
    disk,
    memory: mem.MemTotal ? { totalBytes: mem.MemTotal, availableBytes: mem.MemAvailable ?? 0 } : null,
    sudo: sec.sudo?.[0] === 'yes',
  };
}
