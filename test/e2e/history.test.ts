/**
 * Issue 16 in the built UI (browser shell, Chromium):
 * - a run page whose event stream the shell dropped reconnects and reads the lines it missed;
 * - "Export log" saves the run's whole log as a file, the same text runs.exportLog gives;
 * - Settings → Run history sets the retention policy; a pruned run says when its log went.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory, type SeededHistory } from '../helpers/history-seed.js';
import { startApp, type App } from './harness.js';

const SHOTS = process.env.PUESTA_SHOTS_DIR ?? os.tmpdir();

let app: App;
let h: SeededHistory;

beforeAll(async () => {
  app = await startApp();
  h = await seedHistory(app.core, { runs: 4, logsPerRun: 30 });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

const paneLines = (page: import('playwright-core').Page) => page.locator('[data-testid^="log-pane-"]').first().getAttribute('data-lines');

describe('run history in the UI', () => {
  it('a dropped event stream reconnects and the run view reads what it missed', async () => {
    const page = await app.newPage();
    const id = h.runIds[3]!;
    await page.goto(`${app.base}#/runs/${id}`);
    await page.waitForSelector('[data-testid="run-view"]');
    await expect.poll(() => paneLines(page)).toBe('30');
    expect(await page.getByTestId('log-pruned').count()).toBe(0);

    // lines stored while the stream is down (no event will ever carry them), then the shell drops it
    app.core.db
      .prepare(`INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text) VALUES (?, 0, ?, 1, 'stdout', 100, ?, ?)`)
      .run(id, h.serverId, new Date().toISOString(), 'missed while away\n');
    expect(app.web.streams().length).toBe(1);
    for (const s of app.web.streams()) s.end();
    await expect.poll(() => paneLines(page), { timeout: 10_000 }).toBe('31');
    await expect.poll(() => app.web.streams().length).toBe(1);
  });

  it('exports the whole log as a file', async () => {
    const page = await app.newPage();
    const id = h.runIds[2]!;
    await page.goto(`${app.base}#/runs/${id}`);
    await page.waitForSelector('[data-testid="run-view"]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-log').click()]);
    const file = path.join(os.tmpdir(), `puesta-e2e-${download.suggestedFilename()}`);
    await download.saveAs(file);
    const expected = await app.call('runs.exportLog', { runId: id });
    expect(download.suggestedFilename()).toBe(expected.fileName);
    expect(readFileSync(file, 'utf8')).toBe(expected.text);
    expect(expected.text).toContain(`run ${id} line 29`);
  });

  it('sets the retention in Settings; a pruned run says when its log went', async () => {
    const page = await app.newPage();
    await page.goto(`${app.base}#/settings`);
    await page.waitForSelector('[data-testid="retention-form"]');
    await page.getByLabel('…and the last runs of each application').fill('2');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect.poll(async () => (await app.call('history.status', {})).retention).toEqual({ keepDays: null, keepRuns: 2 });
    await page.getByRole('button', { name: 'Prune now' }).click();
    await expect.poll(async () => (await app.call('history.status', {})).prunedRuns).toBe(2);
    await expect.poll(() => page.getByTestId('history-figures').textContent()).toContain('2 runs, last on');
    await page.screenshot({ path: path.join(SHOTS, 'history-settings.png'), fullPage: true });

    await page.goto(`${app.base}#/runs/${h.runIds[0]}`);
    await page.waitForSelector('[data-testid="log-pruned"]');
    expect(await page.getByTestId('log-pruned').textContent()).toContain('was pruned on');
    await expect.poll(() => page.locator('.log-empty').first().textContent()).toContain('Log pruned on');
    await page.screenshot({ path: path.join(SHOTS, 'history-pruned-run.png') });
  });
});
