/**
 * Shape invariants of ARCHITECTURE.md that lint does not cover: file length, and the runs engine
 * knowing no step kind by name (step kinds plug in through electron/core/steps.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/core.js';

function files(dir: string, exts: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, exts));
    else if (exts.test(name)) out.push(p);
  }
  return out;
}

const rel = (p: string) => path.relative(ROOT, p);

describe('code shape', () => {
  it('no source file in electron/ or renderer/src/ is over 450 lines', () => {
    const long = [...files(path.join(ROOT, 'electron'), /\.tsx?$/), ...files(path.join(ROOT, 'renderer', 'src'), /\.tsx?$/)]
      .map((f) => ({ f: rel(f), n: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.n > 450);
    expect(long).toEqual([]);
  });

  it('the runs engine and its stores import no step kind (provision, dbpatch, proxy, …) by path', () => {
    const runs = path.join(ROOT, 'electron', 'core', 'runs');
    const offenders: string[] = [];
    for (const f of files(runs, /\.ts$/)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/from\s+['"](\.\.\/[^'"]+)['"]/g)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(f), m[1]!));
        if (!target.startsWith('electron/core/')) continue; // shared/ is always fine
        const area = target.slice('electron/core/'.length).split('/')[0] ?? '';
        // The engine may use the plumbing (db, ssh, util, repos, the core type, the handler type) — never a step kind's folder.
        if (!['db', 'ssh', 'util', 'repos', 'core.js', 'handlers.js', 'events.js'].includes(area)) offenders.push(`${rel(f)} → ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
