/**
 * The SMTP transport (the one place nodemailer is used): a one-off send for tests of the settings,
 * and the sender's pooled transport, kept while the settings stay the same and replaced when they
 * change. Settings are re-read at most once a second (smtp.save drops them at once).
 */
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../../shared/contract/notices.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { getSmtp, PASSWORD_KEY } from './smtp.js';

/** A message as handed to the SMTP server. */
export interface OutgoingMessage {
  to: string | { name: string; address: string };
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  ics?: string;
  icsMethod?: string;
}

function nodemailerMessage(from: string, m: OutgoingMessage) {
  return {
    from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    ...(m.html !== undefined ? { html: m.html } : {}),
    ...(m.messageId !== undefined ? { messageId: m.messageId } : {}),
    // no invitation (a contract notice stores an empty one): no attachment
    ...(m.ics ? { attachments: [{ filename: 'invite.ics', content: m.ics, contentType: `text/calendar; charset=utf-8; method=${m.icsMethod ?? 'REQUEST'}` }] } : {}),
  };
}

/** A nodemailer transport for the saved settings; `pool` for the outbox sender. */
function makeTransport(core: Core, pool: boolean): Transporter {
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

/** One message outside the ledger (test sends), on its own connection. */
export async function sendOne(core: Core, msg: OutgoingMessage): Promise<{ messageId: string; response: string }> {
  const smtp = getSmtp(core);
  const t = makeTransport(core, false);
  try {
    const info = (await t.sendMail(nodemailerMessage(smtp.from, msg))) as { messageId: string; response: string };
    return { messageId: info.messageId, response: info.response };
  } catch (e) {
    const err = e as { message?: string; response?: string };
    throw new PuestaError('SMTP_ERROR', `The SMTP server did not take the message: ${err.response ?? err.message ?? String(e)}. Check the settings and that the server is reachable.`);
  } finally {
    t.close();
  }
}

/** The sender's link to the server: settings read at most once a second, and the pooled transport for them. */
export class SmtpLink {
  private cache: { value: SmtpSettings; hasPassword: boolean; at: number; key: string | null } | null = null;
  private transport: Transporter | null = null;
  private transportKey = '';

  constructor(private readonly core: Core) {}

  settings(): SmtpSettings {
    if (!this.cache || Date.now() - this.cache.at > 1000) {
      this.cache = { value: getSmtp(this.core), hasPassword: this.core.secrets.has(PASSWORD_KEY), at: Date.now(), key: null };
    }
    return this.cache.value;
  }

  /**
   * Hands a message to the pool; resolves with the server's answer (its 250 line). Throws at once
   * when no transport can be made (settings incomplete).
   */
  send(from: string, m: OutgoingMessage): Promise<string> {
    return this.pool()
      .sendMail(nodemailerMessage(from, m))
      .then((info: { response?: string }) => info.response ?? '');
  }

  /** Closes the pooled transport (server unreachable, or stopping). */
  drop(): void {
    if (this.transport) {
      try {
        this.transport.close();
      } catch {
        // already closed
      }
    }
    this.transport = null;
    this.transportKey = '';
  }

  /** The settings changed: read them again and start a new transport. */
  reset(): void {
    this.cache = null;
    this.drop();
  }

  private pool(): Transporter {
    const s = this.settings();
    const cache = this.cache!;
    // The key is computed only when the settings were re-read (at most once a second), not per message.
    cache.key ??= JSON.stringify([s.host, s.port, s.secure, s.user, s.maxConnections, cache.hasPassword]);
    if (!this.transport || cache.key !== this.transportKey) {
      this.drop();
      this.transport = makeTransport(this.core, true);
      this.transportKey = cache.key;
    }
    return this.transport;
  }
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
