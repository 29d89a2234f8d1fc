/**
 * File transfer over SFTP on the pooled connection. Uploads are atomic (a temporary name in the
 * target directory, then rename) and verified with sha256sum on the host (unless the caller checks
 * it there itself: `verify: false`); downloads land under a temporary local name and are verified
 * the same way. Both are cancellable.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { PuestaError } from '../../../shared/errors.js';
import { sleep } from '../util/concurrency.js';
import type { HostConn } from './connection.js';
import { fileError, hostLabel, sftpRefusedError } from './errors.js';
import { sha256Command } from './remote-command.js';
import type { ExecOptions, ExecResult, SshTarget, UploadOptions } from './types.js';

/** What a transfer needs from the pool: the host's connection, and commands for the checksum. */
export interface TransferHost {
  connFor(t: SshTarget): HostConn;
  exec(t: SshTarget, command: string, opts: ExecOptions): Promise<ExecResult>;
}

export interface Transferred {
  bytes: number;
  sha256: string;
}

/** SHA-256 (hex) of a local file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Opens an SFTP session, reconnecting once and retrying briefly when the server refuses a channel. */
async function openSftp(conn: HostConn): Promise<SFTPWrapper> {
  for (let attempt = 0; ; attempt++) {
    const client = await conn.get();
    try {
      const s = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
      conn.stats.channelsOpened++;
      return s;
    } catch (e) {
      if (attempt < 1 && !conn.connected) continue;
      if (attempt < 20 && /open failed/i.test((e as Error).message)) {
        await sleep(25 * (attempt + 1));
        continue;
      }
      throw sftpRefusedError(conn.target, (e as Error).message);
    }
  }
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

/** Promisifies one SFTP call that only reports an error. */
const sftpCall = (call: (cb: (e?: Error | null) => void) => void): Promise<void> => new Promise((resolve, reject) => call((e) => (e ? reject(e) : resolve())));

async function remoteSha256(host: TransferHost, t: SshTarget, remotePath: string): Promise<string> {
  const r = await host.exec(t, sha256Command(remotePath), { timeoutMs: 300_000 });
  const m = /^([0-9a-f]{64})\s/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) throw new PuestaError('COMMAND_FAILED', `Could not compute the checksum of ${remotePath} on ${hostLabel(t)}: ${r.stderr.trim() || 'sha256sum failed'}.`, { host: t.host, serverId: t.id });
  return m[1]!;
}

export async function upload(host: TransferHost, t: SshTarget, localPath: string, remotePath: string, opts: UploadOptions = {}): Promise<Transferred> {
  const h = hostLabel(t);
  const total = statSync(localPath).size;
  const localSha = await sha256File(localPath);
  // A hidden temporary name in the target directory, so the final rename is atomic.
  const tmp = path.posix.join(path.posix.dirname(remotePath), `.${path.posix.basename(remotePath)}.puesta-${randomBytes(6).toString('hex')}.tmp`);
  const conn = host.connFor(t);
  const release = await conn.channels.acquire(opts.signal);
  conn.busy();
  let sftp: SFTPWrapper | null = null;
  try {
    sftp = await openSftp(conn);
    const s = sftp;
    // The default mode (best effort, like fastPut's fchmod was) is not waited for on its own: SFTP
    // answers requests in order, so it is set before the rename gives the file its name — one round
    // trip less per upload. An explicit mode (a secret's 0600) is set before the first byte is
    // written (fastPut's fchmod) and checked before the rename, as before.
    await cancellable(s, opts.signal, `The upload of ${remotePath} to ${h} was cancelled.`, (done) =>
      s.fastPut(localPath, tmp, { ...(opts.mode !== undefined ? { mode: opts.mode } : {}), step: (sent) => opts.onProgress?.(sent, total) }, done),
    );
    if (opts.mode !== undefined) await sftpCall((cb) => s.chmod(tmp, opts.mode!, cb));
    const chmodded = opts.mode === undefined ? sftpCall((cb) => s.chmod(tmp, 0o644, cb)).catch(() => undefined) : undefined;
    opts.onProgress?.(total, total);
    const remoteSha = opts.verify === false ? localSha : await remoteSha256(host, t, tmp);
    if (remoteSha !== localSha) {
      throw new PuestaError('SSH_ERROR', `The upload of ${remotePath} to ${h} arrived corrupted (checksum ${remoteSha} ≠ ${localSha}). Try again; check the server's disk if it repeats.`, {
        host: t.host,
        serverId: t.id,
      });
    }
    await Promise.all([chmodded, sftpCall((cb) => s.ext_openssh_rename(tmp, remotePath, cb))]);
    return { bytes: total, sha256: localSha };
  } catch (e) {
    if (sftp) await removeRemote(sftp, tmp);
    throw e instanceof PuestaError ? e : fileError(t, 'upload', remotePath, e, conn.connected);
  } finally {
    sftp?.end();
    release();
    conn.maybeIdle();
  }
}

/** Best-effort removal of a temporary file on the host. */
function removeRemote(s: SFTPWrapper, file: string): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      s.unlink(file, () => resolve());
    } catch {
      resolve();
    }
  });
}

function removeLocal(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // not created, or already gone
  }
}

export async function download(host: TransferHost, t: SshTarget, remotePath: string, localPath: string, opts: UploadOptions = {}): Promise<Transferred> {
  const h = hostLabel(t);
  const conn = host.connFor(t);
  const tmp = `${localPath}.puesta-${randomBytes(6).toString('hex')}.tmp`;
  const release = await conn.channels.acquire(opts.signal);
  conn.busy();
  let sftp: SFTPWrapper | null = null;
  try {
    sftp = await openSftp(conn);
    const s = sftp;
    await cancellable(s, opts.signal, `The download of ${remotePath} from ${h} was cancelled.`, (done) =>
      s.fastGet(remotePath, tmp, { step: (got, _chunk, total) => opts.onProgress?.(got, total) }, done),
    );
  } catch (e) {
    removeLocal(tmp);
    throw e instanceof PuestaError ? e : fileError(t, 'download', remotePath, e, conn.connected);
  } finally {
    sftp?.end();
    release();
    conn.maybeIdle();
  }
  // The channel slot is free again: the remote checksum runs as a command of its own.
  try {
    const bytes = statSync(tmp).size;
    const localSha = await sha256File(tmp);
    const remoteSha = await remoteSha256(host, t, remotePath);
    if (remoteSha !== localSha) throw new PuestaError('SSH_ERROR', `The download of ${remotePath} from ${h} arrived corrupted (checksum mismatch). Try again.`, { host: t.host, serverId: t.id });
    renameSync(tmp, localPath);
    return { bytes, sha256: localSha };
  } catch (e) {
    removeLocal(tmp);
    throw e;
  }
}
