-- 0004: guided runs — per-application checklists, releases and the current one per host,
-- runs with their step × host cells and logs, and the application × environment locks.

-- One row per application × kind once the operator has edited it (absent = the built-in one).
CREATE TABLE checklists (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  kind           TEXT NOT NULL CHECK (kind IN ('install', 'upgrade', 'rollback')),
  updated_at     TEXT NOT NULL,
  UNIQUE (application_id, kind)
);

CREATE TABLE checklist_steps (
  checklist_id INTEGER NOT NULL REFERENCES checklists(id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  key          TEXT NOT NULL,
  -- the whole step (title, kind, action, command template, check…) as JSON
  spec         TEXT NOT NULL,
  PRIMARY KEY (checklist_id, position),
  UNIQUE (checklist_id, key)
);

-- A release folder <base>/releases/<key> on one host (placement's server).
CREATE TABLE releases (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  key            TEXT NOT NULL,
  label          TEXT NOT NULL DEFAULT '',
  sha256         TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL DEFAULT '',
  path           TEXT NOT NULL,
  run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at     TEXT NOT NULL,
  removed_at     TEXT,
  UNIQUE (application_id, server_id, key)
);
CREATE INDEX releases_server ON releases(server_id);

-- What <base>/current points at on each host, and what it pointed at before (the rollback target).
CREATE TABLE current_releases (
  application_id      INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  server_id           INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  release_id          INTEGER NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
  previous_release_id INTEGER REFERENCES releases(id) ON DELETE SET NULL,
  run_id              INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  switched_at         TEXT NOT NULL,
  PRIMARY KEY (application_id, server_id)
);

CREATE TABLE runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE RESTRICT,
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE RESTRICT,
  kind           TEXT NOT NULL CHECK (kind IN ('install', 'upgrade', 'rollback')),
  release_key    TEXT NOT NULL,
  label          TEXT NOT NULL DEFAULT '',
  -- the checklist as it was when the run started (edited in place by a corrected retry)
  checklist      TEXT NOT NULL,
  -- hosts [{serverId, serverName, address, roles}] and per-host template variables
  targets        TEXT NOT NULL,
  context        TEXT NOT NULL DEFAULT '{}',
  excluded       TEXT NOT NULL DEFAULT '[]',
  operator       TEXT NOT NULL,
  reason         TEXT NOT NULL DEFAULT '',
  state          TEXT NOT NULL CHECK (state IN ('running', 'waiting', 'interrupted', 'succeeded', 'aborted')),
  waiting_for    TEXT CHECK (waiting_for IS NULL OR waiting_for IN ('confirm', 'decision')),
  current_step   INTEGER NOT NULL DEFAULT 0,
  parallelism    INTEGER NOT NULL DEFAULT 8 CHECK (parallelism >= 1),
  rollback_offer TEXT,
  error          TEXT,
  started_at     TEXT NOT NULL,
  finished_at    TEXT
);
CREATE INDEX runs_app_env ON runs(application_id, environment_id, id);
CREATE INDEX runs_state ON runs(state);

-- One cell per step × host (server_id NULL: a manual step, confirmed once per run).
CREATE TABLE run_steps (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step_index  INTEGER NOT NULL,
  step_key    TEXT NOT NULL,
  server_id   INTEGER REFERENCES servers(id) ON DELETE RESTRICT,
  state       TEXT NOT NULL CHECK (state IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'excluded', 'interrupted')),
  attempt     INTEGER NOT NULL DEFAULT 0,
  exit_code   INTEGER,
  command     TEXT,
  started_at  TEXT,
  finished_at TEXT,
  duration_ms INTEGER,
  note        TEXT NOT NULL DEFAULT '',
  error       TEXT
);
CREATE UNIQUE INDEX run_steps_cell ON run_steps(run_id, step_index, ifnull(server_id, 0));
CREATE INDEX run_steps_history ON run_steps(step_key, state);

-- Output chunks in arrival order, written in batches as they arrive.
CREATE TABLE run_logs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step_index INTEGER NOT NULL,
  server_id  INTEGER REFERENCES servers(id) ON DELETE RESTRICT,
  attempt    INTEGER NOT NULL DEFAULT 0,
  stream     TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
  seq        INTEGER NOT NULL,
  ts         TEXT NOT NULL,
  text       TEXT NOT NULL
);
CREATE INDEX run_logs_page ON run_logs(run_id, id);
CREATE INDEX run_logs_cell ON run_logs(run_id, step_index, server_id, id);

CREATE TABLE locks (
  application_id   INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  environment_id   INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  owner            TEXT NOT NULL,
  reason           TEXT NOT NULL DEFAULT '',
  run_id           INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  since            TEXT NOT NULL,
  lease_expires_at TEXT NOT NULL,
  PRIMARY KEY (application_id, environment_id)
);
