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


describe('Today', () => {
  it('shows a server whose last check failed, with what is wrong, and every panel connected', async () => {
    const port = await closedPort();
    const srv = await app.call('servers.create', { name: 'edge-9', host: '127.0.0.1', port, user: 'deploy' });
    await app.call('stats.collect', { serverId: srv.id });
    const page = await app.newPage();
    await page.goto(`${app.base}#/`);
    const panel = page.getByTestId('today-servers');
    await expect.poll(() => panel.textContent(), { timeout: 10_000 }).toMatch(/edge-9/);
    expect(await panel.textContent()).toMatch(/could not be read/);
    expect(await page.getByTestId('today-runs').isVisible()).toBe(true);
    expect(await page.locator('body').textContent()).not.toMatch(/Not connected yet/);
    await page.getByRole('link', { name: 'edge-9' }).click();
    await expect.poll(() => page.url()).toMatch(new RegExp(`#/servers/${srv.id}$`));
  });
});
