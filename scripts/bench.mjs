// `npm run bench -- <name> [args…]` runs test/bench/<name>.ts with tsx; its exit code is passed through.
// Each bench measures against a baseline in the same run and prints as its LAST line exactly
// `BENCH <name> key=value …`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = path.join(root, 'test', 'bench');
const available = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
      .map((f) => f.slice(0, -3))
      .sort()
  : [];
const [name, ...rest] = process.argv.slice(2);

if (!name || !/^[a-z0-9][a-z0-9_-]*$/i.test(name) || !available.includes(name)) {
  console.error(name ? `[puesta bench] there is no bench "${name}".` : '[puesta bench] name a bench: npm run bench -- <name>');
  console.error(`[puesta bench] available: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}

const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const r = spawnSync(process.execPath, [tsx, path.join(dir, `${name}.ts`), ...rest], { stdio: 'inherit', cwd: root });
if (r.error) console.error(`[puesta bench] could not start tsx: ${r.error.message}`);
process.exit(r.status ?? 1);
