/**
 * SQL text as PostgreSQL reads it: statements split on `;` outside quotes, dollar quotes and
 * comments (with the line each starts on), and the checksum of a patch that ignores comments and
 * whitespace, so a cosmetic edit is not a mismatch (the Flyway complaint) and a real one is.
 */
import { createHash } from 'node:crypto';

export interface Statement {
  /** Without comments, whitespace collapsed outside literals. */
  sql: string;
  /** 1-based line where the statement starts in its file. */
  line: number;
}

/** Tokens: the code outside comments, with whitespace collapsed; literals kept verbatim. */
function scan(text: string, onStatement: (sql: string, line: number) => void): void {
  let cur = '';
  let line = 1;
  let startLine = 0;
  let pendingSpace = false;
  const emit = (s: string) => {
    if (!cur && !startLine) startLine = line;
    // keep punctuation tight: "a ( b )" and "a(b)" read the same
    if (pendingSpace && cur && !/[(,=]$/.test(cur) && !/^[(),=]/.test(s)) cur += ' ';
    pendingSpace = false;
    cur += s;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const rest = text.startsWith.bind(text);
    if (c === '\n') {
      line++;
      pendingSpace = true;
      i++;
    } else if (/\s/.test(c)) {
      pendingSpace = true;
      i++;
    } else if (rest('--', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      pendingSpace = true;
    } else if (rest('/*', i)) {
      let depth = 0;
      do {
        if (rest('/*', i)) {
          depth++;
          i += 2;
        } else if (rest('*/', i)) {
          depth--;
          i += 2;
        } else {
          if (text[i] === '\n') line++;
          i++;
        }
      } while (depth > 0 && i < text.length);
      pendingSpace = true;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) break;
        if (text[j] === c) {
          if (text[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      const lit = text.slice(i, j + 1);
      emit(lit);
      line += lit.split('\n').length - 1;
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.test(text.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(text.slice(i, i + 64))![0];
      const end = text.indexOf(tag, i + tag.length);
      const stop = end < 0 ? text.length : end + tag.length;
      const lit = text.slice(i, stop);
      emit(lit);
      line += lit.split('\n').length - 1;
      i = stop;
    } else if (c === ';') {
      if (cur) onStatement(cur, startLine);
      cur = '';
      startLine = 0;
      pendingSpace = false;
      i++;
    } else {
      emit(c);
      i++;
    }
  }
  if (cur) onStatement(cur, startLine);
}

export function splitStatements(text: string): Statement[] {
  const out: Statement[] = [];
  scan(text, (sql, line) => out.push({ sql, line }));
  return out;
}

/** sha256 of the statements of each file, comments and whitespace left out. */
export function patchChecksum(files: { up: string; down: string | null; verify: string | null; guard: string | null }): string {
  const h = createHash('sha256');
  for (const [name, text] of Object.entries(files)) {
    h.update(`${name}\0`);
    if (text != null) for (const s of splitStatements(text)) h.update(s.sql + ';\n');
  }
  return h.digest('hex');
}

// ---------------------------------------------------------------- names
/** A table's name as PostgreSQL resolves it: unquoted identifiers fold to lower case, quoted ones stay as written. */
export interface QualifiedName {
  schema: string | null;
  name: string;
}

const IDENT = /^(?:"((?:[^"]|"")+)"|([A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*))/;
const DOT = /^\s*\.\s*/;

/** The identifier chain at `at` (`app."My Table".id`): its parts, folded / unquoted, and where it ends. */
function readChain(text: string, at: number): { parts: string[]; end: number } | null {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    const m = IDENT.exec(text.slice(i));
    if (!m) break;
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
    i += m[0].length;
    const dot = DOT.exec(text.slice(i));
    if (!dot || !IDENT.test(text.slice(i + dot[0].length))) break;
    i += dot[0].length;
  }
  return parts.length ? { parts, end: i } : null;
}

/** `orders`, `App.Orders`, `"My Table"`, `app."My Table"` → the name PostgreSQL resolves; null when it is not one. */
export function parseName(text: string): QualifiedName | null {
  const t = text.trim();
  const c = readChain(t, 0);
  if (!c || c.end !== t.length || c.parts.length > 2) return null;
  return c.parts.length === 2 ? { schema: c.parts[0]!, name: c.parts[1]! } : { schema: null, name: c.parts[0]! };
}

/** One identifier, quoted. */
export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const plain = (s: string): string => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : quoteIdent(s));

/** The name as written in the plan and the ledger: quoted only where it must be (`app.orders`, `"My Table"`). */
export function nameText(n: QualifiedName): string {
  return n.schema ? `${plain(n.schema)}.${plain(n.name)}` : plain(n.name);
}

/** The name as SQL, every part quoted (safe whatever the words: `"order"`). */
export function sqlName(n: QualifiedName): string {
  return n.schema ? `${quoteIdent(n.schema)}.${quoteIdent(n.name)}` : quoteIdent(n.name);
}

/**
 * The name of a table's copy in the trace's scratch schema: the table's own name, or "schema.name"
 * (one identifier holding a dot) for a qualified one, so `app.orders` and `public.orders` stay apart.
 */
export function copyName(table: string): string {
  const n = parseName(table);
  return n ? (n.schema ? `${n.schema}.${n.name}` : n.name) : table;
}

export interface Chain {
  parts: string[];
  start: number;
  end: number;
  /** Parentheses open around it (0: the statement's top level). */
  depth: number;
}

/** The identifier chains of a statement (outside literals and dollar quotes), in order. */
export function chainsOf(sql: string): Chain[] {
  const out: Chain[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      // E'…' strings escape with a backslash
      const e = i > 0 && /[eE]/.test(sql[i - 1]!) && !/[\w$]/.test(sql[i - 2] ?? '');
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" || (e && sql[j] === '\\') ? 2 : 1;
      i = j + 1;
    } else if (c === '$' && /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.test(sql.slice(i, i + 64)) && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? sql.length : end + tag.length;
    } else if ((c === '"' || IDENT.test(c)) && !/[\w$.]/.test(sql[i - 1] ?? '')) {
      const ch = readChain(sql, i);
      if (!ch) {
        i++;
        continue;
      }
      // E'…', B'…', X'…': a string's prefix, not a name
      if (sql[ch.end] === "'" && ch.end - i === 1) {
        i = ch.end;
        continue;
      }
      out.push({ parts: ch.parts, start: i, end: ch.end, depth });
      i = ch.end;
    } else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      i++;
    }
  }
  return out;
}

/** Replaces identifier chains: `fn` returns the new text of a chain, or null to keep it. */
export function replaceChains(sql: string, fn: (parts: string[]) => string | null): string {
  let out = '';
  let at = 0;
  for (const ch of chainsOf(sql)) {
    const r = fn(ch.parts);
    if (r == null) continue;
    out += sql.slice(at, ch.start) + r;
    at = ch.end;
  }
  return out + sql.slice(at);
}

/** Where these keywords stand at the top level of a statement (outside parentheses, literals and dollar quotes). */
export function topLevelWords(sql: string, words: readonly string[]): { word: string; at: number }[] {
  const want = new Set(words.map((w) => w.toLowerCase()));
  return chainsOf(sql)
    .filter((c) => c.depth === 0 && c.parts.length === 1 && sql[c.start] !== '"' && want.has(c.parts[0]!))
    .map((c) => ({ word: c.parts[0]!, at: c.start }));
}
