/**
 * `npm run web` (and `npm start` without an Electron binary): the browser shell.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, defaultDataDir, type Core } from '../core/core.js';
import { ensurePrivateDir, KEY_FILE } from '../core/data-folder.js';
import { KeyFileCipher } from '../core/secrets.js';
import { startBackground } from '../core/startup.js';
import { startWebServer } from './server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const dataDir = defaultDataDir();
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  let core: Core;
  let cipher: KeyFileCipher;
  try {
    ensurePrivateDir(dataDir); // the key file below lives there
    cipher = new KeyFileCipher(process.env.PUESTA_KEY_FILE ?? path.join(dataDir, KEY_FILE));
    core = createCore({
      dataDir,
      migrationsDir: path.join(root, 'migrations'),
      cipher,
      shell: 'web',
      version,
      ...(process.env.PUESTA_TOKEN ? { browserToken: process.env.PUESTA_TOKEN } : {}),
    });
  } catch (e) {
    console.error(`[puesta] cannot open the data in ${dataDir}: ${(e as Error).message}`);
    process.exit(2);
  }
  startBackground(core);
  const port = process.env.PUESTA_PORT ? Number(process.env.PUESTA_PORT) : 0;
  const web = await startWebServer({ core, port, staticDir: path.join(root, 'dist', 'renderer') });
  if (core.migration.backup) console.log(`[puesta] database migrated v${core.migration.from} → v${core.migration.to}; backup at ${core.migration.backup}`);
  console.log(`[puesta] data: ${core.dbPath}`);
  console.log(`[puesta] secrets: ${cipher.warning}`);
  console.log(`Puesta is running at ${web.url}`);
  // The old address no longer opens Puesta: print the new one where the operator started it.
  core.browserToken.onRotate(() => console.log(`[puesta] the browser token was rotated; other tabs were signed out. Puesta is running at ${web.url}`));
  const stop = async () => {
    await web.close();
    await core.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  // The details, then the reason in one last line: npm start repeats that line when the shell stops.
  console.error(e);
  console.error(`[puesta] the browser shell could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
