/**
 * One host's pooled ssh2 connection, and the handshake that opens it: a TCP_NODELAY socket handed
 * to ssh2, a ready timeout covering TCP connect + handshake + login, and a host-key verifier that
 * never accepts a key blindly (HOST_KEY_UNKNOWN / HOST_KEY_CHANGED carry the SHA-256 fingerprint).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import ssh2, { type ConnectConfig } from 'ssh2';
import { PuestaError } from '../../../shared/errors.js';
import { Semaphore } from '../util/concurrency.js';
import { authSteps, type AuthStep } from './auth.js';
import { connectError, connectionLostError, hostKeyChangedError, hostKeyTypeGoneError, hostKeyUnknownError, loginRejectedError, type HostKeyInfo } from './errors.js';
import type { HostKeyPin } from './hostkey-store.js';
import type { SshSettings } from './options.js';
import type { SshTarget } from './types.js';

export type Client = InstanceType<typeof ssh2.Client>;

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

/** Checks a presented key against the pins of its host: null when it matches a pin. */
function checkHostKey(t: SshTarget, pins: readonly HostKeyPin[], presented: HostKeyInfo): PuestaError | null {
  const pin = pins.find((p) => p.keyType === presented.keyType);
  if (pin && pin.fingerprint === presented.fingerprint) return null;
  return pin || pins.length ? hostKeyChangedError(t, presented, pins) : hostKeyUnknownError(t, presented);
}

interface HandshakeOptions {
  timeoutMs: number;
  /** Pins restrict the negotiated host-key algorithms to the pinned key types. */
  pins: readonly HostKeyPin[];
  /** Decides on the presented key: an error refuses it (and becomes the rejection). */
  onHostKey: (presented: HostKeyInfo) => PuestaError | null;
  /** Login methods to offer; without them the handshake stops at the host key. */
  auth?: AuthStep[];
  keepalive?: { intervalMs: number; countMax: number };
}

/**
 * Opens a TCP socket and runs the SSH handshake (and login) on it. Resolves with the ready client;
 * rejects with the host-key verdict, the login refusal, or the mapped connect error — and leaves
 * nothing open behind a rejection.
 */
export function handshake(t: SshTarget, o: HandshakeOptions): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let hostKeyError: PuestaError | null = null;
    const tried: string[] = [];
    const client = new ssh2.Client();
    const sock = new net.Socket();
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      if (!hostKeyError && o.pins.length && /no matching.*host ?key|host key.*(algorithm|format)/i.test((e as Error)?.message ?? '')) {
        hostKeyError = hostKeyTypeGoneError(t, o.pins);
      }
      clearTimeout(timer);
      sock.destroy();
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      reject(hostKeyError ?? connectError(t, e, o.timeoutMs));
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { level: 'client-timeout' })), o.timeoutMs);
    sock.once('error', (e) => fail(e));
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 10_000);
    sock.connect({ host: t.host, port: t.port }, () => {
      if (settled) return;
      const steps = o.auth ? [...o.auth] : undefined;
      const cfg: ConnectConfig = {
        sock,
        username: t.user,
        readyTimeout: 0,
        ...(o.keepalive ? { keepaliveInterval: o.keepalive.intervalMs, keepaliveCountMax: o.keepalive.countMax } : {}),
        hostVerifier: (key: Buffer) => {
          const blob = Buffer.isBuffer(key) ? key : Buffer.from(key as unknown as string, 'hex');
          hostKeyError = o.onHostKey({ fingerprint: fingerprintOfBlob(blob), keyType: keyTypeOfBlob(blob) });
          return hostKeyError === null;
        },
      };
      if (steps) {
        cfg.authHandler = (_methodsLeft, _partial, next) => {
          const s = steps.shift();
          if (!s) return next(false as never);
          tried.push(s.label);
          next(s.method as never);
        };
      }
      if (o.pins.length) cfg.algorithms = { serverHostKey: o.pins.flatMap((p) => algorithmsForKeyType(p.keyType)) as never };
      client.once('ready', () => {
        if (settled) {
          client.end();
          return;
        }
        settled = true;
        clearTimeout(timer);
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        resolve(client);
      });
      client.on('error', (e: Error & { level?: string }) => fail(steps && e.level === 'client-authentication' ? loginRejectedError(t, tried) : e));
      client.once('close', () => fail(new Error('the server closed the connection during the handshake')));
      try {
        client.connect(cfg);
      } catch (e) {
        fail(e);
      }
    });
  });
}

/** Reads the host key a server presents, without logging in (for the trust flow). */
export async function scanHostKey(t: SshTarget, timeoutMs: number): Promise<HostKeyInfo> {
  const seen: { key?: HostKeyInfo } = {};
  try {
    const client = await handshake(t, {
      timeoutMs,
      pins: [],
      onHostKey: (presented) => {
        seen.key = presented;
        return new PuestaError('CANCELLED', 'Only the host key was wanted.');
      },
    });
    client.end(); // not reached: the verifier refuses every key
  } catch (e) {
    if (seen.key) return seen.key;
    throw e;
  }
  throw new PuestaError('SSH_ERROR', `${t.name} completed an SSH handshake without presenting a host key.`);
}

/** One host's pooled connection: connects on demand, bounds its channels, closes when idle. */
export class HostConn {
  client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  /** Open channels (session, SFTP) of this host; bounded below sshd's MaxSessions. */
  readonly channels: Semaphore;
  readonly stats = { connects: 0, channelsOpened: 0 };
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly lostListeners = new Set<(e: PuestaError) => void>();
  /** The key the host presented at the last handshake. */
  lastHostKey: HostKeyInfo | null = null;

  constructor(
    private readonly settings: SshSettings,
    readonly target: SshTarget,
  ) {
    this.channels = new Semaphore(settings.maxChannelsPerHost);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** Whether this connection was made for these connection fields (else it must be replaced). */
  matches(t: SshTarget): boolean {
    const c = this.target;
    return c.host === t.host && c.port === t.port && c.user === t.user && c.auth === t.auth && c.keyPath === t.keyPath;
  }

  /** Calls fn when the connection drops; returns the unsubscribe function. */
  onLost(fn: (e: PuestaError) => void): () => void {
    this.lostListeners.add(fn);
    return () => this.lostListeners.delete(fn);
  }

  busy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  maybeIdle(): void {
    if (this.channels.active > 0 || !this.client) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.channels.active === 0) this.end();
    }, this.settings.idleCloseMs);
    this.idleTimer.unref();
  }

  end(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('close');
      c.on('error', () => undefined);
      c.end();
      setTimeout(() => c.destroy(), 1000).unref();
    }
  }

  /** The connected client, connecting first when there is none (concurrent callers share one attempt). */
  async get(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const t = this.target;
    const s = this.settings;
    const pins = s.hostKeys.pinsFor(t.host, t.port);
    const auth = authSteps(t, { agentSocket: s.agentSocket(), secret: s.secret });
    const client = await handshake(t, {
      timeoutMs: s.readyTimeoutMs,
      pins,
      auth,
      keepalive: { intervalMs: s.keepaliveIntervalMs, countMax: s.keepaliveCountMax },
      onHostKey: (presented) => {
        this.lastHostKey = presented;
        return checkHostKey(t, pins, presented);
      },
    });
    this.client = client;
    this.stats.connects++;
    client.once('close', () => {
      if (this.client === client) this.client = null;
      const e = connectionLostError(t);
      for (const l of [...this.lostListeners]) l(e);
    });
    this.maybeIdle();
    return client;
  }
}
