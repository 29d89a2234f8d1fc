/**
 * Issue 16 item 1: a consumer that stops reading must not make the browser shell buffer everything.
 * A real ad-hoc command on a real sshd host prints megabytes while two clients hold /api/events:
 * one reads everything, the other never reads. What the shell queues for the stalled one stays
 * under the bound, that one is dropped with a last `events.resync` event, its connection is gone
 * after the grace period, and the reading client gets every output chunk, in order, complete.
 * A consumer that stalls without overflowing (a frozen tab between bursts) is found by the heartbeat.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from '../../electron/web/server.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

const BOUND = 1024 * 1024;
/** 6 000 000 bytes of 'a' in lines of 100, a newline between them (fold adds none at the end): 6.06 MB, six times the bound. */
const COMMAND = `head -c 6000000 /dev/zero | tr '\\0' a | fold -w 100`;
const EXPECTED_BYTES = 6_000_000 + 59_999;

let hs: TestHosts;
let tc: TestCore;
let web: WebServer;
let serverId: number;

beforeAll(async () => {
  hs = await startHosts({ count: 1 });
  tc = makeCore();
  serverId = (await trustAll(tc.core, hs.hosts))[0]!.serverId;
  web = await startWebServer({ core: tc.core, events: { maxQueuedBytes: BOUND, heartbeatMs: 100, stallMs: 600, graceMs: 300 } });
}, 60_000);

afterAll(async () => {
  await web?.close();
  await tc?.cleanup();
  await hs?.stop();
});

const headers = () => ({ Host: `127.0.0.1:${web.port}`, Authorization: `Bearer ${web.token}` });

/**
 * A client in its own process (as a browser tab is) that reads everything: it reports the ssh.output
 * chunks it got (their seq, total length, first line), the exit code and whether it was told to
 * resync, once the command has exited.
 */
const READER = `
const http = require('node:http');
const [port, token] = process.argv.slice(1);
let buf = '', seqs = [], bytes = 0, head = '', resync = false;
http.get({ host: '127.0.0.1', port: Number(port), path: '/api/events', headers: { Host: '127.0.0.1:' + port, Authorization: 'Bearer ' + token } }, (res) => {
  res.setEncoding('utf8');
  process.stdout.write('open\\n');
  res.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n\\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
      if (!ev || !data) continue;
      const p = JSON.parse(data[1]);
      if (ev[1] === 'events.resync') resync = true;
      if (ev[1] === 'ssh.output') { seqs.push(p.seq); bytes += p.text.length; if (head.length < 101) head += p.text.slice(0, 101 - head.length); }
      if (ev[1] === 'ssh.exit') { process.stdout.write(JSON.stringify({ seqs, bytes, head, exitCode: p.exitCode, resync }) + '\\n'); process.exit(0); }
    }
  });
  res.on('end', () => { process.stdout.write(JSON.stringify({ ended: true, seqs, bytes, resync }) + '\\n'); process.exit(0); });
});
`;

interface ReaderReport {
  seqs: number[];
  bytes: number;
  head: string;
  exitCode: number | null;
  resync: boolean;
}

function reader(): { opened: Promise<void>; report: Promise<ReaderReport> } {
  const child = spawn(process.execPath, ['-e', READER, String(web.port), web.token], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let opened: () => void = () => undefined;
  const openedP = new Promise<void>((r) => (opened = r));
  const report = new Promise<ReaderReport>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.startsWith('open\n')) opened();
    });
    child.on('exit', () => {
      const last = out.trim().split('\n').pop()!;
      try {
        resolve(JSON.parse(last) as ReaderReport);
      } catch {
        reject(new Error(`the reader ended without a report: ${out}`));
      }
    });
  });
  return { opened: openedP, report };
}

/** A client that sends the request and then never reads a byte. */
function stalled(): Promise<net.Socket> {
  return new Promise((resolve) => {
    const sock = net.connect(web.port, '127.0.0.1', () => {
      const h = headers();
      sock.write(`GET /api/events HTTP/1.1\r\nHost: ${h.Host}\r\nAuthorization: ${h.Authorization}\r\n\r\n`);
      sock.pause();
      resolve(sock);
    });
    sock.on('error', () => undefined);
  });
}

const until = async (fn: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return fn();
};

describe('/api/events back-pressure', () => {
  it('drops a subscriber that never reads while megabytes stream; the other gets every event', async () => {
    const good = reader();
    await good.opened;
    const bad = await stalled();
    expect(await until(() => web.streams().length === 2, 5_000)).toBe(true);
    const [goodStream, badStream] = web.streams();
    let maxQueued = 0;
    const sampler = setInterval(() => {
      maxQueued = Math.max(maxQueued, badStream!.stats().queuedBytes);
    }, 5);

    const { execId } = await call(tc.core, 'ssh.exec', { serverIds: [serverId], command: COMMAND });
    const got = await good.report;
    clearInterval(sampler);
    expect(execId).toBeTruthy();

    // the stalled subscriber: dropped at the bound, its last event the resync, then gone
    const st = badStream!.stats();
    expect(st.dropped).toBe('overflow');
    // the bound, plus at most the resync event written past it
    expect(Math.max(maxQueued, st.maxQueuedBytes)).toBeLessThanOrEqual(BOUND + 1024);
    expect(st.maxQueuedBytes).toBeGreaterThan(BOUND / 2);
    expect(web.streams()).not.toContain(badStream);
    // its connection is destroyed after the grace period (it never took the last event), which frees its queue
    const connections = () => new Promise<number>((r) => web.server.getConnections((_e, n) => r(n)));
    const deadline = Date.now() + 5_000;
    while ((await connections()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await connections()).toBe(0);

    // the reading subscriber: every chunk, in order, complete, never told to resync
    expect(got.seqs).toEqual(got.seqs.map((_, i) => i));
    expect(got.bytes).toBe(EXPECTED_BYTES);
    expect(got.head).toBe('a'.repeat(100) + '\n');
    expect(got.exitCode).toBe(0);
    expect(got.resync).toBe(false);
    expect(goodStream!.stats().dropped).toBeNull();
    expect(web.streams()).toEqual([]);
    bad.destroy();
  }, 60_000);

  it('the heartbeat drops a consumer whose queue stops moving, even below the bound', async () => {
    const bad = await stalled();
    expect(await until(() => web.streams().length === 1, 5_000)).toBe(true);
    const stream = web.streams()[0]!;
    // fill the kernel's socket buffers and a little more, far below the bound
    // (what the kernel takes at once does not count: emit until something stays queued)
    const big = 'b'.repeat(64 * 1024);
    for (let i = 0; i < 400 && stream.stats().queuedBytes === 0; i++) {
      tc.core.events.emit('settings.changed', { key: 'operator', pad: big } as never);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(stream.stats().queuedBytes).toBeGreaterThan(0);
    expect(stream.stats().queuedBytes).toBeLessThan(BOUND);
    expect(await until(() => stream.stats().dropped !== null, 5_000)).toBe(true);
    expect(stream.stats().dropped).toBe('stalled');
    expect(web.streams()).toEqual([]);
    bad.destroy();
  }, 30_000);
});
