/**
 * The SSH engine: one ssh2 connection per host, reused by every command of a run.
 *
 * - Connections: TCP_NODELAY socket handed to ssh2, keepalive, idle close, a ready timeout
 *   covering TCP connect + handshake + auth; a dropped connection is replaced on the next command.
 * - Channels: a bounded number of concurrent session channels per host (below sshd's MaxSessions),
 *   a channel-open refusal is retried after a short wait.
 * - Host keys: never accepted blindly — the verifier consults the pins (HOST_KEY_UNKNOWN /
 *   HOST_KEY_CHANGED carry the SHA-256 fingerprint).
 * - Exec: the command goes to the login shell as `ssh host cmd` would send it (no wrapper process);
 *   a timeout or cancellation sends SSH signal requests (TERM, then KILL), which OpenSSH delivers to
 *   the session's whole process group; env/cwd/sudo are applied with `shq`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import ssh2, { type AuthenticationType, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
const { Client, utils } = ssh2;
type Client = InstanceType<typeof ssh2.Client>;
import { PuestaError, type ErrorCode } from '../../../shared/errors.js';
import { algorithmsForKeyType, fingerprintOfBlob, keyTypeOfBlob, type HostKeyLookup } from './hostkeys.js';
import { shq } from './quote.js';
import type { ExecOptions, ExecResult, OutputStream, SshEngine, SshTarget, UploadOptions } from './types.js';

export type SecretKind = 'password' | 'passphrase';

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

export interface ExecOptionsExt extends ExecOptions {
  /** Names the step in error messages ("… while running <step>"). */
  step?: string;
  /** Bytes of stdout/stderr kept in the result (default 1 MiB each; output keeps streaming). */
  keepBytes?: number;
}

export interface HostStats {
  connects: number;
  channelsOpened: number;
  activeChannels: number;
  connected: boolean;
}

export interface HostKeyInfo {
  fingerprint: string;
  keyType: string;
}

const DEFAULTS = {
  readyTimeoutMs: 10_000,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
  idleCloseMs: 300_000,
  maxChannelsPerHost: 8,
  killGraceMs: 2_000,
};

const hostLabel = (t: SshTarget) => `${t.name} (${t.user}@${t.host}:${t.port})`;

