/**
 * RFC 5545 / iTIP invitation text, hand-written (small, and every line under our control):
 * CRLF line ends, lines folded at 75 octets, TEXT values escaped. The UID is stable per window;
 * SEQUENCE grows with every change of title/start/end; a cancel is METHOD:CANCEL + STATUS:CANCELLED.
 */

export interface IcsInput {
  uid: string;
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  start: string;
  end: string;
  summary: string;
  description: string;
  organizer: { name: string; email: string } | null;
  attendee: { name: string; email: string } | null;
  /** DTSTAMP; defaults to now. */
  stamp?: string;
}

export function icsDate(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

function escapeParam(s: string): string {
  const clean = s.replace(/["\r\n\u0000-\u001f]/g, '');
  return /[;:,]/.test(clean) ? `"${clean}"` : clean;
}

/** Folds a content line to ≤ 75 octets per physical line, never splitting a UTF-8 sequence. */
export function fold(line: string): string {
  if (line.length <= 75 && !/[^\x00-\x7f]/.test(line)) return line;
  if (!/[^\x00-\x7f]/.test(line)) {
    // ASCII: one byte per character.
    const parts = [line.slice(0, 75)];
    for (let i = 75; i < line.length; i += 74) parts.push(line.slice(i, i + 74));
    return parts.join('\r\n ');
  }
  if (Buffer.byteLength(line, 'utf8') <= 75) return line;
  const parts: string[] = [];
  let cur = '';
  let curBytes = 0;
  let limit = 75;
  for (const ch of line) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (curBytes + b > limit) {
      parts.push(cur);
      cur = '';
      curBytes = 0;
      limit = 74; // continuation lines start with a space
    }
    cur += ch;
    curBytes += b;
  }
  parts.push(cur);
  return parts.join('\r\n ');
}

export function buildIcs(i: IcsInput): string {
  const { head, tail } = icsEnvelope(i);
  return head + (i.attendee ? icsAttendee(i.attendee) : '') + tail;
}

/**
 * Everything of an invitation but its ATTENDEE line (which goes between `head` and `tail`): built
 * once per campaign × customer, the attendee line per recipient.
 */
export function icsEnvelope(i: Omit<IcsInput, 'attendee'>): { head: string; tail: string } {
  const cancel = i.method === 'CANCEL';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Puesta//Release desk//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${i.method}`,
    'BEGIN:VEVENT',
    `UID:${i.uid}`,
    `SEQUENCE:${i.sequence}`,
    `DTSTAMP:${icsDate(i.stamp ?? new Date().toISOString())}`,
    `DTSTART:${icsDate(i.start)}`,
    `DTEND:${icsDate(i.end)}`,
    `SUMMARY:${escapeText(i.summary)}`,
    `DESCRIPTION:${escapeText(i.description)}`,
    `STATUS:${cancel ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
  ];
  if (i.organizer) lines.push(`ORGANIZER;CN=${escapeParam(i.organizer.name || i.organizer.email)}:mailto:${i.organizer.email}`);
  return { head: lines.map(fold).join('\r\n') + '\r\n', tail: 'END:VEVENT\r\nEND:VCALENDAR\r\n' };
}

/** The folded ATTENDEE content line, CRLF included. */
export function icsAttendee(a: { name: string; email: string }): string {
  return fold(`ATTENDEE;CN=${escapeParam(a.name || a.email)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:${a.email}`) + '\r\n';
}

/** "Desk <ops@x.org>" → {name, email}. */
export function parseAddress(a: string): { name: string; email: string } | null {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(a);
  if (m) return { name: m[1]!.trim(), email: m[2]!.trim() };
  const t = a.trim();
  return t.includes('@') ? { name: '', email: t } : null;
}
