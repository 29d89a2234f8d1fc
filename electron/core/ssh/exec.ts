/**
 * One command on one pooled connection. The command goes to the login shell as `ssh host cmd`
 * would send it (no wrapper process); output streams as chunks while it runs. A timeout or a
 * cancellation stops it with SSH signal requests (TERM, then KILL after a grace), which OpenSSH
 * (≥ 7.9) delivers to the session's whole process group; under sudo, whose processes the login
 * user cannot signal, the group is also killed as root from a second channel.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { PuestaError } from '../../../shared/errors.js';
import { sleep } from '../util/concurrency.js';
import type { Client, HostConn } from './connection.js';
import { commandLostError, hostLabel, sessionRefusedError, stepText } from './errors.js';
import { buildRemoteCommand, killGroupCommand } from './remote-command.js';
import type { ExecOptions, ExecResult, OutputStream, SshTarget } from './types.js';

export interface ExecOptionsExt extends ExecOptions {
  /** Names the step in error messages ("… while running <step>"). */
  step?: string;
  /** Bytes of stdout/stderr kept in the result (default 1 MiB each; output keeps streaming). */
  keepBytes?: number;
}

/** After KILL, how long the server gets to end the session before the channel is closed on it. */
const STOP_CONFIRM_MS = 3000;

interface ExitStatus {
  code: number | null;
  signal: string | null;
  seen: boolean;
}

/** Exit status per channel, recorded by a listener attached synchronously in the open callback:
 * for a fast command the exit-status message can arrive in the same TCP read as the channel's
 * confirmation, before any awaiting code runs. */
const exits = new WeakMap<ClientChannel, ExitStatus>();

/** The parts of ssh2's client that `pipelineEof` uses (no public API offers it). */
interface Ssh2Internals {
  _sock?: { cork(): void; uncork(): void };
  _protocol?: { exec(id: number, cmd: string, wantReply: boolean): void; channelEOF(id: number): void };
  _chanMgr?: { _channels: Record<string, unknown> };
}
type ChannelState = { incoming: { id: number }; outgoing: { id: number; state: string } };

/** Per connection: the local ids of the channels whose EOF goes right behind their exec request. */
const eofWithExec = new WeakMap<Client, Set<number>>();

/**
 * A command without stdin gets its EOF in the same socket write as its exec request (cork), not
 * after the server's reply: one packet and one write less per command, and sshd reads the EOF
 * after it has started the command (fork, pipes), exactly as if it came later. On loopback or a
 * LAN a socket write is the laptop's largest cost per command (the kernel delivers it at once). ssh2
 * has no API for it, so its protocol object's exec request is wrapped once per connection (as
 * sendSignal reaches it); without those internals nothing changes and `end()` sends the EOF.
 * Returns the hook to call right after `client.exec`, with the callback that forgets the channel.
 */
function pipelineEof(client: Client): { opened(): void; done(): void } | null {
  const c = client as unknown as Ssh2Internals;
  const proto = c._protocol;
  const mgr = c._chanMgr;
  if (!proto || !mgr || typeof proto.exec !== 'function' || typeof proto.channelEOF !== 'function') return null;
  let ids = eofWithExec.get(client);
  if (!ids) {
    const want = new Set<number>();
    ids = want;
    eofWithExec.set(client, want);
    const exec = proto.exec;
    proto.exec = function (this: unknown, id: number, command: string, wantReply: boolean) {
      const ch = Object.values(mgr._channels).find((x) => (x as ChannelState | undefined)?.outgoing?.id === id) as ChannelState | undefined;
      if (!ch || !want.delete(ch.incoming.id) || ch.outgoing.state !== 'open') return exec.call(this, id, command, wantReply);
      c._sock?.cork();
      try {
        exec.call(this, id, command, wantReply);
        ch.outgoing.state = 'eof';
        proto.channelEOF(id);
      } finally {
        c._sock?.uncork();
      }
    };
  }
  const set = ids;
  const before = new Set(Object.keys(mgr._channels));
  let local: number | null = null;
  return {
    opened: () => {
      const k = Object.keys(mgr._channels).find((x) => !before.has(x));
      if (k === undefined) return;
      local = Number(k);
      set.add(local);
    },
    done: () => {
      if (local !== null) set.delete(local);
    },
  };
}

function openExec(client: Client, cmd: string, closeStdin: boolean): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const eof = closeStdin ? pipelineEof(client) : null;
    try {
      client.exec(cmd, (err, ch) => {
        eof?.done();
        if (err) return reject(err);
        const status: ExitStatus = { code: null, signal: null, seen: false };
        exits.set(ch, status);
        ch.on('exit', (code: number | null, signal?: string) => {
          status.code = code ?? null;
          status.signal = signal ?? null;
          status.seen = true;
        });
        resolve(ch);
      });
      eof?.opened();
    } catch (e) {
      eof?.done();
      reject(e);
    }
  });
}

