/**
 * The lint rules that hold the layers (eslint-rules/, wired in eslint.config.js), proven on
 * virtual files: each bad probe must be reported where it breaks a rule, each good probe must
 * lint clean. Nothing is written to disk; ESLint lints the text as if it sat at `file`.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

interface Finding {
  rule: string | null;
  line: number;
}

async function lint(file: string, code: string): Promise<{ all: Finding[]; messages: string[] }> {
  const found = (await eslint.lintText(code, { filePath: path.join(ROOT, file) })).flatMap((r) => r.messages);
  return { all: found.map((m) => ({ rule: m.ruleId, line: m.line })), messages: found.map((m) => m.message) };
}

/** The findings of one rule, as the lines it reported. */
async function linesOf(rule: string, file: string, code: string): Promise<number[]> {
  return (await lint(file, code)).all.filter((f) => f.rule === rule).map((f) => f.line);
}

const lines = (...src: string[]) => src.join('\n') + '\n';

describe('local/layers: relative imports resolved to their layer', () => {
  it('core imports no shell and no renderer, from any depth', async () => {
    const code = lines(
      "import '../../main/ipc.js';",
      "import '../../web/server.js';",
      "import '../../preload/bridge.js';",
      "import '../../../renderer/src/App.js';",
      "import '../../../test/helpers/core.js';",
    );
    expect(await linesOf('local/layers', 'electron/core/runs/x.ts', code)).toEqual([1, 2, 3, 4, 5]);
    const { messages } = await lint('electron/core/runs/x.ts', code);
    expect(messages[0]).toBe('electron/core may not import electron/main ("../../main/ipc.js"): electron/core imports only from itself and shared.');
    expect(messages[4]).toContain('test/helpers/core.js, which is in no layer');
  });

  it('the shells never import each other nor the renderer', async () => {
    expect(await linesOf('local/layers', 'electron/main/x.ts', lines("import '../../renderer/src/App.js';", "import '../web/server.js';", "import '../preload/bridge.js';"))).toEqual([1, 2, 3]);
    expect(await linesOf('local/layers', 'electron/preload/x.ts', lines("import '../main/ipc.js';", "import '../web/server.js';"))).toEqual([1, 2]);
    expect(await linesOf('local/layers', 'electron/web/x.ts', lines("import '../main/protocol.js';", "export type { Bridge } from '../preload/bridge.js';"))).toEqual([1, 2]);
  });

  it('shared imports nothing of ours outside shared, and no Node built-in', async () => {
    const code = lines("import 'node:fs';", "import 'path';", "import '../electron/core/core.js';", "import '../renderer/src/App.js';");
    expect(await linesOf('local/layers', 'shared/x.ts', code)).toEqual([1, 2, 3, 4]);
  });

  it('the renderer imports only shared, and no Node built-in; dynamic and type imports count', async () => {
    const code = lines(
      "import '../../electron/core/core.js';",
      "import 'node:fs';",
      "export const load = () => import('../../electron/web/server.js');",
      "export type C = typeof import('../../electron/core/core.js');",
    );
    expect(await linesOf('local/layers', 'renderer/src/x.tsx', code)).toEqual([1, 2, 3, 4]);
  });
});

describe('local/packages: platform packages only where they are allowed', () => {
  it('core modules outside their area get no ssh2, nodemailer, better-sqlite3 (even type-only), child_process or electron', async () => {
    const code = lines(
      "import 'ssh2';",
      "import 'nodemailer';",
      "import type { Statement } from 'better-sqlite3';",
      "import 'child_process';",
      "import 'node:child_process';",
      "import 'electron';",
      'export type S = Statement;',
    );
    expect(await linesOf('local/packages', 'electron/core/windows/x.ts', code)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await lint('electron/core/windows/x.ts', code)).messages[0]).toBe('"ssh2" may only be imported in electron/core/ssh/**.');
  });

  it('test-only packages never appear in product code, and React stays in the renderer', async () => {
    expect(await linesOf('local/packages', 'electron/main/x.ts', lines("import 'playwright-core';", "import 'smtp-server';", "import 'react';"))).toEqual([1, 2, 3]);
    expect(await linesOf('local/packages', 'shared/x.ts', lines("import 'electron';", "import '@tanstack/react-query';"))).toEqual([1, 2]);
  });
});

