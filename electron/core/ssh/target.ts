/** Server record → what the SSH engine needs to reach it. */
import type { Server } from '../../../shared/contract/inventory.js';
import type { Core } from '../core.js';
import type { SshTarget } from './types.js';

/**
 * Copies only the connection fields: the pool compares them to decide whether a pooled connection
 * still matches the server (an edited host, port, user or auth reconnects).
 */
export function targetOf(server: Pick<Server, keyof SshTarget>): SshTarget {
  return { id: server.id, name: server.name, host: server.host, port: server.port, user: server.user, auth: server.auth, keyPath: server.keyPath ?? null };
}

/** The target of a stored server; NOT_FOUND when there is none. */
export function serverTarget(core: Core, serverId: number): SshTarget {
  return targetOf(core.inventory.servers.get(serverId));
}
