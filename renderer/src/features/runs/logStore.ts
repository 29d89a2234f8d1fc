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
  /**
   * Per stream (stdout, stderr, system): the line still open (its chunk had no trailing newline)
   * and its step/attempt. The rest of it may come after chunks of the other streams.
   */
  private openAt: number[] = [-1, -1, -1];
  private openKey: string[] = ['', '', ''];
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
    const key = `${l.stepIndex}/${l.attempt}`;
    const meta = (l.stepIndex << 2) | code;
    const parts = l.text.split('\n');
    // a chunk ending in \n gives a last empty part: nothing open after it
    const endsClosed = parts[parts.length - 1] === '';
    if (endsClosed) parts.pop();
    let first = 0;
    let state = this.ansiEnd[code]!;
    const open = this.openAt[code]!;
    if (open >= 0 && this.openKey[code] === key && parts.length) {
      this.texts[open] = clean(this.texts[open]! + parts[0]!);
      this.touched(open);
      state = endState(parts[0]!, state);
      first = 1;
    }
    for (let p = first; p < parts.length; p++) {
      const t = clean(parts[p]!);
      this.texts.push(t);
      this.meta.push(meta);
      this.starts.push(isPlain(state) ? null : state);
      state = endState(t, state);
    }
    this.ansiEnd[code] = state;
    if (endsClosed) this.openAt[code] = -1;
    else if (parts.length > first) this.openAt[code] = this.texts.length - 1;
    this.openKey[code] = key;
    this.version++;
  }

  /** A line already indexed/scanned changed: forget what was derived from it. */
  private touched(i: number): void {
    if (i < this.lower.length) this.lower[i] = undefined as unknown as string;
    if (this.cache && i < this.cache.scanned) {
      const c = this.cache;
      c.scanned = i;
      while (c.result.length && c.result[c.result.length - 1]! >= i) c.result.pop();
    }
  }

  /** Builds some of the search index (lower-case text without escapes); false when complete. */
  indexSome(max: number): boolean {
    const n = Math.min(this.texts.length, this.lower.length + max);
    for (let j = this.lower.length; j < n; j++) this.lower[j] = stripAnsi(this.texts[j]!).toLowerCase();
    return this.lower.length < this.texts.length;
  }

  private lowerOf(i: number): string {
    let s = this.lower[i];
    if (s === undefined) {
      for (let j = this.lower.length; j <= i; j++) this.lower[j] = stripAnsi(this.texts[j]!).toLowerCase();
      s = this.lower[i];
      if (s === undefined) s = this.lower[i] = stripAnsi(this.texts[i]!).toLowerCase();
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
    const n = this.texts.length;
    for (let i = c.scanned; i < n; i++) {
      if (step !== null && this.meta[i]! >> 2 !== step) continue;
      if (q && this.lowerOf(i).indexOf(q) < 0) continue;
      c.result.push(i);
    }
    // a line that grows later (its chunk had no newline) is scanned again: see touched()
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

  /** Builds some of every pane's search index; false when all is indexed. */
  indexSome(max: number): boolean {
    let more = false;
    for (const p of this.panes.values()) if (p.indexSome(max)) more = true;
    return more;
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
