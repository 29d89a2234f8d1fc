/** Packs a directory release source into a .tar.gz on this computer (runs.start of a directory source). */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { sha256File } from '../ssh/transfer.js';

const execFileP = promisify(execFile);

/** `tar -czf out -C dir .`; returns the archive's size and sha256. */
export async function packDirectory(dir: string, out: string): Promise<{ sha256: string; bytes: number }> {
  await execFileP('tar', ['-czf', out, '-C', dir, '.']);
  return { sha256: await sha256File(out), bytes: statSync(out).size };
}
