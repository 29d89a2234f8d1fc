-- 0012: database patches (issue 13). An application's databases (reached through a server's SSH
-- tunnel), its patches as imported from the release (SQL kept here so a dry run works offline),
-- the local mirror of each target database's ledger (puesta.patch_ledger, the truth) and the
-- audited decisions on how a rollback passes an irreversible patch.
CREATE TABLE db_databases (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  engine         TEXT NOT NULL DEFAULT 'postgresql' CHECK (engine IN ('postgresql')),
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE RESTRICT,
  host           TEXT NOT NULL,
  port           INTEGER NOT NULL,
  dbname         TEXT NOT NULL,
  user           TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (application_id, name)
);

CREATE TABLE db_patches (
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  patch_id       TEXT NOT NULL,
  position       INTEGER NOT NULL,
  meta           TEXT NOT NULL,
  up_sql         TEXT NOT NULL,
  down_sql       TEXT,
  verify_sql     TEXT,
  checksum       TEXT NOT NULL,
  source_path    TEXT NOT NULL,
  imported_at    TEXT NOT NULL,
  PRIMARY KEY (application_id, patch_id)
);

CREATE TABLE db_ledger (
  database_id     INTEGER NOT NULL REFERENCES db_databases(id) ON DELETE CASCADE,
  remote_id       INTEGER NOT NULL,
  patch_id        TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('up', 'down', 'accept')),
  state           TEXT NOT NULL CHECK (state IN ('applying', 'done', 'failed')),
  checksum        TEXT NOT NULL,
  operator        TEXT NOT NULL,
  run_id          INTEGER,
  release_key     TEXT,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  estimate_ms     REAL,
  actual_ms       REAL,
  statements_done INTEGER NOT NULL DEFAULT 0,
  note            TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (database_id, remote_id)
);

-- An operator's acceptance for one database and one version of a patch: a patch the dry run
-- refused (risk), or the lossy down of a patch (lossy: the table name was typed).
CREATE TABLE db_acknowledgements (
  database_id INTEGER NOT NULL REFERENCES db_databases(id) ON DELETE CASCADE,
  patch_id    TEXT NOT NULL,
  checksum    TEXT NOT NULL,
  kind        TEXT NOT NULL DEFAULT 'risk' CHECK (kind IN ('risk', 'lossy')),
  operator    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  at          TEXT NOT NULL,
  PRIMARY KEY (database_id, patch_id, checksum, kind)
);

CREATE TABLE db_rollback_decisions (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  to_release_key TEXT,
  decision       TEXT NOT NULL CHECK (decision IN ('app-only', 'restore', 'forward-fix')),
  operator       TEXT NOT NULL,
  at             TEXT NOT NULL,
  used_by_run_id INTEGER
);
