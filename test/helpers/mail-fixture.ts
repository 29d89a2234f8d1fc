/** Seeds an audience of n contacts for mail tests and points SMTP at a test server. */
import type { Core } from '../../electron/core/core.js';
import { scheduleNotices } from '../../electron/core/notices/campaigns.js';
import { saveSmtp } from '../../electron/core/notices/smtp.js';
import { createWindow } from '../../electron/core/windows/repo.js';
import { createApplication } from './core.js';

export function seedAudience(core: Core, n: number, opts: { domain?: string; prefix?: string } = {}): { windowId: number; appId: number; emails: string[] } {
  const op = 'test';
  const prefix = opts.prefix ?? 'r';
  const appId = createApplication(core, { name: `app-${prefix}`, basePath: '/srv/app' }, op);
  const customerId = core.inventory.customers.create({ name: `Customer ${prefix}`, timezone: 'Europe/Madrid', language: 'es', notes: '' }, op).id as number;
  core.inventory.contracts.create(
    { customerId, reference: `C-${prefix}`, applicationIds: [appId], startDate: '2020-01-01', endDate: '2099-12-31', graceDays: 0, state: 'active', suspensionAction: '', allowedHours: null, notes: '' },
    op,
  );
  const emails: string[] = [];
  core.tx(() => {
    for (let i = 0; i < n; i++) {
      const email = `${prefix}${i}@${opts.domain ?? 'example.test'}`;
      emails.push(email);
      core.inventory.contacts.create({ customerId, name: `Recipient ${i}`, email, role: '', optedOut: false }, op);
    }
  });
  const start = new Date(Date.now() + 48 * 3_600_000).toISOString();
  const end = new Date(Date.now() + 50 * 3_600_000).toISOString();
  const w = createWindow(core, { title: `Window ${prefix}`, start, end, applicationIds: [appId], serverIds: [], impact: '', impacts: {}, linkedRunId: null, environmentId: null, notes: '' });
  return { windowId: w.id, appId, emails };
}

export function pointSmtp(core: Core, port: number, s: { ratePerSecond?: number; maxConnections?: number; user?: string; password?: string } = {}): void {
  saveSmtp(core, {
    host: '127.0.0.1',
    port,
    secure: false,
    user: s.user ?? '',
    from: 'Release desk <desk@puesta.test>',
    ratePerSecond: s.ratePerSecond ?? 1000,
    maxConnections: s.maxConnections ?? 2,
    senderName: '',
    signature: '',
    ...(s.password ? { password: s.password } : {}),
  });
}

/** Announcement due now, no reminders. */
export function announceNow(core: Core, windowId: number): void {
  scheduleNotices(core, windowId, [], null, true);
}

export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The invite.ics part of a raw message, decoded. */
export function icsOf(raw: string): string {
  const m = /filename="?invite\.ics"?[\s\S]*?\r\n\r\n([\s\S]*?)\r\n--/.exec(raw);
  if (!m) return '';
  const body = m[1]!;
  const head = raw.slice(0, m.index + m[0].length - body.length);
  const enc = /Content-Transfer-Encoding: ([\w-]+)[^]*$/i.exec(head.slice(head.lastIndexOf('Content-Type')))?.[1]?.toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') return body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
  return body;
}

/** Short retry/offline back-offs so the tests do not wait for production delays. */
export const FAST = { retryBaseMs: 200, retryMaxMs: 1000, offlineBaseMs: 200, offlineMaxMs: 500, idleMs: 100 };
