// `npm start`: the desktop window when the Electron binary is installed (and a display is
// there), otherwise the browser shell with its URL printed. `npm run web` (= --web) always
// starts the browser shell.
//
//   node scripts/start.mjs [--web] [--no-build]
//
// Before starting, whatever is missing or older than its sources is built: the renderer
// (dist/renderer) for both shells, the Electron bundles (dist/electron) for the desktop.
// --no-build or PUESTA_NO_BUILD=1 skips that. Signals (Ctrl+C, SIGTERM) go to the shell,
// and this script exits with its exit code.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron executable's path when the binary is really installed, else null. */
export function electronBinaryPath(root = ROOT) {
  try {
    const p = createRequire(path.join(root, 'package.json'))('electron'); // a path string, or throws
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

export function electronBinaryAvailable(root = ROOT) {
  return electronBinaryPath(root) !== null;
}

/** Which shell to start, and why (one plain sentence, or null when nothing needs saying). */
export function decideShell({ argv = [], electronAvailable, platform = process.platform, env = process.env }) {
  if (argv.includes('--web')) return { shell: 'web', reason: null };
  if (!electronAvailable) {
    return { shell: 'web', reason: 'The Electron binary is not installed, so Puesta runs in your browser instead (same app; run `npm install` with internet access to get the desktop window).' };
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { shell: 'web', reason: 'There is no graphical display (DISPLAY/WAYLAND_DISPLAY unset), so Puesta runs in your browser instead.' };
  }
  return { shell: 'electron', reason: null };
}

/** Newest modification time (ms) of the files under the given paths (0 when none exist). */
export function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) visit(path.join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

function outdated(outputs, sources) {
  let oldest = Infinity;
  for (const o of outputs) {
    if (!existsSync(o)) return true;
    oldest = Math.min(oldest, statSync(o).mtimeMs);
  }
  return newestMtime(sources) > oldest;
}

/** dist/renderer/index.html missing or older than the renderer's sources. */
export function rendererNeedsBuild(root = ROOT) {
  const sources = [path.join(root, 'renderer'), path.join(root, 'shared'), ...['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs'].map((f) => path.join(root, f))];
  return outdated([path.join(root, 'dist', 'renderer', 'index.html')], sources);
}

/** dist/electron bundles missing or older than electron/ and shared/. */
export function electronNeedsBuild(root = ROOT) {
  return outdated(
    [path.join(root, 'dist', 'electron', 'main.cjs'), path.join(root, 'dist', 'electron', 'preload.cjs')],
    [path.join(root, 'electron'), path.join(root, 'shared')],
  );
}

/**
 * After Electron exits: should the browser shell start instead? Only when Electron failed on its
 * own (non-zero exit, not a signal we forwarded) soon after starting — missing system libraries,
 * no usable GPU/display, a native module that could not be built. A clean quit never falls back.
 */
export function fallBackToWeb({ code, signal, forwarded, elapsedMs }) {
  if (forwarded) return false;
  if (code === 0) return false;
  if (code === null && !signal) return false;
  return elapsedMs < 120_000;
}

/** Runs a child with inherited stdio; forwards SIGINT/SIGTERM/SIGHUP; calls onExit with how it ended. */
function runForwarding(command, args, opts, onExit = ({ code, signal, forwarded }) => process.exit(code ?? (signal && signal === forwarded ? 0 : 1))) {
  const started = Date.now();
  const child = spawn(command, args, { stdio: 'inherit', ...opts });
  let forwarded = null;
  const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => {
    const h = () => {
      forwarded = sig;
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    process.on(sig, h);
    return [sig, h];
  });
  let ended = false;
  const end = (code, signal) => {
    if (ended) return;
    ended = true;
    for (const [sig, h] of handlers) process.off(sig, h);
    onExit({ code, signal, forwarded, elapsedMs: Date.now() - started });
  };
  child.on('error', (e) => {
    console.error(`[puesta] could not start ${command}: ${e.message}`);
    end(1, null);
  });
  child.on('exit', end);
}

function startWeb() {
  runForwarding(process.execPath, ['--import', 'tsx', path.join('electron', 'web', 'main.ts')], { cwd: ROOT, env: process.env });
}

async function main() {
  const argv = process.argv.slice(2);
  const noBuild = argv.includes('--no-build') || process.env.PUESTA_NO_BUILD === '1';
  const electronPath = argv.includes('--web') ? null : electronBinaryPath();
  const { shell, reason } = decideShell({ argv, electronAvailable: electronPath !== null });
  if (reason) console.log(`[puesta] ${reason}`);
  const build = noBuild ? null : await import('./build.mjs');

  if (build && rendererNeedsBuild()) {
    if (!build.buildRenderer()) console.log('[puesta] carrying on without a fresh user interface build.');
  }

  if (shell === 'electron') {
    if (build && electronNeedsBuild()) await build.bundleElectron();
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    // `electron .` runs package.json "main" (dist/electron/main.cjs) with the app's name and version.
    return runForwarding(electronPath, ['.'], { cwd: ROOT, env }, (end) => {
      if (!fallBackToWeb(end)) return process.exit(end.code ?? (end.signal && end.signal === end.forwarded ? 0 : 1));
      console.log(`[puesta] The desktop window could not start (Electron exited with ${end.code ?? end.signal}); starting Puesta in your browser instead.`);
      startWeb();
    });
  }

  startWeb();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
