/**
 * The SSH engine of one core: `sshOf(core)` creates the pool on first use (host-key pins from the
 * DB, passwords/passphrases from the secret store) and closes it when the core closes.
 */
import type { Core } from '../core.js';
import { hostKeyLookup } from './hostkeys.js';
import { SshPool, type SecretKind, type SshPoolOptions } from './pool.js';

export { raw, sh, shJoin, shq } from './quote.js';
export type { RawShell } from './quote.js';
export * from './types.js';
export { SshPool } from './pool.js';
export type { ExecOptionsExt, HostKeyInfo, HostStats, SecretKind, SshPoolOptions } from './pool.js';
export { fingerprintOfBlob, keyTypeOfBlob, listPins, pinHostKey, type HostKeyPin } from './hostkeys.js';

/** Secret-store key of a server's password or key passphrase. */
export const serverSecretKey = (serverId: number, kind: SecretKind): string => `server:${serverId}:${kind}`;

const pools = new WeakMap<Core, SshPool>();

/** The core's SSH pool (one connection per host, reused by every command). */
export function sshOf(core: Core, opts: Partial<Omit<SshPoolOptions, 'hostKeys' | 'secret'>> = {}): SshPool {
  let pool = pools.get(core);
  if (!pool) {
    const p = new SshPool({
      hostKeys: hostKeyLookup(core),
      secret: (serverId, kind) => core.secrets.get(serverSecretKey(serverId, kind)),
      ...opts,
    });
    pools.set(core, p);
    core.onClose(() => p.close());
    pool = p;
  } else if (Object.keys(opts).length) pool.configure(opts);
  return pool;
}
