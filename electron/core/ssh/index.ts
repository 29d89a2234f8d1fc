/** The SSH engine: `core.services.ssh` (built in services.ts) is the pool of one core. */
import type { Core } from '../core.js';
import type { SshTuning } from '../services.js';
import type { SshPool } from './pool.js';

export { raw, sh, shJoin, shq } from './quote.js';
export type { RawShell } from './quote.js';
export * from './types.js';
export { SshPool } from './pool.js';
export type { ExecOptionsExt, HostKeyInfo, HostStats, SecretKind, SshPoolOptions } from './pool.js';
export { fingerprintOfBlob, keyTypeOfBlob, listPins, pinHostKey, type HostKeyPin } from './hostkeys.js';

export { serverSecretKey } from '../services.js';

/** The core's SSH pool (one connection per host, reused by every command); options tune it. */
export function sshOf(core: Core, opts: SshTuning = {}): SshPool {
  if (Object.keys(opts).length) core.services.configure({ ssh: opts });
  return core.services.ssh;
}
