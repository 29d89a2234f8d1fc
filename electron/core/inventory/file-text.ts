import { PuestaError } from '../../../shared/errors.js';

/**
 * An imported file's bytes → its text. A decoder that quietly puts U+FFFD in place of bytes that are
 * not UTF-8 would import "Jos� P�rez" without a word, so invalid UTF-8 is refused with where it
 * breaks; the operator can then say which encoding the file is really in.
 */

export type Charset = 'utf-8' | 'windows-1252';

export function decodeFile(bytes: Uint8Array, charset: Charset): string {
  if (charset !== 'utf-8') return new TextDecoder(charset).decode(bytes);
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    let row = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) row++;
    const hex = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    throw new PuestaError(
      'INVALID_INPUT',
      `The file is not valid UTF-8: row ${row}, byte ${bad + 1} (0x${hex}) is not part of a UTF-8 character. Save it as UTF-8, or choose the encoding it was saved in (e.g. Windows-1252 / Latin-1).`,
      { field: 'charset', row, byte: bad + 1 },
    );
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** Index of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629 table), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < b.length && b[i]! >= lo && b[i]! <= hi;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let n: number;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) n = 2;
    else if (c === 0xe0 && cont(i + 1, 0xa0) && cont(i + 2)) n = 3;
    else if (((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) && cont(i + 1) && cont(i + 2)) n = 3;
    else if (c === 0xed && cont(i + 1, 0x80, 0x9f) && cont(i + 2)) n = 3;
    else if (c === 0xf0 && cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3)) n = 4;
    else if (c >= 0xf1 && c <= 0xf3 && cont(i + 1) && cont(i + 2) && cont(i + 3)) n = 4;
    else if (c === 0xf4 && cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3)) n = 4;
    else return i;
    i += n;
  }
  return -1;
}
