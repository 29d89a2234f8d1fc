/**
 * A local TCP port forwarded, over the pooled connection, to host:port as the server sees it
 * (ssh2 forwardOut). Each accepted local socket gets its own forwarded stream.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HostConn } from './connection.js';

export interface Tunnel {
  localPort: number;
  close(): Promise<void>;
}

/** Pipes one accepted local socket through a new forwarded stream (destroyed if that fails). */
function forward(conn: HostConn, local: net.Socket, remoteHost: string, remotePort: number): void {
  local.pause();
  conn
    .get()
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
}

export async function openTunnel(conn: HostConn, remoteHost: string, remotePort: number): Promise<Tunnel> {
  await conn.get();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((local) => {
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    local.on('error', () => local.destroy());
    forward(conn, local, remoteHost, remotePort);
  });
  server.on('error', () => undefined);
  const localPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  conn.busy();
  let closed = false;
  return {
    localPort,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      conn.maybeIdle();
    },
  };
}

/**
 * One forwarded stream, no local port. It holds a channel slot while open, so the idle timer
 * never ends the connection under a long-lived database session.
 */
export async function openForward(conn: HostConn, remoteHost: string, remotePort: number): Promise<Duplex> {
  const release = await conn.channels.acquire();
  try {
    const client = await conn.get();
    const stream = await new Promise<Duplex>((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, remoteHost, remotePort, (err, s) => (err ? reject(err) : resolve(s))),
    );
    stream.once('close', () => {
      release();
      conn.maybeIdle();
    });
    return stream;
  } catch (e) {
    release();
    throw e;
  }
}
