/**
 * The contract notices' templates: built-in English and Spanish per kind, the operator's edits kept
 * in `notice_templates` next to the window notices' (the kinds do not overlap), rendered with the
 * notices' Handlebars setup (`renderFlat`).
 */
import { CONTRACT_NOTICE_KINDS, type ContractNoticeKind, type ContractTemplate } from '../../../shared/contract/contracts.js';
import type { Core } from '../core.js';
import { hasStoredTemplate, storedLanguages, storedTemplate } from '../notices/template-store.js';
import { LANGUAGES, renderFlat, resetStoredTemplate, saveCheckedTemplate } from '../notices/templates.js';

export const CONTRACT_VARIABLES: { name: string; description: string }[] = [
  { name: 'customerName', description: 'The customer' },
  { name: 'contactName', description: 'The recipient' },
  { name: 'reference', description: 'The contract reference' },
  { name: 'endDate', description: 'The contract’s last day, in the customer’s language' },
  { name: 'days', description: 'Reminders: days before the end date; overdue reminders: days after it' },
  { name: 'graceEndDate', description: 'The last day of grace before the service may be suspended' },
  { name: 'applications', description: 'The applications the contract covers (the suspended one for suspensions)' },
  { name: 'operator', description: 'The name notices are signed with (Settings → SMTP: sender name)' },
  { name: 'signature', description: 'The lines under that name (Settings → SMTP: signature)' },
];

export type ContractVariables = Record<(typeof CONTRACT_VARIABLES)[number]['name'], string | number>;

const SAMPLE: ContractVariables = {
  customerName: 'Sample customer',
  contactName: 'Sample contact',
  reference: 'C-2026-001',
  endDate: 'Monday, November 30, 2026',
  days: 14,
  graceEndDate: 'Tuesday, December 15, 2026',
  applications: 'billing, portal',
  operator: 'Release desk',
  signature: 'Operations team · +34 900 000 000',
};

type Lang = (typeof LANGUAGES)[number];
const WORDS: Record<Lang, { hello: string; sign: string; kinds: Record<ContractNoticeKind, { subject: string; body: string }> }> = {
  en: {
    hello: 'Hello {{contactName}},',
    sign: 'Regards,\n{{operator}}',
    kinds: {
      contract_reminder: {
        subject: 'Your hosting contract {{reference}} ends in {{days}} days',
        body: 'The hosting contract {{reference}} of {{customerName}} ends on {{endDate}}. It covers: {{applications}}. Please contact us to renew it so that the service continues without interruption.',
      },
      contract_expired: {
        subject: 'Your hosting contract {{reference}} has ended',
        body: 'The hosting contract {{reference}} of {{customerName}} ended on {{endDate}}. The service continues during a grace period until {{graceEndDate}}; after that it may be suspended. Please contact us to renew it.',
      },
      contract_overdue: {
        subject: 'Overdue: hosting contract {{reference}} ended {{days}} days ago',
        body: 'The hosting contract {{reference}} of {{customerName}} ended on {{endDate}} and has not been renewed. The grace period ends on {{graceEndDate}}; after that the service ({{applications}}) may be suspended.',
      },
      contract_suspended: {
        subject: 'Service suspended: {{applications}} (contract {{reference}})',
        body: 'The service {{applications}} of {{customerName}} has been suspended under the hosting contract {{reference}}. Your data is kept. Please contact us to regularise the contract and restore the service.',
      },
      contract_reinstated: {
        subject: 'Service restored: {{applications}} (contract {{reference}})',
        body: 'The service {{applications}} of {{customerName}} is available again under the hosting contract {{reference}}, now valid until {{endDate}}. Thank you.',
      },
    },
  },
  es: {
    hello: 'Hola, {{contactName}}:',
    sign: 'Un saludo,\n{{operator}}',
    kinds: {
      contract_reminder: {
        subject: 'Su contrato de alojamiento {{reference}} vence dentro de {{days}} días',
        body: 'El contrato de alojamiento {{reference}} de {{customerName}} vence el {{endDate}}. Cubre: {{applications}}. Póngase en contacto con nosotros para renovarlo y que el servicio continúe sin interrupción.',
      },
      contract_expired: {
        subject: 'Su contrato de alojamiento {{reference}} ha vencido',
        body: 'El contrato de alojamiento {{reference}} de {{customerName}} venció el {{endDate}}. El servicio continúa durante un periodo de gracia hasta el {{graceEndDate}}; después podría suspenderse. Póngase en contacto con nosotros para renovarlo.',
      },
      contract_overdue: {
        subject: 'Vencido: el contrato de alojamiento {{reference}} venció hace {{days}} días',
        body: 'El contrato de alojamiento {{reference}} de {{customerName}} venció el {{endDate}} y no se ha renovado. El periodo de gracia termina el {{graceEndDate}}; después el servicio ({{applications}}) podría suspenderse.',
      },
      contract_suspended: {
        subject: 'Servicio suspendido: {{applications}} (contrato {{reference}})',
        body: 'El servicio {{applications}} de {{customerName}} se ha suspendido en virtud del contrato de alojamiento {{reference}}. Sus datos se conservan. Póngase en contacto con nosotros para regularizar el contrato y restablecer el servicio.',
      },
      contract_reinstated: {
        subject: 'Servicio restablecido: {{applications}} (contrato {{reference}})',
        body: 'El servicio {{applications}} de {{customerName}} vuelve a estar disponible con el contrato de alojamiento {{reference}}, vigente hasta el {{endDate}}. Gracias.',
      },
    },
  },
};

