import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { electronSqliteBinding, moduleAbi, nativeCacheFile } from '../../electron/main/native.js';
import { ROOT } from '../helpers/core.js';

// The rebuild itself needs Electron's headers from the network; the choices around it are checked here.
describe('better-sqlite3 for Electron (nativeBinding)', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('uses no separate binding in a packaged app (electron-builder rebuilt node_modules)', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    await expect(electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', expectedAbi: '145', isPackaged: true, env: {} })).resolves.toBeUndefined();
  });

  it('honours PUESTA_SQLITE_BINDING', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    const r = await electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', expectedAbi: '145', isPackaged: false, env: { PUESTA_SQLITE_BINDING: 'x/better_sqlite3.node' } });
    expect(r).toBe(path.resolve('x/better_sqlite3.node'));
  });

  it('reuses the cached build for this Electron version without rebuilding', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    const file = nativeCacheFile(root, '41.7.1');
    expect(file).toBe(path.join(root, '.cache', 'electron-native', `41.7.1-${process.platform}-${process.arch}`, 'better_sqlite3.node'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'ELF\0...node_register_module_v145\0...');
    const lines: string[] = [];
    await expect(electronSqliteBinding({ appRoot: root, electronVersion: '41.7.1', expectedAbi: '145', isPackaged: false, env: {}, log: (l) => lines.push(l) })).resolves.toBe(file);
    expect(lines).toEqual([]); // nothing built
    expect(nativeCacheFile(root, '42.0.0')).not.toBe(file); // another Electron gets its own build
  });

  it('reads the ABI a native module was built for (the Node build here is Node 20\'s)', () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'puesta-native-'));
    expect(moduleAbi(path.join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(process.versions.modules);
    const f = path.join(root, 'napi.node');
    writeFileSync(f, 'napi_register_module_v1');
    expect(moduleAbi(f)).toBeNull();
  });
});
