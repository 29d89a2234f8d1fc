-- 0005: provisioning — what the last install/upgrade applied per application (and host), for the
-- upgrade review, and the history of host statistics collected over SSH.

CREATE TABLE provision_snapshots (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  -- NULL = applied to every placement of the application
  server_id      INTEGER REFERENCES servers(id) ON DELETE CASCADE,
  run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('install', 'upgrade')),
  applied_at     TEXT NOT NULL,
  applied_by     TEXT NOT NULL,
  -- the provisioning part of the application record as JSON (users, dirs, services, counts, …)
  inventory      TEXT NOT NULL
);
CREATE INDEX provision_snapshots_app ON provision_snapshots(application_id, applied_at);

CREATE TABLE host_stats (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  application_id INTEGER REFERENCES applications(id) ON DELETE CASCADE,
  at             TEXT NOT NULL,
  -- CollectedStats JSON, or NULL when the host could not be read
  stats          TEXT,
  error          TEXT
);
CREATE INDEX host_stats_server_at ON host_stats(server_id, application_id, at);
