/**
 * `npm run bench -- logs`: 200 000 log lines streamed through the engine into the run view.
 *
 * A real run (runs engine, local executor: real bash processes) on 2 hosts whose one automatic
 * step prints 100 000 ANSI-coloured lines per host, paced over a few seconds. The lines take the
 * engine's own log path — LogWriter batches into SQLite, then 'runs.log' events over the browser
 * shell's SSE — into the built UI in Debian's Chromium (playwright-core), where the run view is
 * open on "All hosts". Measured:
 *   - lines:  lines the UI holds at the end (counted by the UI's own search for the line marker)
 *   - stored: lines stored in SQLite for the run (newlines of its stdout/stderr chunks)
 *   - p95_frame_ms: 95th percentile of requestAnimationFrame deltas in the page while streaming
 *     (baseline: the same page idle, printed before)
 *   - search_ms: from the keystroke to the painted result of a search over every line (cold)
 * Last line: BENCH logs lines=<n> stored=<n> p95_frame_ms=<ms> search_ms=<ms>
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import { startApp } from '../e2e/harness.js';

const HOSTS = 2;
const PER_HOST = 100_000;
const BATCHES = 100;
const MARK = 'bench-line';

const p95 = (xs: number[]): number => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
};

// Page scripts are strings: tsx would wrap named functions in a helper the page does not have.
const START_FRAMES = `(() => {
  window.__frames = []; window.__stop = false;
  let last = 0;
  const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
  requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
})()`;
const STOP_FRAMES = `(() => { window.__stop = true; return window.__frames; })()`;

async function frames(page: Page, action: 'start' | 'stop'): Promise<number[]> {
  if (action === 'start') {
    await page.evaluate(START_FRAMES);
    return [];
  }
  return (await page.evaluate(STOP_FRAMES)) as number[];
}

const uiLines = async (page: Page) => (await page.evaluate(`[...document.querySelectorAll('[data-testid^="log-pane-"]')].reduce((n, el) => n + Number(el.getAttribute('data-lines') || 0), 0)`)) as number;

async function main(): Promise<void> {
  const app = await startApp();
  const work = mkdtempSync(path.join(os.tmpdir(), 'puesta-bench-logs-'));
  try {
    app.core.services.runs.setExecutor(new LocalExecutor());
    const env = await app.call('environments.create', { name: 'bench', colour: '#2563eb', confirmRuns: false, notes: '' });
    const src = path.join(work, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'VERSION'), 'bench\n');
    const a = await app.call('applications.create', { name: 'chatty', runtimeUser: 'chatty', basePath: path.join(work, 'base'), sourceKind: 'directory', source: src });
    for (let i = 1; i <= HOSTS; i++) {
      const s = await app.call('servers.create', { name: `host-${i}`, host: '127.0.0.1', user: 'root', environmentId: env.id });
      await app.call('placements.create', { applicationId: a.id, serverId: s.id, role: 'web' });
    }
    // 100 batches of 1 000 lines per host, ~30 ms apart; every 50th line on stderr.
    const emit = `awk -v host={{host.name}} 'BEGIN {
  for (b = 0; b < ${BATCHES}; b++) {
    for (i = 0; i < ${PER_HOST / BATCHES}; i++) {
      n = b * ${PER_HOST / BATCHES} + i
      if (n % 50 == 49) printf "\\033[1;31mERROR\\033[0m ${MARK} %06d %s worker=%d item failed, will retry (attempt %d)\\n", n, host, n % 7, n % 3 + 1 > "/dev/stderr"
      else printf "\\033[2m2026-03-01T02:%02d:%02d\\033[0m \\033[32mINFO\\033[0m ${MARK} %06d %s worker=%d processed item %06d in %d ms\\n", (n / 60) % 60, n % 60, n, host, n % 7, n * 7 % 100000, n % 250
    }
    fflush("/dev/stdout"); fflush("/dev/stderr")
    system("sleep 0.03")
  }
}'`;
    await app.call('checklists.save', {
      applicationId: a.id,
      kind: 'install',
      steps: [
        { key: 'ready', title: 'Ready to stream', kind: 'manual', instructions: 'The bench confirms this step once the run view is open.' },
        { key: 'emit', title: `Print ${PER_HOST.toLocaleString('en')} lines per host`, kind: 'auto', command: emit, timeoutSeconds: 600 },
      ],
    });
    const run = await app.call('runs.start', { applicationId: a.id, environmentId: env.id, kind: 'install', parallelism: HOSTS });
    const page = await app.newPage();
    await page.goto(app.base + `#/runs/${run.id}`);
    await page.locator('[data-testid=run-view][data-waiting=confirm]').waitFor({ timeout: 30_000 });

    // baseline: the same view, idle
    await frames(page, 'start');
    await page.waitForTimeout(1500);
    const idle = await frames(page, 'stop');

    const t0 = Date.now();
    await frames(page, 'start');
    await page.getByTestId('act-confirm').click();
    // streaming: until the run is done and the UI holds every line it will get
    let last = -1;
    let stable = 0;
    for (;;) {
      const r = await app.call('runs.get', { id: run.id });
      const n = await uiLines(page);
      if (r.state !== 'running' && n === last) stable++;
      else stable = 0;
      last = n;
      if (stable >= 3) break;
      if (Date.now() - t0 > 300_000) throw new Error(`still streaming after 300 s (state ${r.state}, ${n} lines in the UI)`);
      await page.waitForTimeout(200);
    }
    const streaming = await frames(page, 'stop');
    const streamSecs = (Date.now() - t0) / 1000;
    const final = await app.call('runs.get', { id: run.id });
    if (final.state !== 'succeeded') throw new Error(`the bench run ended ${final.state}: ${final.error ?? ''}`);

    // stored in SQLite: the newlines of the run's stdout/stderr chunks
    const rows = app.core.db.prepare(`SELECT text FROM run_logs WHERE run_id = ? AND stream IN ('stdout', 'stderr')`).all(run.id) as { text: string }[];
    let stored = 0;
    for (const { text } of rows) for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) stored++;

    // search over every line (cold: the first search also builds the lower-case index)
    const search = async (q: string): Promise<{ ms: number; matches: number }> => {
      await page.evaluate(`document.querySelector('[data-testid=log-matches]')?.removeAttribute('data-ms')`);
      await page.getByTestId('log-search').fill(q);
      const el = page.getByTestId('log-matches');
      const until = Date.now() + 30_000;
      while ((await el.getAttribute('data-ms')) == null) {
        if (Date.now() > until) throw new Error(`the search for "${q}" did not finish within 30 s`);
        await page.waitForTimeout(20);
      }
      const ms = Number(await el.getAttribute('data-ms'));
      const matches = Number(((await el.textContent()) ?? '').replace(/[^0-9]/g, '') || 0);
      return { ms, matches };
    };
    const all = await search(MARK);
    const one = await search(`${MARK} 099999 host-2`);
    const lines = all.matches;

    const frameP95 = p95(streaming);
    console.log(`[bench logs] ${HOSTS} hosts × ${PER_HOST} lines, streamed in ${streamSecs.toFixed(1)} s; ${rows.length} chunks stored; ${streaming.length} frames while streaming`);
    console.log(`[bench logs] baseline idle p95 frame ${p95(idle).toFixed(1)} ms (${idle.length} frames); streaming p95 ${frameP95.toFixed(1)} ms, max ${Math.max(...streaming).toFixed(1)} ms`);
    console.log(`[bench logs] search "${MARK}": ${all.matches} lines in ${all.ms} ms; search "${MARK} 099999 host-2": ${one.matches} line in ${one.ms} ms`);
    console.log(`[bench logs] targets: all stored ${stored === HOSTS * PER_HOST ? 'ok' : 'MISSED'}, p95 frame < 50 ms ${frameP95 < 50 ? 'ok' : 'MISSED'}, search < 200 ms ${all.ms < 200 ? 'ok' : 'MISSED'}`);
    console.log(`BENCH logs lines=${lines} stored=${stored} p95_frame_ms=${frameP95.toFixed(1)} search_ms=${all.ms}`);
  } finally {
    await app.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