/**
 * Opens a session channel running `cmd` on the pooled connection: reconnects once when the
 * connection is gone, and retries briefly when the server refuses a channel (MaxSessions).
 * `closeStdin` (no stdin to send): its EOF goes with the exec request (`pipelineEof`).
 * Takes no channel slot — the caller holds one (or, for a kill, borrows its command's).
 */
export async function openSession(conn: HostConn, cmd: string, closeStdin = true): Promise<ClientChannel> {
  for (let attempt = 0; ; attempt++) {
    const client = await conn.get();
    try {
      const ch = await openExec(client, cmd, closeStdin);
      conn.stats.channelsOpened++;
      return ch;
    } catch (e) {
      const msg = (e as Error).message ?? '';
      if (attempt < 1 && (/not connected|no response|closed/i.test(msg) || !conn.connected)) {
        conn.end();
        continue;
      }
      if (attempt < 20 && /open failed|administratively prohibited|resource shortage/i.test(msg)) {
        await sleep(25 * (attempt + 1));
        continue;
      }
      throw sessionRefusedError(conn.target, msg);
    }
  }
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

/** Checks and builds the command line before anything is opened (cancelled or unsendable → error). */
export function prepareCommand(t: SshTarget, command: string, opts: ExecOptionsExt): string {
  const h = hostLabel(t);
  if (opts.signal?.aborted) throw new PuestaError('CANCELLED', `The command on ${h} was cancelled before it started.`, { host: t.host, serverId: t.id });
  try {
    return buildRemoteCommand(command, opts);
  } catch (e) {
    if (e instanceof RangeError) throw new PuestaError('INVALID_INPUT', `The command for ${h} cannot be sent: ${e.message}.`, { host: t.host, serverId: t.id });
    throw e;
  }
}

/** Runs a prepared command line: waits for a channel slot, then streams it to its end. */
export async function runCommand(conn: HostConn, t: SshTarget, remote: string, opts: ExecOptionsExt, killGraceMs: number): Promise<ExecResult> {
  const release = await conn.channels.acquire(opts.signal);
  conn.busy();
  const started = Date.now();
  let channel: ClientChannel;
  try {
    channel = await openSession(conn, remote, !opts.stdin?.length);
  } catch (e) {
    release();
    conn.maybeIdle();
    throw e;
  }
  return new CommandSession(conn, t, channel, opts, { killGraceMs, started, release }).result;
}

/** A running command: its output, its exit, and stopping it. Settles `result` exactly once. */
class CommandSession {
  readonly result: Promise<ExecResult>;
  private resolve!: (r: ExecResult) => void;
  private reject!: (e: PuestaError) => void;
  private settled = false;
  private seq = 0;
  private readonly kept = { stdout: '', stderr: '' };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private exit: { code: number | null; signal: string | null } = { code: null, signal: null };
  /** Why the command is being stopped (timeout, cancel); set once, reported when the channel closes. */
  private stopReason: PuestaError | null = null;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private escalationTimer: NodeJS.Timeout | null = null;
  /** sudo or onPid: the start of stdout until the pid line is complete (see readPidLine). */
  private pidLine: Buffer | null;
  /** sudo or onPid: the remote process group, once its pid line arrived. */
  private pgid: number | null = null;
  /** A group kill was asked for before the pgid was known: send TERM as soon as it is. */
  private groupKillPending = false;
  private readonly offLost: () => void;

  constructor(
    private readonly conn: HostConn,
    /** The caller's target (its current name goes into messages). */
    private readonly target: SshTarget,
    private readonly channel: ClientChannel,
    private readonly opts: ExecOptionsExt,
    private readonly run: { killGraceMs: number; started: number; release: () => void },
  ) {
    this.pidLine = opts.sudo || opts.onPid ? Buffer.alloc(0) : null;
    this.result = new Promise<ExecResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (opts.timeoutMs && opts.timeoutMs > 0) this.timeoutTimer = setTimeout(this.onTimeout, opts.timeoutMs);
    this.offLost = conn.onLost(() => this.settle(commandLostError(this.target, opts.step)));
    channel.on('data', this.onStdout);
    channel.stderr.on('data', (data: Buffer) => this.emit('stderr', this.decoders.stderr.write(data)));
    channel.on('close', this.onClose);
    // without stdin the EOF may already be sent (pipelineEof): end() then sends nothing more
    if (opts.stdin?.length) channel.end(opts.stdin);
    else channel.end();
  }

  private emit(stream: OutputStream, text: string): void {
    if (!text) return;
    const keep = this.opts.keepBytes ?? 1024 * 1024;
    const kept = this.kept[stream];
    if (kept.length < keep) this.kept[stream] = kept + text.slice(0, keep - kept.length);
    this.opts.onChunk?.({ serverId: this.target.id, stream, seq: this.seq++, ts: new Date().toISOString(), text });
  }

  private readonly onStdout = (data: Buffer): void => {
    if (this.pidLine) {
      const rest = this.readPidLine(this.pidLine, data);
      if (!rest) return;
      data = rest;
    }
    this.emit('stdout', this.decoders.stdout.write(data));
  };

  /** Under sudo or with `onPid` the first stdout line is the session's pid (= its process group, see
   * buildRemoteCommand), with `onPid` followed by its start time: kept, not shown. Returns the bytes
   * after it, or null until it is complete. */
  private readPidLine(head: Buffer, data: Buffer): Buffer | null {
    const buf = Buffer.concat([head, data]);
    const nl = buf.indexOf(10);
    if (nl < 0) {
      this.pidLine = buf;
      return null;
    }
    const [pid = '', start = ''] = buf.subarray(0, nl).toString('latin1').split(' ');
    this.pgid = Number(pid) || null;
    this.pidLine = null;
    if (this.pgid !== null) this.opts.onPid?.({ pid: this.pgid, start: start.trim() });
    if (this.groupKillPending && this.pgid !== null) this.killGroup('TERM');
    return buf.subarray(nl + 1);
  }

  private readonly onClose = (): void => {
    const status = exits.get(this.channel);
    if (status?.seen) this.exit = { code: status.code, signal: status.signal };
    this.emit('stdout', this.decoders.stdout.end());
    this.emit('stderr', this.decoders.stderr.end());
    if (this.stopReason) return this.settle(this.stopReason);
    // No exit status and no connection: the connection dropped under the command.
    if (this.exit.code === null && this.exit.signal === null && !this.conn.connected) return this.settle(commandLostError(this.target, this.opts.step));
    this.settle(null);
  };

  private readonly onAbort = (): void => {
    const t = this.target;
    this.stop(new PuestaError('CANCELLED', `The command on ${hostLabel(t)} was cancelled${stepText(this.opts.step)}; its remote processes were stopped.`, { host: t.host, serverId: t.id }));
  };

  private readonly onTimeout = (): void => {
    const t = this.target;
    const ms = this.opts.timeoutMs!;
    this.stop(
      new PuestaError(
        'TIMEOUT',
        `The command on ${hostLabel(t)}${stepText(this.opts.step)} did not finish within ${Math.round(ms / 100) / 10} s and was stopped. Raise the step's timeout if it needs longer, or check what it waits for.`,
        { host: t.host, serverId: t.id, timeoutMs: ms },
      ),
    );
  };

  /** Stops the remote command (once): TERM, then KILL after the grace, then gives up waiting. */
  private stop(reason: PuestaError): void {
    if (this.stopReason || this.settled) return;
    this.stopReason = reason;
    this.signal('TERM');
    this.escalationTimer = setTimeout(() => {
      this.signal('KILL');
      this.escalationTimer = setTimeout(() => this.giveUp(), STOP_CONFIRM_MS);
    }, this.run.killGraceMs);
  }

  private signal(sig: 'TERM' | 'KILL'): void {
    sendSignal(this.channel, sig);
    if (this.opts.sudo) this.killGroup(sig);
  }

  /** Kills the sudo command's process group as root, on a channel of its own (output ignored). */
  private killGroup(sig: 'TERM' | 'KILL'): void {
    if (this.pgid === null) {
      this.groupKillPending = true;
      return;
    }
    void openSession(this.conn, killGroupCommand(sig, this.pgid))
      .then((kill) => {
        kill.on('data', () => undefined);
        kill.stderr.on('data', () => undefined);
        kill.end();
      })
      .catch(() => undefined);
  }

  /** The server did not end the session even after KILL (it may not accept SSH signals): close
   * the channel and say that processes may be left over. */
  private giveUp(): void {
    try {
      this.channel.close();
    } catch {
      // already closed
    }
    const r = this.stopReason!;
    this.settle(
      new PuestaError(
        r.code,
        `${r.message} The server did not confirm that the remote processes ended (it may not accept SSH signals; OpenSSH older than 7.9?): check for leftover processes on ${hostLabel(this.target)}.`,
        { ...(r.details as object), stopConfirmed: false },
      ),
    );
  }

  private settle(error: PuestaError | null): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    if (this.escalationTimer) clearTimeout(this.escalationTimer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.offLost();
    this.run.release();
    this.conn.maybeIdle();
    if (error) return this.reject(error);
    const { code, signal } = this.exit;
    this.resolve({ exitCode: code, signal, durationMs: Date.now() - this.run.started, stdout: this.kept.stdout, stderr: this.kept.stderr });
  }
}
