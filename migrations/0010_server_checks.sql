-- 0010: the last check of each server (issue 11, item 8): a connection test or a statistics
-- collection, whichever ran last, so lists and Today show reachability without another round trip.
CREATE TABLE server_checks (
  server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
  at        TEXT NOT NULL,
  kind      TEXT NOT NULL CHECK (kind IN ('connection', 'stats')),
  ok        INTEGER NOT NULL,
  code      TEXT,
  message   TEXT NOT NULL DEFAULT ''
);

-- the audit screen filters by operator, action and time
CREATE INDEX audit_at ON audit(at);
