import type { LogLine } from '../../../../shared/contract/runs.js';
import { endState, isPlain, PLAIN, stripAnsi, type AnsiState } from './ansi.js';

const STREAM_CODE = { stdout: 0, stderr: 1, system: 2 } as const;
export type StreamName = keyof typeof STREAM_CODE;
const STREAM_NAME: StreamName[] = ['stdout', 'stderr', 'system'];
/** A very long line (minified output) is cut for display; search still sees what is kept. */
const MAX_LINE = 4000;

/**
 * The lines of one host in a compact form: parallel arrays (text, packed step/stream, ANSI state
 * at the line's start — shared references, null when plain), built as chunks arrive.
 */
export class PaneLines {
  private texts: string[] = [];
  private meta: number[] = [];
  private starts: (AnsiState | null)[] = [];
  /** Lower-case text without escapes, filled lazily on the first search. */
  private lower: string[] = [];
  /** The last line is still open (its chunk had no trailing newline); its key is step/attempt/stream. */
  private openKey: string | null = null;
  private ansiEnd: AnsiState[] = [PLAIN, PLAIN, PLAIN];
  private cache: { step: number | null; q: string; scanned: number; result: number[] } | null = null;
  version = 0;

  get count(): number {
    return this.texts.length;
  }
  text(i: number): string {
    return this.texts[i] ?? '';
  }
  start(i: number): AnsiState | null {
    return this.starts[i] ?? null;
  }
  step(i: number): number {
    return (this.meta[i] ?? 0) >> 2;
  }
  stream(i: number): StreamName {
    return STREAM_NAME[(this.meta[i] ?? 0) & 3]!;
  }

  append(l: LogLine): void {
    const code = STREAM_CODE[l.stream];
    const key = `${l.stepIndex}/${l.attempt}/${code}`;
    const meta = (l.stepIndex << 2) | code;
    const parts = l.text.split('\n');
    // a chunk ending in \n gives a last empty part: nothing open after it
    const endsClosed = parts[parts.length - 1] === '';
    if (endsClosed) parts.pop();
    let first = 0;
    if (this.openKey === key && parts.length) {
      const i = this.texts.length - 1;
      this.texts[i] = clean(this.texts[i]! + parts[0]!);
      if (this.lower.length > i) this.lower.length = i;
      first = 1;
    }
    let state = this.ansiEnd[code]!;
    if (first === 1) state = endState(parts[0]!, state);
    for (let p = first; p < parts.length; p++) {
      const t = clean(parts[p]!);
      this.texts.push(t);
      this.meta.push(meta);
      this.starts.push(isPlain(state) ? null : state);
      state = endState(t, state);
    }
    this.ansiEnd[code] = state;
    this.openKey = endsClosed ? null : key;
    this.version++;
  }

  private lowerOf(i: number): string {
    let s = this.lower[i];
    if (s === undefined) {
      for (let j = this.lower.length; j <= i; j++) this.lower[j] = stripAnsi(this.texts[j]!).toLowerCase();
      s = this.lower[i]!;
    }
    return s;
  }

  /**
   * Indices of the lines of one step (null: all) containing `q` (lower-case, '' = any).
   * Incremental: a repeated call only scans the lines added since.
   */
  filter(step: number | null, q: string): number[] {
    let c = this.cache;
    if (!c || c.step !== step || c.q !== q) c = this.cache = { step, q, scanned: 0, result: [] };
    // the last line may have grown since the previous scan: look at it again
    const from = Math.max(0, Math.min(c.scanned, this.texts.length) - 1);
    while (c.result.length && c.result[c.result.length - 1]! >= from) c.result.pop();
    const n = this.texts.length;
    if (q && n > 0) this.lowerOf(n - 1);
    for (let i = from; i < n; i++) {
      if (step !== null && this.meta[i]! >> 2 !== step) continue;
      if (q && this.lower[i]!.indexOf(q) < 0) continue;
      c.result.push(i);
    }
    c.scanned = n;
    return c.result;
  }
}

function clean(t: string): string {
  let s = t.endsWith('\r') ? t.slice(0, -1) : t;
  const cr = s.lastIndexOf('\r');
  if (cr >= 0) s = s.slice(cr + 1); // progress bars redraw the line: keep the last state
  return s.length > MAX_LINE ? s.slice(0, MAX_LINE) + ' …' : s;
}

/** Every pane of a run, keyed by server id (0: lines not tied to a host). */
export class LogStore {
  private panes = new Map<number, PaneLines>();
  lastId = 0;
  total = 0;

  pane(serverId: number | null): PaneLines {
    const k = serverId ?? 0;
    let p = this.panes.get(k);
    if (!p) {
      p = new PaneLines();
      this.panes.set(k, p);
    }
    return p;
  }

  has(serverId: number | null): boolean {
    return this.panes.has(serverId ?? 0);
  }

  /** Adds lines in id order; ids already seen (a page and an event overlapping) are ignored. */
  add(lines: readonly LogLine[]): number {
    let n = 0;
    for (const l of lines) {
      if (l.id <= this.lastId) continue;
      this.lastId = l.id;
      this.pane(l.serverId).append(l);
      n++;
    }
    this.total += n;
    return n;
  }
}
