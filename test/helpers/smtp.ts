/** A real SMTP server (smtp-server) on loopback for mail tests: records every accepted message. */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export interface Received {
  messageId: string;
  to: string[];
  raw: string;
  /** ms timestamp when the server accepted it (before answering 250). */
  at: number;
}

export interface SmtpBehaviour {
  /** Return an SMTP error code (e.g. 451, 550) to refuse this recipient; `n` counts earlier RCPTs to it. */
  rcpt?: (address: string, n: number) => number | null;
  /** Delay before answering 250 to DATA. */
  delayMs?: number;
}

export interface TestSmtp {
  host: string;
  port: number;
  received: Received[];
  behaviour: SmtpBehaviour;
  countByMessageId(): Map<string, number>;
  close(): Promise<void>;
}

function smtpError(code: number, msg: string): Error {
  const e = new Error(msg) as Error & { responseCode: number };
  e.responseCode = code;
  return e;
}

export async function startSmtp(opts: { port?: number; host?: string; behaviour?: SmtpBehaviour; user?: string; pass?: string } = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const rcptCounts = new Map<string, number>();
  const behaviour: SmtpBehaviour = opts.behaviour ?? {};
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 100,
    closeTimeout: 500,
    allowInsecureAuth: true,
    onAuth(auth, _s, cb) {
      if (auth.username === (opts.user ?? 'puesta') && auth.password === (opts.pass ?? 'secret')) cb(null, { user: auth.username });
      else cb(smtpError(535, '535 authentication failed'));
    },
    onRcptTo(address: SMTPServerAddress, _s: SMTPServerSession, cb: (err?: Error | null) => void) {
      const n = rcptCounts.get(address.address) ?? 0;
      rcptCounts.set(address.address, n + 1);
      const code = behaviour.rcpt?.(address.address, n) ?? null;
      if (code) cb(smtpError(code, code >= 500 ? `${code} mailbox ${address.address} does not exist` : `${code} try again later`));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const finish = () => {
          const m = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw);
          received.push({ messageId: m?.[1] ?? '', to: session.envelope.rcptTo.map((r) => r.address), raw, at: Date.now() });
          cb(null);
        };
        if (behaviour.delayMs) setTimeout(finish, behaviour.delayMs);
        else finish();
      });
    },
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  return {
    host,
    port,
    received,
    behaviour,
    countByMessageId() {
      const m = new Map<string, number>();
      for (const r of received) m.set(r.messageId, (m.get(r.messageId) ?? 0) + 1);
      return m;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
