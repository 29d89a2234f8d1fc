/**
 * npm run bench -- mail
 * 10 000 recipients through Puesta's outbox (audience → render → ledger → pooled SMTP) vs a bare
 * nodemailer pool with the same settings sending the same-sized messages, to the same local SMTP
 * sink (in a worker thread), in the same run. Last line: BENCH mail n=<n> ratio_vs_raw_pool=<ratio>
 * (ratio = raw pool time / Puesta time; target ≥ 0.8). Both use the same transport options, including
 * the TCP_NODELAY socket Puesta hands nodemailer (without it both are capped at ~20 msg/s per connection).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { createCore } from '../../electron/core/core.js';
import { mailOf } from '../../electron/core/mail/sender.js';
import { noDelaySocket } from '../../electron/core/mail/smtp.js';
import { KeyFileCipher } from '../../electron/core/secrets.js';
import { announceNow, pointSmtp, seedAudience, waitFor } from '../helpers/mail-fixture.js';
import { startSink } from './smtp-sink.js';

const N = Number(process.env.BENCH_MAIL_N ?? 10_000);
const RATE = 100_000; // not the bottleneck: this measures the ledger's overhead
const CONNECTIONS = 4;

const sink = await startSink();
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-bench-mail-'));
const core = createCore({
  dataDir,
  migrationsDir: path.resolve(import.meta.dirname, '..', '..', 'migrations'),
  cipher: new KeyFileCipher(path.join(dataDir, 'secret.key')),
  shell: 'test',
  version: 'bench',
});

try {
  const t0 = Date.now();
  const { windowId } = seedAudience(core, N);
  pointSmtp(core, sink.port, { ratePerSecond: RATE, maxConnections: CONNECTIONS });
  console.log(`seeded ${N} contacts in ${Date.now() - t0} ms`);

  // A sample of what Puesta sends, so the raw pool carries the same bytes.
  const { previewNotice } = await import('../../electron/core/mail/handlers.js');
  const sample = previewNotice(core, windowId, 'announce');

  async function rawPool(n: number): Promise<number> {
    await sink.reset();
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, rateDelta: 1000, rateLimit: RATE, getSocket: noDelaySocket(10_000) });
    const s = performance.now();
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.sendMail({
          from: 'Release desk <desk@puesta.test>',
          to: `r${i}@example.test`,
          subject: sample.subject,
          text: sample.text,
          html: sample.html,
          attachments: [{ filename: 'invite.ics', content: sample.ics, contentType: 'text/calendar; charset=utf-8; method=REQUEST' }],
        }),
      ),
    );
    const ms = performance.now() - s;
    t.close();
    const c = await sink.count();
    if (c.count !== n) throw new Error(`raw pool: sink counted ${c.count}, expected ${n}`);
    return ms;
  }

  // Warm-up (JIT, sockets) for the raw path.
  await rawPool(Math.min(500, N));
  const rawMs = await rawPool(N);
  console.log(`raw nodemailer pool: ${N} messages in ${rawMs.toFixed(0)} ms (${((N / rawMs) * 1000).toFixed(0)} msg/s)`);

  await sink.reset();
  announceNow(core, windowId);
  const s = performance.now();
  const mail = mailOf(core, { idleMs: 50 }).start();
  let matMs = 0;
  await waitFor(
    () => {
      if (!matMs && (core.db.prepare("SELECT count(*) AS n FROM campaigns WHERE state = 'materialised'").get() as { n: number }).n > 0) matMs = performance.now() - s;
      return (core.db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'sent'").get() as { n: number }).n >= N;
    },
    600_000,
    'all messages sent',
  );
  const puestaMs = performance.now() - s;
  await mail.idle();
  const c = await sink.count();
  const ledger = core.db.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state').all();
  if (c.count !== N || c.dups !== 0) throw new Error(`puesta: sink counted ${c.count} (${c.dups} duplicates), expected ${N}`);
  console.log(`puesta outbox: ${N} messages in ${puestaMs.toFixed(0)} ms (${((N / puestaMs) * 1000).toFixed(0)} msg/s), of which audience+render+ledger write ${matMs.toFixed(0)} ms; ledger ${JSON.stringify(ledger)}`);
  const ratio = rawMs / puestaMs;
  await core.close();
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`BENCH mail n=${N} ratio_vs_raw_pool=${ratio.toFixed(2)}`);
} catch (e) {
  await core.close();
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
  throw e;
}
