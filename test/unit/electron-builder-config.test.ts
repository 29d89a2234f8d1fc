import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/core.js';

// Packaging itself needs the Electron zip from the network; here we check that the config
// passes electron-builder's own schema and says what we mean.
describe('build/electron-builder.yml', () => {
  it('passes electron-builder’s schema and packages what the app needs', async () => {
    const config = await getConfig(ROOT, path.join(ROOT, 'build', 'electron-builder.yml'), null);
    await expect(validateConfiguration(config, { isEnabled: false, add() {}, addValue() {} } as never)).resolves.toBeUndefined();
    expect(config.productName).toBe('Puesta');
    expect(config.appId).toMatch(/^[a-z0-9.]+$/);
    expect(JSON.stringify(config.files)).toSatisfy((f: string) => ['dist/electron/**', 'dist/renderer/**', 'migrations/**', 'package.json'].every((x) => f.includes(JSON.stringify(x))));
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    expect(config.afterPack).toBe('build/after-pack.cjs');
    const targets = (x: unknown) => JSON.stringify(x);
    expect(targets(config.linux?.target)).toContain('AppImage');
    expect(targets(config.linux?.target)).toContain('deb');
    expect(targets(config.mac?.target)).toContain('dmg');
    expect(targets(config.win?.target)).toContain('nsis');
  });

  it('has a real icon and package.json points at the bundled main', () => {
    const png = readFileSync(path.join(ROOT, 'build', 'icon.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512); // width ≥ 512 for the dmg/ico conversions
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(pkg.scripts.typecheck).toContain('electron/tsconfig.json');
  });

  it('afterPack refuses a better-sqlite3 that is not built for Electron', () => {
    const { checkAbi } = createRequire(import.meta.url)(path.join(ROOT, 'build', 'after-pack.cjs')) as { checkAbi: (dir: string, abi: string) => string[] };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-pack-'));
    try {
      expect(() => checkAbi(dir, '145')).toThrow(/no better_sqlite3.node/);
      const f = path.join(dir, 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, readFileSync(path.join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))); // the Node build
      expect(() => checkAbi(dir, '145')).toThrow(new RegExp(`NODE_MODULE_VERSION ${process.versions.modules}, Electron needs 145`));
      writeFileSync(f, 'ELF...node_register_module_v145...');
      expect(checkAbi(dir, '145')).toEqual([f]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
