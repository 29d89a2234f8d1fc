/**
 * API handlers for SSH: connection test + host-key trust flow, stored secrets, ad-hoc commands
 * with output streamed as `ssh.output` / `ssh.exit` events.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionFacts } from '../../../shared/contract/ssh.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { RunningExec } from '../services.js';
import type { Handlers } from '../handlers.js';
import { listPins, pinHostKey, type HostKeyPin } from './hostkeys.js';
import { serverSecretKey, sshOf } from './index.js';
import type { SshTarget } from './types.js';

type SshMethod =
  | 'servers.testConnection'
  | 'servers.trustHostKey'
  | 'servers.hostKeys'
  | 'servers.setSecret'
  | 'servers.clearSecret'
  | 'servers.secretStatus'
  | 'ssh.exec'
  | 'ssh.cancel';

export function targetOf(core: Core, serverId: number): SshTarget {
  const s = core.inventory.servers.get(serverId) as Record<string, unknown>;
  return {
    id: s.id as number,
    name: s.name as string,
    host: s.host as string,
    port: s.port as number,
    user: s.user as string,
    auth: s.auth as SshTarget['auth'],
    keyPath: (s.keyPath as string | null) ?? null,
  };
}

const pinView = (p: HostKeyPin) => ({ host: p.host, port: p.port, keyType: p.keyType, fingerprint: p.fingerprint, trustedBy: p.trustedBy, trustedAt: p.trustedAt });

/** One shell script, sections separated by markers, read in one round trip. */
const FACTS_SCRIPT = [
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

function execsOf(core: Core): Map<string, RunningExec> {
  return core.services.adhoc;
}

export const sshHandlers: Handlers<SshMethod> = {
  'servers.testConnection': async (core, { id }) => {
    const t = targetOf(core, id);
    const pool = sshOf(core);
    const wasConnected = pool.stats(id).connected;
    const t0 = performance.now();
    const key = await pool.connect(t);
    const connectMs = wasConnected ? 0 : Math.round(performance.now() - t0);
    let latency = Infinity;
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      await pool.exec(t, 'true', { timeoutMs: 15_000 });
      latency = Math.min(latency, performance.now() - s);
    }
    const r = await pool.exec(t, FACTS_SCRIPT, { timeoutMs: 20_000 });
    return { serverId: id, fingerprint: key.fingerprint, keyType: key.keyType, latencyMs: Math.round(latency * 10) / 10, connectMs, ...parseFacts(r.stdout) };
  },

  'servers.trustHostKey': async (core, { id, fingerprint, replace }) => {
    const t = targetOf(core, id);
    const pool = sshOf(core);
    const seen = await pool.scanHostKey(t);
    if (seen.fingerprint !== fingerprint) {
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `${t.name} now presents ${seen.keyType} ${seen.fingerprint}, not the fingerprint you confirmed (${fingerprint}). Nothing was pinned. Test the connection again and compare the key with the server's administrator.`,
        { host: t.host, port: t.port, presented: seen.fingerprint, keyType: seen.keyType, confirmed: fingerprint },
      );
    }
    const r = pinHostKey(core, { host: t.host, port: t.port, keyType: seen.keyType, fingerprint: seen.fingerprint, serverId: id }, { replace });
    if (r.changed) await pool.close(id);
    return { pinned: pinView(r.pin), replaced: r.replaced ? pinView(r.replaced) : null };
  },

  'servers.hostKeys': (core, { id }) => {
    const t = targetOf(core, id);
    return { items: listPins(core, t.host, t.port).map(pinView) };
  },

  'servers.setSecret': async (core, { id, kind, value }) => {
    const t = targetOf(core, id);
    core.tx(() => {
      core.secrets.set(serverSecretKey(id, kind), value);
      core.audit.write(core.operator(), `secret.set`, 'servers', id, null, { kind, server: t.name });
    });
    await sshOf(core).close(id);
    return { stored: true as const };
  },

  'servers.clearSecret': async (core, { id, kind }) => {
    const t = targetOf(core, id);
    const had = core.secrets.has(serverSecretKey(id, kind));
    if (had) {
      core.tx(() => {
        core.secrets.delete(serverSecretKey(id, kind));
        core.audit.write(core.operator(), `secret.clear`, 'servers', id, { kind, server: t.name }, null);
      });
      await sshOf(core).close(id);
    }
    return { cleared: had };
  },

  'servers.secretStatus': (core, { id }) => {
    targetOf(core, id);
    return { password: core.secrets.has(serverSecretKey(id, 'password')), passphrase: core.secrets.has(serverSecretKey(id, 'passphrase')) };
  },

  'ssh.exec': (core, { serverIds, command, timeoutSeconds }) => {
    const ids = [...new Set(serverIds)];
    const targets = ids.map((id) => targetOf(core, id));
    const execId = randomUUID();
    const ac = new AbortController();
    const running: RunningExec = { ac, pending: targets.length };
    const map = execsOf(core);
    map.set(execId, running);
    core.audit.write(core.operator(), 'ssh.exec', 'servers', ids.length === 1 ? ids[0]! : null, null, { command, servers: targets.map((t) => t.name), timeoutSeconds });
    const pool = sshOf(core);
    for (const t of targets) {
      const started = Date.now();
      // Not awaited: the answer is the execId; output and the end arrive as events.
      void pool
        .exec(t, command, {
          timeoutMs: timeoutSeconds * 1000,
          signal: ac.signal,
          keepBytes: 0,
          onChunk: (c) => core.events.emit('ssh.output', { execId, serverId: t.id, stream: c.stream, seq: c.seq, ts: c.ts, text: c.text }),
        })
        .then(
          (r) => core.events.emit('ssh.exit', { execId, serverId: t.id, exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs }),
          (e: unknown) => {
            const err = e instanceof PuestaError ? e : new PuestaError('SSH_ERROR', `${t.name}: ${(e as Error)?.message ?? String(e)}`);
            core.events.emit('ssh.exit', { execId, serverId: t.id, exitCode: null, signal: null, durationMs: Date.now() - started, error: { code: err.code, message: err.message } });
          },
        )
        .finally(() => {
          if (--running.pending === 0) map.delete(execId);
        });
    }
    return { execId };
  },

  'ssh.cancel': (core, { execId }) => {
    const r = execsOf(core).get(execId);
    if (!r) return { cancelled: false };
    r.ac.abort();
    return { cancelled: true };
  },
};
