/**
 * A small ANSI SGR → styled segments converter for the run logs.
 *
 * It keeps colours (16, 256 and true colour), bold, dim, italic, underline and inverse; every other
 * escape sequence (cursor moves, OSC titles, erase line) is dropped. The output is plain data —
 * text plus a class list and optional inline colours — rendered by React as text nodes, so nothing
 * from a log ever becomes markup.
 *
 * SGR state carries over from one line to the next (a colour set on one line and reset on a later
 * one colours the lines between), so the log store keeps the state at the start of each line.
 */

export interface AnsiState {
  /** 0–15: the 16 palette colours (classes); 16–255: xterm 256 colours; or an rgb() string. */
  fg: number | string | null;
  bg: number | string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
}

export interface AnsiSegment {
  text: string;
  /** Space-separated class names (ansi-fg-1, ansi-bold …); '' for plain text. */
  cls: string;
  /** Inline colours for 256 / true colour. */
  color?: string;
  background?: string;
}

export const PLAIN: AnsiState = Object.freeze({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false });

export function isPlain(s: AnsiState): boolean {
  return s.fg === null && s.bg === null && !s.bold && !s.dim && !s.italic && !s.underline && !s.inverse;
}

/** ESC [ params final — CSI; ESC ] … BEL/ST — OSC; ESC + one char — other escapes. */
const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

/** The text without any escape sequence (what a search looks at). */
export function stripAnsi(text: string): string {
  return text.indexOf('\x1b') < 0 ? text : text.replace(ESCAPES, '');
}

function cube(n: number): string {
  // xterm 256-colour palette: 16–231 a 6×6×6 cube, 232–255 greys.
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g},${g},${g})`;
  }
  const i = n - 16;
  const lv = [0, 95, 135, 175, 215, 255];
  return `rgb(${lv[Math.floor(i / 36) % 6]},${lv[Math.floor(i / 6) % 6]},${lv[i % 6]})`;
}

/** Applies one SGR parameter list to a state (returns a new state, the input is never changed). */
export function applySgr(state: AnsiState, params: string): AnsiState {
  const s: AnsiState = { ...state };
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) Object.assign(s, PLAIN);
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c === 27) s.inverse = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c === 49) s.bg = null;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 38 || c === 48) {
      const mode = codes[i + 1];
      let v: number | string | null = null;
      if (mode === 5 && codes[i + 2] !== undefined) {
        const n = codes[i + 2]!;
        v = n >= 0 && n < 16 ? n : n >= 16 && n <= 255 ? cube(n) : null;
        i += 2;
      } else if (mode === 2 && codes[i + 4] !== undefined) {
        const [r, g, b] = [codes[i + 2]!, codes[i + 3]!, codes[i + 4]!].map((x) => Math.max(0, Math.min(255, x | 0)));
        v = `rgb(${r},${g},${b})`;
        i += 4;
      } else {
        i = codes.length; // malformed: ignore the rest
      }
      if (v !== null) {
        if (c === 38) s.fg = v;
        else s.bg = v;
      }
    }
    // anything else (blink, fonts, …): ignored
  }
  return s;
}

function segmentFor(text: string, s: AnsiState): AnsiSegment {
  if (isPlain(s)) return { text, cls: '' };
  let fg = s.fg;
  let bg = s.bg;
  const cls: string[] = [];
  if (s.inverse) {
    [fg, bg] = [bg ?? 'inv-fg', fg ?? 'inv-bg'];
  }
  const seg: AnsiSegment = { text, cls: '' };
  if (fg === 'inv-fg') cls.push('ansi-inv-fg');
  else if (typeof fg === 'number') cls.push(`ansi-fg-${fg}`);
  else if (typeof fg === 'string') seg.color = fg;
  if (bg === 'inv-bg') cls.push('ansi-inv-bg');
  else if (typeof bg === 'number') cls.push(`ansi-bg-${bg}`);
  else if (typeof bg === 'string') seg.background = bg;
  if (s.bold) cls.push('ansi-bold');
  if (s.dim) cls.push('ansi-dim');
  if (s.italic) cls.push('ansi-italic');
  if (s.underline) cls.push('ansi-underline');
  seg.cls = cls.join(' ');
  return seg;
}

/**
 * Parses one line (or any text) starting from `start`; returns its segments and the state at its end.
 * Adjacent runs with the same style are merged; empty text gives no segment.
 */
export function parseAnsi(text: string, start: AnsiState = PLAIN): { segments: AnsiSegment[]; end: AnsiState } {
  if (text.indexOf('\x1b') < 0) return { segments: text ? [segmentFor(text, start)] : [], end: start };
  const segments: AnsiSegment[] = [];
  let state = start;
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const seg = segmentFor(t, state);
    const prev = segments[segments.length - 1];
    if (prev && prev.cls === seg.cls && prev.color === seg.color && prev.background === seg.background) prev.text += t;
    else segments.push(seg);
  };
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(text); m; m = ESCAPES.exec(text)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm' && m[1] !== undefined && !m[1].startsWith('?')) state = applySgr(state, m[1]);
    if (m[0].length === 0) ESCAPES.lastIndex++;
  }
  push(text.slice(last));
  return { segments, end: state };
}

/** The SGR state after a text (cheap when the text has no escapes). */
export function endState(text: string, start: AnsiState): AnsiState {
  const esc = text.lastIndexOf('\x1b');
  if (esc < 0) return start;
  // the usual case: the line's last escape is a full reset — whatever came before, it ends plain
  if (text.startsWith('\x1b[0m', esc) || text.startsWith('\x1b[m', esc)) return PLAIN;
  let state = start;
  ESCAPES.lastIndex = 0;
  for (let m = ESCAPES.exec(text); m; m = ESCAPES.exec(text)) {
    if (m[2] === 'm' && m[1] !== undefined && !m[1].startsWith('?')) state = applySgr(state, m[1]);
    if (m[0].length === 0) ESCAPES.lastIndex++;
  }
  return isPlain(state) ? PLAIN : state;
}

/**
 * Splits segments so that the ranges [from, to) of the plain text are marked (search hits).
 * `ranges` must be sorted and non-overlapping.
 */
export function markRanges(segments: AnsiSegment[], ranges: [number, number][]): (AnsiSegment & { hit?: boolean })[] {
  if (!ranges.length) return segments;
  const out: (AnsiSegment & { hit?: boolean })[] = [];
  let pos = 0;
  let r = 0;
  for (const seg of segments) {
    const segEnd = pos + seg.text.length;
    let cur = pos;
    while (cur < segEnd) {
      while (r < ranges.length && ranges[r]![1] <= cur) r++;
      const range = ranges[r];
      if (!range || range[0] >= segEnd) {
        out.push({ ...seg, text: seg.text.slice(cur - pos) });
        cur = segEnd;
      } else if (range[0] > cur) {
        out.push({ ...seg, text: seg.text.slice(cur - pos, range[0] - pos) });
        cur = range[0];
      } else {
        const end = Math.min(range[1], segEnd);
        out.push({ ...seg, text: seg.text.slice(cur - pos, end - pos), hit: true });
        cur = end;
      }
    }
    pos = segEnd;
  }
  return out;
}

/** Case-insensitive occurrences of `needle` (already lower-case) in `hay`. */
export function findRanges(hay: string, needle: string): [number, number][] {
  if (!needle) return [];
  const lower = hay.toLowerCase();
  const out: [number, number][] = [];
  for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, i + needle.length)) out.push([i, i + needle.length]);
  return out;
}
