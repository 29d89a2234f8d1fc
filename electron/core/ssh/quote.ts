/**
 * THE quoting function. Every value that reaches a remote shell goes through `shq`.
 * POSIX sh single-quoting: wrap in '…' and turn each ' into '\''. Inside single quotes no
 * character is special (no $, `, \, globs, newlines), so the word arrives byte-identical.
 * NUL cannot travel in a C string (argv/environment): it is refused, never silently dropped.
 * Lone UTF-16 surrogates cannot be encoded as UTF-8 (they would arrive as U+FFFD): refused too.
 * A bare (unquoted) word is returned only for a small safe alphabet without `=` (so a value can
 * never turn into a `VAR=…` assignment at command position). Quoting does not stop a value that
 * starts with `-` from being read as an option by the command: templates put `--` before operands.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function shq(value: string | number | boolean): string {
  const s = String(value);
  if (s.includes('\0')) throw new RangeError('a shell word cannot contain a NUL byte');
  if (LONE_SURROGATE.test(s)) throw new RangeError('a shell word must be valid Unicode (it contains a lone surrogate)');
  if (s !== '' && /^[A-Za-z0-9_/.,:@%+-]+$/.test(s) && !s.startsWith('-')) return s;
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/** Joins already-separate words into one command line, each word quoted. */
export function shJoin(words: readonly (string | number)[]): string {
  return words.map(shq).join(' ');
}

/**
 * A command template: `sh\`mkdir -p ${dir}\`` quotes every interpolated value;
 * use `raw()` for a trusted fragment (e.g. an operator's own command).
 */
export interface RawShell {
  readonly __raw: string;
}
export const raw = (s: string): RawShell => ({ __raw: s });

export function sh(strings: TemplateStringsArray, ...values: (string | number | boolean | RawShell | readonly (string | number)[])[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (typeof v === 'object' && v !== null && '__raw' in v) out += v.__raw;
    else if (Array.isArray(v)) out += shJoin(v);
    else out += shq(v as string | number | boolean);
    out += strings[i + 1] ?? '';
  });
  return out;
}
