-- 0011: blue-green and A/B behind a reverse proxy (issue 12). Per application: the proxy driver
-- and slot settings; per placement host: which slot is live (as recorded here) and the history of
-- switches, switch-backs, reads from the server and A/B weight changes.
CREATE TABLE proxy_settings (
  application_id INTEGER PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
  settings       TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

CREATE TABLE proxy_slots (
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  live           TEXT CHECK (live IN ('blue', 'green')),
  since          TEXT NOT NULL,
  -- the release each slot holds (null: none known) and the green share of new clients (A/B)
  blue_release   TEXT,
  green_release  TEXT,
  green_weight   INTEGER,
  -- the old slot keeps running until then (switch back without a start)
  warm_until     TEXT,
  -- a run switched away from the old slot and its drain has not ended yet
  draining       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (application_id, server_id)
);

CREATE TABLE proxy_events (
  id             INTEGER PRIMARY KEY,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  server_id      INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  at             TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('switch', 'switch-back', 'read', 'weights')),
  live           TEXT,
  green_weight   INTEGER,
  release        TEXT,
  run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  operator       TEXT NOT NULL,
  note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX proxy_events_app ON proxy_events(application_id, at);
