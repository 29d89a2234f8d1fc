import type { Db } from '../db/connection.js';

/** Small key/value settings (non-secret). */
export class Settings {
  constructor(private readonly db: Db) {}
  get(key: string): string | null {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? r.value : null;
  }
  getJson<T>(key: string, fallback: T): T {
    const v = this.get(key);
    return v == null ? fallback : (JSON.parse(v) as T);
  }
  set(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }
}
