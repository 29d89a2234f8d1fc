import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { electronSqliteBinding, nativeCacheFile } from '../../electron/main/native.js';

// The rebuild itself needs Electron's headers from the network; the choices around it are checked here.
describe('better-sqlite3 for Electron (nativeBinding)', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('uses no separate binding in a packaged app (electron-builder rebuilt node_modules)', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    await expect(electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', isPackaged: true, env: {} })).resolves.toBeUndefined();
  });

  it('honours PUESTA_SQLITE_BINDING', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    const r = await electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', isPackaged: false, env: { PUESTA_SQLITE_BINDING: 'x/better_sqlite3.node' } });
    expect(r).toBe(path.resolve('x/better_sqlite3.node'));
  });

  it('reuses the cached build for this Electron version without rebuilding', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    const file = nativeCacheFile(root, '41.7.1');
    expect(file).toBe(path.join(root, '.cache', 'electron-native', `41.7.1-${process.platform}-${process.arch}`, 'better_sqlite3.node'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'binary');
    const lines: string[] = [];
    await expect(electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', isPackaged: false, env: {}, log: (l) => lines.push(l) })).resolves.toBe(file);
    expect(lines).toEqual([]); // nothing built
    expect(nativeCacheFile(root, '42.0.0')).not.toBe(file); // another Electron gets its own build
  });
});
