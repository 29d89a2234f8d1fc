/**
 * Notice templates (Handlebars): built-in defaults per kind in English and Spanish, edits stored in
 * `notice_templates`. HTML bodies are HTML-escaped; subjects and text bodies are not escaped, but
 * every value is stripped of control characters (and the subject folded to one line).
 */
import { randomUUID } from 'node:crypto';
import Handlebars from 'handlebars';
import { NOTICE_KINDS, type NoticeKind, type Template } from '../../../shared/contract/notices.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { deleteTemplate, storedLanguages, storedTemplate, upsertTemplate } from './template-store.js';

export const LANGUAGES = ['en', 'es'] as const;

export const VARIABLES: { name: string; description: string }[] = [
  { name: 'customerName', description: 'The customer the recipient belongs to' },
  { name: 'contactName', description: 'The recipient' },
  { name: 'windowTitle', description: 'The window title' },
  { name: 'start', description: 'Start, date and time in the customer’s zone and language' },
  { name: 'end', description: 'End, date and time in the customer’s zone and language' },
  { name: 'startDate', description: 'Start date (customer’s zone)' },
  { name: 'startTime', description: 'Start time with zone abbreviation' },
  { name: 'endTime', description: 'End time with zone abbreviation' },
  { name: 'timezone', description: 'The customer’s IANA time zone, e.g. Europe/Madrid' },
  { name: 'duration', description: 'Planned length, e.g. 2 h 30 min' },
  { name: 'services', description: 'Affected services, comma-separated' },
  { name: 'servicesList', description: 'Affected services as a list ({{#each servicesList}})' },
  { name: 'impact', description: 'What users will notice (the window’s impact text)' },
  { name: 'hoursBefore', description: 'Reminders: hours before the start' },
  { name: 'previousEnd', description: 'Extended: the end announced before' },
  { name: 'operator', description: 'The name notices are signed with (Settings → SMTP: sender name)' },
  { name: 'signature', description: 'The lines under that name (Settings → SMTP: signature)' },
];

interface Words {
  hello: string;
  start: string;
  end: string;
  services: string;
  impact: string;
  zone: string;
  sign: string;
  kinds: Record<NoticeKind, { subject: string; intro: string }>;
}

const WORDS: Record<(typeof LANGUAGES)[number], Words> = {
  en: {
    hello: 'Hello {{contactName}},',
    start: 'Start',
    end: 'End',
    services: 'Services affected',
    impact: 'Impact',
    zone: 'Times are shown in {{timezone}}. A calendar invitation is attached.',
    sign: 'Regards,\n{{operator}}',
    kinds: {
      announce: { subject: 'Planned maintenance: {{windowTitle}} on {{startDate}}', intro: 'We will carry out planned maintenance on services used by {{customerName}}.' },
      reminder: { subject: 'Reminder: {{windowTitle}} starts {{start}}', intro: 'A reminder: the planned maintenance starts in about {{hoursBefore}} hours.' },
      updated: { subject: 'Changed: {{windowTitle}} now {{start}}', intro: 'The planned maintenance has been rescheduled. The new times are below and the calendar invitation is updated.' },
      started: { subject: 'Maintenance started: {{windowTitle}}', intro: 'The planned maintenance has started.' },
      completed: { subject: 'Maintenance completed: {{windowTitle}}', intro: 'The maintenance is complete and the services are available again. Thank you for your patience.' },
      extended: { subject: 'Maintenance extended: {{windowTitle}} until {{endTime}}', intro: 'The maintenance is taking longer than planned (it was due to end {{previousEnd}}). It is now expected to end {{end}}.' },
      cancelled: { subject: 'Cancelled: {{windowTitle}} on {{startDate}}', intro: 'The planned maintenance has been cancelled: there will be no interruption. The calendar invitation is withdrawn.' },
    },
  },
  es: {
    hello: 'Hola, {{contactName}}:',
    start: 'Inicio',
    end: 'Fin',
    services: 'Servicios afectados',
    impact: 'Impacto',
    zone: 'Las horas se muestran en {{timezone}}. Se adjunta una invitación de calendario.',
    sign: 'Un saludo,\n{{operator}}',
    kinds: {
      announce: { subject: 'Mantenimiento programado: {{windowTitle}} el {{startDate}}', intro: 'Realizaremos un mantenimiento programado en servicios que utiliza {{customerName}}.' },
      reminder: { subject: 'Recordatorio: {{windowTitle}} empieza el {{start}}', intro: 'Le recordamos que el mantenimiento programado empieza dentro de unas {{hoursBefore}} horas.' },
      updated: { subject: 'Cambio: {{windowTitle}} pasa al {{start}}', intro: 'El mantenimiento programado ha cambiado de horario. Las nuevas horas figuran abajo y la invitación de calendario está actualizada.' },
      started: { subject: 'Mantenimiento iniciado: {{windowTitle}}', intro: 'El mantenimiento programado ha comenzado.' },
      completed: { subject: 'Mantenimiento finalizado: {{windowTitle}}', intro: 'El mantenimiento ha finalizado y los servicios vuelven a estar disponibles. Gracias por su paciencia.' },
      extended: { subject: 'Mantenimiento ampliado: {{windowTitle}} hasta las {{endTime}}', intro: 'El mantenimiento se está alargando (debía terminar el {{previousEnd}}). Ahora se prevé que termine el {{end}}.' },
      cancelled: { subject: 'Cancelado: {{windowTitle}} del {{startDate}}', intro: 'El mantenimiento programado se ha cancelado: no habrá interrupción. La invitación de calendario queda anulada.' },
    },
  },
};

