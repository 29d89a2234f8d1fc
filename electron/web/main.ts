/**
 * `npm run web` (and `npm start` without an Electron binary): the browser shell.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, defaultDataDir } from '../core/core.js';
import { KeyFileCipher } from '../core/secrets.js';
import { startBackground } from '../core/startup.js';
import { startWebServer } from './server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const dataDir = defaultDataDir();
  mkdirSync(dataDir, { recursive: true }); // the key file below lives there
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const cipher = new KeyFileCipher(process.env.PUESTA_KEY_FILE ?? path.join(dataDir, 'secret.key'));
  let core;
  try {
    core = createCore({ dataDir, migrationsDir: path.join(root, 'migrations'), cipher, shell: 'web', version });
  } catch (e) {
    console.error(`[puesta] cannot open the data in ${dataDir}: ${(e as Error).message}`);
    process.exit(2);
  }
  startBackground(core);
  const port = process.env.PUESTA_PORT ? Number(process.env.PUESTA_PORT) : 0;
  const web = await startWebServer({ core, port, ...(process.env.PUESTA_TOKEN ? { token: process.env.PUESTA_TOKEN } : {}), staticDir: path.join(root, 'dist', 'renderer') });
  if (core.migration.backup) console.log(`[puesta] database migrated v${core.migration.from} → v${core.migration.to}; backup at ${core.migration.backup}`);
  console.log(`[puesta] data: ${core.dbPath}`);
  console.log(`[puesta] secrets: ${cipher.warning}`);
  console.log(`Puesta is running at ${web.url}`);
  const stop = async () => {
    await web.close();
    await core.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
