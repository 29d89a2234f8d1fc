/** SMTP settings (password in the secret store), transports, and SMTP error classification. */
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { z } from 'zod';
import type { SmtpSaveInput, SmtpSettings } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';

const KEY = 'smtp';
export const PASSWORD_KEY = 'smtp.password';

export type SmtpConfig = Omit<SmtpSettings, 'hasPassword' | 'configured'>;

const DEFAULTS: SmtpConfig = { host: '', port: 587, secure: false, user: '', from: '', ratePerSecond: 5, maxConnections: 2 };

export function getSmtp(core: Core): SmtpSettings {
  const c = { ...DEFAULTS, ...core.settings.getJson<Partial<SmtpConfig>>(KEY, {}) };
  return { ...c, hasPassword: core.secrets.has(PASSWORD_KEY), configured: !!(c.host && c.from) };
}

export function saveSmtp(core: Core, input: z.output<typeof SmtpSaveInput>): SmtpSettings {
  return core.tx(() => {
    const before = getSmtp(core);
    const { password, ...rest } = input;
    core.settings.setJson(KEY, rest);
    if (password === null || password === '') core.secrets.delete(PASSWORD_KEY);
    else if (password !== undefined) core.secrets.set(PASSWORD_KEY, password);
    const after = getSmtp(core);
    core.audit.write(core.operator(), 'update', 'settings.smtp', null, before, after);
    return after;
  });
}

/** A nodemailer transport for the saved settings; `pool` for the outbox sender. */
export function makeTransport(core: Core, pool: boolean): Transporter {
  const s = getSmtp(core);
  if (!s.configured) throw new PuestaError('PRECONDITION_FAILED', 'SMTP is not set up: enter a host and a "from" address in Settings → SMTP.');
  const pass = core.secrets.get(PASSWORD_KEY);
  const base = {
    host: s.host,
    port: s.port,
    secure: s.secure,
    ...(s.user ? { auth: { user: s.user, pass: pass ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
    // Loopback / self-signed relays are common in ops setups; TLS is still used when offered.
    tls: { rejectUnauthorized: false },
  };
  return pool
    ? nodemailer.createTransport({ ...base, pool: true, maxConnections: s.maxConnections, maxMessages: Infinity, getSocket: noDelaySocket(10_000) })
    : nodemailer.createTransport({ ...base, getSocket: noDelaySocket(10_000) });
}

type GetSocket = (options: { host?: string | undefined; port?: number | undefined }, cb: (err: Error | null, socketOptions?: { connection: net.Socket }) => void) => void;

/**
 * nodemailer's own sockets keep Nagle's algorithm on: each message's body then waits for the
 * server's delayed ACK (~40 ms on Linux), capping a connection at ~20 messages/s. We hand it a
 * connected TCP socket with TCP_NODELAY instead (TLS, implicit or STARTTLS, is layered on it by
 * nodemailer as usual).
 */
export function noDelaySocket(timeoutMs: number): GetSocket {
  return (options, cb) => {
    let done = false;
    const sock = net.connect({ host: options.host ?? 'localhost', port: options.port ?? 25, noDelay: true });
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      sock.destroy();
      cb(Object.assign(err, { code: (err as { code?: string }).code ?? 'ECONNECTION', command: 'CONN' }));
    };
    sock.setTimeout(timeoutMs, () => fail(Object.assign(new Error(`Connection to ${options.host ?? ''}:${options.port ?? ''} timed out`), { code: 'ETIMEDOUT' })));
    sock.once('error', fail);
    sock.once('connect', () => {
      if (done) return;
      done = true;
      sock.setTimeout(0);
      sock.removeListener('error', fail);
      cb(null, { connection: sock });
    });
  };
}

export type Failure = 'temporary' | 'permanent' | 'offline';

/**
 * How an SMTP error is treated:
 * - offline: the server could not be reached or refused us as a whole (connection, TLS, greeting,
 *   auth) → the message waits, the sender backs off and says "SMTP unreachable";
 * - temporary: a 4xx reply for this message → retried with back-off;
 * - permanent: a 5xx reply for this message → failed, error recorded.
 */
export function classify(e: unknown): { kind: Failure; message: string } {
  const err = e as { code?: string; responseCode?: number; response?: string; message?: string; command?: string };
  const message = (err.response || err.message || String(e)).slice(0, 1000);
  const rc = typeof err.responseCode === 'number' ? err.responseCode : 0;
  if (err.code === 'EAUTH' || err.command === 'AUTH PLAIN' || err.command === 'AUTH LOGIN') return { kind: 'offline', message: `SMTP login refused: ${message}` };
  if (err.command === 'CONN' || err.command === 'GREETING') return { kind: 'offline', message };
  if (rc >= 500) return { kind: 'permanent', message };
  if (rc >= 400) {
    // A 421 closes the whole session: the server is (temporarily) not serving us.
    if (rc === 421) return { kind: 'offline', message };
    return { kind: 'temporary', message };
  }
  if (err.code === 'EMESSAGE' || err.code === 'EENVELOPE') return { kind: 'permanent', message };
  return { kind: 'offline', message };
}
