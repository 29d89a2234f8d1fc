import type { NoticeKind, RenderedNotice } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { getWindow } from '../windows/repo.js';
import { cancelCampaign, listCampaigns, NoticeRenderer, recipientsOf, scheduleNotices, type Recipient } from './campaigns.js';
import { parseAddress } from './ics.js';
import { getOutbox, listOutbox, markSent, resend } from './outbox.js';
import { mailOf } from './sender.js';
import { getSmtp, makeTransport, saveSmtp } from './smtp.js';
import { getTemplate, LANGUAGES, listTemplates, resetTemplate, saveTemplate, VARIABLES } from './templates.js';

type MailMethod =
  | 'notices.templates.list'
  | 'notices.templates.get'
  | 'notices.templates.save'
  | 'notices.templates.reset'
  | 'notices.preview'
  | 'notices.testSend'
  | 'notices.schedule'
  | 'notices.campaigns'
  | 'notices.cancelCampaign'
  | 'outbox.list'
  | 'outbox.get'
  | 'outbox.resend'
  | 'outbox.markSent'
  | 'outbox.sendNow'
  | 'outbox.status'
  | 'smtp.get'
  | 'smtp.save'
  | 'smtp.test';

/** The rendered notice of a window for one contact (or the first of its audience, or a sample). */
export function previewNotice(core: Core, windowId: number, kind: NoticeKind, contactId?: number): RenderedNotice {
  const w = getWindow(core, windowId);
  let r: Recipient | undefined;
  if (contactId) {
    const c = core.db
      .prepare('SELECT ct.id, ct.name, ct.email, cu.id AS customer_id, cu.name AS customer_name, cu.timezone, cu.language FROM contacts ct JOIN customers cu ON cu.id = ct.customer_id WHERE ct.id = ?')
      .get(contactId) as
      | { id: number; name: string; email: string; customer_id: number; customer_name: string; timezone: string; language: string }
      | undefined;
    if (!c) throw new PuestaError('NOT_FOUND', `There is no contact with id ${contactId}.`);
    r = { contactId: c.id, customerId: c.customer_id, customerName: c.customer_name, contactName: c.name, email: c.email, timezone: c.timezone, language: c.language };
  } else {
    r = recipientsOf(core, windowId)[0];
  }
  r ??= { contactId: null, customerId: null, customerName: 'Sample customer', contactName: 'Sample contact', email: 'recipient@example.invalid', timezone: 'UTC', language: 'en' };
  const params = kind === 'extended' ? lastPreviousEnd(core, windowId) : {};
  return new NoticeRenderer(core, w, kind, params).render(r);
}

function lastPreviousEnd(core: Core, windowId: number): { previousEnd?: string } {
  const r = core.db.prepare("SELECT params FROM campaigns WHERE window_id = ? AND kind = 'extended' ORDER BY id DESC LIMIT 1").get(windowId) as { params: string } | undefined;
  return r ? (JSON.parse(r.params) as { previousEnd?: string }) : {};
}

async function sendOne(core: Core, msg: { to: string; subject: string; text: string; html?: string; ics?: string; icsMethod?: string }) {
  const smtp = getSmtp(core);
  const t = makeTransport(core, false);
  try {
    const info = (await t.sendMail({
      from: smtp.from,
      to: msg.to,
      subject: msg.subject,
      text: msg.text,
      ...(msg.html ? { html: msg.html } : {}),
      ...(msg.ics ? { attachments: [{ filename: 'invite.ics', content: msg.ics, contentType: `text/calendar; charset=utf-8; method=${msg.icsMethod ?? 'REQUEST'}` }] } : {}),
    })) as { messageId: string; response: string };
    return { messageId: info.messageId, response: info.response };
  } catch (e) {
    const err = e as { message?: string; response?: string };
    throw new PuestaError('SMTP_ERROR', `The SMTP server did not take the message: ${err.response ?? err.message ?? String(e)}. Check the settings and that the server is reachable.`);
  } finally {
    t.close();
  }
}

export const mailHandlers: Handlers<MailMethod> = {
  'notices.templates.list': (core) => ({ items: listTemplates(core), variables: VARIABLES, languages: [...LANGUAGES] }),
  'notices.templates.get': (core, input) => getTemplate(core, input.kind, input.language),
  'notices.templates.save': (core, input) => saveTemplate(core, input),
  'notices.templates.reset': (core, input) => resetTemplate(core, input.kind, input.language),
  'notices.preview': (core, input) => previewNotice(core, input.windowId, input.kind, input.contactId),
  'notices.testSend': async (core, input) => {
    const to = input.to ?? parseAddress(getSmtp(core).from)?.email;
    if (!to) throw new PuestaError('PRECONDITION_FAILED', 'Give an address to send the test to, or set the SMTP "from" address first.');
    const p = previewNotice(core, input.windowId, input.kind);
    const r = await sendOne(core, { to, subject: `[TEST] ${p.subject}`, text: p.text, html: p.html, ics: p.ics, icsMethod: p.icsMethod });
    core.audit.write(core.operator(), 'testSend', 'windows', input.windowId, null, { kind: input.kind, to });
    return { to, ...r };
  },
  'notices.schedule': (core, input) => {
    const items = scheduleNotices(core, input.windowId, input.reminders, input.announceAt, input.announce);
    mailOf(core).kick();
    core.events.emit('windows.changed', { id: input.windowId, action: 'update' });
    return { items };
  },
  'notices.campaigns': (core, input) => {
    mailOf(core).start();
    return { items: listCampaigns(core, input.windowId) };
  },
  'notices.cancelCampaign': (core, input) => {
    const c = cancelCampaign(core, input.id);
    mailOf(core).touched([c.id]);
    return c;
  },
  'outbox.list': (core, input) => {
    mailOf(core).start();
    return listOutbox(core, input);
  },
  'outbox.get': (core, input) => getOutbox(core, input.id),
  'outbox.resend': (core, input) => {
    const r = resend(core, input.ids);
    const m = mailOf(core);
    m.touched(r.campaignIds);
    m.kick();
    return { updated: r.updated };
  },
  'outbox.markSent': (core, input) => {
    const r = markSent(core, input.ids, input.note);
    mailOf(core).touched(r.campaignIds);
    return { updated: r.updated };
  },
  'outbox.sendNow': (core) => mailOf(core).start().sendNow(),
  'outbox.status': (core) => mailOf(core).start().status(),
  'smtp.get': (core) => getSmtp(core),
  'smtp.save': (core, input) => {
    const s = saveSmtp(core, input);
    mailOf(core).reconfigure();
    return s;
  },
  'smtp.test': async (core, input) => {
    const r = await sendOne(core, {
      to: input.to,
      subject: 'Puesta: SMTP test',
      text: `This is a test message from Puesta (${core.operator()}). If you can read it, the SMTP settings work.`,
    });
    core.audit.write(core.operator(), 'test', 'settings.smtp', null, null, { to: input.to });
    return r;
  },
};