class Semaphore {
  private waiting: (() => void)[] = [];
  active = 0;
  constructor(public limit: number) {}
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(new PuestaError('CANCELLED', 'The command was cancelled before it started.'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

interface AuthStep {
  label: 'agent' | 'key' | 'password';
  method: AuthenticationType | Record<string, unknown>;
}

/** Maps a low-level failure to the codes the operator sees. */
function connectError(t: SshTarget, e: unknown, timeoutMs: number): PuestaError {
  if (e instanceof PuestaError) return e;
  const err = e as { code?: string; level?: string; message?: string };
  const h = hostLabel(t);
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
    return new PuestaError(
      'SSH_TIMEOUT',
      `${h} did not answer within ${Math.round(timeoutMs / 100) / 10} s. Check that the server is up, that its address and port are right and that no firewall or VPN is in the way, then try again.`,
      { host: t.host, port: t.port, serverId: t.id, reason: err.code ?? 'TIMEOUT' },
    );
  }
  if (err.level === 'client-authentication') {
    return new PuestaError('SSH_AUTH_FAILED', `${h} refused the login for ${t.user}. Check the user name and that the key (or password) is authorised on the server.`, {
      host: t.host,
      port: t.port,
      serverId: t.id,
      reason: 'REJECTED',
    });
  }
  if (err.code === 'ECONNREFUSED') {
    return new PuestaError('SSH_ERROR', `Nothing accepts connections on ${t.host}:${t.port} (${t.name}). Check that sshd runs on the server and that the port is right.`, {
      host: t.host,
      port: t.port,
      serverId: t.id,
      reason: 'CONNECTION_REFUSED',
    });
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new PuestaError('SSH_ERROR', `The host name ${t.host} (${t.name}) cannot be resolved. Check the server's address.`, { host: t.host, port: t.port, serverId: t.id, reason: err.code });
  }
  return new PuestaError('SSH_ERROR', `The SSH connection to ${h} failed: ${err.message ?? String(e)}. Check the server and try again.`, {
    host: t.host,
    port: t.port,
    serverId: t.id,
    reason: err.code ?? err.level ?? 'ERROR',
  });
}

function authError(t: SshTarget, reason: string, message: string): PuestaError {
  return new PuestaError('SSH_AUTH_FAILED', message, { host: t.host, port: t.port, serverId: t.id, reason });
}

/** One host's pooled connection. */
class HostConn {
  client: Client | null = null;
  connecting: Promise<Client> | null = null;
  readonly sem: Semaphore;
  stats = { connects: 0, channelsOpened: 0 };
  private idleTimer: NodeJS.Timeout | null = null;
  private lostListeners = new Set<(e: PuestaError) => void>();
  lastHostKey: HostKeyInfo | null = null;

  constructor(
    readonly pool: SshPool,
    public target: SshTarget,
  ) {
    this.sem = new Semaphore(pool.opt.maxChannelsPerHost);
  }

  get connected(): boolean {
    return this.client !== null;
  }

  onLost(fn: (e: PuestaError) => void): () => void {
    this.lostListeners.add(fn);
    return () => this.lostListeners.delete(fn);
  }

  busy(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  maybeIdle(): void {
    if (this.sem.active > 0 || !this.client) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.sem.active === 0) this.end();
    }, this.pool.opt.idleCloseMs);
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

  async get(): Promise<Client> {
    if (this.client) return this.client;
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private authSteps(): AuthStep[] {
    const t = this.target;
    const h = hostLabel(t);
    const steps: AuthStep[] = [];
    const agentSock = this.pool.opt.agentSocket();
    const agentStep = (): AuthStep | PuestaError =>
      agentSock
        ? { label: 'agent', method: { type: 'agent', username: t.user, agent: agentSock } }
        : authError(t, 'AGENT_UNAVAILABLE', `No SSH agent is running for Puesta (SSH_AUTH_SOCK is not set), so it cannot log in to ${h}. Start ssh-agent and add your key (ssh-add), or give the server a key file.`);
    const keyStep = (): AuthStep | PuestaError => {
      if (!t.keyPath) return authError(t, 'KEY_MISSING', `${h} is set to log in with a key file but none is configured. Set the key file path on the server.`);
      let data: Buffer;
      try {
        data = readFileSync(t.keyPath);
      } catch (e) {
        return authError(t, 'KEY_UNREADABLE', `The key file ${t.keyPath} for ${h} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}). Check the path and its permissions.`);
      }
      const passphrase = this.pool.opt.secret(t.id, 'passphrase') ?? undefined;
      const parsed = utils.parseKey(data, passphrase);
      if (parsed instanceof Error) {
        if (/encrypted/i.test(parsed.message) && !passphrase) {
          return authError(t, 'PASSPHRASE_REQUIRED', `The key file ${t.keyPath} for ${h} is protected by a passphrase that Puesta does not have. Store it with "Set key passphrase" on the server.`);
        }
        if (passphrase) return authError(t, 'PASSPHRASE_WRONG', `The stored passphrase does not open the key file ${t.keyPath} for ${h}. Store the right passphrase on the server.`);
        return authError(t, 'KEY_INVALID', `The key file ${t.keyPath} for ${h} is not a private key Puesta can read (${parsed.message}).`);
      }
      return { label: 'key', method: { type: 'publickey', username: t.user, key: data, passphrase } };
    };
    const passwordStep = (): AuthStep | PuestaError => {
      const pw = this.pool.opt.secret(t.id, 'password');
      return pw
        ? { label: 'password', method: { type: 'password', username: t.user, password: pw } }
        : authError(t, 'PASSWORD_MISSING', `${h} logs in with a password but none is stored. Store it with "Set password" on the server.`);
    };
    // Explicit order: the configured method first; then the agent (when one runs) and the key file
    // (when one is set) as fallbacks. A password is only ever used when it is the configured method.
    const order: (() => AuthStep | PuestaError)[] =
      t.auth === 'password' ? [passwordStep] : t.auth === 'key' ? [keyStep, ...(agentSock ? [agentStep] : [])] : [agentStep, ...(t.keyPath ? [keyStep] : [])];
    let firstError: PuestaError | null = null;
    for (const f of order) {
      const s = f();
      if (s instanceof PuestaError) firstError ??= s;
      else steps.push(s);
    }
    if (!steps.length && firstError) throw firstError;
    return steps;
  }

  private connect(): Promise<Client> {
    const t = this.target;
    const opt = this.pool.opt;
    const timeoutMs = opt.readyTimeoutMs;
    const pins = opt.hostKeys.pinsFor(t.host, t.port);
    const steps = this.authSteps();
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      let hostKeyError: PuestaError | null = null;
      const client = new Client();
      const sock = new net.Socket();
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        if (!hostKeyError && pins.length && /no matching.*host ?key|host key.*(algorithm|format)/i.test((e as Error)?.message ?? '')) {
          hostKeyError = new PuestaError(
            'HOST_KEY_CHANGED',
            `${hostLabel(t)} no longer offers the pinned host key type (${pins.map((p) => p.keyType).join(', ')}). Nothing was run. Confirm the server's new key with its administrator before replacing the pin.`,
            { host: t.host, port: t.port, serverId: t.id, fingerprint: null, keyType: null, pinned: pins.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint })) },
          );
        }
        clearTimeout(timer);
        sock.destroy();
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end();
        reject(hostKeyError ?? connectError(t, e, timeoutMs));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { level: 'client-timeout' })), timeoutMs);
      sock.once('error', (e) => fail(e));
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 10_000);
      sock.connect({ host: t.host, port: t.port }, () => {
        if (settled) return;
        const tried: string[] = [];
        const cfg: ConnectConfig = {
          sock,
          username: t.user,
          readyTimeout: 0,
          keepaliveInterval: opt.keepaliveIntervalMs,
          keepaliveCountMax: opt.keepaliveCountMax,
          hostVerifier: (key: Buffer) => {
            const blob = Buffer.isBuffer(key) ? key : Buffer.from(key as unknown as string, 'hex');
            const presented = { fingerprint: fingerprintOfBlob(blob), keyType: keyTypeOfBlob(blob) };
            this.lastHostKey = presented;
            const pin = pins.find((p) => p.keyType === presented.keyType);
            if (pin && pin.fingerprint === presented.fingerprint) return true;
            const details = { host: t.host, port: t.port, serverId: t.id, fingerprint: presented.fingerprint, keyType: presented.keyType };
            if (pin || pins.length) {
              hostKeyError = new PuestaError(
                'HOST_KEY_CHANGED',
                `The host key of ${hostLabel(t)} has CHANGED: it now presents ${presented.keyType} ${presented.fingerprint}, not the pinned ${pins.map((p) => `${p.keyType} ${p.fingerprint}`).join(', ')}. Nothing was run. This can mean someone is intercepting the connection; confirm the new key with the server's administrator before replacing the pin.`,
                { ...details, pinned: pins.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint })) },
              );
            } else {
              hostKeyError = new PuestaError(
                'HOST_KEY_UNKNOWN',
                `${hostLabel(t)} presents a host key Puesta has not seen: ${presented.keyType} ${presented.fingerprint}. Compare it with the output of "ssh-keygen -lf" for the server's key (ask its administrator), then trust it in the server view.`,
                details,
              );
            }
            return false;
          },
          authHandler: (_methodsLeft, _partial, next) => {
            const s = steps.shift();
            if (!s) return next(false as never);
            tried.push(s.label);
            next(s.method as never);
          },
        };
        if (pins.length) cfg.algorithms = { serverHostKey: pins.flatMap((p) => algorithmsForKeyType(p.keyType)) as never };
        client.once('ready', () => {
          if (settled) {
            client.end();
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.client = client;
          this.stats.connects++;
          client.removeAllListeners('error');
          client.on('error', () => undefined);
          client.once('close', () => {
            if (this.client === client) this.client = null;
            const e = new PuestaError('SSH_CONNECTION_LOST', `The connection to ${hostLabel(t)} was lost.`, { host: t.host, port: t.port, serverId: t.id });
            for (const l of [...this.lostListeners]) l(e);
          });
          this.maybeIdle();
          resolve(client);
        });
        client.on('error', (e: Error & { level?: string }) => {
          if (e.level === 'client-authentication') {
            fail(
              Object.assign(authError(t, 'REJECTED', `${hostLabel(t)} refused the login for ${t.user} (tried: ${tried.join(', ') || 'nothing'}). Check the user name and that the key or password is authorised on the server.`), {}),
            );
            return;
          }
          fail(e);
        });
        client.once('close', () => fail(new Error('the server closed the connection during the handshake')));
        try {
          client.connect(cfg);
        } catch (e) {
          fail(e);
        }
      });
    });
  }
}

