// `npm run dist [-- electron-builder args]`: build, then package with build/electron-builder.yml.
//
// electron-builder rebuilds native modules for Electron's ABI (npmRebuild) IN the project's
// node_modules. That build of better-sqlite3 cannot load under Node, which would break the tests
// and the browser shell. So the Node-ABI better_sqlite3.node is saved first and put back after,
// whatever happens, and checked to load again under Node.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nodeBinary = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const saved = path.join(root, '.cache', 'node-abi', 'better_sqlite3.node');
// Debian's npm sets npm_config_nodedir=/usr: node-gyp would then compile the "Electron" rebuild
// against Node's headers and package a better-sqlite3 that Electron cannot load. Drop it.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_nodedir$/i.test(k)));
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' });

let status = run(process.execPath, [path.join(root, 'scripts', 'build.mjs')]).status;
if (status !== 0) {
  console.error('[dist] the build failed; nothing was packaged.');
  process.exit(status ?? 1);
}

if (existsSync(nodeBinary)) {
  mkdirSync(path.dirname(saved), { recursive: true });
  copyFileSync(nodeBinary, saved);
}
try {
  const builder = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-builder.cmd' : 'electron-builder');
  status = run(builder, ['--config', path.join('build', 'electron-builder.yml'), ...process.argv.slice(2)]).status;
} finally {
  if (existsSync(saved)) {
    copyFileSync(saved, nodeBinary);
    const check = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, encoding: 'utf8' });
    console.log(check.status === 0 ? '[dist] restored the Node build of better-sqlite3 (tests and `npm run web` keep working).' : `[dist] WARNING: better-sqlite3 does not load under Node any more; run \`npm rebuild better-sqlite3\`.\n${check.stderr}`);
  }
}
process.exit(status ?? 1);
