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
