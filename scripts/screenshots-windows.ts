/**
 * Screenshots of the Windows and Notices screens at 1280×800 (light, and dark with --dark), into
 * docs/screenshots/. Seeds an inventory and a few windows through the API, starts a real SMTP
 * server on loopback so the ledger fills. Run: npx tsx scripts/screenshots-windows.ts [--dark] [--out DIR]
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { startApp } from '../test/e2e/harness.js';
import { seedWindowsInventory } from '../test/e2e/windows-seed.js';
import { startSmtp } from '../test/helpers/smtp.js';

const args = process.argv.slice(2);
const dark = args.includes('--dark');
const outIdx = args.indexOf('--out');
const out = path.resolve(outIdx >= 0 ? args[outIdx + 1]! : 'docs/screenshots');

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const smtp = await startSmtp();
  const app = await startApp();
  try {
    const s = await seedWindowsInventory(app.call);
    await app.call('smtp.save', { host: smtp.host, port: smtp.port, secure: false, user: '', from: 'Release desk <ops@puesta.test>', ratePerSecond: 50, maxConnections: 2 });
    // Next week's window (announced and reminded), one overlapping draft (conflicts), one done last week.
    const nextTue = DateTime.now().setZone('Europe/Madrid').plus({ weeks: 1 }).set({ weekday: 2, hour: 22, minute: 0, second: 0, millisecond: 0 });
    const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
    const main = await app.call('windows.create', {
      title: 'Billing 4.2 upgrade',
      start: iso(nextTue),
      end: iso(nextTue.plus({ hours: 3 })),
      applicationIds: [s.billing],
      serverIds: [],
      impact: 'Invoices and the customer portal are read-only; payments are queued and processed after the window.',
    });
    await app.call('windows.create', {
      title: 'Portal TLS renewal',
      start: iso(nextTue.plus({ hours: 1 })),
      end: iso(nextTue.plus({ hours: 2 })),
      applicationIds: [s.portal],
      serverIds: [s.web1],
      impact: 'A few seconds of reconnects.',
    });
    const past = await app.call('windows.create', {
      title: 'Database minor upgrade',
      start: iso(nextTue.minus({ weeks: 2 })),
      end: iso(nextTue.minus({ weeks: 2 }).plus({ hours: 1 })),
      applicationIds: [s.billing],
      serverIds: [s.db1],
      impact: '',
    });
    await app.call('blackouts.create', { startDate: nextTue.plus({ days: 10 }).toISODate()!, endDate: nextTue.plus({ days: 12 }).toISODate()!, reason: 'Quarter close', timezone: 'Europe/Madrid' });
    await app.call('notices.schedule', { windowId: main.id, reminders: [72, 24, 1] });
    await app.call('windows.transition', { id: past.id, to: 'in_progress', notify: false });
    await app.call('windows.transition', { id: past.id, to: 'done', notify: false });
    // Let the announcement go out.
    for (let i = 0; i < 50; i++) {
      const c = await app.call('notices.campaigns', { windowId: main.id });
      if (c.items.some((x) => x.kind === 'announce' && x.state === 'done')) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const page = await app.newPage({ colorScheme: dark ? 'dark' : 'light' });
    const suffix = dark ? '-dark' : '-light';
    const shot = async (p: Page, name: string) => {
      await p.waitForTimeout(250);
      await p.screenshot({ path: path.join(out, `${name}${suffix}.png`) });
      console.log('wrote', path.join(out, `${name}${suffix}.png`));
    };
    const go = async (hash: string, sel: string) => {
      await page.goto(app.base + '#' + hash);
      await page.waitForSelector(sel);
    };
    await go(`/windows?d=${nextTue.toISODate()}`, '[data-testid=cal-month]');
    await page.evaluate(`window.localStorage.setItem('puesta:windows:view', JSON.stringify('month'))`);
    await shot(page, 'windows-month');
    await page.click('[data-testid=view-week]');
    await page.waitForSelector('[data-testid=cal-week]');
    await page.evaluate(`document.querySelector('.cal-week-body')?.scrollTo(0, 400)`);
    await shot(page, 'windows-week');
    await page.click('[data-testid=open-blackouts]');
    await page.waitForSelector('[data-testid=blackouts]');
    await shot(page, 'windows-blackouts');
    await page.keyboard.press('Escape');
    await page.click('[data-testid=view-list]');
    await page.waitForSelector('[data-testid=windows-table]');
    await shot(page, 'windows-list');
    await page.click('[data-testid=view-month]');
    await go(`/windows/${main.id}`, '[data-testid=timeline]');
    await page.waitForSelector('[data-testid=audience]');
    await shot(page, 'window-page');
    await page.click('[data-testid=audience-row]');
    await page.locator('#audience').scrollIntoViewIfNeeded();
    await page.evaluate(`document.getElementById('audience')?.scrollIntoView()`);
    await shot(page, 'window-audience');
    await page.evaluate(`document.getElementById('compose')?.scrollIntoView()`);
    await page.waitForSelector('[data-testid=preview]');
    await page.click('[data-testid=preview-tab-ics]');
    await shot(page, 'window-compose-ics');
    await page.click('[data-testid=preview-tab-html]');
    await shot(page, 'window-compose');
    await page.evaluate(`document.querySelector('.main')?.scrollTo(0, 0)`);
    await page.click('[data-testid=schedule-notices]');
    await page.waitForSelector('[data-testid=schedule-summary]');
    await shot(page, 'window-schedule-dialog');
    await page.keyboard.press('Escape');
    await page.click('[data-testid=edit-window]');
    await page.waitForSelector('[data-testid=draft-conflicts]');
    await shot(page, 'window-editor');
    await page.keyboard.press('Escape');
    await go('/notices', '[data-testid=campaigns-table]');
    await shot(page, 'notices-campaigns');
    await go('/notices?tab=ledger', '[data-testid=ledger-table]');
    await shot(page, 'notices-ledger');
    await page.click('[data-testid=ledger-row]');
    await page.waitForSelector('[data-testid=message-meta]');
    await shot(page, 'notices-message');
    await page.keyboard.press('Escape');
    await go('/notices?tab=templates', '[data-testid=templates]');
    await page.waitForSelector('[data-testid=template-save]');
    await shot(page, 'notices-templates');
    await page.evaluate(`document.querySelector('[data-testid=template-save]')?.scrollIntoView()`);
    await shot(page, 'notices-template-editor');
    await go('/notices?tab=smtp', '[data-testid=smtp-form]');
    await shot(page, 'notices-smtp');
    // Offline: the SMTP server goes away; the banner says messages wait.
    await smtp.close();
    await app.call('outbox.sendNow', {}).catch(() => undefined);
    await app.call('windows.transition', { id: main.id, to: 'in_progress', notify: true });
    await go(`/windows/${main.id}`, '[data-testid=timeline]');
    await page.waitForSelector('[data-testid=outbox-banner][data-state=offline]', { timeout: 15_000 }).catch(() => undefined);
    await shot(page, 'window-offline');
  } finally {
    await app.close();
    await smtp.close().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
