/**
 * A small PostgreSQL client speaking the frontend/backend protocol 3.0 over one TCP socket (the
 * local end of an SSH tunnel): startup, trust / cleartext / md5 / SCRAM-SHA-256 authentication,
 * the simple query protocol with text results, and the cancel request. Enough for patches, the
 * ledger and catalog reads; values come back as text (or null) and callers convert them.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { PuestaError } from '../../../../shared/errors.js';

export interface PgConnectOptions {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string | null;
  applicationName?: string;
  connectTimeoutMs?: number;
}

export interface PgResult {
  command: string;
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

type Msg = { type: string; body: Buffer };

function frame(type: string | null, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return type ? Buffer.concat([Buffer.from(type), len, body]) : Buffer.concat([len, body]);
}
const cstr = (s: string): Buffer => Buffer.from(s + '\0', 'utf8');

function errorFields(body: Buffer): { sqlstate: string; message: string; position: number | null } {
  const f: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    f[code] = body.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return { sqlstate: f.C ?? 'XX000', message: f.M ?? 'unknown error', position: f.P ? Number(f.P) : null };
}

export class PgConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: ((m: Msg | Error) => void)[] = [];
  private queue: Msg[] = [];
  private failure: Error | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  private backend = { pid: 0, key: 0 };

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: PgConnectOptions,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const w of this.waiters.splice(0)) w(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new PuestaError('SSH_CONNECTION_LOST', 'The connection to PostgreSQL closed.')));
  }

  get pid(): number {
    return this.backend.pid;
  }

  static async connect(opts: PgConnectOptions): Promise<PgConnection> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: opts.host, port: opts.port });
      const t = setTimeout(() => s.destroy(new PuestaError('TIMEOUT', `PostgreSQL at ${opts.host}:${opts.port} did not answer.`)), opts.connectTimeoutMs ?? 10_000);
      s.once('connect', () => (clearTimeout(t), resolve(s)));
      s.once('error', (e) => (clearTimeout(t), reject(e)));
    });
    socket.setNoDelay(true);
    const c = new PgConnection(socket, opts);
    try {
      await c.startup();
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return c;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < len + 1) break;
      const m: Msg = { type: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, len + 1) };
      this.buf = this.buf.subarray(len + 1);
      // notices, parameter status and notifications: nothing here needs them
      if (m.type === 'N' || m.type === 'S' || m.type === 'A') continue;
      else if (this.waiters.length) this.waiters.shift()!(m);
      else this.queue.push(m);
    }
  }

  private next(): Promise<Msg> {
    if (this.queue.length) return Promise.resolve(this.queue.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push((m) => (m instanceof Error ? reject(m) : resolve(m))));
  }

  private async startup(): Promise<void> {
    const params = ['user', this.opts.user, 'database', this.opts.database, 'application_name', this.opts.applicationName ?? 'puesta', 'client_encoding', 'UTF8'];
    const ver = Buffer.alloc(4);
    ver.writeInt32BE(196608);
    this.socket.write(frame(null, Buffer.concat([ver, ...params.map(cstr), Buffer.from([0])])));
    let scram: ScramState | null = null;
    for (;;) {
      const m = await this.next();
      if (m.type === 'E') throw this.authError(errorFields(m.body));
      if (m.type === 'K') this.backend = { pid: m.body.readInt32BE(0), key: m.body.readInt32BE(4) };
      if (m.type === 'Z') return;
      if (m.type !== 'R') continue;
      const code = m.body.readInt32BE(0);
      if (code === 0) continue;
      const password = this.opts.password;
      if (password == null) throw new PuestaError('SSH_AUTH_FAILED', `PostgreSQL asks for a password for ${this.opts.user}: store the database password in Puesta.`);
      if (code === 3) this.socket.write(frame('p', cstr(password)));
      else if (code === 5) {
        const inner = createHash('md5').update(password + this.opts.user).digest('hex');
        this.socket.write(frame('p', cstr('md5' + createHash('md5').update(inner).update(m.body.subarray(4, 8)).digest('hex'))));
      } else if (code === 10) {
        scram = scramStart();
        const mech = cstr('SCRAM-SHA-256');
        const first = Buffer.from(scram.clientFirst);
        const len = Buffer.alloc(4);
        len.writeInt32BE(first.length);
        this.socket.write(frame('p', Buffer.concat([mech, len, first])));
      } else if (code === 11 && scram) {
        this.socket.write(frame('p', Buffer.from(scramFinal(scram, m.body.subarray(4).toString(), password))));
      } else if (code === 12 && scram) {
        if (!scramVerify(scram, m.body.subarray(4).toString())) throw new PuestaError('SSH_AUTH_FAILED', 'The PostgreSQL server signature did not verify.');
      } else throw new PuestaError('INTERNAL', `Unsupported PostgreSQL authentication (${code}).`);
    }
  }

  private authError(f: { sqlstate: string; message: string }): Error {
    return f.sqlstate === '28P01' || f.sqlstate === '28000' ? new PuestaError('SSH_AUTH_FAILED', `PostgreSQL refused the login: ${f.message}`) : new PgError(f.sqlstate, f.message, null);
  }

  /** Runs SQL with the simple protocol (one statement, or a script); the last statement's rows. Calls are serialised. */
  query(sql: string): Promise<PgResult> {
    const run = this.busy.then(() => this.simple(sql));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async simple(sql: string): Promise<PgResult> {
    if (this.failure) throw this.failure;
    this.socket.write(frame('Q', cstr(sql)));
    let cols: string[] = [];
    let rows: Record<string, string | null>[] = [];
    let command = '';
    let error: PgError | null = null;
    for (;;) {
      const m = await this.next();
      if (m.type === 'T') {
        cols = [];
        rows = [];
        let i = 2;
        for (let n = m.body.readInt16BE(0); n > 0; n--) {
          const end = m.body.indexOf(0, i);
          cols.push(m.body.toString('utf8', i, end));
          i = end + 1 + 18;
        }
      } else if (m.type === 'D') {
        const row: Record<string, string | null> = {};
        let i = 2;
        for (let c = 0; c < m.body.readInt16BE(0); c++) {
          const len = m.body.readInt32BE(i);
          i += 4;
          row[cols[c]!] = len < 0 ? null : m.body.toString('utf8', i, i + len);
          if (len > 0) i += len;
        }
        rows.push(row);
      } else if (m.type === 'C') command = m.body.toString('utf8', 0, m.body.length - 1);
      else if (m.type === 'E') {
        const f = errorFields(m.body);
        error ??= new PgError(f.sqlstate, f.message, f.position);
      } else if (m.type === 'Z') {
        if (error) throw error;
        return { command, rows };
      }
    }
  }

  /** Asks the server to cancel the running statement (a second connection, as the protocol wants). */
  async cancel(): Promise<void> {
    const s = net.connect({ host: this.opts.host, port: this.opts.port });
    await new Promise<void>((resolve) => {
      s.once('connect', () => {
        const b = Buffer.alloc(12);
        b.writeInt32BE(80877102, 0);
        b.writeInt32BE(this.backend.pid, 4);
        b.writeInt32BE(this.backend.key, 8);
        s.end(frame(null, b));
      });
      s.once('close', () => resolve());
      s.once('error', () => resolve());
    });
  }

  async close(): Promise<void> {
    if (!this.failure && !this.socket.destroyed) this.socket.end(frame('X', Buffer.alloc(0)));
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- SCRAM-SHA-256 (RFC 5802 / 7677)
interface ScramState {
  nonce: string;
  clientFirst: string;
  bare: string;
  serverSignature?: Buffer;
}
function scramStart(): ScramState {
  const nonce = randomBytes(18).toString('base64');
  const bare = `n=*,r=${nonce}`;
  return { nonce, bare, clientFirst: `n,,${bare}` };
}
const hmac = (key: Buffer, s: string): Buffer => createHmac('sha256', key).update(s).digest();
function scramFinal(st: ScramState, serverFirst: string, password: string): string {
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  if (!attrs.r?.startsWith(st.nonce) || !attrs.s || !attrs.i) throw new PuestaError('SSH_AUTH_FAILED', 'Unexpected SCRAM exchange from PostgreSQL.');
  const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  const withoutProof = `c=biws,r=${attrs.r}`;
  const auth = `${st.bare},${serverFirst},${withoutProof}`;
  const sig = hmac(createHash('sha256').update(clientKey).digest(), auth);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  st.serverSignature = hmac(hmac(salted, 'Server Key'), auth);
  return `${withoutProof},p=${proof.toString('base64')}`;
}
function scramVerify(st: ScramState, serverFinal: string): boolean {
  const v = /v=([^,]+)/.exec(serverFinal)?.[1];
  if (!v || !st.serverSignature) return false;
  const got = Buffer.from(v, 'base64');
  return got.length === st.serverSignature.length && timingSafeEqual(got, st.serverSignature);
}
