/**
 * Migrations with data in the tables: for every migration, a database is filled as it was at the
 * version before (every table holds rows), the migration is applied, and every row must still be
 * there with the same values — new columns at their declared default. Then a database climbed from
 * version 1 with data at each step is opened by the current core and read through the API.
 *
 * Adding a migration that creates a table: add its rows to SEEDS under the new version, so the next
 * migration is tested against it (the "every table holds rows" check fails otherwise).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../electron/core/db/connection.js';
import { loadMigrations, migrate } from '../../electron/core/db/migrate.js';
import { ApplicationFields } from '../../shared/contract/inventory.js';
import { call } from '../helpers/api.js';
import { makeCore, MIGRATIONS, type TestCore } from '../helpers/core.js';

const T = '2026-01-10T09:00:00.000Z';
const j = (v: unknown) => JSON.stringify(v);
const app = ApplicationFields.parse({ name: 'billing', runtimeUser: 'billing', basePath: '/srv/billing', services: [{ name: 'web', kind: 'web', command: 'node server.js', instances: 2 }] });

/** Rows added once the database is at each version (statements and their arguments). */
const SEEDS: Record<number, [string, unknown[]][]> = {
  1: [
    ['INSERT INTO environments (name, colour, confirm_runs, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['production', '#ff0000', 1, 'careful', T, T]],
    [
      'INSERT INTO servers (name, host, port, user, auth, key_path, environment_id, roles, tags, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['srv-a', '10.0.0.1', 2222, 'deploy', 'key', '/home/op/.ssh/id', 1, j(['web']), j(['eu']), '', T, T],
    ],
    [
      `INSERT INTO applications (name, runtime_user, base_path, source_kind, source, keep_releases, shared_dirs, shared_files, strategy, health_check, services,
         log_rotation, backup_policy, monitoring, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        app.name, app.runtimeUser, app.basePath, app.sourceKind, app.source, app.keepReleases, j(app.sharedDirs), j(app.sharedFiles), app.strategy,
        j(app.healthCheck), j(app.services), j(app.logRotation), j(app.backupPolicy), j(app.monitoring), app.notes, T, T,
      ],
    ],
    ['INSERT INTO placements (application_id, server_id, role, slot, created_at, updated_at) VALUES (1, 1, ?, ?, ?, ?)', ['web', 'blue', T, T]],
    ['INSERT INTO customers (name, timezone, language, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['Acme Madrid', 'Europe/Madrid', 'es', '', T, T]],
    ['INSERT INTO contacts (customer_id, name, email, role, opted_out, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?)', ['Ana', 'ana@acme.test', 'cto', 0, T, T]],
    ['INSERT INTO contacts (customer_id, name, email, role, opted_out, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?)', ['Olga', 'olga@acme.test', '', 1, T, T]],
    [
      `INSERT INTO contracts (customer_id, reference, start_date, end_date, grace_days, state, suspension_action, allowed_hours, notes, created_at, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['C-MAD', '2025-01-01', '2027-12-31', 15, 'active', '', j({ days: [6, 7], from: '00:00', to: '06:00' }), '', T, T],
    ],
    ['INSERT INTO contract_applications (contract_id, application_id) VALUES (1, 1)', []],
    ['INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)', [T, 'ana', 'update', 'servers', 1, j({ port: 22 }), j({ port: 2222 })]],
    ['INSERT INTO settings (key, value) VALUES (?, ?)', ['operator', 'ana']],
    ['INSERT INTO secrets (key, ciphertext, updated_at) VALUES (?, ?, ?)', ['server:1:password', Buffer.from([1, 2, 3]), T]],
  ],
  2: [
    [
      'INSERT INTO host_keys (host, port, key_type, fingerprint, server_id, trusted_by, trusted_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ['10.0.0.1', 2222, 'ssh-ed25519', 'SHA256:abc', 1, 'ana', T],
    ],
  ],
  3: [
    [
      'INSERT INTO windows (title, start_at, end_at, impact, state, sequence, linked_run_id, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['DB upgrade', '2026-03-29T00:30:00.000Z', '2026-03-29T03:30:00.000Z', 'read-only', 'announced', 2, null, '', T, T],
    ],
    ['INSERT INTO window_applications (window_id, application_id) VALUES (1, 1)', []],
    ['INSERT INTO window_servers (window_id, server_id) VALUES (1, 1)', []],
    ['INSERT INTO blackouts (start_date, end_date, reason, timezone, created_at) VALUES (?, ?, ?, ?, ?)', ['2026-12-20', '2027-01-06', 'year-end freeze', 'Europe/Madrid', T]],
    ['INSERT INTO notice_templates (kind, language, subject, html, text, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['announce', 'es', 'Aviso {{title}}', '<p>{{title}}</p>', '{{title}}', T]],
    [
      'INSERT INTO campaigns (window_id, kind, offset_hours, scheduled_at, state, materialised_at, params, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)',
      ['announce', null, T, 'materialised', T, '{}', T, T],
    ],
    [
      `INSERT INTO outbox (campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method, state, attempts, last_error,
         next_attempt_at, message_id, smtp_message_id, sent_at, note, created_at, updated_at) VALUES (1, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['Acme Madrid', 'Ana', 'ana@acme.test', 'Aviso DB upgrade', 'REQUEST', 'sent', 1, null, T, '<m1@puesta>', '<smtp-1>', T, null, T, T],
    ],
    ['INSERT INTO outbox_bodies (outbox_id, html, text, ics) VALUES (1, ?, ?, ?)', ['<p>DB upgrade</p>', 'DB upgrade', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n']],
  ],
  4: [
    ['INSERT INTO checklists (application_id, kind, updated_at) VALUES (1, ?, ?)', ['upgrade', T]],
    ['INSERT INTO checklist_steps (checklist_id, position, key, spec) VALUES (1, 0, ?, ?)', ['migrate', j({ key: 'migrate', title: 'Migrate', kind: 'command', command: 'make migrate' })]],
    [
      `INSERT INTO runs (application_id, environment_id, kind, release_key, label, checklist, targets, context, excluded, operator, reason, state, waiting_for,
         current_step, parallelism, rollback_offer, error, started_at, finished_at) VALUES (1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['upgrade', 'r2', 'v2', '[]', j([1]), '{}', '[]', 'ana', '', 'succeeded', null, 1, 8, null, null, T, T],
    ],
    [
      'INSERT INTO releases (application_id, server_id, key, label, sha256, source, path, run_id, created_at, removed_at) VALUES (1, 1, ?, ?, ?, ?, ?, 1, ?, ?)',
      ['r2', 'v2', 'ab'.repeat(32), 'billing.tgz', '/srv/billing/releases/r2', T, null],
    ],
    ['INSERT INTO current_releases (application_id, server_id, release_id, previous_release_id, run_id, switched_at) VALUES (1, 1, 1, NULL, 1, ?)', [T]],
    [
      `INSERT INTO run_steps (run_id, step_index, step_key, server_id, state, attempt, exit_code, command, started_at, finished_at, duration_ms, note, error)
         VALUES (1, 0, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['migrate', 'succeeded', 1, 0, 'make migrate', T, T, 1200, '', null],
    ],
    ['INSERT INTO run_logs (run_id, step_index, server_id, attempt, stream, seq, ts, text) VALUES (1, 0, 1, 1, ?, 0, ?, ?)', ['stdout', T, 'migrated\n']],
    ['INSERT INTO locks (application_id, environment_id, owner, reason, run_id, since, lease_expires_at) VALUES (1, 1, ?, ?, NULL, ?, ?)', ['ana', 'hotfix', T, T]],
  ],
  5: [
    [
      'INSERT INTO provision_snapshots (application_id, server_id, run_id, kind, applied_at, applied_by, inventory) VALUES (1, NULL, 1, ?, ?, ?, ?)',
      ['install', T, 'ana', j({ slug: 'billing', runtimeUser: 'billing', basePath: '/srv/billing', sharedDirs: [], sharedFiles: [], services: app.services, logRotation: app.logRotation, backupPolicy: app.backupPolicy, monitoring: app.monitoring, healthCheck: app.healthCheck })],
    ],
    [
      'INSERT INTO host_stats (server_id, application_id, at, stats, error) VALUES (1, 1, ?, ?, NULL)',
      [T, j({ load: [0.1, 0.2, 0.3], uptimeSeconds: 60, memory: { totalKb: 1000, availableKb: 500 }, disk: { path: '/srv', totalKb: 100, usedKb: 95, availableKb: 5 }, services: [], health: null })],
    ],
  ],
  6: [
    [
      'INSERT INTO outbox_renders (campaign_id, subject, html, text, ics_head, ics_tail, ics_method, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)',
      [j(['Aviso']), j(['<p>', '</p>']), j(['Hola ', '']), 'BEGIN:VCALENDAR\r\n', 'END:VCALENDAR\r\n', 'REQUEST', T],
    ],
    [
      `INSERT INTO outbox (campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, state, next_attempt_at, message_id, created_at, updated_at, render_id)
         VALUES (1, NULL, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      ['Acme Madrid', 'Bea', 'bea@acme.test', 'Aviso', 'queued', T, '<m2@puesta>', T, T],
    ],
  ],
  7: [["UPDATE run_steps SET switched_back = ? WHERE id = 1", [j({ from: 'r2', to: 'r1', ok: true })]]],
  8: [
    ['INSERT INTO metric_incidents (run_id, title, started_at, created_at, created_by) VALUES (1, ?, ?, ?, ?)', ['checkout down', T, T, 'ana']],
    ['INSERT INTO metric_fixes (run_id, fixes_run_id) VALUES (1, 1)', []],
    ['INSERT INTO metric_fetched_commits (run_id, sha, committed_at, committed_ms) VALUES (1, ?, ?, ?)', ['abc123', T, Date.parse(T)]],
    ['INSERT INTO metric_commits (application_id, environment_id, sha, committed_at, committed_ms, run_id) VALUES (1, 1, ?, ?, ?, 1)', ['abc123', T, Date.parse(T)]],
    ['INSERT INTO metric_release_heads (run_id, sha) VALUES (1, ?)', ['abc123']],
    ["INSERT INTO metric_runs (run_id, application_id, environment_id, role, release_key, left_key, at_ms, finished_ms) VALUES (1, 1, 1, 'deployment', ?, '', ?, ?)", ['r2', Date.parse(T), Date.parse(T)]],
    ['INSERT INTO metric_switch_backs (run_id, server_id, failed_ms, done_ms, ok) VALUES (1, 1, ?, ?, 1)', [Date.parse(T), Date.parse(T)]],
    ['INSERT INTO metric_pending (run_id) VALUES (1)', []],
  ],
  10: [['INSERT INTO server_checks (server_id, at, kind, ok, code, message) VALUES (1, ?, ?, 1, NULL, ?)', [T, 'connection', '12 ms per command']]],
  11: [
    ['INSERT INTO proxy_settings (application_id, settings, updated_at) VALUES (1, ?, ?)', [j({ driver: 'haproxy-runtime' }), T]],
    ['INSERT INTO proxy_slots (application_id, server_id, live, since, blue_release, green_release, green_weight, warm_until, draining) VALUES (1, 1, ?, ?, ?, ?, ?, ?, 0)', ['green', T, 'r1', 'r2', 10, T]],
    ['INSERT INTO proxy_events (application_id, server_id, at, kind, live, green_weight, release, run_id, operator, note) VALUES (1, 1, ?, ?, ?, ?, ?, 1, ?, ?)', [T, 'switch', 'green', null, 'r2', 'ana', '']],
  ],
  12: [
    ["INSERT INTO db_databases (application_id, name, server_id, host, port, dbname, user, created_at, updated_at) VALUES (1, 'main', 1, '127.0.0.1', 5432, 'billing', 'billing', ?, ?)", [T, T]],
    ['INSERT INTO db_patches (application_id, patch_id, position, meta, up_sql, down_sql, verify_sql, checksum, source_path, imported_at) VALUES (1, ?, 0, ?, ?, ?, NULL, ?, ?, ?)', ['0001-orders', j({ id: '0001-orders', reversible: 'yes', compat: 'expand' }), 'CREATE TABLE orders (id int)', 'DROP TABLE orders', 'abc', '/p/0001-orders', T]],
    ["INSERT INTO db_ledger (database_id, remote_id, patch_id, direction, state, checksum, operator, run_id, release_key, started_at, finished_at, estimate_ms, actual_ms) VALUES (1, 1, ?, 'up', 'done', 'abc', 'ana', 1, 'r2', ?, ?, 1, 2)", ['0001-orders', T, T]],
    ['INSERT INTO db_acknowledgements (database_id, patch_id, checksum, operator, reason, at) VALUES (1, ?, ?, ?, ?, ?)', ['0001-orders', 'abc', 'ana', 'window booked', T]],
    ["INSERT INTO db_rollback_decisions (application_id, environment_id, to_release_key, decision, operator, at) VALUES (1, 1, 'r1', 'app-only', 'ana', ?)", [T]],
  ],
  15: [["INSERT INTO step_usual (application_id, step_key, median_ms, samples, through_run_id) VALUES (1, 'switch', 1200, 3, 1)", []]],
  16: [
    [
      `INSERT INTO metric_deploys (environment_id, at_ms, run_id, application_id, role, release_key, failed, causes, fixed_by, fixes_run_id, recovery_s, recovery_exact, lead_s)
         VALUES (1, ?, 1, 1, 'deployment', 'r2', 1, 'switch-back', NULL, NULL, 75, 1, ?)`,
      [Date.parse(T), j([3600])],
    ],
    ['INSERT INTO metric_lanes (application_id, environment_id, window_hours, deployments) VALUES (1, 1, 24, 1)', []],
    // (1, 1) is dirty already: the migration marks the lanes of the runs cached before it
    ['INSERT INTO metric_dirty_lanes (application_id, environment_id) VALUES (1, 2)', []],
  ],
  17: [
    ["INSERT INTO ab_experiments (application_id, environment_id, blue_release, green_release, started_at, started_by, ended_at, ended_by, end_note) VALUES (1, 1, 'r1', 'r2', ?, 'ana', ?, 'ana', 'weights back to blue only')", [T, T]],
    ["INSERT INTO ab_weights (experiment_id, at, green, operator, reason) VALUES (1, ?, 10, 'ana', 'first step')", [T]],
  ],
  18: [
    ["INSERT INTO db_release_sets (application_id, release_key, source, read_at) VALUES (1, 'r2', 'srv-a:/srv/billing/releases/r2/db/patches', ?)", [T]],
    ["INSERT INTO db_release_patches (application_id, release_key, patch_id, position, checksum) VALUES (1, 'r2', '0001-orders', 0, 'abc')", []],
    ["INSERT INTO db_backups (database_id, path, bytes, taken_at, source, run_id, recorded_at) VALUES (1, '/var/backups/main-r2.dump', 4096, ?, 'pre-patch', 1, ?)", [T, T]],
  ],
  13: [
    ["INSERT INTO contract_policies (contract_id, reminder_days_before, overdue_reminder_days_after, suspension_mode, suspension_reason, retry_after_seconds, stop_workers, updated_at) VALUES (1, ?, NULL, 'automatic', NULL, 3600, ?, ?)", [j([30, 7]), j(['worker']), T]],
    ["INSERT INTO contract_holds (contract_id, reason, until, created_at, created_by) VALUES (1, 'paying in instalments', '2026-02-01', ?, 'ana')", [T]],
    ["INSERT INTO contract_stages (contract_id, application_id, stage, at, why, actor) VALUES (1, 1, 'grace', ?, 'ended on 2026-01-01', 'puesta')", [T]],
    ["INSERT INTO contract_due_handled (key, contract_id, kind, days, period, due_at, handled_at, outcome) VALUES ('contract:1:reminder:30:2027-12-31', 1, 'reminder', 30, '2027-12-31', ?, ?, 'queued for 1 contact')", [T, T]],
    ["INSERT INTO contract_proposals (contract_id, application_id, period, due_at, reason, state, created_at) VALUES (1, 1, '2027-12-31', ?, 'overdue', 'open', ?)", [T, T]],
    [
      `INSERT INTO outbox (campaign_id, contract_id, notice_key, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method, state, attempts,
         next_attempt_at, message_id, created_at, updated_at) VALUES (NULL, 1, 'contract:1:reminder:30:2027-12-31', 1, 1, 'Acme Madrid', 'Ana', 'ana@acme.test', ?, '', 'sent', 1, ?, '<m3@puesta>', ?, ?)`,
      ['Su contrato C-MAD vence', T, T, T],
    ],
  ],
  14: [
    ["INSERT INTO suspensions (contract_id, application_id, environment_id, reason, state, phase, retry_after, message, stop_workers, notify, suspend_run_id, reinstate_run_id, suspend_notice_id, reinstate_notice_id, note, created_at, updated_at) VALUES (1, 1, 1, 'overdue', 'suspended', 'suspend', 86400, ?, ?, 1, 1, NULL, 1, NULL, '', ?, ?)", ['Pay invoice 42', j(['worker']), T, T]],
    ["INSERT INTO suspension_runs (suspension_id, phase, operator, started_at, finished_at) VALUES (1, 'suspend', 'ana', ?, ?)", [T, T]],
    ["INSERT INTO suspension_hosts (suspension_id, server_id, server_name, state, step, previous_target, stopped_workers, verification, error, log) VALUES (1, 1, 'web-1', 'done', 'verify', 'app.sock', ?, ?, NULL, ?)", [j(['worker']), j({ status: 503, retryAfter: '86400', marker: true, acme: true }), 'swapped\n']],
  ],
};

const all = loadMigrations(MIGRATIONS);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'puesta-migdata-'));

function tablesOf(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

/** Rows a migration rewrites on purpose (version → table → the row as it must read after it); every other row stays as it was. */
const REWRITES: Record<number, Record<string, (row: Record<string, unknown>) => Record<string, unknown>>> = {
  // 0009: one allowed-hours range becomes a list of one
  9: { contracts: (r) => ({ ...r, allowed_hours: r.allowed_hours == null ? null : j([JSON.parse(String(r.allowed_hours))]) }) },
};

/** Every row of every table, in rowid order (a WITHOUT ROWID table: its primary key's). */
function dump(db: Db): Map<string, Record<string, unknown>[]> {
  const order = (t: string) => {
    const sql = String(db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(t));
    if (!/WITHOUT\s+ROWID\s*$/i.test(sql)) return 'rowid';
    return (db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').pluck().all(t) as string[]).map((c) => `"${c}"`).join(', ');
  };
  return new Map(tablesOf(db).map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY ${order(t)}`).all() as Record<string, unknown>[]]));
}

/** A database file at `version`, with the seeds of every version up to it. */
function databaseAt(version: number): { db: Db; file: string; dir: string } {
  const dir = tmp();
  const file = path.join(dir, 'puesta.sqlite');
  const db = openDb(file);
  for (let v = 1; v <= version; v++) {
    migrate(db, all.slice(0, v), { dbFile: file, backupDir: path.join(dir, 'backups') });
    db.transaction(() => {
      for (const [sql, args] of SEEDS[v] ?? []) db.prepare(sql).run(...args);
    })();
  }
  return { db, file, dir };
}

describe('migrations with data', () => {
  it.each(all.slice(1).map((m) => [m.version, m.name] as const))('%i (%s) keeps every row of the tables that existed before', (version) => {
    const { db, file, dir } = databaseAt(version - 1);
    const before = dump(db);
    expect([...before].filter(([, rows]) => rows.length === 0).map(([t]) => t)).toEqual([]);

    migrate(db, all.slice(0, version), { dbFile: file, backupDir: path.join(dir, 'backups') });
    expect(db.pragma('user_version', { simple: true })).toBe(version);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const after = dump(db);
    for (const [table, rows] of before) {
      const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; dflt_value: string | null }[];
      const added = columns.filter((c) => rows[0] && !(c.name in rows[0]));
      const now = after.get(table);
      expect(now, `table ${table} is gone`).toBeDefined();
      expect(
        now!.map((r) => Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, r[k]]))),
        `rows of ${table}`,
      ).toEqual(rows.map(REWRITES[version]?.[table] ?? ((r) => r)));
      // A column added to a table with rows holds its declared default in them (NULL when it has none).
      for (const c of added) {
        const dflt = c.dflt_value === null ? null : (db.prepare(`SELECT ${c.dflt_value} AS v`).get() as { v: unknown }).v;
        expect(now!.map((r) => r[c.name]), `${table}.${c.name} in existing rows`).toEqual(rows.map(() => dflt));
      }
    }
    db.close();
  });

  describe('a database climbed from version 1 with data at each step', () => {
    let t: TestCore;
    afterAll(async () => {
      await t?.cleanup();
    });

    it('opens in the current core and reads back through the API', async () => {
      const { db, dir } = databaseAt(all.length);
      db.close();
      t = makeCore(dir);

      const servers = await call(t.core, 'servers.list', {});
      expect(servers.items).toEqual([expect.objectContaining({ name: 'srv-a', port: 2222, roles: ['web'], tags: ['eu'], environmentName: 'production' })]);
      expect(await call(t.core, 'environments.get', { id: 1 })).toMatchObject({ confirmRuns: true });
      expect(await call(t.core, 'contracts.get', { id: 1 })).toMatchObject({ applicationIds: [1], allowedHours: [{ days: [6, 7], from: '00:00', to: '06:00' }], customerName: 'Acme Madrid' });
      expect(await call(t.core, 'contacts.get', { id: 2 })).toMatchObject({ optedOut: true });
      const audit = await call(t.core, 'audit.list', { entity: 'servers' });
      expect(audit.items).toEqual([expect.objectContaining({ actor: 'ana', entityId: 1, before: { port: 22 }, after: { port: 2222 } })]);

      expect(await call(t.core, 'windows.get', { id: 1 })).toMatchObject({ title: 'DB upgrade', state: 'announced', sequence: 2, applicationNames: ['billing'], serverNames: ['srv-a'] });
      const audience = await call(t.core, 'windows.audience', { id: 1 });
      expect([audience.total, audience.excludedOptedOut]).toEqual([1, 1]);
      expect((await call(t.core, 'windows.conflicts', { id: 1 })).items.map((c) => c.kind)).toEqual([]);
      expect((await call(t.core, 'blackouts.list', {})).items).toHaveLength(1);

      const stats = await call(t.core, 'stats.history', { serverId: 1, limit: 10 });
      expect(stats.items[0]!.stats?.disk.usedKb).toBe(95);
      expect((await call(t.core, 'stats.failing', {})).items[0]!.problems).toEqual(['disk /srv 95% full']);
      const review = await call(t.core, 'provision.review', { applicationId: 1 });
      expect(review).toMatchObject({ firstInstall: false, lastRunId: 1 });

      // Columns added by later migrations: older rows hold NULL, newer ones their value.
      expect(t.core.db.prepare('SELECT id, render_id FROM outbox ORDER BY id').raw().all()).toEqual([
        [1, null],
        [2, 1],
        [3, null],
      ]);
      // 0013: a contract notice in the ledger (no campaign), the contract's lifecycle records
      const history = await call(t.core, 'contracts.history', { contractId: 1 });
      expect(history.reminders).toEqual([expect.objectContaining({ outboxId: 3, kind: 'reminder', days: 30, period: '2027-12-31', state: 'sent' })]);
      expect(history.holds).toEqual([expect.objectContaining({ reason: 'paying in instalments', until: '2026-02-01' })]);
      expect(history.proposals).toEqual([expect.objectContaining({ applicationId: 1, state: 'open', reason: 'overdue' })]);
      expect((await call(t.core, 'contracts.policy', { contractId: 1 })).overrides).toMatchObject({ reminderDaysBefore: [30, 7], suspensionMode: 'automatic', stopWorkers: ['worker'], overdueReminderDaysAfter: null });
    });
  });
});
