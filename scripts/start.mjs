// `npm start`: the desktop window when the Electron binary is installed (and a display is
// there), otherwise the browser shell with its URL printed. `npm run web` (= --web) always
// starts the browser shell.
//
//   node scripts/start.mjs [--web] [--no-build]
//
// Before starting, whatever is missing or older than its sources is built: the renderer
// (dist/renderer) for both shells, the Electron bundles (dist/electron) for the desktop.
// --no-build or PUESTA_NO_BUILD=1 skips that. Signals (Ctrl+C, SIGTERM) go to the shell,
// and this script exits with its exit code. When the shell stops without being asked to, this
// script says so — how it ended and its last error line — and exits non-zero.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
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

/** The line of a shell's error output that says what went wrong (null when it printed nothing useful). */
export function lastErrorLine(text) {
  const lines = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l) && !/^Node\.js v\d/.test(l) && !/^\^+$/.test(l));
  const line = lines.findLast((l) => /^\[puesta\]|\b\w*(Error|Exception)\b/.test(l)) ?? lines.at(-1) ?? null;
  return line && line.length > 300 ? line.slice(0, 300) + '…' : line;
}

/**
 * What to say and which status to exit with once a shell has ended. Stopping because we passed
 * on a signal, or a clean exit, is quiet; anything else is said plainly (a shell that died while
 * `npm start` went back to the prompt without a word looked like a clean stop).
 */
export function shellEnded({ name, code, signal, forwarded, lastError }) {
  const signalStatus = (sig) => 128 + (os.constants.signals[sig] ?? 0);
  if (forwarded && (code === null || code === 0 || code === signalStatus(forwarded))) return { message: null, exitCode: code ?? 0 };
  if (!forwarded && code === 0) return { message: null, exitCode: 0 };
  const how = code !== null ? `exit code ${code}` : `killed by signal ${signal}`;
  const when = forwarded ? ' while stopping' : '';
  const why = lastError ? `. Its last error: ${lastError.replace(/^\[puesta\]\s*/, '')}` : ', with no error printed';
  return {
    message: `[puesta] The ${name} stopped${when}: ${how}${why}\n[puesta] Puesta is not running any more${forwarded ? '.' : '; start it again with `npm start`.'}`,
    exitCode: code || (signal ? signalStatus(signal) : 1),
  };
}

/** Exits as shellEnded says, saying it first when there is something to say. */
function exitAfter(name, end) {
  const { message, exitCode } = shellEnded({ name, ...end });
  if (message) console.error(message);
  process.exit(exitCode);
}

/**
 * Runs a child (stdout inherited; stderr passed through and its tail kept for the reason it
 * stopped); forwards SIGINT/SIGTERM/SIGHUP; calls onExit with how it ended.
 */
function runForwarding(command, args, opts, onExit) {
  const started = Date.now();
  const child = spawn(command, args, { stdio: ['inherit', 'inherit', 'pipe'], ...opts });
  let errTail = '';
  child.stderr.on('data', (d) => {
    process.stderr.write(d);
    errTail = (errTail + d.toString()).slice(-16_384);
  });
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
    onExit({ code, signal, forwarded, elapsedMs: Date.now() - started, lastError: lastErrorLine(errTail) });
  };
  child.on('error', (e) => {
    errTail += `\n[puesta] could not start ${command}: ${e.message}\n`;
    end(1, null);
  });
  // The last error line may still be in the pipe when the process exits: wait for its end, but not
  // for long (a helper process that inherited the pipe, such as Electron's, may keep it open).
  let stderrEnded = false;
  child.stderr.on('end', () => (stderrEnded = true));
  child.on('exit', (code, signal) => {
    if (stderrEnded) return end(code, signal);
    const timer = setTimeout(() => end(code, signal), 500);
    child.stderr.once('end', () => {
      clearTimeout(timer);
      end(code, signal);
    });
  });
}

function startWeb() {
  runForwarding(process.execPath, ['--import', 'tsx', path.join('electron', 'web', 'main.ts')], { cwd: ROOT, env: process.env }, (end) => exitAfter('browser shell', end));
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
      if (!fallBackToWeb(end)) return exitAfter('desktop window', end);
      console.log(`[puesta] The desktop window could not start (Electron exited with ${end.code ?? end.signal}); starting Puesta in your browser instead.`);
      startWeb();
    });
  }

  startWeb();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
