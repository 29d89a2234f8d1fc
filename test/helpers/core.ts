import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { createCore, type Core } from '../../electron/core/core.js';
import { ApplicationFields } from '../../shared/contract/inventory.js';
import { KeyFileCipher } from '../../electron/core/secrets.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const MIGRATIONS = path.join(ROOT, 'migrations');

export interface TestCore {
  core: Core;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A real core on a real SQLite file in a fresh temp folder. */
export function makeCore(dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-test-'))): TestCore {
  const core = createCore({
    dataDir,
    migrationsDir: MIGRATIONS,
    cipher: new KeyFileCipher(path.join(dataDir, 'secret.key')),
    shell: 'test',
    version: 'test',
  });
  return {
    core,
    dataDir,
    cleanup: async () => {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an application with the contract's defaults for everything not given; returns its id. */
export function createApplication(core: Core, fields: { name: string } & Partial<z.input<typeof ApplicationFields>>, actor = 'test'): number {
  const rec = ApplicationFields.parse({ runtimeUser: 'app', basePath: `/srv/${fields.name}`, ...fields });
  return core.inventory.applications.create(rec, actor).id as number;
}