/**
 * The command line sent to sshd, which runs it with the user's login shell exactly like
 * `ssh host cmd` — no wrapper process, no extra output: a pooled command costs one channel and
 * the session's own shell. With a working directory or environment, `cd -- <q> && export <q>… &&
 * eval <q(command)>` (builtins only, still no extra process). Under sudo the command runs as
 * `sudo -n [-u user] -- env … /bin/sh -c <q(command)>`, after printing the session's pid on the
 * first stdout line (consumed by the engine). Every value goes through `shq`.
 */
export function buildRemoteCommand(command: string, opts: ExecOptions): string {
  const parts: string[] = [];
  if (opts.cwd) parts.push(`cd -- ${shq(opts.cwd)}`);
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new PuestaError('INVALID_INPUT', `"${k}" is not a valid environment variable name.`);
  if (opts.sudo) {
    // Root processes cannot be signalled by the login user, and sudo relays a signal only to its
    // direct child: print the session's pid (= its process group) first, so a stop can also run
    // `sudo kill -- -<pgid>` on another channel.
    parts.unshift(`printf '%s\\n' "$$"`);
    let run = typeof opts.sudo === 'object' ? `exec sudo -n -u ${shq(opts.sudo.user)} -- ` : 'exec sudo -n -- ';
    if (env.length) run += 'env -- ' + env.map(([k, v]) => shq(`${k}=${v}`)).join(' ') + ' ';
    parts.push(run + `/bin/sh -c ${shq(command)}`);
  } else {
    if (env.length) parts.push('export ' + env.map(([k, v]) => shq(`${k}=${v}`)).join(' '));
    parts.push(parts.length ? `eval ${shq(command)}` : command);
  }
  return parts.join(' && ');
}