describe('local/sql-in-stores: statements only in store modules', () => {
  it('reports prepare, pragma and exec on a database outside the stores', async () => {
    const code = lines(
      "import type { Core } from '../core.js';",
      'export function f(core: Core, db: Core["db"]) {',
      "  core.db.prepare('SELECT 1');",
      "  db.exec('DELETE FROM t');",
      "  db.pragma('foreign_keys');",
      '}',
      'export class C {',
      '  constructor(private readonly mainDb: Core["db"]) {}',
      "  g() { return this.mainDb.exec('VACUUM'); }",
      '}',
    );
    expect(await linesOf('local/sql-in-stores', 'electron/core/windows/x.ts', code)).toEqual([3, 4, 5, 9]);
    expect(await linesOf('local/sql-in-stores', 'electron/main/x.ts', code)).toEqual([3, 4, 5, 9]);
  });
});

describe('good probes lint clean', () => {
  const clean = async (file: string, code: string) => expect((await lint(file, code)).all).toEqual([]);

  it('stores may run SQL and use better-sqlite3', async () => {
    const code = lines(
      "import type { Database, Statement } from 'better-sqlite3';",
      "export const one = (db: Database): Statement => db.prepare('SELECT 1');",
      "export const wipe = (db: Database) => db.exec('DELETE FROM t');",
    );
    for (const file of ['electron/core/windows/x-store.ts', 'electron/core/runs/store.ts', 'electron/core/repos/x.ts', 'electron/core/db/x.ts', 'electron/core/inventory/servers-repo.ts']) await clean(file, code);
  });

  it('exec on anything but a database is fine anywhere', async () => {
    const code = lines(
      "export const m = (s: string) => /a(b)/.exec(s);",
      'export const run = (pool: { exec(c: string): void }, re: RegExp) => {',
      "  pool.exec('true');",
      "  re.exec('x');",
      '};',
    );
    for (const file of ['electron/core/windows/x.ts', 'electron/main/x.ts', 'shared/x.ts', 'renderer/src/x.ts']) await clean(file, code);
  });

  it('each layer reaches itself and what it allows', async () => {
    await clean('shared/contract/x.ts', lines("import '../errors.js';", "import './runs.js';", "import 'zod';"));
    await clean('electron/core/windows/x.ts', lines("import '../../../shared/shell.js';", "import '../core.js';", "import 'node:fs';", "import 'luxon';"));
    await clean('electron/main/x.ts', lines("import 'electron';", "import '../../shared/shell.js';", "import '../core/core.js';", "import './ipc.js';", "import 'node:fs';"));
    await clean('electron/preload/x.ts', lines("import 'electron';", "import '../../shared/shell.js';", "import './bridge.js';"));
    await clean('electron/web/x.ts', lines("import 'node:http';", "import '../../shared/shell.js';", "import '../core/dispatch.js';", "import './server.js';"));
    await clean('renderer/src/features/x.tsx', lines("import 'react';", "import '@tanstack/react-query';", "import '../../../shared/shell.js';", "import '../api/client.js';", "import '../styles.css?raw';"));
  });

  it('each platform package is allowed in its own place', async () => {
    await clean('electron/core/ssh/x.ts', "import 'ssh2';\n");
    await clean('electron/core/notices/transport.ts', "import 'nodemailer';\n");
    await clean('electron/core/runs/local-exec.ts', "import 'node:child_process';\n");
    await clean('electron/core/runs/archive.ts', "import 'node:child_process';\n");
  });
});
