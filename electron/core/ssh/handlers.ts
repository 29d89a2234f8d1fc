/**
 * API handlers for SSH: connection test + host-key trust flow, stored secrets, ad-hoc commands
 * with output streamed as `ssh.output` / `ssh.exit` events.
 */
import { randomUUID } from 'node:crypto';
import type { sshMethods } from '../../../shared/contract/ssh.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Handlers } from '../handlers.js';
import { serverSecretKey, type RunningExec } from '../services.js';
import { FACTS_SCRIPT, parseFacts } from './facts.js';
import { listPins, pinHostKey, type HostKeyPin } from './hostkey-store.js';
import { serverTarget } from './target.js';
import type { Core } from '../core.js';
import { recordCheck } from '../repos/server-checks.js';

type SshMethod = keyof typeof sshMethods;

/**
 * The same guard as runs: where a server's environment asks for a typed confirmation (confirmRuns),
 * the operator must have typed that environment's name.
 */
function requireTypedConfirmation(core: Core, serverIds: number[], typed: string[]): void {
  const given = new Set(typed.map((s) => s.trim()));
  const missing = new Set<string>();
  for (const id of serverIds) {
    const envId = core.inventory.servers.get(id).environmentId as number | null;
    if (envId === null) continue;
    const env = core.inventory.environments.get(envId) as { name: string; confirmRuns: boolean };
    if (env.confirmRuns && !given.has(env.name)) missing.add(env.name);
  }
  if (missing.size) {
    const names = [...missing];
    throw new PuestaError('PRECONDITION_FAILED', `Commands on ${names.join(', ')} need a typed confirmation: type the environment name${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} to run.`, {
      confirmNames: names,
    });
  }
}

const pinView = (p: HostKeyPin) => ({ host: p.host, port: p.port, keyType: p.keyType, fingerprint: p.fingerprint, trustedBy: p.trustedBy, trustedAt: p.trustedAt });

export const sshHandlers: Handlers<SshMethod> = {
  'servers.testConnection': async (core, { id }) => {
    const t = serverTarget(core, id);
    const pool = core.services.ssh;
    // The outcome, either way, is the server's last check (servers list, Today).
    const checked = (ok: boolean, code: string | null, message: string) => {
      recordCheck(core.db, { serverId: id, at: new Date().toISOString(), kind: 'connection', ok, code, message });
      core.events.emit('servers.checked', { serverIds: [id] });
    };
    try {
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
      const latencyMs = Math.round(latency * 10) / 10;
      checked(true, null, `${latencyMs} ms per command`);
      return { serverId: id, fingerprint: key.fingerprint, keyType: key.keyType, latencyMs, connectMs, ...parseFacts(r.stdout) };
    } catch (e) {
      const err = e instanceof PuestaError ? e : new PuestaError('SSH_ERROR', `${t.name}: ${(e as Error)?.message ?? String(e)}`);
      checked(false, err.code, err.message);
      throw e;
    }
  },

  'servers.trustHostKey': async (core, { id, fingerprint, replace }) => {
    const t = serverTarget(core, id);
    const pool = core.services.ssh;
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
    const t = serverTarget(core, id);
    return { items: listPins(core, t.host, t.port).map(pinView) };
  },

  'servers.setSecret': async (core, { id, kind, value }) => {
    const t = serverTarget(core, id);
    core.tx(() => {
      core.secrets.set(serverSecretKey(id, kind), value);
      core.audit.write(core.operator(), `secret.set`, 'servers', id, null, { kind, server: t.name });
    });
    await core.services.ssh.close(id);
    return { stored: true as const };
  },

  'servers.clearSecret': async (core, { id, kind }) => {
    const t = serverTarget(core, id);
    const had = core.secrets.has(serverSecretKey(id, kind));
    if (had) {
      core.tx(() => {
        core.secrets.delete(serverSecretKey(id, kind));
        core.audit.write(core.operator(), `secret.clear`, 'servers', id, { kind, server: t.name }, null);
      });
      await core.services.ssh.close(id);
    }
    return { cleared: had };
  },

  'servers.secretStatus': (core, { id }) => {
    serverTarget(core, id);
    return { password: core.secrets.has(serverSecretKey(id, 'password')), passphrase: core.secrets.has(serverSecretKey(id, 'passphrase')) };
  },

  'ssh.exec': (core, { serverIds, command, timeoutSeconds, confirm }) => {
    const ids = [...new Set(serverIds)];
    const targets = ids.map((id) => serverTarget(core, id));
    requireTypedConfirmation(core, ids, confirm);
    const execId = randomUUID();
    const ac = new AbortController();
    const running: RunningExec = { ac, pending: targets.length };
    const map = core.services.adhoc;
    map.set(execId, running);
    // one entry per server, so the command shows in each server's history
    const operator = core.operator();
    const servers = targets.map((t) => t.name);
    core.tx(() => {
      targets.forEach((t) => core.audit.write(operator, 'ssh.exec', 'servers', t.id, null, { command, server: t.name, servers, timeoutSeconds, execId }));
    });
    const pool = core.services.ssh;
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
    const r = core.services.adhoc.get(execId);
    if (!r) return { cancelled: false };
    r.ac.abort();
    return { cancelled: true };
  },
};
