import type { NoticeKind, noticesMethods, RenderedNotice } from '../../../shared/contract/notices.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { getWindow } from '../windows/repo.js';
import { cancelCampaign, lastPreviousEnd, listCampaigns, scheduleNotices } from './campaigns.js';
import { parseAddress } from './ics.js';
import { getOutbox, listOutbox, markSent, resend } from './outbox.js';
import { contactRecipient, recipientsOf, SAMPLE_RECIPIENT } from './recipients.js';
import { NoticeRenderer } from './render.js';
import { getSmtp, saveSmtp } from './smtp.js';
import { getTemplate, LANGUAGES, listTemplates, resetTemplate, saveTemplate, VARIABLES } from './templates.js';
import { sendOne } from './transport.js';

/** The rendered notice of a window for one contact (or the first of its audience, or a sample). */
export function previewNotice(core: Core, windowId: number, kind: NoticeKind, contactId?: number): RenderedNotice {
  const w = getWindow(core, windowId);
  let r;
  if (contactId) {
    r = contactRecipient(core, contactId);
    if (!r) throw new PuestaError('NOT_FOUND', `There is no contact with id ${contactId}.`);
  } else {
    r = recipientsOf(core, windowId)[0];
  }
  const params = kind === 'extended' ? lastPreviousEnd(core, windowId) : {};
  return new NoticeRenderer(core, w, kind, params).render(r ?? SAMPLE_RECIPIENT);
}

export const noticesHandlers: Handlers<keyof typeof noticesMethods> = {
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
    core.services.notices.kick();
    core.events.emit('windows.changed', { id: input.windowId, action: 'update' });
    return { items };
  },
  'notices.campaigns': (core, input) => {
    core.services.notices.start();
    return { items: listCampaigns(core, input.windowId) };
  },
  'notices.cancelCampaign': (core, input) => {
    const c = cancelCampaign(core, input.id);
    core.services.notices.touched([c.id]);
    return c;
  },
  'outbox.list': (core, input) => {
    core.services.notices.start();
    return listOutbox(core, input);
  },
  'outbox.get': (core, input) => getOutbox(core, input.id),
  'outbox.resend': (core, input) => {
    const r = resend(core, input.ids);
    const m = core.services.notices;
    m.touched(r.campaignIds);
    m.kick();
    return { updated: r.updated };
  },
  'outbox.markSent': (core, input) => {
    const r = markSent(core, input.ids, input.note);
    core.services.notices.touched(r.campaignIds);
    return { updated: r.updated };
  },
  'outbox.sendNow': (core) => core.services.notices.start().sendNow(),
  'outbox.status': (core) => core.services.notices.start().status(),
  'smtp.get': (core) => getSmtp(core),
  'smtp.save': (core, input) => {
    const s = saveSmtp(core, input);
    core.services.notices.reconfigure();
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
