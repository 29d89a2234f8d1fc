/**
 * A private PostgreSQL 15 cluster for a test (initdb + pg_ctl as the postgres user, on 127.0.0.1
 * and a private socket folder, fsync off), as install.test.ts and provision.test.ts start theirs.
 * `psql(sql, db)` runs SQL as the superuser over the socket (the test's own view of the database).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../hosts/index.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  port: number;
  socketDir: string;
  dataDir: string;
  /** Runs SQL as the superuser; stdout (unaligned, tuples only). Throws on an error. */
  psql(sql: string, db?: string): string;
  stop(): void;
}

function run(cmd: string, args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, input });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export async function startPostgres(settings: string[] = []): Promise<TestPostgres> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'puesta-pg-'));
  chmodSync(root, 0o755);
  const socketDir = path.join(root, 'sock');
  const dataDir = path.join(root, 'data');
  mkdirSync(socketDir, { mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  run('chown', ['postgres:postgres', dataDir, socketDir]);
  const port = await freePort();
  const init = run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/initdb`, '-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8']);
  if (init.code !== 0) throw new Error(`initdb: ${init.stderr}`);
  const opts = [`-p ${port}`, `-k ${socketDir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', ...settings.map((s) => `-c ${s}`)].join(' ');
  const start = run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', dataDir, '-l', path.join(dataDir, 'log'), '-w', '-o', opts, 'start']);
  if (start.code !== 0) throw new Error(`pg_ctl start: ${start.stderr}${start.stdout}`);
  return {
    port,
    socketDir,
    dataDir,
    psql(sql, db = 'postgres') {
      const r = run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/psql`, '-h', socketDir, '-p', String(port), '-d', db, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1'], sql);
      if (r.code !== 0) throw new Error(`psql: ${r.stderr}`);
      return r.stdout.trim();
    },
    stop() {
      run('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', dataDir, '-m', 'immediate', 'stop']);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
