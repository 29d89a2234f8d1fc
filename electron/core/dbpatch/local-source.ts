/**
 * The patches of a release source on this computer, read at plan time (before anything is
 * uploaded): `db/patches/` of a directory source, or the entries under it in a .tar.gz source
 * (read in process: gunzip, then the tar headers; ustar prefixes, GNU long names and pax paths).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PuestaError } from '../../../shared/errors.js';
import { readPatches, type PatchFiles } from './format.js';
import { patchesOfFiles, RELEASE_PATCH_DIR } from './release.js';

export interface LocalSource {
  kind: 'directory' | 'tarball';
  path: string;
}

/** The source's patches in apply order; null when it carries no `db/patches/`. */
export function readSourcePatches(src: LocalSource): PatchFiles[] | null {
  if (!existsSync(src.path)) throw new PuestaError('INVALID_INPUT', `The release source ${src.path} does not exist on this computer.`);
  if (src.kind === 'directory') {
    const dir = path.join(src.path, RELEASE_PATCH_DIR);
    return existsSync(dir) && statSync(dir).isDirectory() ? readPatches(dir) : null;
  }
  const prefix = `${RELEASE_PATCH_DIR}/`;
  const files = tarFiles(gunzipSync(readFileSync(src.path)))
    .filter(([name]) => name.startsWith(prefix))
    .map(([name, data]): [string, string] => [name.slice(prefix.length), data.toString('utf8')]);
  return files.length ? patchesOfFiles(files, `${src.path}:${RELEASE_PATCH_DIR}`) : null;
}

const field = (b: Buffer, at: number, len: number): string => b.toString('utf8', at, at + len).replace(/\0.*$/s, '');

/** The regular files of a tar archive, names without a leading `./`. */
export function tarFiles(tar: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  let longName: string | null = null;
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') longName = field(data, 0, data.length);
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? longName;
    else {
      const prefix = field(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = null;
      if (type === '0' || type === '\0') out.push([name.replace(/^(\.\/)+/, ''), data]);
    }
  }
  return out;
}
