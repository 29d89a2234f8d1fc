import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { endState, findRanges, markRanges, parseAnsi, PLAIN, stripAnsi } from '../../renderer/src/features/runs/ansi.js';
import { AnsiText } from '../../renderer/src/features/runs/AnsiText.js';
import { LogStore } from '../../renderer/src/features/runs/logStore.js';

const ESC = '\x1b';

describe('ANSI SGR → segments', () => {
  it('keeps plain text as one unstyled segment', () => {
    expect(parseAnsi('hello world').segments).toEqual([{ text: 'hello world', cls: '' }]);
    expect(parseAnsi('').segments).toEqual([]);
  });

  it('maps the 16 colours, bold and reset to classes', () => {
    const { segments, end } = parseAnsi(`a${ESC}[1;31mred${ESC}[0m b ${ESC}[92mgreen`);
    expect(segments).toEqual([
      { text: 'a', cls: '' },
      { text: 'red', cls: 'ansi-fg-1 ansi-bold' },
      { text: ' b ', cls: '' },
      { text: 'green', cls: 'ansi-fg-10' },
    ]);
    expect(end.fg).toBe(10);
  });

  it('handles 256 and true colour as inline colours, backgrounds and partial resets', () => {
    const s = parseAnsi(`${ESC}[38;5;196mx${ESC}[48;2;1;2;3my${ESC}[39mz${ESC}[49;22mw`).segments;
    expect(s[0]).toEqual({ text: 'x', cls: '', color: 'rgb(255,0,0)' });
    expect(s[1]).toEqual({ text: 'y', cls: '', color: 'rgb(255,0,0)', background: 'rgb(1,2,3)' });
    expect(s[2]).toEqual({ text: 'z', cls: '', background: 'rgb(1,2,3)' });
    expect(s[3]).toEqual({ text: 'w', cls: '' });
  });

  it('carries the state from one line to the next', () => {
    const end = endState(`${ESC}[33mwarning starts`, PLAIN);
    expect(parseAnsi('still yellow', end).segments).toEqual([{ text: 'still yellow', cls: 'ansi-fg-3' }]);
    expect(endState(`${ESC}[0m`, end)).toBe(PLAIN);
  });

  it('drops cursor moves, OSC titles and other escapes, and strips for search', () => {
    const raw = `${ESC}]0;title${ESC}\\${ESC}[2K${ESC}[1Gdone ${ESC}[32mok${ESC}[m`;
    expect(parseAnsi(raw).segments.map((x) => x.text).join('')).toBe('done ok');
    expect(stripAnsi(raw)).toBe('done ok');
  });

  it('marks search hits across styled segments', () => {
    const { segments } = parseAnsi(`ab${ESC}[31mcd${ESC}[0mef`);
    const ranges = findRanges('abcdef', 'bcd');
    expect(ranges).toEqual([[1, 4]]);
    const marked = markRanges(segments, ranges);
    expect(marked.map((m) => [m.text, m.cls, Boolean(m.hit)])).toEqual([
      ['a', '', false],
      ['b', '', true],
      ['cd', 'ansi-fg-1', true],
      ['ef', '', false],
    ]);
  });

  it('renders as escaped text: markup in a log never becomes HTML', () => {
    const html = renderToStaticMarkup(createElement(AnsiText, { text: `<script>alert(1)</script> & ${ESC}[31m<b>red</b>${ESC}[0m` }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; ');
    expect(html).toContain('<span class="ansi-fg-1">&lt;b&gt;red&lt;/b&gt;</span>');
  });
});

describe('log store', () => {
  const line = (id: number, text: string, over: Partial<{ serverId: number | null; stepIndex: number; stream: 'stdout' | 'stderr' | 'system' }> = {}) => ({
    id,
    stepIndex: over.stepIndex ?? 0,
    serverId: over.serverId === undefined ? 1 : over.serverId,
    attempt: 0,
    stream: over.stream ?? ('stdout' as const),
    seq: id,
    ts: '2026-01-01T00:00:00.000Z',
    text,
  });

  it('splits chunks into lines, joins a line cut across chunks, and ignores ids already seen', () => {
    const st = new LogStore();
    st.add([line(1, 'one\ntw'), line(2, 'o\nthree\n'), line(3, 'other host\n', { serverId: 2 })]);
    st.add([line(2, 'o\nthree\n')]);
    const p1 = st.pane(1);
    expect(p1.count).toBe(3);
    expect([0, 1, 2].map((i) => p1.text(i))).toEqual(['one', 'two', 'three']);
    expect(st.pane(2).count).toBe(1);
    expect(st.lastId).toBe(3);
  });

  it('keeps stderr and stdout pieces apart and filters by step and search', () => {
    const st = new LogStore();
    st.add([line(1, 'out part', { stepIndex: 0 }), line(2, 'err line\n', { stream: 'stderr', stepIndex: 0 }), line(3, 'Step two OK\n', { stepIndex: 1 })]);
    const p = st.pane(1);
    expect(p.count).toBe(3);
    expect(p.stream(1)).toBe('stderr');
    expect(p.filter(1, "").length).toBe(1);
    expect(p.filter(null, 'ok').map((i) => p.text(i))).toEqual(['Step two OK']);
  });

  it('joins a line cut across chunks even when the other stream wrote in between, and keeps a search up to date', () => {
    const st = new LogStore();
    const p = st.pane(1);
    st.add([line(1, 'first\nbench-li')]);
    expect(p.filter(null, 'bench-line')).toEqual([]);
    st.add([line(2, 'oops\n', { stream: 'stderr' }), line(3, 'ne 1\nbench-line 2\n')]);
    expect([0, 1, 2, 3].map((i) => p.text(i))).toEqual(['first', 'bench-line 1', 'oops', 'bench-line 2']);
    expect(p.filter(null, 'bench-line')).toEqual([1, 3]);
    expect(p.indexSome(10)).toBe(false);
  });

  it('ends the colour state cheaply at a reset and carries it otherwise', () => {
    expect(endState(`\x1b[31mred\x1b[0m`, PLAIN)).toBe(PLAIN);
    expect(endState(`\x1b[31mred`, PLAIN).fg).toBe(1);
  });
});

