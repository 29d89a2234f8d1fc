-- 0001: the local inventory, audit log and settings.
-- Portable SQL where it costs nothing (team mode may move this schema to PostgreSQL):
-- integer ids, ISO-8601 UTC text timestamps, JSON kept as text.

CREATE TABLE environments (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  colour       TEXT NOT NULL DEFAULT '#3b82f6',
  confirm_runs INTEGER NOT NULL DEFAULT 0 CHECK (confirm_runs IN (0, 1)),
  notes        TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE servers (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  host           TEXT NOT NULL,
  port           INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
  user           TEXT NOT NULL,
  auth           TEXT NOT NULL DEFAULT 'agent' CHECK (auth IN ('agent', 'key', 'password')),
  key_path       TEXT,
  environment_id INTEGER REFERENCES environments(id) ON DELETE RESTRICT,
  roles          TEXT NOT NULL DEFAULT '[]',
  tags           TEXT NOT NULL DEFAULT '[]',
  notes          TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX servers_environment ON servers(environment_id);

CREATE TABLE applications (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  runtime_user   TEXT NOT NULL,
  base_path      TEXT NOT NULL,
  source_kind    TEXT NOT NULL DEFAULT 'tarball',
  source         TEXT NOT NULL DEFAULT '',
  keep_releases  INTEGER NOT NULL DEFAULT 5,
  shared_dirs    TEXT NOT NULL DEFAULT '[]',
  shared_files   TEXT NOT NULL DEFAULT '[]',
  strategy       TEXT NOT NULL DEFAULT 'symlink',
  health_check   TEXT NOT NULL DEFAULT '{}',
  services       TEXT NOT NULL DEFAULT '[]',
  log_rotation   TEXT NOT NULL DEFAULT '{}',
  backup_policy  TEXT NOT NULL DEFAULT '{}',
  monitoring     TEXT NOT NULL DEFAULT '{}',
  notes          TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

CREATE TABLE placements (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE RESTRICT,
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE RESTRICT,
  role           TEXT NOT NULL DEFAULT 'web',
  slot           TEXT CHECK (slot IS NULL OR slot IN ('blue', 'green')),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (application_id, server_id, role)
);
CREATE INDEX placements_server ON placements(server_id);

CREATE TABLE customers (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  timezone   TEXT NOT NULL DEFAULT 'UTC',
  language   TEXT NOT NULL DEFAULT 'en',
  notes      TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE contacts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE RESTRICT,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL COLLATE NOCASE,
  role        TEXT NOT NULL DEFAULT '',
  opted_out   INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (customer_id, email)
);
CREATE INDEX contacts_customer ON contacts(customer_id);

CREATE TABLE contracts (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id       INTEGER NOT NULL REFERENCES customers(id) ON DELETE RESTRICT,
  reference         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  start_date        TEXT NOT NULL,
  end_date          TEXT NOT NULL,
  grace_days        INTEGER NOT NULL DEFAULT 15,
  state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'grace', 'suspended', 'terminated')),
  suspension_action TEXT NOT NULL DEFAULT '',
  allowed_hours     TEXT,
  notes             TEXT NOT NULL DEFAULT '',
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  CHECK (end_date >= start_date)
);
CREATE INDEX contracts_customer ON contracts(customer_id);
CREATE INDEX contracts_end ON contracts(end_date);

CREATE TABLE contract_applications (
  contract_id    INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE RESTRICT,
  PRIMARY KEY (contract_id, application_id)
);
CREATE INDEX contract_applications_app ON contract_applications(application_id);

CREATE TABLE audit (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  entity    TEXT NOT NULL,
  entity_id INTEGER,
  before    TEXT,
  after     TEXT
);
CREATE INDEX audit_entity ON audit(entity, entity_id);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Secrets, encrypted by the shell's SecretCipher (Electron safeStorage, or a key file in the browser shell).
CREATE TABLE secrets (
  key        TEXT PRIMARY KEY,
  ciphertext BLOB NOT NULL,
  updated_at TEXT NOT NULL
);
