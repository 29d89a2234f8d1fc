-- 0014: suspensions on the servers (issue 14). One row per contract × application × environment
-- suspension; its hosts (what live.sock pointed at before, exactly which workers it stopped, where
-- the host's run stands); its two runs (suspend, reinstate). The hosts keep the same facts under
-- <base>/run/suspension/ (the server is the truth when a run is resumed after a crash).
CREATE TABLE suspensions (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_id         INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  application_id      INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  environment_id      INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  reason              TEXT NOT NULL CHECK (reason IN ('overdue', 'terms', 'manual')),
  state               TEXT NOT NULL CHECK (state IN ('suspending', 'suspended', 'reinstating', 'reinstated', 'interrupted', 'failed')),
  phase               TEXT NOT NULL CHECK (phase IN ('suspend', 'reinstate')),
  retry_after         INTEGER NOT NULL CHECK (retry_after >= 0),
  message             TEXT NOT NULL DEFAULT '',
  -- the application's services to stop, as asked (JSON list of names)
  stop_workers        TEXT NOT NULL DEFAULT '[]',
  notify              INTEGER NOT NULL DEFAULT 1,
  suspend_run_id      INTEGER,
  reinstate_run_id    INTEGER,
  suspend_notice_id   INTEGER,
  reinstate_notice_id INTEGER,
  note                TEXT NOT NULL DEFAULT '',
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX suspensions_contract ON suspensions(contract_id, id);
-- at most one suspension in force per application × environment (the hosts have one live.sock)
CREATE UNIQUE INDEX suspensions_in_force ON suspensions(application_id, environment_id) WHERE state <> 'reinstated';

CREATE TABLE suspension_runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  suspension_id INTEGER NOT NULL REFERENCES suspensions(id) ON DELETE CASCADE,
  phase         TEXT NOT NULL CHECK (phase IN ('suspend', 'reinstate')),
  operator      TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT
);
CREATE INDEX suspension_runs_of ON suspension_runs(suspension_id);

CREATE TABLE suspension_hosts (
  suspension_id   INTEGER NOT NULL REFERENCES suspensions(id) ON DELETE CASCADE,
  server_id       INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  server_name     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'interrupted')),
  step            TEXT CHECK (step IS NULL OR step IN ('record', 'swap', 'workers', 'verify')),
  -- what <base>/run/live.sock pointed at before the suspension
  previous_target TEXT,
  -- JSON list of the services this suspension stopped on the host
  stopped_workers TEXT NOT NULL DEFAULT '[]',
  verification    TEXT,
  error           TEXT,
  log             TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (suspension_id, server_id)
);