/**
 * Sends an SSH "signal" channel request. ssh2's `channel.signal()` refuses once our side has sent
 * EOF (we close stdin right after exec, as `ssh -n` would), although the protocol allows it while
 * the channel is open — so the request goes through ssh2's protocol object in that case.
 */
function sendSignal(ch: ClientChannel, sig: string): void {
  const c = ch as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
  try {
    if ((c.outgoing?.state === 'open' || c.outgoing?.state === 'eof') && c._client?._protocol) c._client._protocol.signal(c.outgoing.id, sig);
    else ch.signal(sig);
  } catch {
    // the channel is already closing
  }
}

/** Exit status per channel, recorded by a listener attached synchronously in the open callback:
 * for a fast command the exit-status message can arrive in the same TCP read as the channel's
 * confirmation, before any awaiting code runs. */
const exits = new WeakMap<ClientChannel, { code: number | null; signal: string | null; seen: boolean }>();

function openExec(client: Client, cmd: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(cmd, (err, ch) => {
        if (err) return reject(err);
        const ex = { code: null as number | null, signal: null as string | null, seen: false };
        exits.set(ch, ex);
        ch.on('exit', (code: number | null, signal?: string) => {
          ex.code = code ?? null;
          ex.signal = signal ?? null;
          ex.seen = true;
        });
        resolve(ch);
      });
    } catch (e) {
      reject(e);
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SshPool implements SshEngine {
  readonly opt: Required<Omit<SshPoolOptions, 'agentSocket'>> & { agentSocket: () => string | undefined };
  private conns = new Map<number, HostConn>();
  private closed = false;

  constructor(opts: SshPoolOptions) {
    this.opt = { ...DEFAULTS, agentSocket: () => process.env.SSH_AUTH_SOCK || undefined, ...opts } as SshPool['opt'];
  }

  /** Changes timeouts/limits for connections made from now on. */
  configure(opts: Partial<Omit<SshPoolOptions, 'hostKeys' | 'secret'>>): void {
    Object.assign(this.opt, opts);
  }

  private connFor(t: SshTarget): HostConn {
    if (this.closed) throw new PuestaError('SSH_ERROR', 'The SSH engine is closed.');
    let c = this.conns.get(t.id);
    if (c && (c.target.host !== t.host || c.target.port !== t.port || c.target.user !== t.user || c.target.auth !== t.auth || c.target.keyPath !== t.keyPath)) {
      c.end();
      c = undefined;
    }
    if (!c) {
      c = new HostConn(this, { ...t });
      this.conns.set(t.id, c);
    }
    return c;
  }

  stats(serverId: number): HostStats {
    const c = this.conns.get(serverId);
    return { connects: c?.stats.connects ?? 0, channelsOpened: c?.stats.channelsOpened ?? 0, activeChannels: c?.sem.active ?? 0, connected: !!c?.connected };
  }

  /** Connects (or reuses the connection) — host key check, auth — and returns the host key seen. */
  async connect(t: SshTarget): Promise<HostKeyInfo> {
    const c = this.connFor(t);
    await c.get();
    return c.lastHostKey ?? { fingerprint: '', keyType: '' };
  }

  /** Reads the host key a server presents, without authenticating (for the trust flow). */
  async scanHostKey(t: Pick<SshTarget, 'id' | 'name' | 'host' | 'port' | 'user'>): Promise<HostKeyInfo> {
    const timeoutMs = this.opt.readyTimeoutMs;
    const target = { ...t, auth: 'agent', keyPath: null } as SshTarget;
    return new Promise((resolve, reject) => {
      let seen: HostKeyInfo | null = null;
      const client = new Client();
      const sock = new net.Socket();
      let done = false;
      const finish = (e: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        client.removeAllListeners();
        client.on('error', () => undefined);
        client.end();
        sock.destroy();
        if (seen) resolve(seen);
        else reject(connectError(target, e, timeoutMs));
      };
      const timer = setTimeout(() => finish(Object.assign(new Error('timeout'), { level: 'client-timeout' })), timeoutMs);
      sock.once('error', finish);
      sock.connect({ host: t.host, port: t.port }, () => {
        client.on('error', finish);
        client.on('close', () => finish(new Error('closed')));
        client.connect({
          sock,
          username: t.user,
          readyTimeout: 0,
          hostVerifier: (key: Buffer) => {
            seen = { fingerprint: fingerprintOfBlob(key), keyType: keyTypeOfBlob(key) };
            setImmediate(() => finish(null));
            return false;
          },
        });
      });
    });
  }

  /** Opens a session channel on the pooled connection, reconnecting once when the connection is gone. */
  private async channel(c: HostConn, cmd: string): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      const client = await c.get();
      try {
        const ch = await openExec(client, cmd);
        c.stats.channelsOpened++;
        return ch;
      } catch (e) {
        const msg = (e as Error).message ?? '';
        if (attempt < 1 && (/not connected|no response|closed/i.test(msg) || !c.connected)) {
          c.end();
          continue;
        }
        if (attempt < 20 && /open failed|administratively prohibited|resource shortage/i.test(msg)) {
          await sleep(25 * (attempt + 1));
          continue;
        }
        throw new PuestaError('SSH_ERROR', `${hostLabel(c.target)} refused to open a session: ${msg}. Check MaxSessions in its sshd_config.`, { host: c.target.host, port: c.target.port, serverId: c.target.id });
      }
    }
  }

  async exec(t: SshTarget, command: string, opts: ExecOptionsExt = {}): Promise<ExecResult> {
    const h = hostLabel(t);
    const stepText = opts.step ? ` while running ${opts.step}` : '';
    if (opts.signal?.aborted) throw new PuestaError('CANCELLED', `The command on ${h} was cancelled before it started.`, { host: t.host, serverId: t.id });
    let remote: string;
    try {
      remote = buildRemoteCommand(command, opts);
    } catch (e) {
      if (e instanceof RangeError) throw new PuestaError('INVALID_INPUT', `The command for ${h} cannot be sent: ${e.message}.`, { host: t.host, serverId: t.id });
      throw e;
    }
    const c = this.connFor(t);
    const release = await c.sem.acquire(opts.signal);
    c.busy();
    const started = Date.now();
    let ch: ClientChannel;
    try {
      ch = await this.channel(c, remote);
    } catch (e) {
      release();
      c.maybeIdle();
      throw e;
    }
    const keep = opts.keepBytes ?? 1024 * 1024;
    return new Promise<ExecResult>((resolve, reject) => {
      let seq = 0;
      const out = { stdout: '', stderr: '' };
      const dec = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let stopReason: PuestaError | null = null;
      let settled = false;
      let timer: NodeJS.Timeout | null = null;
      let forceTimer: NodeJS.Timeout | null = null;
      // sudo commands: the first stdout line is the remote process group (see buildRemoteCommand)
      let pgid: number | null = null;
      let pidBuf: Buffer | null = opts.sudo ? Buffer.alloc(0) : null;
      let sudoKillPending = false;

      const emit = (stream: OutputStream, text: string) => {
        if (!text) return;
        if (out[stream].length < keep) out[stream] += text.slice(0, keep - out[stream].length);
        opts.onChunk?.({ serverId: t.id, stream, seq: seq++, ts: new Date().toISOString(), text });
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        if (forceTimer) clearTimeout(forceTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        offLost();
        release();
        c.maybeIdle();
      };
      const settle = (e: PuestaError | null) => {
        if (settled) return;
        settled = true;
        cleanup();
        if (e) reject(e);
        else resolve({ exitCode, signal: exitSignal, durationMs: Date.now() - started, stdout: out.stdout, stderr: out.stderr });
      };
      /**
       * Stops the remote command: SSH "signal" requests (OpenSSH ≥ 7.9 signals the session's whole
       * process group — the login shell and everything it started; sudo relays it to its command):
       * TERM, then KILL after the grace period. If the server still does not end the session, the
       * channel is closed and the error says the processes may still run.
       */
      const killRemote = () => {
        const send = (sig: string) => {
          sendSignal(ch, sig);
          if (opts.sudo) sudoKill(sig);
        };
        send('TERM');
        forceTimer = setTimeout(() => {
          send('KILL');
          forceTimer = setTimeout(() => {
            try {
              ch.close();
            } catch {
              // already closed
            }
            const r = stopReason!;
            settle(
              new PuestaError(
                r.code,
                `${r.message} The server did not confirm that the remote processes ended (it may not accept SSH signals; OpenSSH older than 7.9?): check for leftover processes on ${h}.`,
                { ...(r.details as object), stopConfirmed: false },
              ),
            );
          }, 3000);
        }, this.opt.killGraceMs);
      };
      const sudoKill = (sig: string) => {
        if (pgid === null) {
          sudoKillPending = true;
          return;
        }
        void this.channel(c, `sudo -n kill -${sig} -- -${pgid} 2>/dev/null; true`)
          .then((kc) => {
            kc.on('data', () => undefined);
            kc.stderr.on('data', () => undefined);
            kc.end();
          })
          .catch(() => undefined);
      };
      const stop = (reason: PuestaError) => {
        if (stopReason || settled) return;
        stopReason = reason;
        killRemote();
      };
      const onAbort = () => stop(new PuestaError('CANCELLED', `The command on ${h} was cancelled${stepText}; its remote processes were stopped.`, { host: t.host, serverId: t.id }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs && opts.timeoutMs > 0) {
        timer = setTimeout(
          () =>
            stop(
              new PuestaError('TIMEOUT', `The command on ${h}${stepText} did not finish within ${Math.round(opts.timeoutMs! / 100) / 10} s and was stopped. Raise the step's timeout if it needs longer, or check what it waits for.`, {
                host: t.host,
                serverId: t.id,
                timeoutMs: opts.timeoutMs,
              }),
            ),
          opts.timeoutMs,
        );
      }
      const offLost = c.onLost((e) =>
        settle(
          new PuestaError(
            'SSH_CONNECTION_LOST',
            `The connection to ${h} was lost${stepText}. The command may or may not have finished on the server: check its state there, then retry the step.`,
            { ...(e.details as object), step: opts.step ?? null },
          ),
        ),
      );

      ch.on('data', (buf: Buffer) => {
        if (pidBuf) {
          pidBuf = Buffer.concat([pidBuf, buf]);
          const nl = pidBuf.indexOf(10);
          if (nl < 0) return;
          pgid = Number(pidBuf.subarray(0, nl).toString('latin1')) || null;
          const rest = pidBuf.subarray(nl + 1);
          pidBuf = null;
          if (sudoKillPending && pgid !== null) sudoKill('TERM');
          if (rest.length) emit('stdout', dec.stdout.write(rest));
          return;
        }
        emit('stdout', dec.stdout.write(buf));
      });
      ch.stderr.on('data', (buf: Buffer) => emit('stderr', dec.stderr.write(buf)));
      ch.on('close', () => {
        const ex = exits.get(ch);
        if (ex?.seen) {
          exitCode = ex.code;
          exitSignal = ex.signal;
        }
        emit('stdout', dec.stdout.end());
        emit('stderr', dec.stderr.end());
        if (stopReason) return settle(stopReason);
        if (exitCode === null && exitSignal === null && !c.connected) {
          return settle(
            new PuestaError('SSH_CONNECTION_LOST', `The connection to ${h} was lost${stepText}. The command may or may not have finished on the server: check its state there, then retry the step.`, {
              host: t.host,
              port: t.port,
              serverId: t.id,
              step: opts.step ?? null,
            }),
          );
        }
        settle(null);
      });
      if (opts.stdin !== undefined) ch.end(opts.stdin);
      else ch.end();
    });
  }

  private async sftp(c: HostConn): Promise<SFTPWrapper> {
    for (let attempt = 0; ; attempt++) {
      const client = await c.get();
      try {
        const s = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
        c.stats.channelsOpened++;
        return s;
      } catch (e) {
        if (attempt < 1 && !c.connected) continue;
        if (attempt < 20 && /open failed/i.test((e as Error).message)) {
          await sleep(25 * (attempt + 1));
          continue;
        }
        throw new PuestaError('SSH_ERROR', `${hostLabel(c.target)} refused an SFTP session: ${(e as Error).message}. Check that its sshd has "Subsystem sftp".`, {
          host: c.target.host,
          serverId: c.target.id,
        });
      }
    }
  }

  private async remoteSha256(t: SshTarget, remotePath: string): Promise<string> {
    const r = await this.exec(t, `sha256sum -- ${shq(remotePath)}`, { timeoutMs: 300_000 });
    const m = /^([0-9a-f]{64})\s/.exec(r.stdout);
    if (r.exitCode !== 0 || !m) throw new PuestaError('COMMAND_FAILED', `Could not compute the checksum of ${remotePath} on ${hostLabel(t)}: ${r.stderr.trim() || 'sha256sum failed'}.`, { host: t.host, serverId: t.id });
    return m[1]!;
  }

  async upload(t: SshTarget, localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<{ bytes: number; sha256: string }> {
    const h = hostLabel(t);
    const total = statSync(localPath).size;
    const localSha = await sha256File(localPath);
    const dir = path.posix.dirname(remotePath);
    const tmp = path.posix.join(dir, `.${path.posix.basename(remotePath)}.puesta-${randomBytes(6).toString('hex')}.tmp`);
    const c = this.connFor(t);
    const release = await c.sem.acquire(opts.signal);
    c.busy();
    let sftp: SFTPWrapper | null = null;
    const offLost = c.onLost(() => undefined);
    try {
      sftp = await this.sftp(c);
      const s = sftp;
      await cancellable(s, opts.signal, `The upload of ${remotePath} to ${h} was cancelled.`, (done) =>
        s.fastPut(localPath, tmp, { mode: opts.mode ?? 0o644, step: (sent) => opts.onProgress?.(sent, total) }, done),
      );
      if (opts.mode !== undefined) await new Promise<void>((res, rej) => s.chmod(tmp, opts.mode!, (e) => (e ? rej(e) : res())));
      opts.onProgress?.(total, total);
      const remoteSha = await this.remoteSha256(t, tmp);
      if (remoteSha !== localSha) {
        throw new PuestaError('SSH_ERROR', `The upload of ${remotePath} to ${h} arrived corrupted (checksum ${remoteSha} ≠ ${localSha}). Try again; check the server's disk if it repeats.`, {
          host: t.host,
          serverId: t.id,
        });
      }
      await new Promise<void>((res, rej) => s.ext_openssh_rename(tmp, remotePath, (e) => (e ? rej(e) : res())));
      return { bytes: total, sha256: localSha };
    } catch (e) {
      if (sftp) {
        const s = sftp;
        await new Promise<void>((res) => {
          try {
            s.unlink(tmp, () => res());
          } catch {
            res();
          }
        });
      }
      throw e instanceof PuestaError ? e : fileError(t, 'upload', remotePath, e, c.connected);
    } finally {
      offLost();
      sftp?.end();
      release();
      c.maybeIdle();
    }
  }

  async download(t: SshTarget, remotePath: string, localPath: string, opts: UploadOptions = {}): Promise<{ bytes: number; sha256: string }> {
    const h = hostLabel(t);
    const c = this.connFor(t);
    const tmp = `${localPath}.puesta-${randomBytes(6).toString('hex')}.tmp`;
    const release = await c.sem.acquire(opts.signal);
    c.busy();
    let sftp: SFTPWrapper | null = null;
    try {
      sftp = await this.sftp(c);
      const s = sftp;
      await cancellable(s, opts.signal, `The download of ${remotePath} from ${h} was cancelled.`, (done) =>
        s.fastGet(remotePath, tmp, { step: (got, _chunk, total) => opts.onProgress?.(got, total) }, done),
      );
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      throw e instanceof PuestaError ? e : fileError(t, 'download', remotePath, e, c.connected);
    } finally {
      sftp?.end();
      release();
      c.maybeIdle();
    }
    try {
      const bytes = statSync(tmp).size;
      const localSha = await sha256File(tmp);
      const remoteSha = await this.remoteSha256(t, remotePath);
      if (remoteSha !== localSha) throw new PuestaError('SSH_ERROR', `The download of ${remotePath} from ${h} arrived corrupted (checksum mismatch). Try again.`, { host: t.host, serverId: t.id });
      renameSync(tmp, localPath);
      return { bytes, sha256: localSha };
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // gone
      }
      throw e;
    }
  }

  async tunnel(t: SshTarget, remoteHost: string, remotePort: number): Promise<{ localPort: number; close(): Promise<void> }> {
    const c = this.connFor(t);
    await c.get();
    const sockets = new Set<net.Socket>();
    const server = net.createServer((local) => {
      sockets.add(local);
      local.on('close', () => sockets.delete(local));
      local.on('error', () => local.destroy());
      local.pause();
      c.get()
        .then(
          (client) =>
            new Promise<void>((resolve, reject) => {
              client.forwardOut(local.remoteAddress ?? '127.0.0.1', local.remotePort ?? 0, remoteHost, remotePort, (err, stream) => {
                if (err) return reject(err);
                stream.on('error', () => local.destroy());
                local.pipe(stream).pipe(local);
                stream.on('close', () => local.destroy());
                local.on('close', () => stream.destroy());
                local.resume();
                resolve();
              });
            }),
        )
        .catch(() => local.destroy());
    });
    server.on('error', () => undefined);
    const localPort = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    c.busy();
    let closed = false;
    return {
      localPort,
      close: async () => {
        if (closed) return;
        closed = true;
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
        c.maybeIdle();
      },
    };
  }

  async close(serverId?: number): Promise<void> {
    if (serverId === undefined) {
      this.closed = true;
      for (const c of this.conns.values()) c.end();
      this.conns.clear();
      return;
    }
    this.conns.get(serverId)?.end();
    this.conns.delete(serverId);
  }
}

function fileError(t: SshTarget, what: string, remotePath: string, e: unknown, connected: boolean): PuestaError {
  const code: ErrorCode = connected ? 'SSH_ERROR' : 'SSH_CONNECTION_LOST';
  return new PuestaError(code, `The ${what} of ${remotePath} on ${hostLabel(t)} failed: ${(e as Error).message}. Check the path and permissions on the server, then retry.`, {
    host: t.host,
    serverId: t.id,
  });
}

export function sha256File(p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(p)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Runs one SFTP transfer; an abort ends the SFTP session and rejects with CANCELLED. */
function cancellable(s: SFTPWrapper, signal: AbortSignal | undefined, cancelledMessage: string, start: (done: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      s.end();
      reject(new PuestaError('CANCELLED', cancelledMessage));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    start((err) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    });
  });
}
