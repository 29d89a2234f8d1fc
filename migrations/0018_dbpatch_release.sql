-- 0018: database patches read from the release (issue 13). The patch set each release carried, as
-- read from its uploaded `db/patches/` when its run reached the db-patches step (a rollback knows
-- what came with a release); the backups of each database Puesta made before patching or found
-- in its backup folder on the server; each database's backup policy for patches.
CREATE TABLE db_release_sets (
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  release_key    TEXT NOT NULL,
  source         TEXT NOT NULL,
  read_at        TEXT NOT NULL,
  PRIMARY KEY (application_id, release_key)
);

CREATE TABLE db_release_patches (
  application_id INTEGER NOT NULL,
  release_key    TEXT NOT NULL,
  patch_id       TEXT NOT NULL,
  position       INTEGER NOT NULL,
  checksum       TEXT NOT NULL,
  PRIMARY KEY (application_id, release_key, patch_id),
  FOREIGN KEY (application_id, release_key) REFERENCES db_release_sets (application_id, release_key) ON DELETE CASCADE
);

CREATE TABLE db_backups (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  database_id INTEGER NOT NULL REFERENCES db_databases(id) ON DELETE CASCADE,
  path        TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  taken_at    TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('pre-patch', 'found')),
  run_id      INTEGER,
  recorded_at TEXT NOT NULL,
  UNIQUE (database_id, path)
);

-- backup_dir: a folder on the database's server holding its dumps ('' = none); backup_before_patch:
-- Puesta runs pg_dump there before applying patches; backup_max_age_hours: patches are refused when
-- the newest backup is older (NULL: no limit, the age is only shown).
ALTER TABLE db_databases ADD COLUMN backup_dir TEXT NOT NULL DEFAULT '';
ALTER TABLE db_databases ADD COLUMN backup_before_patch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE db_databases ADD COLUMN backup_max_age_hours INTEGER;
