/**
 * The SSH engine: one ssh2 connection per host, reused by every command of a run. A facade over
 * the parts in this folder (README.md): connection.ts (handshake, host keys, idle close),
 * exec.ts (commands), transfer.ts (SFTP), tunnel.ts (port forwarding).
 */
import type { Duplex } from 'node:stream';
import { PuestaError } from '../../../shared/errors.js';
import { HostConn, scanHostKey } from './connection.js';
import type { HostKeyInfo } from './errors.js';
import { prepareCommand, runCommand, type ExecOptionsExt } from './exec.js';
import { settingsOf, type SshPoolOptions, type SshSettings } from './options.js';
import { download, upload, type TransferHost, type Transferred } from './transfer.js';
import { openForward, openTunnel, type Tunnel } from './tunnel.js';
import type { ExecResult, SshEngine, SshTarget, UploadOptions } from './types.js';

export type { SecretKind } from './auth.js';
export type { HostKeyInfo } from './errors.js';
export type { ExecOptionsExt } from './exec.js';
export type { SshPoolOptions } from './options.js';

export interface HostStats {
  connects: number;
  channelsOpened: number;
  activeChannels: number;
  connected: boolean;
}

export class SshPool implements SshEngine {
  readonly opt: SshSettings;
  private readonly conns = new Map<number, HostConn>();
  private closed = false;
  /** Transfers take a connection and run their checksum commands through the pool. */
  private readonly transferHost: TransferHost = { connFor: (t) => this.connFor(t), exec: (t, command, opts) => this.exec(t, command, opts) };

  constructor(opts: SshPoolOptions) {
    this.opt = settingsOf(opts);
  }

  /** Changes timeouts/limits for connections made from now on. */
  configure(opts: Partial<Omit<SshPoolOptions, 'hostKeys' | 'secret'>>): void {
    Object.assign(this.opt, opts);
  }

  /** The host's connection; replaced when the server's connection fields changed. */
  private connFor(t: SshTarget): HostConn {
    if (this.closed) throw new PuestaError('SSH_ERROR', 'The SSH engine is closed.');
    let c = this.conns.get(t.id);
    if (c && !c.matches(t)) {
      c.end();
      c = undefined;
    }
    if (!c) {
      c = new HostConn(this.opt, { ...t });
      this.conns.set(t.id, c);
    }
    return c;
  }

  stats(serverId: number): HostStats {
    const c = this.conns.get(serverId);
    return { connects: c?.stats.connects ?? 0, channelsOpened: c?.stats.channelsOpened ?? 0, activeChannels: c?.channels.active ?? 0, connected: !!c?.connected };
  }

  /** Connects (or reuses the connection) — host key check, auth — and returns the host key seen. */
  async connect(t: SshTarget): Promise<HostKeyInfo> {
    const c = this.connFor(t);
    await c.get();
    return c.lastHostKey ?? { fingerprint: '', keyType: '' };
  }

  /** Reads the host key a server presents, without authenticating (for the trust flow). */
  scanHostKey(t: Pick<SshTarget, 'id' | 'name' | 'host' | 'port' | 'user'>): Promise<HostKeyInfo> {
    return scanHostKey({ ...t, auth: 'agent', keyPath: null }, this.opt.readyTimeoutMs);
  }

  async exec(t: SshTarget, command: string, opts: ExecOptionsExt = {}): Promise<ExecResult> {
    const remote = prepareCommand(t, command, opts);
    return runCommand(this.connFor(t), t, remote, opts, this.opt.killGraceMs);
  }

  upload(t: SshTarget, localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<Transferred> {
    return upload(this.transferHost, t, localPath, remotePath, opts);
  }

  download(t: SshTarget, remotePath: string, localPath: string, opts: UploadOptions = {}): Promise<Transferred> {
    return download(this.transferHost, t, remotePath, localPath, opts);
  }

  async tunnel(t: SshTarget, remoteHost: string, remotePort: number): Promise<Tunnel> {
    return openTunnel(this.connFor(t), remoteHost, remotePort);
  }

  async forward(t: SshTarget, remoteHost: string, remotePort: number): Promise<Duplex> {
    return openForward(this.connFor(t), remoteHost, remotePort);
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
