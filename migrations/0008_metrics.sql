-- 0008: delivery metrics. What the operator adds (incidents linked to a deployment, "fix for" links
-- between runs), what a git deployment shipped (its commits), and a cache of each finished run's
-- facts (written once a run is final, never changed after), so the four keys read one narrow table
-- instead of every cell of every run. Times in the cache are epoch milliseconds.

CREATE TABLE metric_incidents (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  started_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX metric_incidents_run ON metric_incidents(run_id);

-- run_id is a fix for fixes_run_id (an earlier deployment of the same application).
CREATE TABLE metric_fixes (
  run_id       INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  fixes_run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE
);
CREATE INDEX metric_fixes_target ON metric_fixes(fixes_run_id);

-- What a git deployment's fetch found on a host: the commits since the previous deployment's head
-- (kept until the run is final: a deployment moves them to metric_commits, any other run drops them).
CREATE TABLE metric_fetched_commits (
  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  sha          TEXT NOT NULL,
  committed_at TEXT NOT NULL,
  -- the same instant in epoch ms: the lead time reads one integer per commit
  committed_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, sha)
);

-- A commit counts once per application and environment: for the first deployment that shipped it.
CREATE TABLE metric_commits (
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  sha            TEXT NOT NULL,
  committed_at   TEXT NOT NULL,
  committed_ms   INTEGER NOT NULL,
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  PRIMARY KEY (application_id, environment_id, sha)
);
CREATE INDEX metric_commits_run ON metric_commits(run_id);
CREATE INDEX metric_commits_scope ON metric_commits(environment_id, application_id, run_id, committed_ms);

-- The commit a git deployment shipped (the lower end of the next one's range).
CREATE TABLE metric_release_heads (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  sha    TEXT NOT NULL
);

-- role: deployment (install/upgrade that switched, then succeeded or was switched back by the gate),
-- rollback (succeeded), none (anything else). at_ms: the switch (deployment) or the end (rollback).
CREATE TABLE metric_runs (
  run_id         INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  application_id INTEGER NOT NULL,
  environment_id INTEGER NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('deployment', 'rollback', 'none')),
  release_key    TEXT NOT NULL,
  left_key       TEXT NOT NULL DEFAULT '',
  at_ms          INTEGER,
  finished_ms    INTEGER
);
-- covers the history's read: one index walk, no row look-ups
CREATE INDEX metric_runs_scope ON metric_runs(environment_id, application_id, role, release_key, left_key, at_ms) WHERE role <> 'none';

-- A host the health gate put back: the failed check (its deadline, when known) and the switch back done.
CREATE TABLE metric_switch_backs (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  server_id INTEGER NOT NULL,
  failed_ms INTEGER,
  done_ms   INTEGER,
  ok        INTEGER NOT NULL CHECK (ok IN (0, 1)),
  PRIMARY KEY (run_id, server_id)
);

-- Runs seen before they were final: looked at again on each refresh.
CREATE TABLE metric_pending (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE
);
