import { describe, expect, it } from 'vitest';
import { buildIcs, icsAttendee, icsEnvelope } from '../../electron/core/notices/ics.js';
import { defaultTemplate, fillParts, fillSubject, LANGUAGES, prepareParts, renderParts, renderSubject, sampleVariables } from '../../electron/core/notices/templates.js';
import { NOTICE_KINDS } from '../../shared/contract/notices.js';

const NAMES = ['Ana', 'Bob <b@x> & "Co" \'x\' `y` =z', 'Zoë Ñandú 日本', 'two\nlines\r\nname', 'tab\there\u0007bell', '  spaced  ', '{{contactName}}'];

describe('templates prepared once per customer', () => {
  it('fill the pieces exactly as a full render would, for every built-in template and awkward names', () => {
    for (const lang of LANGUAGES)
      for (const kind of NOTICE_KINDS) {
        const t = defaultTemplate(kind, lang);
        const vars = { ...sampleVariables(), customerName: 'Acme <&>', contactName: '' };
        const p = prepareParts(t, vars);
        expect(p).not.toBeNull();
        for (const name of NAMES) {
          const full = renderParts(t, { ...vars, contactName: name });
          expect(fillParts(p!, name)).toEqual(full);
          expect(fillSubject(p!, name)).toBe(renderSubject(t.subject, { ...vars, contactName: name }));
        }
      }
  });

  it('uses contactName in the subject, triple-stash and loose spacing correctly', () => {
    const t = { subject: 'Hi {{contactName}}\n from {{ operator }}', html: '<p>{{ contactName }}</p><i>{{contactName}}</i>', text: '{{contactName}}/{{contactName}}' };
    const vars = { ...sampleVariables(), contactName: '' };
    const p = prepareParts(t, vars)!;
    expect(p.html).toHaveLength(3);
    for (const name of NAMES) expect(fillParts(p, name)).toEqual(renderParts(t, { ...vars, contactName: name }));
  });

  it('falls back to a full render when contactName is used in a block, a helper or unescaped', () => {
    const vars = { ...sampleVariables(), contactName: '' };
    const base = defaultTemplate('announce', 'en');
    expect(prepareParts({ ...base, html: '{{#if contactName}}Dear {{contactName}}{{else}}Hello{{/if}}' }, vars)).toBeNull();
    expect(prepareParts({ ...base, html: '<b>{{{contactName}}}</b>' }, vars)).toBeNull();
    expect(prepareParts({ ...base, text: '{{~contactName~}}' }, vars)).toBeNull();
    expect(prepareParts({ ...base, subject: '{{lookup . "contactName"}}' }, vars)).toBeNull();
  });
});

describe('invitation envelope', () => {
  it('envelope + attendee line is the same text buildIcs writes', () => {
    const base = { uid: 'w-1@puesta', sequence: 3, method: 'REQUEST' as const, start: '2026-03-29T01:00:00.000Z', end: '2026-03-29T02:30:00.000Z', summary: 'Upgrade, billing; portal', description: 'Short cuts\nbilling, portal', organizer: { name: 'Desk', email: 'desk@x.test' }, stamp: '2026-03-01T00:00:00.000Z' };
    for (const attendee of [{ name: 'Ana', email: 'a@x.test' }, { name: 'Zoë Ñandú '.repeat(8), email: 'long.address.for.folding@example.test' }, { name: '', email: 'n@x.test' }]) {
      const e = icsEnvelope(base);
      expect(e.head + icsAttendee(attendee) + e.tail).toBe(buildIcs({ ...base, attendee }));
    }
    const e = icsEnvelope({ ...base, organizer: null, method: 'CANCEL' });
    expect(e.head + e.tail).toBe(buildIcs({ ...base, organizer: null, method: 'CANCEL', attendee: null }));
    expect(e.head).toContain('STATUS:CANCELLED');
  });
});
