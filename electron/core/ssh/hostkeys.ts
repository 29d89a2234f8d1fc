/**
 * Pinned SSH host keys (per host + port + key type), the only place their SQL lives.
 * ssh2 accepts any host key unless told otherwise: the pool's hostVerifier consults these pins
 * and refuses unknown (HOST_KEY_UNKNOWN) and changed (HOST_KEY_CHANGED) keys.
 */
import { createHash } from 'node:crypto';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';

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

/** `SHA256:` + unpadded base64 — OpenSSH's own fingerprint format. */
export function fingerprintOfBlob(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named at the start of an SSH public key blob (e.g. "ssh-ed25519"). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n <= 0 || n > 64 || blob.length < 4 + n) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** Host-key algorithms (as negotiated) that carry a key of this type. */
export function algorithmsForKeyType(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}

function fromRow(r: Record<string, unknown>): HostKeyPin {
  return {
    id: r.id as number,
    host: r.host as string,
    port: r.port as number,
    keyType: r.key_type as string,
    fingerprint: r.fingerprint as string,
    serverId: (r.server_id as number | null) ?? null,
    trustedBy: r.trusted_by as string,
    trustedAt: r.trusted_at as string,
  };
}

export function listPins(core: Core, host: string, port: number): HostKeyPin[] {
  return (core.db.prepare('SELECT * FROM host_keys WHERE host = ? AND port = ? ORDER BY key_type').all(host, port) as Record<string, unknown>[]).map(fromRow);
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
    const before = core.db.prepare('SELECT * FROM host_keys WHERE host = ? AND port = ? AND key_type = ?').get(key.host, key.port, key.keyType) as
      | Record<string, unknown>
      | undefined;
    const prev = before ? fromRow(before) : null;
    if (prev && prev.fingerprint === key.fingerprint) return { pin: prev, replaced: null, changed: false };
    if (prev && !opts.replace) {
      throw new PuestaError(
        'HOST_KEY_CHANGED',
        `${key.host}:${key.port} already has a different pinned ${key.keyType} key (${prev.fingerprint}). Replace the pin only after confirming with the server's administrator that its key really changed.`,
        { host: key.host, port: key.port, keyType: key.keyType, pinned: prev.fingerprint, presented: key.fingerprint },
      );
    }
    const actor = core.operator();
    const now = new Date().toISOString();
    if (prev) {
      core.db.prepare('UPDATE host_keys SET fingerprint = ?, server_id = ?, trusted_by = ?, trusted_at = ? WHERE id = ?').run(key.fingerprint, key.serverId, actor, now, prev.id);
    } else {
      core.db
        .prepare('INSERT INTO host_keys (host, port, key_type, fingerprint, server_id, trusted_by, trusted_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(key.host, key.port, key.keyType, key.fingerprint, key.serverId, actor, now);
    }
    const pin = fromRow(core.db.prepare('SELECT * FROM host_keys WHERE host = ? AND port = ? AND key_type = ?').get(key.host, key.port, key.keyType) as Record<string, unknown>);
    const view = (p: HostKeyPin) => ({ host: p.host, port: p.port, keyType: p.keyType, fingerprint: p.fingerprint });
    core.audit.write(actor, prev ? 'hostkey.replace' : 'hostkey.trust', 'servers', key.serverId, prev ? view(prev) : null, view(pin));
    return { pin, replaced: prev, changed: true };
  });
}
