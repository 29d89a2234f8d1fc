// `npm run build`: the renderer (Vite → dist/renderer) and the Electron bundles
// (esbuild → dist/electron/main.cjs and dist/electron/preload.cjs).
//
//   node scripts/build.mjs                 everything
//   node scripts/build.mjs --electron-only the two Electron bundles only
//   node scripts/build.mjs --renderer-only the renderer only
//
// The preload runs sandboxed: it may only require('electron'), so shared/ and zod are bundled
// into it and the build fails if any other require() is left in the output.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VITE_CONFIGS = ['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs'];

/** Packages main.cjs loads from node_modules at run time (native, optional or dev-only). */
export const MAIN_EXTERNALS = ['electron', 'better-sqlite3', 'ssh2', 'cpu-features', 'nodemailer', 'smtp-server', 'playwright-core', '@electron/rebuild', 'bufferutil', 'utf-8-validate'];

const log = (line) => console.log(`[build] ${line}`);

/** Builds dist/renderer with Vite. Returns true on success, false when skipped or failed. */
export function buildRenderer({ root = ROOT } = {}) {
  if (!VITE_CONFIGS.some((f) => existsSync(path.join(root, f)))) {
    log('renderer: no vite.config.ts in the project yet, so the user interface was NOT built (the shells will say so).');
    return false;
  }
  log('renderer: vite build → dist/renderer');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build:renderer'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    log(`renderer: vite build failed (exit ${r.status ?? r.signal}).`);
    return false;
  }
  return true;
}

/** Any require() in the preload bundle other than require("electron"). */
export function foreignRequires(code) {
  const bad = [];
  for (const m of code.matchAll(/\brequire\s*\(([^)]*)\)/g)) {
    const arg = m[1].trim();
    if (arg !== '"electron"' && arg !== "'electron'") bad.push(m[0]);
  }
  return bad;
}

export async function bundleElectron({ root = ROOT, outdir = path.join(root, 'dist', 'electron') } = {}) {
  const { build } = await import('esbuild');
  const common = { bundle: true, format: 'cjs', sourcemap: true, logLevel: 'warning', absWorkingDir: root, legalComments: 'none' };
  log(`electron: esbuild → ${path.relative(root, outdir) || outdir}/main.cjs, preload.cjs`);
  await build({
    ...common,
    entryPoints: [path.join(root, 'electron', 'main', 'main.ts')],
    outfile: path.join(outdir, 'main.cjs'),
    platform: 'node',
    target: 'node22',
    external: MAIN_EXTERNALS,
  });
  // platform 'browser': a Node built-in reaching the preload is a build error, not a runtime one.
  await build({
    ...common,
    entryPoints: [path.join(root, 'electron', 'preload', 'preload.ts')],
    outfile: path.join(outdir, 'preload.cjs'),
    platform: 'browser',
    target: 'chrome130',
    minify: true,
    external: ['electron'],
  });
  const preload = readFileSync(path.join(outdir, 'preload.cjs'), 'utf8');
  const bad = foreignRequires(preload);
  if (bad.length) throw new Error(`the preload bundle requires more than electron (${[...new Set(bad)].join(', ')}); a sandboxed preload cannot load them.`);
  return { main: path.join(outdir, 'main.cjs'), preload: path.join(outdir, 'preload.cjs') };
}

async function main() {
  const args = new Set(process.argv.slice(2));
  let ok = true;
  if (!args.has('--electron-only')) ok = buildRenderer() && ok;
  if (!args.has('--renderer-only')) {
    try {
      const out = await bundleElectron();
      log(`electron: ok (${path.relative(ROOT, out.main)}, ${path.relative(ROOT, out.preload)})`);
    } catch (e) {
      log(`electron: FAILED: ${e.message}`);
      ok = false;
    }
  }
  if (!ok) {
    log('build incomplete (see above).');
    process.exit(1);
  }
  log('done.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
