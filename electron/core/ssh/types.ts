/**
 * The SSH engine's interface, as the runs engine, DB patches and suspensions use it.
 * Implemented by the pool in this folder (one ssh2 connection per host, reused).
 */
import type { Duplex } from 'node:stream';
import type { Server } from '../../../shared/contract/inventory.js';

export type OutputStream = 'stdout' | 'stderr';

export interface OutputChunk {
  serverId: number;
  stream: OutputStream;
  /** Per-command sequence number, starting at 0, in arrival order across both streams. */
  seq: number;
  /** ISO timestamp of arrival on the laptop. */
  ts: string;
  text: string;
}

export interface ExecOptions {
  /** Called for each chunk as it arrives (text decoded as UTF-8, split on chunk boundaries). */
  onChunk?: (chunk: OutputChunk) => void;
  signal?: AbortSignal;
  /** Per-command timeout; the remote process is killed when it fires. */
  timeoutMs?: number;
  /** Environment for the command, passed safely (quoted `env` prefix, never interpolated raw). */
  env?: Record<string, string>;
  /** Working directory (quoted). */
  cwd?: string;
  /** Run through `sudo -n` (non-interactive). */
  sudo?: boolean | { user: string };
  /** Data written to stdin, then closed. */
  stdin?: string | Buffer;
  /**
   * Called once the command runs, with its session's process group (pid) and that process's start
   * time (clock ticks since boot, '' when unknown): enough to stop what is left of it later.
   */
  onPid?: (p: { pid: number; start: string }) => void;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Only when the caller asked to keep output (small commands): whole stdout/stderr. */
  stdout: string;
  stderr: string;
}

export interface UploadOptions {
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  mode?: number;
  /**
   * Upload only: false when the caller checks the file's sha256 on the host itself (a step whose
   * own command runs `sha256sum -c`), so the engine sends no checksum command of its own. Default true.
   */
  verify?: boolean;
}

export type SshTarget = Pick<Server, 'id' | 'name' | 'host' | 'port' | 'user' | 'auth' | 'keyPath'>;

export interface SshEngine {
  /** Runs one command on one host over the pooled connection. Throws PuestaError SSH_* codes. */
  exec(target: SshTarget, command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Atomic upload (temp name then rename) with sha256 verification on the host (unless `verify: false`). */
  upload(target: SshTarget, localPath: string, remotePath: string, opts?: UploadOptions): Promise<{ bytes: number; sha256: string }>;
  download(target: SshTarget, remotePath: string, localPath: string, opts?: UploadOptions): Promise<{ bytes: number; sha256: string }>;
  /** A local TCP port forwarded to host:port as seen from the server (ssh2 forwardOut). */
  tunnel(target: SshTarget, remoteHost: string, remotePort: number): Promise<{ localPort: number; close(): Promise<void> }>;
  /** One stream to host:port as seen from the server (ssh2 forwardOut), no local port: for clients that take a stream (node-postgres). */
  forward(target: SshTarget, remoteHost: string, remotePort: number): Promise<Duplex>;
  /** Closes the connection to one host (or all). */
  close(serverId?: number): Promise<void>;
}
