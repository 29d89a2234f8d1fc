/**
 * `npm run bench -- history`: issue 16 — a week open.
 *
 *   - runs_get_ms_10 / runs_get_ms_5000: the median time of `runs.get` (through dispatch, as the
 *     shells call it) on the newest run of an application with 10 and with 5 000 finished runs of
 *     history (24 steps each, seeded straight into SQLite: test/helpers/history-seed.ts);
 *     growth = the second over the first (target ≤ 2; runs_get_ms_5000 target < 10).
 *   - stalled_heap_mb: the memory the browser shell retains (V8 heap + external buffers, after a
 *     forced GC, above the same process idle with the subscriber connected) at the worst point while
 *     20 MB of ad-hoc command output (ssh.output events of 32 KB, as the SSH pool emits them) is
 *     streamed to /api/events with one subscriber that never reads (target < 10).
 * Last line: BENCH history runs_get_ms_10=<ms> runs_get_ms_5000=<ms> growth=<x> stalled_heap_mb=<mb>
 */
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startWebServer } from '../../electron/web/server.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedHistory } from '../helpers/history-seed.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CALLS = 300;
const STREAM_BYTES = 20 * 1024 * 1024;
const CHUNK = 32 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runsGetMs(runs: number): Promise<number> {
  const tc = makeCore();
  try {
    const h = await seedHistory(tc.core, { runs });
    const id = h.runIds[h.runIds.length - 1]!;
    for (let i = 0; i < 30; i++) await call(tc.core, 'runs.get', { id });
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await call(tc.core, 'runs.get', { id });
      times.push(performance.now() - t0);
    }
    if (runs >= 1_000) await pruneStall(tc);
    return median(times);
  } finally {
    await tc.cleanup();
  }
}

/** Information, not a target: a prune of that history, and the longest the event loop waited meanwhile. */
async function pruneStall(tc: TestCore): Promise<void> {
  await call(tc.core, 'history.setRetention', { keepDays: null, keepRuns: 10 });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  const r = await call(tc.core, 'history.prune', {});
  loop.disable();
  console.log(`prune: ${r.runs} runs, ${r.lines} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s; longest event-loop wait ${(loop.max / 1e6).toFixed(1)} ms`);
}

const retained = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

async function stalledHeapMb(): Promise<number> {
  const tc: TestCore = makeCore();
  const web = await startWebServer({ core: tc.core });
  try {
    const sock = await new Promise<net.Socket>((resolve) => {
      const s = net.connect(web.port, '127.0.0.1', () => {
        s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nAuthorization: Bearer ${web.token}\r\n\r\n`);
        s.pause();
        resolve(s);
      });
    });
    while (!web.streams().length) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const idle = retained();
    const text = 'o'.repeat(CHUNK - 1) + '\n';
    let worst = 0;
    for (let sent = 0, seq = 0; sent < STREAM_BYTES; sent += CHUNK, seq++) {
      tc.core.events.emit('ssh.output', { execId: 'bench', serverId: 1, stream: 'stdout', seq, ts: new Date().toISOString(), text });
      // the SSH pool's output arrives over the event loop, not in one synchronous burst
      if (seq % 16 === 15) {
        await new Promise((r) => setImmediate(r));
        worst = Math.max(worst, retained() - idle);
      }
    }
    worst = Math.max(worst, retained() - idle);
    const st = web.streams()[0]?.stats();
    console.log(`stalled subscriber: ${st ? `still open, ${st.queuedBytes} bytes queued` : 'dropped'}; idle ${(idle / 1048576).toFixed(1)} MB`);
    sock.destroy();
    return worst / 1048576;
  } finally {
    await web.close();
    await tc.cleanup();
  }
}

async function main(): Promise<void> {
  const ms10 = await runsGetMs(10);
  console.log(`runs.get over 10 runs: ${ms10.toFixed(3)} ms (median of ${CALLS})`);
  const ms5000 = await runsGetMs(5_000);
  console.log(`runs.get over 5 000 runs: ${ms5000.toFixed(3)} ms (median of ${CALLS})`);
  const heap = await stalledHeapMb();
  console.log(`retained while 20 MB streamed to a stalled subscriber: ${heap.toFixed(1)} MB above idle`);
  console.log(`BENCH history runs_get_ms_10=${ms10.toFixed(3)} runs_get_ms_5000=${ms5000.toFixed(3)} growth=${(ms5000 / ms10).toFixed(2)} stalled_heap_mb=${heap.toFixed(1)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
