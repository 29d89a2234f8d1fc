/**
 * Database patches in the UI (issue 13): an application with a PostgreSQL database reached through
 * a real sshd host's tunnel. The patch page's dry run; an upgrade whose run view shows the patch
 * step and its log; an irreversible patch blocking the rollback until the operator decides
 * (typed name) in the application's panel, then the rollback run. A release carrying its patches in
 * db/patches/ with a pg_dump before them, set in the database dialog: the panel shows where each
 * patch came from and the last backup's age.
 * Screenshots go to PUESTA_SHOTS_DIR (default: the temp dir).
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startApp, type App } from './harness.js';
import { runsWorld, waitRun, type RunsWorld } from './runs-world.js';

const SHOTS = process.env.PUESTA_SHOTS_DIR ?? os.tmpdir();
let app: App;
let pg: TestPostgres;
let world: RunsWorld;
let page: Page;
let T = '';

function patch(id: string, meta: object, up: string, down?: string, verify?: string): void {
  const d = path.join(T, 'patches', id);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'patch.json'), JSON.stringify({ id, ...meta }, null, 2));
  writeFileSync(path.join(d, 'up.sql'), up);
  if (down) writeFileSync(path.join(d, 'down.sql'), down);
  if (verify) writeFileSync(path.join(d, 'verify.sql'), verify);
}

const importPatches = () => app.call('dbpatch.import', { applicationId: world.appId, path: path.join(T, 'patches') });

async function run(kind: 'install' | 'upgrade' | 'rollback', v: string) {
  const r = await app.call('runs.start', {
    applicationId: world.appId,
    environmentId: world.envId,
    kind,
    confirmName: world.envName,
    ...(kind === 'rollback' ? {} : { source: { kind: 'directory' as const, path: world.src(v) }, label: v }),
  });
  return r.id;
}

beforeAll(async () => {
  T = mkdtempSync(path.join(os.tmpdir(), 'puesta-dbpatch-e2e-'));
  pg = await startPostgres();
  pg.psql("CREATE ROLE shop LOGIN PASSWORD 'e2e-secret'; CREATE DATABASE shop OWNER shop;");
  app = await startApp();
  world = await runsWorld(app, { count: 1, firstIndex: 72 });
  await app.call('settings.setOperator', { name: 'ana' });
  await app.call('dbpatch.saveDatabase', { applicationId: world.appId, name: 'main', serverId: world.serverIds[0]!, host: '127.0.0.1', port: pg.port, database: 'shop', user: 'shop', password: 'e2e-secret' });
  patch('0001-orders', { reversible: 'yes', compat: 'expand' }, "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);\nINSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 5000) g;", 'DROP TABLE orders;', 'SELECT count(*) = 5000 FROM orders;');
  await importPatches();
  const id = await run('install', 'v1');
  expect((await waitRun(app, id, (r) => r.state !== 'running')).state).toBe('succeeded');
  page = await app.newPage({ viewport: { width: 1400, height: 1000 } });
}, 180_000);

afterAll(async () => {
  await world?.close();
  await app?.close();
  pg?.stop();
  if (T) rmSync(T, { recursive: true, force: true });
}, 60_000);

describe('database patches in the UI', () => {
  it('the patch page dry-runs a pending patch: statements, lock, rewrite, verdict; a refused one is acknowledged', async () => {
    patch('0002-status', { reversible: 'yes', compat: 'expand', description: 'Order status' }, "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';\nALTER TABLE orders ALTER COLUMN note TYPE varchar(20);", 'ALTER TABLE orders ALTER COLUMN note TYPE text;\nALTER TABLE orders DROP COLUMN status;');
    await importPatches();
    await page.goto(`${app.base}#/applications/${world.appId}`);
    await expect.poll(() => page.getByTestId('dbpatch-state-0001-orders-main').innerText()).toContain('applied');
    expect(await page.getByTestId('dbpatch-state-0002-status-main').innerText()).toContain('pending');
    await page.getByTestId('dbpatch-panel').screenshot({ path: path.join(SHOTS, 'dbpatch-panel.png') });
    await page.getByRole('link', { name: '0002-status' }).click();
    await page.getByTestId('dryrun-main').click();
    const result = page.getByTestId('dryrun-result');
    await result.waitFor({ timeout: 20_000 });
    const rows = await page.getByTestId('dryrun-statements').locator('tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(/AccessExclusive[\s\S]*no/);
    expect(rows[1]).toMatch(/rewrite/);
    expect(await result.innerText()).toContain('down restores the schema');
    // a column type change is destructive: refused until an operator acknowledges it (audited)
    expect(await result.innerText()).toContain('refused until acknowledged');
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-dryrun.png'), fullPage: true });
    await page.getByTestId('ack-reason').fill('note values are all shorter than 20');
    await page.getByTestId('ack').click();
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toMatch(/^safe/);
  }, 60_000);

  it('an upgrade applies it in its "Apply database patches" step, with the log in the run view', async () => {
    const id = await run('upgrade', 'v2');
    await page.goto(`${app.base}#/runs/${id}`);
    await expect.poll(() => page.getByTestId('run-view').getAttribute('data-state'), { timeout: 60_000 }).toBe('succeeded');
    expect(await page.getByTestId('step-rail').innerText()).toContain('Apply database patches');
    await expect.poll(() => page.getByTestId('log-panes').innerText(), { timeout: 10_000 }).toContain('0002-status: applied');
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-run.png'), fullPage: true });
    expect(pg.psql("SELECT count(*) FROM orders WHERE status = 'new'", 'shop')).toBe('5000');
  }, 90_000);

  it('an irreversible patch blocks the rollback until the operator decides (typed name); then the rollback runs', async () => {
    patch('0003-archive', { reversible: 'no', compat: 'expand' }, 'CREATE TABLE archive (id bigint);');
    await importPatches();
    const up = await run('upgrade', 'v3');
    expect((await waitRun(app, up, (r) => r.state !== 'running')).state).toBe('succeeded');
    await page.goto(`${app.base}#/applications/${world.appId}`);
    const blocked = page.getByTestId('dbpatch-rollback-blocked');
    await blocked.waitFor({ timeout: 10_000 });
    await page.getByTestId('dbpatch-decide').click();
    await page.getByTestId('decision-app-only').check();
    const confirm = page.getByTestId('dbpatch-decide-confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('dbpatch-decide-name').fill('shop');
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-decide.png') });
    await confirm.click();
    await blocked.waitFor({ state: 'detached', timeout: 10_000 });
    const rb = await run('rollback', '');
    const r = await waitRun(app, rb, (x) => x.state !== 'running');
    expect(r.state, r.error ?? '').toBe('succeeded');
    expect(pg.psql("SELECT to_regclass('archive') IS NOT NULL", 'shop')).toBe('t');
    const audit = await app.call('audit.list', { limit: 50 });
    expect(audit.items.some((a) => a.action === 'dbpatch.rollback-decision')).toBe(true);
  }, 120_000);

  it('the database dialog sets a backup folder with a dump before patches; a release carrying db/patches/ is read by its run; the panel shows the release and the backup age', async () => {
    const backups = path.join(T, 'backups');
    mkdirSync(backups, { recursive: true });
    chmodSync(T, 0o755);
    chmodSync(backups, 0o777);
    await page.goto(`${app.base}#/applications/${world.appId}`);
    await page.getByTestId('dbpatch-db-main').getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('db-backupDir').fill(backups);
    await page.getByTestId('db-backupMaxAgeHours').fill('24');
    await page.getByTestId('db-backupBeforePatch').check();
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-database-dialog.png') });
    await page.getByTestId('db-save').click();
    await expect.poll(() => page.getByTestId('dbpatch-backup-main').innerText()).toMatch(/no backup known.*over 24 h: patches refused/s);

    // the release carries every patch so far and a new one
    patch('0004-tags', { reversible: 'yes', compat: 'expand' }, 'CREATE TABLE tags (id int);', 'DROP TABLE tags;');
    const src = world.src('v5');
    cpSync(path.join(T, 'patches'), path.join(src, 'db', 'patches'), { recursive: true });
    const up = await app.call('runs.start', { applicationId: world.appId, environmentId: world.envId, kind: 'upgrade', confirmName: world.envName, source: { kind: 'directory', path: src }, label: 'v5' });
    const r = await waitRun(app, up.id, (x) => x.state !== 'running');
    expect(r.state, r.error ?? '').toBe('succeeded');
    expect(pg.psql("SELECT to_regclass('tags') IS NOT NULL", 'shop')).toBe('t');
    await expect.poll(() => page.getByTestId('dbpatch-backup-main').innerText(), { timeout: 10_000 }).toMatch(/last backup \d+ min old \(dumped before patches\)/);
    expect(await page.getByTestId('dbpatch-release-0004-tags').innerText()).toBe('v5');
    expect(await page.getByTestId('dbpatch-release-0004-tags').locator('span').getAttribute('title')).toBe(`release ${r.releaseKey}`);
    expect(await page.getByTestId('dbpatch-state-0004-tags-main').innerText()).toContain('applied');
    await page.getByTestId('dbpatch-panel').screenshot({ path: path.join(SHOTS, 'dbpatch-panel-release.png') });
    // the review before a patch says how old the last backup is
    await page.getByRole('link', { name: '0004-tags' }).click();
    await page.getByTestId('dryrun-main').click();
    await expect.poll(() => page.getByTestId('dryrun-backup').innerText(), { timeout: 20_000 }).toMatch(/main: last backup \d+ min old \(dumped before patches\)/);
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-dryrun-backup.png'), fullPage: true });
  }, 120_000);

  it('the upgrade review of a directory source lists its pending patches per database with their verdicts, before anything is uploaded', async () => {
    patch('0005-flag', { reversible: 'yes', compat: 'expand' }, 'ALTER TABLE orders ADD COLUMN flag int DEFAULT 0;', 'ALTER TABLE orders DROP COLUMN flag;');
    patch('0006-token', { reversible: 'yes', compat: 'expand' }, 'ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();', 'ALTER TABLE orders DROP COLUMN token;');
    const src = world.src('v6');
    cpSync(path.join(T, 'patches'), path.join(src, 'db', 'patches'), { recursive: true });
    await page.goto(`${app.base}#/runs/new?app=${world.appId}&kind=upgrade`);
    await page.getByTestId('new-run').waitFor();
    await expect.poll(() => page.locator('#run-env').inputValue()).toBe(String(world.envId));
    await page.locator('#run-srckind').selectOption('directory');
    await page.locator('#run-src').fill(src);
    await page.locator('#run-label').fill('v6');
    await page.getByTestId('preview-plan').click();
    const review = page.getByTestId('release-patches-review');
    await review.waitFor({ timeout: 30_000 });
    expect(await review.innerText()).toMatch(/carries \d+ patches in db\/patches\//);
    expect(await page.getByTestId('review-patch-0005-flag').innerText()).toContain('safe');
    expect(await page.getByTestId('review-patch-0006-token').innerText()).toContain('refused until acknowledged');
    expect(await page.getByTestId('review-db-main').locator('li').count()).toBe(2);
    await review.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'dbpatch-upgrade-review.png'), fullPage: true });
    expect(pg.psql("SELECT count(*) FROM puesta.patch_ledger WHERE patch_id IN ('0005-flag', '0006-token')", 'shop')).toBe('0');
  }, 120_000);
});
