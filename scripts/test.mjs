// `npm test`: everything a reviewer or CI checks, in order, stopping at the first failure.
//   1. system packages the real test hosts need (scripts/setup-system.sh; installs when missing)
//   2. lint (layer rules included)   3. typecheck (node, renderer, electron)
//   4. build the renderer (the e2e tests drive the built UI)
//   5. vitest: unit, integration (real sshd/nginx/PostgreSQL/SMTP), e2e (Chromium)
// Ends with one plain line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const args = process.argv.slice(2);
const t0 = Date.now();

function step(name, cmd, cmdArgs, opts = {}) {
  const s = Date.now();
  console.log(`\n[puesta test] ${name} …`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' }, ...opts });
  const secs = ((Date.now() - s) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.log(`[puesta test] ${name} FAILED (${secs} s)`);
    return false;
  }
  console.log(`[puesta test] ${name} ok (${secs} s)`);
  return true;
}

const npx = (bin, a) => [process.execPath, [path.join(root, 'node_modules', bin), ...a]];

let ok = step('system packages', 'bash', ['scripts/setup-system.sh']);
ok = ok && step('lint', ...npx('eslint/bin/eslint.js', ['.']));
ok = ok && step('typecheck', 'npm', ['run', '-s', 'typecheck']);
ok = ok && step('build renderer', ...npx('vite/bin/vite.js', ['build', '--logLevel', 'warn']));

let summary = { passed: 0, failed: 0, skipped: 0 };
if (ok) {
  mkdirSync(path.join(root, '.cache'), { recursive: true });
  const report = path.join(root, '.cache', 'vitest-report.json');
  const vitestOk = step('tests', ...npx('vitest/vitest.mjs', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args]));
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    summary = { passed: r.numPassedTests ?? 0, failed: r.numFailedTests ?? 0, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) };
  }
  ok = vitestOk && summary.failed === 0 && summary.passed > 0;
  if (summary.passed === 0) console.log('[puesta test] no test ran: that is a failure.');
} else {
  summary.failed = 1;
}
console.log(`\n[puesta test] total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
process.exit(ok ? 0 : 1);
