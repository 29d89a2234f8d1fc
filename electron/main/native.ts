/**
 * better-sqlite3 for Electron's ABI — the one place that knows about the two native builds.
 *
 * node_modules/better-sqlite3 is built for Node (tests and the browser shell need it as is);
 * Electron has another NODE_MODULE_VERSION and cannot load it. Rebuilding node_modules in place
 * would break the tests, so in development the desktop shell builds a COPY:
 *
 *   .cache/electron-native/<electron version>-<platform>-<arch>/better_sqlite3.node
 *
 * made once, at the first Electron start, by @electron/rebuild on a copy of the module (a prebuilt
 * binary when one is published for this Electron, else compiled), and
 * loaded through better-sqlite3's `nativeBinding` option (createCore({ nativeBinding })).
 * PUESTA_SQLITE_BINDING=/path/to/better_sqlite3.node overrides it.
 *
 * In a packaged app (app.isPackaged) electron-builder has already rebuilt the packaged
 * node_modules for Electron (build/electron-builder.yml: npmRebuild), so no binding is passed.
 *
 * This path cannot be exercised on a machine without the Electron binary; it is kept small.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface NativeBindingOptions {
  appRoot: string;
  electronVersion: string;
  /** NODE_MODULE_VERSION the binary must have: process.versions.modules inside Electron. */
  expectedAbi: string;
  isPackaged: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export function nativeCacheFile(appRoot: string, electronVersion: string, platform = process.platform, arch = process.arch): string {
  return path.join(appRoot, '.cache', 'electron-native', `${electronVersion}-${platform}-${arch}`, 'better_sqlite3.node');
}

/**
 * The NODE_MODULE_VERSION a native module was built for, read from its
 * `node_register_module_v<N>` symbol (null when absent, e.g. a Node-API module).
 */
export function moduleAbi(file: string): string | null {
  const m = /node_register_module_v(\d+)/.exec(readFileSync(file).toString('latin1'));
  return m ? m[1]! : null;
}

/**
 * node-gyp takes `nodedir` from npm's environment: Debian's npm sets npm_config_nodedir=/usr, which
 * silently compiles against Node's headers instead of Electron's (a binary Electron cannot load).
 */
function withoutNodedir<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([k]) => /^npm_config_nodedir$/i.test(k));
  for (const [k] of saved) delete process.env[k];
  return fn().finally(() => {
    for (const [k, v] of saved) process.env[k] = v;
  });
}

/** Returns the path to pass as `nativeBinding`, building it first if needed; undefined when packaged. */
export async function electronSqliteBinding(opts: NativeBindingOptions): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => console.log(l));
  if (env.PUESTA_SQLITE_BINDING) return path.resolve(env.PUESTA_SQLITE_BINDING);
  if (opts.isPackaged) return undefined;

  const target = nativeCacheFile(opts.appRoot, opts.electronVersion);
  if (existsSync(target) && moduleAbi(target) === opts.expectedAbi) return target;

  const source = path.join(opts.appRoot, 'node_modules', 'better-sqlite3');
  const work = path.join(path.dirname(target), 'work');
  const copy = path.join(work, 'node_modules', 'better-sqlite3');
  log(`[puesta] first desktop start with Electron ${opts.electronVersion}: building better-sqlite3 for it into ${path.dirname(target)} (once, about a minute)…`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.dirname(copy), { recursive: true });
  cpSync(source, copy, { recursive: true, filter: (src) => !src.startsWith(path.join(source, 'build')) });
  const version = (JSON.parse(readFileSync(path.join(source, 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'puesta-electron-native', private: true, dependencies: { 'better-sqlite3': version } }, null, 2));
  try {
    const { rebuild } = await import('@electron/rebuild');
    // Tries better-sqlite3's prebuilt binary for this Electron first (prebuild-install, found in the
    // project's node_modules), then compiles with node-gyp against Electron's headers.
    await withoutNodedir(() => rebuild({ buildPath: work, electronVersion: opts.electronVersion, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' }));
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(
      `Could not build better-sqlite3 for Electron ${opts.electronVersion} (${(e as Error).message}). It needs a C++ toolchain and Python (node-gyp) and access to Electron's headers. ` +
        'Alternatively run `npm run web` to use the browser shell.',
    );
  }
  const built = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(built)) throw new Error(`@electron/rebuild finished but ${built} is missing.`);
  const abi = moduleAbi(built);
  if (abi !== opts.expectedAbi) {
    throw new Error(`better-sqlite3 was built for NODE_MODULE_VERSION ${abi ?? 'unknown'}, but Electron ${opts.electronVersion} needs ${opts.expectedAbi} (were Node's headers used instead of Electron's?). Run \`npm run web\` meanwhile.`);
  }
  copyFileSync(built, target);
  rmSync(work, { recursive: true, force: true });
  log(`[puesta] better-sqlite3 for Electron ready: ${target}`);
  return target;
}
