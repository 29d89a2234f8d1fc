/**
 * The browser shell's token: one per installation, kept 0600 in the data folder and reused at every
 * start, so the HttpOnly SameSite=Strict cookie of an open tab stays valid across a restart (a new
 * token per start killed every tab). PUESTA_TOKEN fixes it instead (and then it cannot be rotated
 * here). Rotating writes a new token and tells the listeners: the web server refuses the old one
 * from that moment and closes the event streams it authorised.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { PuestaError } from '../../shared/errors.js';
import { makePrivate, PRIVATE_FILE_MODE } from './data-folder.js';


/** What the file must hold to be used as it is (anything else is replaced by a fresh token). */
const STORED_TOKEN = /^[A-Za-z0-9_-]{32,200}$/;

const freshToken = (): string => randomBytes(32).toString('base64url');

export class BrowserToken {
  private current: string | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly file: string,
    /** PUESTA_TOKEN: used instead of the file, never written to it. */
    private readonly fixedToken: string | null = null,
  ) {}

  /** True when PUESTA_TOKEN sets the token (rotation is then refused). */
  get fixed(): boolean {
    return this.fixedToken !== null;
  }

  /** The token in force: PUESTA_TOKEN, else the stored one (created on first use). */
  value(): string {
    if (this.fixedToken !== null) return this.fixedToken;
    this.current ??= this.load();
    return this.current;
  }

  /** Replaces the stored token; every cookie, link and event stream made with the old one stops working. */
  rotate(): void {
    if (this.fixedToken !== null) {
      throw new PuestaError('PRECONDITION_FAILED', 'The browser token is fixed by the PUESTA_TOKEN environment variable: change that variable and restart Puesta to change the token.');
    }
    this.current = this.store(freshToken());
    for (const fn of this.listeners) fn();
  }

  /** Called after each rotation; returns the unsubscribe. */
  onRotate(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private load(): string {
    let stored = '';
    try {
      stored = readFileSync(this.file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!STORED_TOKEN.test(stored)) return this.store(freshToken());
    makePrivate(this.file);
    return stored;
  }

  /** Written beside and renamed over, so a crash never leaves a half-written token. */
  private store(token: string): string {
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, token + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      renameSync(tmp, this.file);
    } finally {
      rmSync(tmp, { force: true });
    }
    return token;
  }
}