export function defaultTemplate(kind: NoticeKind, language: string): { subject: string; html: string; text: string } {
  const w = WORDS[(LANGUAGES as readonly string[]).includes(language) ? (language as 'en' | 'es') : 'en'];
  const k = w.kinds[kind];
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.4">',
    `<p>${w.hello}</p>`,
    `<p>${k.intro}</p>`,
    '<table cellpadding="4" style="border-collapse: collapse">',
    `<tr><th align="left">${w.start}</th><td>{{start}}</td></tr>`,
    `<tr><th align="left">${w.end}</th><td>{{end}}</td></tr>`,
    `<tr><th align="left">${w.services}</th><td>{{services}}</td></tr>`,
    `{{#if impact}}<tr><th align="left">${w.impact}</th><td>{{impact}}</td></tr>{{/if}}`,
    '</table>',
    `<p style="color: #555">${w.zone}</p>`,
    `<p>${w.sign.replace('\n', '<br>')}{{#if signature}}<br><span style="white-space: pre-line">{{signature}}</span>{{/if}}</p>`,
    '</body></html>',
  ].join('\n');
  const text = [
    w.hello,
    '',
    k.intro,
    '',
    `${w.start}: {{start}}`,
    `${w.end}: {{end}}`,
    `${w.services}: {{services}}`,
    `{{#if impact}}${w.impact}: {{impact}}\n{{/if}}`,
    w.zone,
    '',
    w.sign + '{{#if signature}}\n{{signature}}{{/if}}',
    '',
  ].join('\n');
  return { subject: k.subject, html, text };
}

// ---------------------------------------------------------------- storage

export function getTemplate(core: Core, kind: NoticeKind, language: string): Template {
  const r = storedTemplate(core, kind, language);
  if (r) return { kind, language, subject: r.subject, html: r.html, text: r.text, builtIn: false, updatedAt: r.updatedAt };
  return { kind, language, ...defaultTemplate(kind, language), builtIn: true, updatedAt: null };
}

export function listTemplates(core: Core): Template[] {
  const langs = [...new Set([...LANGUAGES, ...storedLanguages(core)])];
  const out: Template[] = [];
  for (const language of langs) for (const kind of NOTICE_KINDS) out.push(getTemplate(core, kind, language));
  return out;
}

export function saveTemplate(core: Core, t: { kind: NoticeKind; language: string; subject: string; html: string; text: string }): Template {
  return saveCheckedTemplate(core, t, () => renderParts(t, sampleVariables()), getTemplate);
}

export function resetTemplate(core: Core, kind: NoticeKind, language: string): Template {
  return resetStoredTemplate(core, kind, language, getTemplate);
}

type TemplateKind = Parameters<typeof deleteTemplate>[1];

/**
 * Saves an edited template (window or contract notices) after `render` rendered it against a full
 * sample, so a typo'd variable or a broken block is refused now, not at send time; audited.
 */
export function saveCheckedTemplate<K extends TemplateKind, T>(
  core: Core,
  t: { kind: K; language: string; subject: string; html: string; text: string },
  render: () => unknown,
  get: (core: Core, kind: K, language: string) => T,
): T {
  try {
    render();
  } catch (e) {
    throw new PuestaError('INVALID_INPUT', `The template does not render: ${(e as Error).message.split('\n')[0]}. Check the {{variables}} against the list.`);
  }
  return core.tx(() => {
    const before = get(core, t.kind, t.language);
    upsertTemplate(core, t, new Date().toISOString());
    const after = get(core, t.kind, t.language);
    core.audit.write(core.operator(), 'update', 'notice_templates', null, before, after);
    return after;
  });
}

/** Back to the built-in text (the edit deleted), audited. */
export function resetStoredTemplate<K extends TemplateKind, T>(core: Core, kind: K, language: string, get: (core: Core, kind: K, language: string) => T): T {
  return core.tx(() => {
    const before = get(core, kind, language);
    deleteTemplate(core, kind, language);
    core.audit.write(core.operator(), 'reset', 'notice_templates', null, before, null);
    return get(core, kind, language);
  });
}

// ---------------------------------------------------------------- rendering

export interface Variables {
  customerName: string;
  contactName: string;
  windowTitle: string;
  start: string;
  end: string;
  startDate: string;
  startTime: string;
  endTime: string;
  timezone: string;
  duration: string;
  services: string;
  servicesList: string[];
  impact: string;
  hoursBefore: number | string;
  previousEnd: string;
  operator: string;
  signature: string;
}

