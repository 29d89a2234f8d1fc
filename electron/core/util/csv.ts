/** CSV files Puesta writes: safe to open in a spreadsheet, and read as UTF-8 by Excel on Windows. */
import Papa from 'papaparse';

/**
 * Cells a spreadsheet would evaluate (OWASP's list: = + - @ tab CR) are written behind a `'`, which
 * spreadsheets show as text. Papaparse's own pattern ends in `.*$`, which misses a formula followed
 * by a line break, so the test is on the first character only. Cells already starting with `'` before
 * such a character get one more, so reading back (which drops one) returns exactly what was stored.
 */
export const FORMULA = /^'*[=+\-@\t\r]/;

/** The header and rows as CSV text, with a BOM (so Excel on Windows does not use the local code page). */
export function toCsv(fields: readonly string[], rows: readonly (readonly string[])[]): string {
  return '\uFEFF' + Papa.unparse({ fields: [...fields], data: rows.map((r) => [...r]) }, { newline: '\n', escapeFormulae: FORMULA }) + '\n';
}
