/** The SSH engine: `core.services.ssh` (built in services.ts) is the pool of one core. */
export { raw, sh, shJoin, shq } from './quote.js';
export type { RawShell } from './quote.js';
export * from './types.js';
export { SshPool } from './pool.js';
export type { ExecOptionsExt, HostKeyInfo, HostStats, SecretKind, SshPoolOptions } from './pool.js';
export { algorithmsForKeyType, fingerprintOfBlob, keyTypeOfBlob } from './connection.js';
export { listPins, pinHostKey, type HostKeyPin } from './hostkey-store.js';
export { sha256File } from './transfer.js';
export { serverTarget, targetOf } from './target.js';

export { serverSecretKey } from '../services.js';