export function sampleVariables(): Variables {
  return {
    customerName: 'Sample customer',
    contactName: 'Sample contact',
    windowTitle: 'Sample window',
    start: 'Sunday, March 29, 2026 at 1:00 AM CET',
    end: 'Sunday, March 29, 2026 at 4:00 AM CEST',
    startDate: 'Sunday, March 29, 2026',
    startTime: '1:00 AM CET',
    endTime: '4:00 AM CEST',
    timezone: 'Europe/Madrid',
    duration: '2 h',
    services: 'billing, portal',
    servicesList: ['billing', 'portal'],
    impact: 'Short interruptions',
    hoursBefore: 24,
    previousEnd: '',
    operator: 'Release desk',
    signature: 'Operations team · +34 900 000 000',
  };
}

const hb = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();
function compiled(src: string, escape: boolean): HandlebarsTemplateDelegate {
  const key = (escape ? 'h:' : 't:') + src;
  let fn = cache.get(key);
  if (!fn) {
    fn = hb.compile(src, { strict: true, noEscape: !escape });
    if (cache.size > 500) cache.clear();
    cache.set(key, fn);
  }
  return fn;
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
function safeValues(v: Variables): Variables {
  const clean = (s: string) => s.replace(CONTROL, '');
  return {
    ...v,
    ...Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? clean(x) : x])),
    servicesList: v.servicesList.map(clean),
  } as Variables;
}

export function renderSubject(subject: string, vars: Variables): string {
  return compiled(subject, false)(safeValues(vars)).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function renderParts(t: { subject: string; html: string; text: string }, vars: Variables): { subject: string; html: string; text: string } {
  const v = safeValues(vars);
  return {
    subject: compiled(t.subject, false)(v).replace(/\s*[\r\n]+\s*/g, ' ').trim(),
    html: compiled(t.html, true)(v),
    text: compiled(t.text, false)(v),
  };
}

/**
 * Renders a template over any flat set of values (the contract notices, electron/core/contracts/):
 * the same compilation, HTML escaping and control-character and subject clean-up as window notices.
 */
export function renderFlat(t: { subject: string; html: string; text: string }, vars: Record<string, string | number>): { subject: string; html: string; text: string } {
  const v = Object.fromEntries(Object.entries(vars).map(([k, x]) => [k, typeof x === 'string' ? x.replace(CONTROL, '') : x]));
  return {
    subject: compiled(t.subject, false)(v).replace(/\s*[\r\n]+\s*/g, ' ').trim(),
    html: compiled(t.html, true)(v),
    text: compiled(t.text, false)(v),
  };
}

// ---------------------------------------------------------------- per-recipient rendering, prepared once

/** Stands for the contact's name while a template is rendered once for a whole customer. */
const CONTACT = `\uE000${randomUUID()}\uE001`;
/** `{{contactName}}` exactly (not triple-stashed, no whitespace control, no block or helper around it). */
const SIMPLE_CONTACT = /(?<!\{)\{\{\s*contactName\s*\}\}(?!\})/g;

function onlySimpleContact(src: string): boolean {
  return (src.match(/contactName/g) ?? []).length === (src.match(SIMPLE_CONTACT) ?? []).length;
}

/** A notice rendered for everything but the contact's name: the pieces around each `{{contactName}}`. */
export interface PreparedParts {
  subject: string[];
  html: string[];
  text: string[];
}

/**
 * Renders the template once with a stand-in for contactName and splits the output around it, or
 * null when the template uses contactName other than as a plain `{{contactName}}` (then each
 * recipient is rendered in full). `fillParts(prepare(t, v), name)` equals `renderParts(t, {...v, contactName: name})`.
 */
export function prepareParts(t: { subject: string; html: string; text: string }, vars: Variables): PreparedParts | null {
  if (!onlySimpleContact(t.subject) || !onlySimpleContact(t.html) || !onlySimpleContact(t.text)) return null;
  const v = { ...safeValues(vars), contactName: CONTACT };
  for (const [k, x] of Object.entries(v)) if (k !== 'contactName' && typeof x === 'string' && x.includes(CONTACT)) return null;
  return {
    subject: compiled(t.subject, false)(v).split(CONTACT),
    html: compiled(t.html, true)(v).split(CONTACT),
    text: compiled(t.text, false)(v).split(CONTACT),
  };
}

export function fillSubject(p: PreparedParts, contactName: string): string {
  return p.subject.join(contactName.replace(CONTROL, '')).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function fillParts(p: PreparedParts, contactName: string): { subject: string; html: string; text: string } {
  const name = contactName.replace(CONTROL, '');
  return {
    subject: p.subject.join(name).replace(/\s*[\r\n]+\s*/g, ' ').trim(),
    html: p.html.length > 1 ? p.html.join(hb.escapeExpression(name)) : p.html[0]!,
    text: p.text.join(name),
  };
}
