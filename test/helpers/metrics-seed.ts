/**
 * Writes a run history straight into the tables, as the runs engine leaves it: the run, its
 * `switch` cell, a health check cell (with the gate's switchedBack record and its audit row), a
 * rollback's left release in its context. For the metrics unit tests, the e2e seed and the bench.
 */
import type { Db } from '../../electron/core/db/connection.js';

export interface SeedRun {
  app: number;
  env: number;
  server: number;
  kind: 'install' | 'upgrade' | 'rollback';
  key: string;
  state?: 'succeeded' | 'aborted';
  /** When the switch step finished (null: it never switched). Rollbacks: when they finished. */
  at: string | null;
  /** Default: 5 minutes after `at` (a rollback: `at`). */
  finishedAt?: string;
  /** Default: 10 minutes before `at`. */
  startedAt?: string;
  /** A rollback: the release it left. */
  leftKey?: string;
  /** The gate put the host back: the check (started at the switch) had this deadline; when the switch back was done. */
  switchBack?: { deadlineSeconds: number; doneAt: string; ok?: boolean };
}

const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

const CHECKLIST = (deadlineSeconds: number) =>
  JSON.stringify([
    { key: 'upload', title: 'Upload', kind: 'auto', action: 'upload' },
    { key: 'switch', title: 'Switch', kind: 'auto', action: 'shell' },
    { key: 'health', title: 'Health', kind: 'check', action: 'shell', switchBackOnFailure: true, check: { kind: 'http', deadlineSeconds } },
  ]);

export class HistorySeeder {
  private readonly run;
  private readonly cell;
  private readonly audit;

  constructor(private readonly db: Db) {
    this.run = db.prepare(
      `INSERT INTO runs (application_id, environment_id, kind, release_key, checklist, targets, context, operator, state, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, '[]', ?, 'seed', ?, ?, ?)`,
    );
    this.cell = db.prepare(
      `INSERT INTO run_steps (run_id, step_index, step_key, server_id, state, attempt, started_at, finished_at, switched_back) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    );
    this.audit = db.prepare(`INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?, 'seed', 'run.switch-back', 'runs', ?, NULL, ?)`);
  }

  /** Inserts one run; returns its id. */
  add(r: SeedRun): number {
    const anchor = r.at ?? r.startedAt ?? r.finishedAt!;
    const started = r.startedAt ?? shift(anchor, -600_000);
    const finished = r.finishedAt ?? (r.kind === 'rollback' && r.at ? r.at : shift(anchor, 300_000));
    const context = JSON.stringify({ vars: { [String(r.server)]: { 'release.key': r.key, 'release.previous': r.leftKey ?? '' } } });
    const id = Number(
      this.run.run(r.app, r.env, r.kind, r.key, CHECKLIST(r.switchBack?.deadlineSeconds ?? 30), context, r.state ?? 'succeeded', started, finished).lastInsertRowid,
    );
    this.cell.run(id, 0, 'upload', r.server, 'succeeded', started, started, null);
    this.cell.run(id, 1, 'switch', r.server, r.at ? 'succeeded' : 'pending', r.at ? shift(r.at, -1000) : null, r.at, null);
    const sb = r.switchBack;
    if (sb) {
      const ok = sb.ok ?? true;
      this.cell.run(id, 2, 'health', r.server, 'succeeded', r.at, finished, JSON.stringify({ from: r.key, to: 'prev', ok }));
      this.audit.run(sb.doneAt, id, JSON.stringify({ step: 'health', serverId: r.server, from: r.key, to: 'prev', ok }));
    } else if (r.at) {
      this.cell.run(id, 2, 'health', r.server, 'succeeded', r.at, finished, null);
    }
    return id;
  }

  incident(runId: number, startedAt: string, title = 'incident'): void {
    this.db.prepare("INSERT INTO metric_incidents (run_id, title, started_at, created_at, created_by) VALUES (?, ?, ?, ?, 'seed')").run(runId, title, startedAt, startedAt);
  }

  fix(runId: number, fixesRunId: number): void {
    this.db.prepare('INSERT INTO metric_fixes (run_id, fixes_run_id) VALUES (?, ?)').run(runId, fixesRunId);
  }

  /** What the fetch of a git deployment found (moved to metric_commits once the run is final). */
  commits(runId: number, commits: [sha: string, at: string][]): void {
    const ins = this.db.prepare('INSERT OR IGNORE INTO metric_fetched_commits (run_id, sha, committed_at, committed_ms) VALUES (?, ?, ?, ?)');
    for (const [sha, at] of commits) ins.run(runId, sha, at, Date.parse(at));
  }

  window(app: number, start: string, end: string, state = 'announced'): void {
    const id = Number(
      this.db
        .prepare("INSERT INTO windows (title, start_at, end_at, state, created_at, updated_at) VALUES ('planned', ?, ?, ?, ?, ?)")
        .run(start, end, state, start, start).lastInsertRowid,
    );
    this.db.prepare('INSERT INTO window_applications (window_id, application_id) VALUES (?, ?)').run(id, app);
  }
}
