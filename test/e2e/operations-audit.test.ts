/**
 * Issue 11, items 7–9 in the built UI (Chromium): the ad-hoc command asks for the typed environment
 * name; the audit log screen filters and shows before/after; a failed connection test shows in the
 * servers list and on Today; expired contracts have their own card. Each test seeds what it needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/net.js';
import { startApp, type App } from './harness.js';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('operations and audit', () => {
  it('an ad-hoc command on a production server asks for the environment name, then runs and is in the server history', async () => {
    const env = await app.call('environments.create', { name: 'prod-e2e', confirmRuns: true, colour: '#dc2626' });
    const port = await closedPort();
    const srv = await app.call('servers.create', { name: 'guarded-1', host: '127.0.0.1', port, user: 'deploy', environmentId: env.id });
    const page = await app.newPage();
    await page.goto(`${app.base}#/commands`);
    await page.getByLabel('Filter servers').fill('guarded-1');
    const row = page.locator('.pssh-pick li', { hasText: 'guarded-1' });
    expect(await row.locator('.env-tag').textContent()).toBe('prod-e2e');
    await row.getByRole('checkbox').check();
    await page.getByLabel('Command').fill('sudo true');
    await page.getByRole('button', { name: 'Run on 1 server' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByTestId('adhoc-typed').fill('prod');
    expect(await dlg.getByTestId('adhoc-confirm').isDisabled()).toBe(true);
    expect((await app.call('audit.list', { entity: 'servers', entityId: srv.id, action: 'ssh.exec' })).total).toBe(0);
    await dlg.getByTestId('adhoc-typed').fill('prod-e2e');
    await dlg.getByTestId('adhoc-confirm').click();
    await page.locator(`.pssh-pane[data-server-id="${srv.id}"]`).waitFor();
    await expect.poll(async () => (await app.call('audit.list', { entity: 'servers', entityId: srv.id, action: 'ssh.exec' })).total).toBe(1);
  });

  it('the audit log filters by operator and action and shows before and after', async () => {
    const e = await app.call('environments.create', { name: 'audit-e2e' });
    await app.call('environments.update', { id: e.id, notes: 'now with notes' });
    const page = await app.newPage();
    await page.goto(`${app.base}#/audit`);
    await page.getByLabel('Action').selectOption('update');
    const table = page.getByTestId('audit-table');
    await expect.poll(() => table.locator('tbody tr').first().textContent()).toContain('now with notes');
    expect(page.url()).toContain('action=update');
    // the row opens on a click anywhere but its link (which goes to the record)
    await table.locator('.audit-row', { hasText: 'audit-e2e' }).locator('td').first().click();
    await expect.poll(() => table.locator('.audit-detail').textContent()).toContain('"notes": ""');
    expect(await table.locator('.audit-detail').textContent()).toContain('"notes": "now with notes"');
  });

  it('a failed connection test shows in the servers list and on Today; an expired contract has its own card', async () => {
    const port = await closedPort();
    const srv = await app.call('servers.create', { name: 'unreach-1', host: '127.0.0.1', port, user: 'deploy' });
    await app.call('servers.testConnection', { id: srv.id }).catch(() => undefined);
    const c = await app.call('customers.create', { name: 'Late Payer' });
    await app.call('contracts.create', { customerId: c.id, reference: 'LATE-1', startDate: day(-400), endDate: day(-3), state: 'active' });
    await app.call('contracts.create', { customerId: c.id, reference: 'SOON-1', startDate: day(-400), endDate: day(10), state: 'active' });
    const page = await app.newPage();
    await page.goto(`${app.base}#/servers`);
    const row = page.locator('tr', { hasText: 'unreach-1' });
    await expect.poll(() => row.getByTestId('last-check').textContent()).toBe('unreachable');
    await page.goto(`${app.base}#/`);
    await expect.poll(() => page.getByTestId('today-servers').textContent()).toMatch(/unreach-1.*connection test failed/);
    expect(await page.getByTestId('today-expired').textContent()).toContain('LATE-1');
    expect(await page.getByTestId('today-expiring').textContent()).not.toContain('LATE-1');
    expect(await page.getByTestId('today-expiring').textContent()).toContain('SOON-1');
  });
});
