/**
 * Reaching a database: a stream forwarded through the SSH connection of its server (the engine's
 * forwardOut; no port opened on the server nor on the laptop), node-postgres on it, the password
 * read from the secret store. application_name tells who holds the lock.
 */
import type { Database } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { serverTarget } from '../ssh/target.js';
import type { SshEngine } from '../ssh/types.js';
import { PostgresTarget } from './pg/postgres.js';
import { PgConnection, PgError } from './pg/client.js';
import { passwordKey } from './patch-store.js';
import type { PatchTarget } from './target.js';

export interface Opened {
  target: PatchTarget;
  close(): Promise<void>;
}

export async function openTarget(core: Core, db: Database, who: string, executor: SshEngine = core.services.ssh): Promise<Opened> {
  const server = serverTarget(core, db.serverId);
  const conn = await PgConnection.connect({
    stream: () => executor.forward(server, db.host, db.port),
    user: db.user,
    database: db.database,
    password: core.secrets.get(passwordKey(db.id)) ?? null,
    applicationName: `puesta ${who}`.slice(0, 63),
  });
  const target = new PostgresTarget(conn);
  return { target, close: () => target.close().catch(() => undefined) };
}

/** Opens, runs `fn`, closes whatever happens. A database's own error crosses the boundary as COMMAND_FAILED with its SQLSTATE. */
export async function withTarget<T>(core: Core, db: Database, who: string, fn: (t: PatchTarget) => Promise<T>, executor?: SshEngine): Promise<T> {
  let o: Opened | null = null;
  try {
    o = await openTarget(core, db, who, executor);
    return await fn(o.target);
  } catch (e) {
    if (e instanceof PgError) throw new PuestaError('COMMAND_FAILED', `PostgreSQL ${db.name} (${e.sqlstate}): ${e.message}`, { sqlstate: e.sqlstate });
    if (!(e instanceof PuestaError)) throw new PuestaError('COMMAND_FAILED', `PostgreSQL ${db.name} at ${db.host}:${db.port} via ${db.serverName}: ${(e as Error).message}`);
    throw e;
  } finally {
    await o?.close();
  }
}
