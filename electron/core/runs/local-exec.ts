/**
 * A real executor that runs commands on THIS machine with `bash -c` — same interface as the SSH
 * engine. Used for "run locally" steps (building a release on the laptop) and to exercise the
 * runs engine without sshd. Every "host" shares this machine's filesystem; `rootFor` can give
 * each server id its own directory, exported as $PUESTA_HOST_ROOT.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { PuestaError } from '../../../shared/errors.js';
import { sha256File } from '../ssh/transfer.js';
import type { ExecOptions, ExecResult, OutputStream, SshEngine, SshTarget } from '../ssh/types.js';

export class LocalExecutor implements SshEngine {
  constructor(private readonly opts: { rootFor?: (serverId: number) => string } = {}) {}

  exec(t: SshTarget, command: string, o: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (o.signal?.aborted) return reject(new PuestaError('CANCELLED', `The command on ${t.name} was cancelled before it started.`));
      const env: NodeJS.ProcessEnv = { ...process.env, ...(o.env ?? {}) };
      if (this.opts.rootFor) env.PUESTA_HOST_ROOT = this.opts.rootFor(t.id);
      const child = spawn('bash', ['-c', command], { cwd: o.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const started = Date.now();
      if (o.onPid && child.pid) o.onPid({ pid: child.pid, start: startTimeOf(child.pid) });
      let seq = 0;
      const out = { stdout: '', stderr: '' };
      let stopReason: PuestaError | null = null;
      const kill = (why: PuestaError) => {
        stopReason = why;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const onAbort = () => kill(new PuestaError('CANCELLED', `The command on ${t.name} was cancelled; its processes were stopped.`));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = o.timeoutMs ? setTimeout(() => kill(new PuestaError('TIMEOUT', `The command on ${t.name} did not finish within ${o.timeoutMs! / 1000} s and was stopped.`)), o.timeoutMs) : null;
      const wire = (stream: OutputStream) => {
        const dec = new StringDecoder('utf8');
        const push = (text: string) => {
          if (!text) return;
          if (out[stream].length < 1 << 20) out[stream] += text;
          o.onChunk?.({ serverId: t.id, stream, seq: seq++, ts: new Date().toISOString(), text });
        };
        child[stream].on('data', (d: Buffer) => push(dec.write(d)));
        child[stream].on('end', () => push(dec.end()));
      };
      wire('stdout');
      wire('stderr');
      child.stdin.on('error', () => undefined);
      if (o.stdin !== undefined) child.stdin.end(o.stdin);
      else child.stdin.end();
      child.on('error', (e) => reject(new PuestaError('COMMAND_FAILED', `Could not start bash: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        if (stopReason) return reject(stopReason);
        resolve({ exitCode: code, signal, durationMs: Date.now() - started, stdout: out.stdout, stderr: out.stderr });
      });
    });
  }

  async upload(_t: SshTarget, localPath: string, remotePath: string): Promise<{ bytes: number; sha256: string }> {
    mkdirSync(path.dirname(remotePath), { recursive: true });
    const tmp = `${remotePath}.part`;
    copyFileSync(localPath, tmp);
    renameSync(tmp, remotePath);
    const sha256 = await sha256File(remotePath);
    const { statSync } = await import('node:fs');
    return { bytes: statSync(remotePath).size, sha256 };
  }

  async download(t: SshTarget, remotePath: string, localPath: string): Promise<{ bytes: number; sha256: string }> {
    return this.upload(t, remotePath, localPath);
  }

  async tunnel(_t: SshTarget, _host: string, port: number): Promise<{ localPort: number; close(): Promise<void> }> {
    return { localPort: port, close: async () => undefined };
  }

  async forward(_t: SshTarget, host: string, port: number): Promise<Duplex> {
    const s = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    return s;
  }

  async close(): Promise<void> {}
}

/** A process's start time (field 22 of /proc/<pid>/stat), as the SSH engine reports it; '' when unknown. */
function startTimeOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /s, '').split(' ')[19] ?? '';
  } catch {
    return '';
  }
}
