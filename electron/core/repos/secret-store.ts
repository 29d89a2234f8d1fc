import type { Db } from '../db/connection.js';
import type { SecretCipher } from '../secrets.js';

/** Secrets kept encrypted in the local DB; plaintext never touches disk or the renderer. */
export class SecretStore {
  constructor(
    private readonly db: Db,
    readonly cipher: SecretCipher,
  ) {}

  set(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO secrets (key, ciphertext, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at')
      .run(key, this.cipher.encrypt(value), new Date().toISOString());
  }

  get(key: string): string | null {
    const row = this.db.prepare('SELECT ciphertext FROM secrets WHERE key = ?').get(key) as { ciphertext: Buffer } | undefined;
    return row ? this.cipher.decrypt(row.ciphertext) : null;
  }

  has(key: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM secrets WHERE key = ?').get(key);
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM secrets WHERE key = ?').run(key);
  }
}
