-- 0017: A/B experiments (issue 12). An experiment runs from the first weight step that sends new
-- clients to both slots until the weights go back to 100/0 (or a switch sends everything to one
-- slot); each weight step is kept with who made it. The placements' `slot` column (0001) is kept
-- and written by the proxy area: the slot live on that server, as last read back or switched.
CREATE TABLE ab_experiments (
  id             INTEGER PRIMARY KEY,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  environment_id INTEGER NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  -- the releases the variants ran when it started (null: not known)
  blue_release   TEXT,
  green_release  TEXT,
  started_at     TEXT NOT NULL,
  started_by     TEXT NOT NULL,
  ended_at       TEXT,
  ended_by       TEXT,
  end_note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ab_experiments_app ON ab_experiments(application_id, environment_id, started_at);

CREATE TABLE ab_weights (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES ab_experiments(id) ON DELETE CASCADE,
  at            TEXT NOT NULL,
  green         INTEGER NOT NULL CHECK (green BETWEEN 0 AND 100),
  operator      TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ab_weights_experiment ON ab_weights(experiment_id, id);
