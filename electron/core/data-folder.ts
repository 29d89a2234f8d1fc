/**
 * The data folder holds the database (and its WAL/SHM), the migration backups, the secrets key file
 * and the browser-shell token: nobody but the user running Puesta may read it. Folder 0700, files
 * 0600 — set when they are created, and again at every start, because an older Puesta, a copy or a
 * restore left them 0755/0644. (On Windows chmod only toggles read-only; the profile folder's ACL
 * already keeps other users out.)
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';

const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Puesta's files in the data folder, by name. */
export const DB_FILE = 'puesta.sqlite';
export const KEY_FILE = 'secret.key';
export const BROWSER_TOKEN_FILE = 'browser-token';

/**
 * Puesta's files directly in the data folder — the database with SQLite's side files, the key file,
 * the browser token — and its own sub-folders, whose files are all Puesta's. Only these: the folder
 * may be one the operator chose (PUESTA_DATA_DIR) holding files of their own, or Electron's userData.
 */
const OWN_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`, KEY_FILE, BROWSER_TOKEN_FILE];
const OWN_SUBFOLDERS = ['backups', 'archives'];

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Creates the folder 0700 (its parents as usual) or makes an existing one 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(path.dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  chmodSync(dir, PRIVATE_DIR_MODE); // the umask may have taken bits off, or it was there already
}

/** Makes a file 0600; a missing one is fine. */
export function makePrivate(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
}

/**
 * Creates the file empty with 0600 when missing, and makes it 0600 either way. A program that then
 * fills it (SQLite, VACUUM INTO) keeps that mode instead of creating the file 0644.
 */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * At every start: the folder 0700, Puesta's files in it 0600, and its own sub-folders 0700 with
 * their files 0600. Anything else is left as it is: the folder's own mode shuts it in.
 */
export function tightenDataFolder(dir: string): void {
  ensurePrivateDir(dir);
  for (const name of OWN_FILES) makePrivate(path.join(dir, name));
  for (const sub of OWN_SUBFOLDERS) {
    const p = path.join(dir, sub);
    try {
      if (!lstatSync(p).isDirectory()) continue;
    } catch (e) {
      if (isMissing(e)) continue;
      throw e;
    }
    chmodSync(p, PRIVATE_DIR_MODE);
    for (const entry of readdirSync(p, { withFileTypes: true })) {
      if (entry.isFile()) makePrivate(path.join(p, entry.name));
    }
  }
}
