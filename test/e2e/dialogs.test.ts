import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';

let app: App;
let page: Page;
beforeAll(async () => {
  app = await startApp();
  page = await app.newPage();
});
afterAll(async () => {
  await app?.close();
});

// The tests' tsconfig has no DOM types: the page-side code is passed as source text.
/** Where focus is: inside the open dialog or not, and which element (its label or text). */
const focus = () =>
  page.evaluate<{ inDialog: boolean; name: string }>(`(() => {
    const el = document.activeElement;
    return { inDialog: Boolean(el && el.closest('dialog[open]')), name: (el && (el.getAttribute('aria-label') ?? el.textContent.trim())) || '' };
  })()`);

describe('dialogs (native <dialog>, in Chromium)', () => {
  it('keeps focus inside, closes on Escape and gives focus back to the opener', async () => {
    const env = await app.call('environments.create', { name: 'staging' });
    await page.goto(`${app.base}#/environments/${env.id}`);
    const opener = page.getByRole('button', { name: 'Delete', exact: true });
    await opener.focus();
    await page.keyboard.press('Enter');

    const dlg = page.getByRole('dialog', { name: 'Delete environment “staging”?' });
    await dlg.waitFor();
    expect(await page.evaluate<boolean>(`document.querySelector('dialog').matches('[open]:modal')`)).toBe(true);
    // Focus starts on the confirming button, not on the header's Close.
    expect(await focus()).toEqual({ inDialog: true, name: 'Delete environment' });

    // Tab past the last control wraps to the first; Shift+Tab before the first wraps to the last.
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      const f = await focus();
      expect(f.inDialog).toBe(true);
      names.push(f.name);
    }
    expect(names).toEqual(['Close', 'Cancel', 'Delete environment', 'Close']);
    await page.keyboard.press('Shift+Tab');
    expect(await focus()).toEqual({ inDialog: true, name: 'Delete environment' });

    // The page behind is inert: its controls cannot take focus while the dialog is open.
    const focusBehind = `(() => { const b = [...document.querySelectorAll('.page-head button')].find((x) => x.textContent.trim() === 'Delete'); b.focus(); return document.activeElement === b; })()`;
    expect(await page.evaluate<boolean>(focusBehind)).toBe(false);

    await page.keyboard.press('Escape');
    await expect.poll(() => dlg.count()).toBe(0);
    expect(await focus()).toEqual({ inDialog: false, name: 'Delete' });
    expect((await app.call('environments.list', {})).total).toBe(1);

    // Opened again with the mouse: Cancel closes it the same way, focus back on the opener.
    await opener.click();
    await dlg.waitFor();
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dlg.count()).toBe(0);
    expect(await focus()).toEqual({ inDialog: false, name: 'Delete' });
  });
});
