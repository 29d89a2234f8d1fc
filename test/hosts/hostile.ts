/**
 * Hostile strings for the quoting tests: quotes, command substitution, backticks, newlines,
 * control bytes, unicode, leading dashes, globs, redirections. Every attempt to run something
 * targets a canary path, so a test can assert that nothing else ran.
 */
export const CANARY = '/srv/puesta-pwned';
export const CANARY_TMP = '/tmp/puesta-pwned';

const BASE: string[] = [
  '',
  ' ',
  "'",
  "''",
  '"',
  '""',
  '\\',
  "\\'",
  '\\"',
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `'$(touch ${CANARY})'`,
  `"$(touch ${CANARY})"`,
  `'; touch ${CANARY}; '`,
  `"; touch ${CANARY}; "`,
  `; touch ${CANARY}`,
  `&& touch ${CANARY}`,
  `|| touch ${CANARY}`,
  `| touch ${CANARY}`,
  `& touch ${CANARY} &`,
  `\ntouch ${CANARY}\n`,
  `\r\ntouch ${CANARY}\r\n`,
  `> ${CANARY}`,
  `>> ${CANARY}`,
  `< /etc/passwd`,
  `<(touch ${CANARY})`,
  `>(touch ${CANARY})`,
  `<<EOF\ntouch ${CANARY}\nEOF`,
  '${IFS}',
  '$HOME',
  '$$',
  '$?',
  '$0',
  '$@',
  '${PATH:0:1}',
  '$((1+1))',
  `\${x:-$(touch ${CANARY})}`,
  '*',
  '?',
  '[a-z]*',
  '/*',
  '.*',
  '~',
  '~root',
  '{a,b}',
  '{1..3}',
  '-rf',
  '--help',
  '-n',
  '-e',
  '--',
  '-',
  '!!',
  '!$',
  '#comment',
  'a#b',
  '\t',
  'tab\tand  spaces',
  'héllo wörld',
  '日本語のテキスト',
  '🚀 rocket',
  '\u202eRTL override',
  'zero\u200bwidth',
  'e\u0301 combining',
  '\u0001\u0002\u0003\u001b[31mred\u001b[0m',
  '\u007f',
  '%s%n%x',
  'back\\\nslash-newline',
  "it's",
  'a=b',
  `PATH=/nonexistent touch ${CANARY}`,
  'x'.repeat(10_000),
  `${'\''.repeat(50)}`,
  `eval touch ${CANARY}`,
  `exec touch ${CANARY}`,
  `\\$(touch ${CANARY})`,
  `$'\\x41'`,
  `'"'"'$(touch ${CANARY})'"'"'`,
  `\u0000`.slice(1) + 'after-empty-nul-slice',
  `touch ${CANARY_TMP}`,
];

/** ≥ 200 distinct hostile strings (NUL-free; NUL is refused by `shq`, tested separately). */
export function hostileStrings(): string[] {
  const out = new Set<string>();
  for (const b of BASE) {
    out.add(b);
    out.add(`x${b}y`);
    out.add(`${b}${b}`);
    out.add(`'${b}'`);
    out.add(`-${b}`);
  }
  return [...out];
}
