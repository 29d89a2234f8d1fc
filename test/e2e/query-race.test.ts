/**
 * The renderer's data layer keeps answers in order: an answer to an older input arrives after the
 * answer to the newer one and must not replace the rows on screen (the race of the old
 * hand-written `useQuery`, where the last answer to land won).
 */
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';

let app: App;
let page: Page;

beforeAll(async () => {
  app = await startApp();
  for (const name of ['Alpha Freight', 'Alpha Mining', 'Beta Bakery']) await app.call('customers.create', { name });
  page = await app.newPage();
});
afterAll(async () => {
  await app?.close();
});

const names = () => page.getByTestId('table-customers').locator('tbody tr td:first-child').allTextContents();
const queryOf = (body: string | null) => (JSON.parse(body ?? '{}') as { query?: string }).query;

describe('query cache ordering', () => {
  it('an older search answer arriving last does not overwrite the newer search', async () => {
    await page.goto(app.base + '#/customers');
    await expect.poll(names).toEqual(['Alpha Freight', 'Alpha Mining', 'Beta Bakery']);

    // Hold the first searching request until the newer search is on screen.
    let held: Route | null = null;
    const heldArrived = new Promise<void>((resolve) => {
      void page.route('**/api/customers.list', async (route) => {
        if (!held && queryOf(route.request().postData())) {
          held = route;
          resolve();
          return;
        }
        await route.continue();
      });
    });
    const search = page.getByLabel('Search customers');
    await search.fill('alpha');
    await heldArrived;
    // What becomes of the old request: the cache passes its signal to the call, so the browser may
    // cancel it once nobody waits for 'alpha'; otherwise its answer lands late, after 'beta'.
    const isAlpha = (r: { url(): string; postData(): string | null }) => r.url().endsWith('/api/customers.list') && queryOf(r.postData()) === 'alpha';
    const oldOutcome = Promise.race([
      page.waitForResponse((r) => isAlpha(r.request())).then(async (r) => ((await r.json()) as { value: { total: number } }).value.total),
      page.waitForEvent('requestfailed', { predicate: isAlpha }).then(() => 'cancelled' as const),
    ]);
    await search.fill('beta');
    await expect.poll(names).toEqual(['Beta Bakery']);

    await (held as Route | null)!.continue().catch(() => {}); // a request the browser cancelled cannot be continued
    expect([2, 'cancelled']).toContain(await oldOutcome);
    // Let React render whatever that answer would cause, then check the screen still follows the input.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    expect(await names()).toEqual(['Beta Bakery']);
    expect(await search.inputValue()).toBe('beta');
  });
});