const isBuiltIn = (language: string): language is Lang => (LANGUAGES as readonly string[]).includes(language);

export function defaultContractTemplate(kind: ContractNoticeKind, language: string): { subject: string; html: string; text: string } {
  const w = WORDS[isBuiltIn(language) ? language : 'en'];
  const k = w.kinds[kind];
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.4">',
    `<p>${w.hello}</p>`,
    `<p>${k.body}</p>`,
    `<p>${w.sign.replace('\n', '<br>')}{{#if signature}}<br><span style="white-space: pre-line">{{signature}}</span>{{/if}}</p>`,
    '</body></html>',
  ].join('\n');
  const text = [w.hello, '', k.body, '', w.sign + '{{#if signature}}\n{{signature}}{{/if}}', ''].join('\n');
  return { subject: k.subject, html, text };
}

export function getContractTemplate(core: Core, kind: ContractNoticeKind, language: string): ContractTemplate {
  const r = storedTemplate(core, kind, language);
  if (r) return { kind, language, subject: r.subject, html: r.html, text: r.text, builtIn: false, updatedAt: r.updatedAt };
  return { kind, language, ...defaultContractTemplate(kind, language), builtIn: true, updatedAt: null };
}

export function listContractTemplates(core: Core): ContractTemplate[] {
  const langs = [...new Set([...LANGUAGES, ...storedLanguages(core)])];
  return langs.flatMap((language) => CONTRACT_NOTICE_KINDS.map((kind) => getContractTemplate(core, kind, language)));
}

export function saveContractTemplate(core: Core, t: { kind: ContractNoticeKind; language: string; subject: string; html: string; text: string }): ContractTemplate {
  return saveCheckedTemplate(core, t, () => renderFlat(t, SAMPLE), getContractTemplate);
}

export function resetContractTemplate(core: Core, kind: ContractNoticeKind, language: string): ContractTemplate {
  return resetStoredTemplate(core, kind, language, getContractTemplate);
}

/** The customer's language if it has a template (edited or built in), else English. */
export function renderContractNotice(core: Core, kind: ContractNoticeKind, language: string, vars: ContractVariables): { subject: string; html: string; text: string } {
  const lang = hasStoredTemplate(core, kind, language) || isBuiltIn(language) ? language : 'en';
  return renderFlat(getContractTemplate(core, kind, lang), vars);
}
