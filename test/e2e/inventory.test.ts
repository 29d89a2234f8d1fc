import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';
import { seedInventory } from './inventory-seed.js';

// A fresh app (empty data folder) per test: a test seeds through the API what the ones before it
// would have built through the UI, so each runs alone (`-t name`) or in any order.
let app: App;
let page: Page;

beforeEach(async () => {
  app = await startApp();
  page = await app.newPage();
});
afterEach(async () => {
  await app?.close();
});

const go = async (hash: string) => {
  await page.goto(app.base + '#' + hash);
  await page.waitForSelector('.page');
};
const field = (label: string) => page.getByLabel(label, { exact: true });
const save = async () => {
  await page.getByTestId('save').click();
};
const toast = () => page.getByTestId('toast-success').last();

describe('inventory through the UI', () => {
  it('creates an environment, a server and an application with a service', async () => {
    await go('/environments');
    await expect.poll(() => page.getByTestId('empty-state').textContent()).toContain('groups servers by purpose');
    await page.getByRole('button', { name: 'New environment' }).first().click();
    await field('Name').fill('production');
    await page.getByRole('button', { name: 'Use #dc2626' }).click();
    await field('Runs need a second confirmation').check();
    await save();
    await toast().waitFor();
    await page.waitForURL(/#\/environments\/\d+$/);

    await go('/servers/new');
    // Inline validation with the contract's schema: nothing is sent while fields are wrong.
    await field('Name').fill('web-01');
    await field('Host').fill('bad host!');
    await save();
    await expect.poll(() => page.locator('.field-error').first().textContent()).toContain('host name or IP address');
    expect((await app.call('servers.list', {})).total).toBe(0);
    await field('Host').fill('10.0.0.11');
    await field('SSH user').fill('deploy');
    await field('Environment').selectOption({ label: 'production' });
    await field('Roles').fill('web');
    await field('Roles').press('Enter');
    await save();
    await page.waitForURL(/#\/servers\/\d+$/);
    const servers = await app.call('servers.list', {});
    expect(servers.items).toHaveLength(1);
    expect(servers.items[0]).toMatchObject({ name: 'web-01', host: '10.0.0.11', user: 'deploy', roles: ['web'] });
    const env = (await app.call('environments.list', {})).items[0]!;
    expect(env).toMatchObject({ name: 'production', colour: '#dc2626', confirmRuns: true });
    expect(servers.items[0]!.environmentId).toBe(env.id);
    // A second server for sorting.
    await go('/servers/new');
    await field('Name').fill('db-01');
    await field('Host').fill('10.0.0.21');
    await field('SSH port').fill('2222');
    await save();
    await page.waitForURL(/#\/servers\/\d+$/);

    await go('/applications/new');
    await field('Name').fill('billing-api');
    await field('Runtime user').fill('billing');
    await field('Base path').fill('/srv/billing');
    await page.getByRole('radio', { name: 'blue-green' }).click();
    await page.getByRole('button', { name: 'Add service' }).click();
    const row = page.getByTestId('service-row').first();
    await row.getByLabel('Service 1 command').fill('bin/server --port 8080');
    await row.getByLabel('Service 1 instances').fill('2');
    await field('URL').fill('http://127.0.0.1:8080/health');
    await save();
    await page.waitForURL(/#\/applications\/\d+$/);
    const apps = await app.call('applications.list', {});
    expect(apps.items[0]).toMatchObject({
      name: 'billing-api',
      strategy: 'blue-green',
      services: [{ name: 'web', kind: 'web', command: 'bin/server --port 8080', instances: 2 }],
      healthCheck: { kind: 'http', target: 'http://127.0.0.1:8080/health', expectStatus: 200 },
    });
  });

  it('places the application on a server from its page', async () => {
    await seedInventory(app, 'application');
    const appId = (await app.call('applications.list', {})).items[0]!.id;
    await go(`/applications/${appId}`);
    await page.getByTestId('add-placement').click();
    const pf = page.getByTestId('placement-form');
    await pf.getByLabel('Server').selectOption({ label: 'web-01 (10.0.0.11)' });
    await pf.getByRole('radio', { name: 'web' }).click();
    await pf.getByLabel('Slot').selectOption('blue');
    await pf.getByRole('button', { name: 'Add placement' }).click();
    await page.getByTestId('placements-of-app').getByText('web-01').waitFor();
    const pl = await app.call('placements.list', { applicationId: appId });
    expect(pl.items).toHaveLength(1);
    expect(pl.items[0]).toMatchObject({ serverName: 'web-01', role: 'web', slot: 'blue' });
  });

  it('creates a customer with a contact and a contract', async () => {
    await seedInventory(app, 'application');
    await go('/customers/new');
    await field('Name').fill('Acme Logistics');
    await field('Time zone').fill('Europe/Madrid');
    await field('Language').fill('es-ES');
    await save();
    await page.waitForURL(/#\/customers\/\d+$/);
    await page.getByTestId('add-contact').click();
    const cf = page.getByTestId('contact-form');
    await cf.getByLabel('Name', { exact: true }).fill('Ana García');
    await cf.getByLabel('Email').fill('not-an-email');
    await page.getByTestId('contact-save').click();
    await expect.poll(() => cf.locator('.field-error').textContent()).toContain('not a valid email');
    await cf.getByLabel('Email').fill('ana@acme.example');
    await cf.getByLabel('Role').fill('IT manager');
    await page.getByTestId('contact-save').click();
    await page.getByTestId('contacts-of-customer').getByText('Ana García').waitFor();

    await page.getByTestId('add-contract').click();
    await page.waitForURL(/#\/contracts\/new\?customerId=\d+$/);
    await field('Reference').fill('HC-2026-001');
    await field('Start').fill('2026-01-01');
    await field('End (expiry)').fill('2025-12-01');
    await save();
    await expect.poll(() => page.locator('.field-error').first().textContent()).toContain('end date is before the start date');
    await field('End (expiry)').fill('2027-12-31');
    await page.getByRole('group', { name: 'Applications covered' }).getByLabel('billing-api').check();
    await save();
    await page.waitForURL(/#\/contracts\/\d+$/);
    const c = (await app.call('contracts.list', {})).items[0]!;
    expect(c).toMatchObject({ reference: 'HC-2026-001', customerName: 'Acme Logistics', endDate: '2027-12-31', state: 'active' });
    expect(c.applicationIds).toHaveLength(1);
    expect((await app.call('contacts.list', {})).items[0]).toMatchObject({ name: 'Ana García', email: 'ana@acme.example', role: 'IT manager' });
  });

  it('finds everything again after a reload', async () => {
    await seedInventory(app, 'customer');
    const appId = (await app.call('applications.list', {})).items[0]!.id;
    await go(`/applications/${appId}`);
    await page.reload();
    await page.getByTestId('placements-of-app').getByText('web-01').waitFor();
    await expect.poll(() => field('Name').inputValue()).toBe('billing-api');
    await expect.poll(() => page.locator('.split-side').textContent()).toContain('HC-2026-001');
    for (const [path, text] of [
      ['/environments', 'production'],
      ['/servers', 'web-01'],
      ['/placements', 'billing-api'],
      ['/customers', 'Acme Logistics'],
      ['/contacts', 'ana@acme.example'],
      ['/contracts', 'HC-2026-001'],
    ] as const) {
      await go(path);
      await page.reload();
      await page.locator('table.table').getByText(text).first().waitFor();
    }
    await go('/');
    await expect.poll(() => page.getByTestId('count-servers').textContent()).toMatch(/^2/);
  });

  it('puts server refusals under the field and refreshes open lists on inventory.changed', async () => {
    await seedInventory(app, 'servers');
    await go('/servers/new');
    await field('Name').fill('web-01');
    await field('Host').fill('10.0.0.99');
    await save();
    await expect.poll(() => page.locator('.field.has-error .field-error').first().textContent()).toContain('already exists');
    await go('/servers');
    await page.locator('table.table').getByText('web-01').waitFor();
    const created = await app.call('servers.create', { name: 'cache-01', host: '10.0.0.31', user: 'deploy' });
    await page.locator('table.table').getByText('cache-01').waitFor();
    await app.call('servers.delete', { id: created.id });
    await page.locator('table.table').getByText('cache-01').waitFor({ state: 'detached' });
  });

  it('searches and sorts a list', async () => {
    await seedInventory(app, 'servers');
    await go('/servers');
    const names = () => page.locator('[data-testid="table-servers"] tbody tr td:first-child').allTextContents();
    await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click(); // the list starts sorted by name ascending: a click flips it
    await expect.poll(names).toEqual(['web-01', 'db-01']);
    await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
    await expect.poll(names).toEqual(['db-01', 'web-01']);
    await page.getByLabel('Filter by environment').selectOption({ label: 'production' });
    await expect.poll(names).toEqual(['web-01']);
    await page.getByLabel('Filter by environment').selectOption({ label: 'All environments' });
    await expect.poll(names).toEqual(['db-01', 'web-01']);
    await page.getByRole('searchbox', { name: 'Search servers' }).fill('10.0.0.2');
    await expect.poll(names).toEqual(['db-01']);
    await expect.poll(() => page.getByTestId('pager-total').textContent()).toContain('of 1');
    await page.getByRole('searchbox', { name: 'Search servers' }).fill('nothing-like-this');
    await page.getByText('Nothing matches').waitFor();
  });

  it('does not offer to delete a customer that still has a contact: the button is off and the blockers are linked', async () => {
    await seedInventory(app, 'customer');
    const cust = (await app.call('customers.list', {})).items[0]!;
    await go(`/customers/${cust.id}`);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await expect.poll(() => dlg.getByRole('heading').textContent()).toContain('Acme Logistics');
    await expect.poll(() => page.getByTestId('delete-blockers').textContent()).toContain('1 contact');
    expect(await page.getByTestId('delete-blockers').textContent()).toContain('1 contract');
    expect(await dlg.getByRole('link', { name: '1 contact' }).getAttribute('href')).toBe('#/contacts');
    expect(await dlg.getByRole('button', { name: 'Delete customer' }).isDisabled()).toBe(true);
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    expect((await app.call('customers.list', {})).total).toBe(1);
  });

  it('shows the row errors of a bad import and writes nothing', async () => {
    const before = (await app.call('servers.list', {})).total;
    await go('/transfer');
    const csv = 'name,host,port,user\nok-01,10.0.1.1,22,deploy\nbad-02,10.0.1.2,99999,deploy\n';
    await page.getByTestId('import-file').setInputFiles({ name: 'servers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByTestId('import-run').click();
    const box = page.getByTestId('import-errors');
    await box.waitFor();
    const text = await box.textContent();
    expect(text).toContain('nothing was imported');
    expect(text).toContain('port');
    expect(text).toContain('at most 65535');
    await expect.poll(() => box.locator('tbody tr').count()).toBe(1);
    // the row as the spreadsheet numbers it (header = row 1), and the row's name
    await expect.poll(() => box.locator('tbody tr td').nth(1).textContent()).toBe('3');
    expect(await box.locator('tbody tr td').nth(2).textContent()).toBe('bad-02');
    expect((await app.call('servers.list', {})).total).toBe(before);

    // Check (dry run) of a good file says what would happen, still writing nothing.
    await page.getByTestId('import-file').setInputFiles({ name: 'servers.csv', mimeType: 'text/csv', buffer: Buffer.from('name,host,user\nok-01,10.0.1.1,deploy\n') });
    await page.getByTestId('import-check').click();
    await expect.poll(() => page.getByTestId('import-result').textContent()).toContain('would create 1 server');
    expect((await app.call('servers.list', {})).total).toBe(before);
  });

  it('exports the inventory as a downloaded file', async () => {
    await seedInventory(app, 'customer');
    await go('/transfer');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(dl.suggestedFilename()).toMatch(/^puesta-inventory-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse(readFileSync((await dl.path())!, 'utf8')) as Record<string, { name?: string; reference?: string }[]>;
    expect(doc.servers!.map((s) => s.name).sort()).toEqual(['db-01', 'web-01']);
    expect(doc.contracts![0]!.reference).toBe('HC-2026-001');
    expect(doc.customers![0]!.name).toBe('Acme Logistics');
  });

  it('shows settings with the secret-store warning and changes the operator name', async () => {
    await go('/settings');
    await expect.poll(() => page.getByTestId('secret-warning').textContent()).toContain('not stored securely');
    await expect.poll(() => page.getByTestId('settings').textContent()).toContain(app.dataDir);
    await field('Operator name').fill('Marta Ruiz');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.sidebar .operator', { hasText: 'Marta Ruiz' }).waitFor();
    expect((await app.call('system.info', {})).operator).toBe('Marta Ruiz');
  });

  it('finds a server with the command palette (Ctrl+K) and opens it with Enter', async () => {
    await seedInventory(app, 'servers');
    await go('/');
    await page.keyboard.press('Control+k');
    const input = page.getByRole('combobox', { name: 'Search' });
    await input.fill('web-0');
    await page.locator('.palette-item', { hasText: 'web-01' }).first().waitFor();
    await expect.poll(() => page.locator('.palette-item.active').textContent()).toContain('web-01');
    await input.press('Enter');
    await page.waitForURL(/#\/servers\/\d+$/);
    await expect.poll(() => field('Name').inputValue()).toBe('web-01');
    // The record's history comes from the audit log.
    await expect.poll(() => page.getByTestId('history').textContent()).toContain('created it');
  });

  it('imports a good CSV (created counts shown) and exports one entity as CSV', async () => {
    await seedInventory(app, 'servers');
    const before = (await app.call('servers.list', {})).total;
    await go('/transfer');
    await page.getByTestId('import-file').setInputFiles({ name: 'servers.csv', mimeType: 'text/csv', buffer: Buffer.from('name,host,user,environment\nimp-01,10.0.2.1,deploy,production\n') });
    await page.getByTestId('import-run').click();
    await expect.poll(() => page.getByTestId('import-result').textContent()).toContain('Created 1 server');
    expect((await app.call('servers.list', {})).total).toBe(before + 1);
    const imported = (await app.call('servers.list', { query: 'imp-01' })).items[0]!;
    expect(imported.environmentId).toBe((await app.call('environments.list', {})).items[0]!.id);

    await page.getByRole('radio', { name: 'CSV — one entity' }).click();
    await page.getByLabel('Entity to export').selectOption('servers');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(dl.suggestedFilename()).toMatch(/^puesta-servers-.*\.csv$/);
    const csv = readFileSync((await dl.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('name,host,port,user');
    expect(csv).toContain('imp-01,10.0.2.1,22,deploy');
  });
});
