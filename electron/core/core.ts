import os from 'node:os';
import path from 'node:path';
import { BrowserToken } from './browser-token.js';
import { BROWSER_TOKEN_FILE, DB_FILE, tightenDataFolder } from './data-folder.js';
import { openDb, type Db } from './db/connection.js';
import { listBackups, loadMigrations, migrate, type MigrateResult } from './db/migrate.js';
import { EventBus } from './events.js';
import { Audit } from './repos/audit.js';
import { createInventoryRepos, type InventoryRepos } from './repos/inventory.js';
import { Settings } from './repos/settings.js';
import { SecretStore } from './repos/secret-store.js';
import type { SecretCipher } from './secrets.js';
import { createServices, type ServiceOptions, type Services } from './services.js';

export type ShellKind = 'electron' | 'web' | 'test';

export interface CoreOptions {
  dataDir: string;
  migrationsDir: string;
  cipher: SecretCipher;
  shell: ShellKind;
  version?: string;
  /** Electron only: better-sqlite3 built for Electron's ABI. */
  nativeBinding?: string;
  /** Options of the long-lived services (tests: private paths, faster clocks). */
  services?: ServiceOptions;
  /** Browser shell: a fixed token (PUESTA_TOKEN) instead of the one kept in the data folder. */
  browserToken?: string;
}

/** Everything the handlers need. Created once per process by a shell (or a test). */
export interface Core {
  readonly opts: CoreOptions;
  readonly db: Db;
  readonly dbPath: string;
  readonly backupDir: string;
  readonly migration: MigrateResult;
  readonly schemaVersion: number;
  readonly events: EventBus;
  readonly audit: Audit;
  readonly settings: Settings;
  readonly secrets: SecretStore;
  readonly inventory: InventoryRepos;
  /** SSH pool, runs engine, notices sender, provisioning options: built on first use (services.ts). */
  readonly services: Services;
  /** The browser shell's token, kept 0600 in the data folder (read or created on first use). */
  readonly browserToken: BrowserToken;
  operator(): string;
  /** Runs fn in one SQLite transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T;
  /** Things to run at close (background hooks), before the services stop. */
  onClose(fn: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PUESTA_DATA_DIR) return path.resolve(env.PUESTA_DATA_DIR);
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'puesta');
}

export function createCore(opts: CoreOptions): Core {
  // Folder 0700 and its files 0600 at every start, not only when created: see data-folder.ts.
  tightenDataFolder(opts.dataDir);
  const dbPath = path.join(opts.dataDir, DB_FILE);
  const backupDir = path.join(opts.dataDir, 'backups');
  const db = openDb(dbPath, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  let migration: MigrateResult;
  try {
    migration = migrate(db, loadMigrations(opts.migrationsDir), { dbFile: dbPath, backupDir });
  } catch (e) {
    db.close();
    throw e;
  }
  const audit = new Audit(db);
  const settings = new Settings(db);
  const closers: (() => void | Promise<void>)[] = [];
  let services: Services | undefined;
  let browserToken: BrowserToken | undefined;
  const core: Core = {
    opts,
    db,
    dbPath,
    backupDir,
    migration,
    schemaVersion: migration.to,
    events: new EventBus(),
    audit,
    settings,
    secrets: new SecretStore(db, opts.cipher),
    inventory: createInventoryRepos(db, audit),
    get services() {
      services ??= createServices(core, opts.services);
      return services;
    },
    get browserToken() {
      browserToken ??= new BrowserToken(path.join(opts.dataDir, BROWSER_TOKEN_FILE), opts.browserToken ?? null);
      return browserToken;
    },
    operator: () => settings.get('operator') ?? (safeUser() || 'operator'),
    tx: <T>(fn: () => T) => db.transaction(fn)(),
    onClose: (fn) => void closers.push(fn),
    close: async () => {
      // Background hooks first, then the services in their stated order, then the database.
      for (const fn of closers.reverse()) await fn();
      await services?.close();
      if (db.open) db.close();
    },
  };
  return core;
}

export { listBackups };

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}
