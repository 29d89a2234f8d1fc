/**
 * Pinned SSH host keys (per host + port + key type), the only place their SQL lives.
 * ssh2 accepts any host key unless told otherwise: the connection's host-key verifier consults
 * these pins and refuses unknown (HOST_KEY_UNKNOWN) and changed (HOST_KEY_CHANGED) keys.
 */
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { nowIso, rowMapper, type Row } from '../db/rows.js';

export interface HostKeyPin {
  id: number;
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  serverId: number | null;
  trustedBy: string;
  trustedAt: string;
}

/** What the pool needs to verify host keys. */
export interface HostKeyLookup {
  pinsFor(host: string, port: number): HostKeyPin[];
}

const SELECT = 'SELECT id, host, port, key_type, fingerprint, server_id, trusted_by, trusted_at FROM host_keys';
const pinOf = rowMapper<HostKeyPin>();

export function listPins(core: Core, host: string, port: number): HostKeyPin[] {
  return (core.db.prepare(`${SELECT} WHERE host = ? AND port = ? ORDER BY key_type`).all(host, port) as Row[]).map(pinOf);
}

function pinOfType(core: Core, host: string, port: number, keyType: string): HostKeyPin | null {
  const row = core.db.prepare(`${SELECT} WHERE host = ? AND port = ? AND key_type = ?`).get(host, port, keyType) as Row | undefined;
  return row ? pinOf(row) : null;
}

export function hostKeyLookup(core: Core): HostKeyLookup {
  return { pinsFor: (host, port) => listPins(core, host, port) };
}

/**
 * Pins a key. A different existing pin for the same host+port+type is only replaced with
 * `replace: true`; both cases are audited (a replacement with before/after).
 */
export function pinHostKey(
  core: Core,
  key: { host: string; port: number; keyType: string; fingerprint: string; serverId: number | null },
  opts: { replace?: boolean } = {},
): { pin: HostKeyPin; replaced: HostKeyPin | null; changed: boolean } {
  return core.tx(() => {
    const prev = pinOfType(core, key.host, key.port, key.keyType);
    if (prev && prev.fingerprint === key.fingerprint) return { pin: prev, replaced: null, changed: false };
    if (prev && !opts.replace) {
      throw new PuestaError(
        'HOST_KEY_CHANGED',
        `${key.host}:${key.port} already has a different pinned ${key.keyType} key (${prev.fingerprint}). Replace the pin only after confirming with the server's administrator that its key really changed.`,
        { host: key.host, port: key.port, keyType: key.keyType, pinned: prev.fingerprint, presented: key.fingerprint },
      );
    }
    const actor = core.operator();
    const now = nowIso();
    if (prev) {
      core.db.prepare('UPDATE host_keys SET fingerprint = ?, server_id = ?, trusted_by = ?, trusted_at = ? WHERE id = ?').run(key.fingerprint, key.serverId, actor, now, prev.id);
    } else {
      core.db
        .prepare('INSERT INTO host_keys (host, port, key_type, fingerprint, server_id, trusted_by, trusted_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(key.host, key.port, key.keyType, key.fingerprint, key.serverId, actor, now);
    }
    const pin = pinOfType(core, key.host, key.port, key.keyType)!;
    const view = (p: HostKeyPin) => ({ host: p.host, port: p.port, keyType: p.keyType, fingerprint: p.fingerprint });
    core.audit.write(actor, prev ? 'hostkey.replace' : 'hostkey.trust', 'servers', key.serverId, prev ? view(prev) : null, view(pin));
    return { pin, replaced: prev, changed: true };
  });
}
