import { createElement, Fragment, memo, type ReactNode } from 'react';
import { findRanges, markRanges, parseAnsi, PLAIN, stripAnsi, type AnsiState } from './ansi.js';

/**
 * One log line with its ANSI colours, as React text nodes inside spans (never innerHTML):
 * whatever a host prints — `<script>`, `&amp;` — shows as the characters it is.
 * `search` (lower-case) marks the hits. (Plain createElement, so node-side tests can render it.)
 */
export const AnsiText = memo(function AnsiText({ text, start = PLAIN, search = '' }: { text: string; start?: AnsiState | null; search?: string }) {
  const { segments } = parseAnsi(text, start ?? PLAIN);
  const parts = search ? markRanges(segments, findRanges(stripAnsi(text), search)) : segments;
  const children: ReactNode[] = parts.map((s, i) => {
    const hit = 'hit' in s && s.hit;
    if (!s.cls && !s.color && !s.background && !hit) return s.text;
    const style = s.color || s.background ? { color: s.color, background: s.background } : undefined;
    const span = createElement('span', { key: i, className: s.cls || undefined, style }, s.text);
    return hit ? createElement('mark', { key: i, className: 'log-hit' }, span) : span;
  });
  return createElement(Fragment, null, ...children);
});
