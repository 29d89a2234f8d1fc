// Runs after `npm install`. Two jobs, neither of which may fail the install:
// 1. Try to fetch Electron's binary (npm's own electron postinstall is disabled through
//    "allowScripts" because it fails hard where the download host is unreachable).
// 2. Say plainly which shell `npm start` will use.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function electronBinaryPresent() {
  try {
    const p = require('electron'); // the package exports the binary's path, or throws
    return typeof p === 'string' && existsSync(p);
  } catch {
    return false;
  }
}

if (process.env.PUESTA_SKIP_ELECTRON_DOWNLOAD === '1') {
  console.log('[puesta] PUESTA_SKIP_ELECTRON_DOWNLOAD=1: not fetching the Electron binary.');
} else if (!electronBinaryPresent()) {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (existsSync(installer)) {
    console.log('[puesta] fetching the Electron binary (needed for the desktop window only)…');
    const r = spawnSync(process.execPath, [installer], { stdio: 'pipe', timeout: 180_000, encoding: 'utf8' });
    if (r.status === 0 && electronBinaryPresent()) {
      console.log('[puesta] Electron binary installed: `npm start` opens the desktop window (its first start builds SQLite for Electron, about a minute).');
    } else {
      const lines = (r.stderr || r.stdout || String(r.error ?? '')).split('\n').map((l) => l.trim()).filter(Boolean);
      const why = lines.find((l) => /error|ENOTFOUND|EAI_AGAIN|ECONN/i.test(l)) ?? lines[0] ?? (r.error ? String(r.error) : 'unknown error');
      console.log(`[puesta] could not fetch the Electron binary (${why.trim()}).`);
      console.log('[puesta] That is fine: `npm start` will serve the same app in your browser instead (run `npm install` again later to get the desktop window).');
    }
  }
} else {
  console.log('[puesta] Electron binary present: `npm start` opens the desktop window.');
}
