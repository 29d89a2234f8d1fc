/** The pool's tuning, with its defaults; one live object shared by the pool and its connections. */
import type { SecretKind } from './auth.js';
import type { HostKeyLookup } from './hostkey-store.js';

export interface SshPoolOptions {
  hostKeys: HostKeyLookup;
  /** Reads a server's password / key passphrase from the secret store. */
  secret: (serverId: number, kind: SecretKind) => string | null;
  /** The agent socket (default: SSH_AUTH_SOCK of this process, read at connect time). */
  agentSocket?: () => string | undefined;
  /** TCP connect + SSH handshake + authentication must finish within this (default 10 s). */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** A connection with no open channel is closed after this long (default 5 min). */
  idleCloseMs?: number;
  /** Concurrent session channels per host (sshd's MaxSessions is 10 by default; keep headroom). */
  maxChannelsPerHost?: number;
  /** Grace between TERM and KILL when stopping a remote process group (default 2 s). */
  killGraceMs?: number;
}

/** Options with every default filled in. `configure()` changes it in place, so readers see new values. */
export type SshSettings = Required<SshPoolOptions>;

const DEFAULTS = {
  readyTimeoutMs: 10_000,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
  idleCloseMs: 300_000,
  maxChannelsPerHost: 8,
  killGraceMs: 2_000,
};

export function settingsOf(opts: SshPoolOptions): SshSettings {
  return { ...DEFAULTS, agentSocket: () => process.env.SSH_AUTH_SOCK || undefined, ...opts } as SshSettings;
}
