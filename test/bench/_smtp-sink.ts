/**
 * A counting SMTP sink for benchmarks, run in a worker thread so the server does not share the
 * sender's event loop. Posts {port} when listening and {count} when asked.
 */
import { Worker } from 'node:worker_threads';

const CODE = `
const { parentPort } = require('node:worker_threads');
const { SMTPServer } = require('smtp-server');
let count = 0;
let bytes = 0;
const ids = new Set();
let dups = 0;
const server = new SMTPServer({
  authOptional: true, disabledCommands: ['STARTTLS'], logger: false, maxClients: 200, closeTimeout: 200,
  onData(stream, session, cb) {
    let head = '';
    stream.on('data', (c) => { bytes += c.length; if (head.length < 4096) head += c.toString('utf8'); });
    stream.on('end', () => {
      const m = /^Message-ID:\\s*(<[^>\\r\\n]+>)/im.exec(head);
      if (m) { if (ids.has(m[1])) dups++; ids.add(m[1]); }
      count++; cb(null);
    });
  },
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'count') parentPort.postMessage({ count, dups, bytes });
  if (m === 'reset') { count = 0; dups = 0; bytes = 0; ids.clear(); parentPort.postMessage({ reset: true }); }
  if (m === 'close') server.close(() => process.exit(0));
});
`;

export interface Sink {
  port: number;
  /** Messages accepted, duplicate Message-IDs among them, and their total size in bytes. */
  count(): Promise<{ count: number; dups: number; bytes: number }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const w = new Worker(CODE, { eval: true });
  const next = <T>(): Promise<T> => new Promise((resolve) => w.once('message', resolve));
  const { port } = await next<{ port: number }>();
  return {
    port,
    count: async () => {
      const p = next<{ count: number; dups: number; bytes: number }>();
      w.postMessage('count');
      return p;
    },
    reset: async () => {
      const p = next();
      w.postMessage('reset');
      await p;
    },
    close: async () => {
      w.postMessage('close');
      await new Promise((r) => w.once('exit', r));
    },
  };
}
