/**
 * One PostgreSQL session with node-postgres (`pg`) over a stream the caller opens — the SSH
 * engine's forwardOut channel, so no port is opened anywhere. Values come back as text (or null)
 * and callers convert them: the same for every type, and for the result of a multi-statement
 * script. Server errors become PgError with their SQLSTATE.
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { PuestaError } from '../../../../shared/errors.js';

export interface PgConnectOptions {
  /** Opens a new connected stream to the server (one per session; the cancel request opens another). */
  stream: () => Promise<Duplex>;
  user: string;
  database: string;
  password: string | null;
  applicationName?: string;
  connectTimeoutMs?: number;
}

export interface PgResult {
  command: string;
  /** Rows the last statement changed or returned (UPDATE / DELETE / INSERT / SELECT). */
  rowCount: number;
  rows: Record<string, string | null>[];
}

/** A server error, with its SQLSTATE (55P03 lock_not_available, 57014 query_canceled…). */
export class PgError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
    readonly position: number | null,
  ) {
    super(message);
    this.name = 'PgError';
  }
}

const TEXT = { getTypeParser: () => (v: string) => v };

/**
 * pg drives a net.Socket it connects itself; the forwarded stream is already connected, so
 * connecting it only announces that, and the TCP options have no meaning on an SSH channel.
 */
function asSocket(s: Duplex): Duplex {
  const self = s as Duplex & Record<string, unknown>;
  self.setNoDelay ??= () => self;
  self.setKeepAlive ??= () => self;
  self.ref ??= () => self;
  self.unref ??= () => self;
  self.connect = () => (process.nextTick(() => s.emit('connect')), self);
  return s;
}

function converted(e: unknown): Error {
  if (e instanceof PuestaError || e instanceof PgError) return e;
  const x = e as { code?: unknown; message?: string; position?: string };
  if (e instanceof pg.DatabaseError || (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code))) {
    const code = String(x.code);
    if (code === '28P01' || code === '28000') return new PuestaError('SSH_AUTH_FAILED', `PostgreSQL refused the login: ${x.message}`);
    return new PgError(code, x.message ?? 'unknown error', x.position ? Number(x.position) : null);
  }
  return new PuestaError('SSH_CONNECTION_LOST', `The connection to PostgreSQL failed: ${x.message ?? String(e)}`);
}

export class PgConnection {
  private failure: Error | null = null;

  private constructor(
    private readonly client: pg.Client,
    private readonly opts: PgConnectOptions,
  ) {
    // pg reports a broken idle connection as an 'error' event; without a listener it would end the process.
    client.on('error', (e) => (this.failure ??= converted(e)));
    client.on('end', () => (this.failure ??= new PuestaError('SSH_CONNECTION_LOST', 'The connection to PostgreSQL closed.')));
  }

  /** The server process of this session (names the trace's scratch schema, the cancel target). */
  get pid(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  static async connect(opts: PgConnectOptions): Promise<PgConnection> {
    const stream = asSocket(await opts.stream());
    const client = new pg.Client({
      stream: () => stream,
      user: opts.user,
      database: opts.database,
      application_name: opts.applicationName ?? 'puesta',
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      types: TEXT,
      password: async () => {
        if (opts.password == null) throw new PuestaError('SSH_AUTH_FAILED', `PostgreSQL asks for a password for ${opts.user}: store the database password in Puesta.`);
        return opts.password;
      },
    });
    try {
      await client.connect();
    } catch (e) {
      stream.destroy();
      throw converted(e);
    }
    return new PgConnection(client, opts);
  }

  /** Runs SQL with the simple protocol (one statement, or a script); the last statement's result. pg serialises calls. */
  async query(sql: string): Promise<PgResult> {
    if (this.failure) throw this.failure;
    try {
      const r = (await this.client.query(sql)) as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return { command: last?.command ?? '', rowCount: last?.rowCount ?? 0, rows: (last?.rows ?? []) as Record<string, string | null>[] };
    } catch (e) {
      throw converted(e);
    }
  }

  /**
   * Cancels the running statement from a second session (this one's queue is busy with it). Never
   * rejects: callers fire it from an abort signal, and a session that cannot be reached any more
   * has nothing running to cancel.
   */
  async cancel(): Promise<void> {
    const other = await PgConnection.connect({ ...this.opts, applicationName: 'puesta cancel' }).catch(() => null);
    if (!other) return;
    try {
      await other.query(`SELECT pg_cancel_backend(${this.pid})`).catch(() => undefined);
    } finally {
      await other.close();
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
