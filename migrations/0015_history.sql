-- 0015: a history that stays fast and does not grow without end.
-- Run logs are pruned by the retention policy (Settings → History); a pruned run keeps its summary
-- and step results and says when its log went.
ALTER TABLE runs ADD COLUMN log_pruned_at TEXT;
-- The runs whose log is still there, with what the policy asks of them: the keeper finds what to
-- prune without reading runs rows (each holds its whole checklist).
CREATE INDEX runs_unpruned ON runs(application_id, id, state, finished_at, log_pruned_at) WHERE log_pruned_at IS NULL;

-- An application's runs newest first without sorting its whole history: the "usual duration" of a
-- step reads its last runs through this, and runs.list by application pages through it.
CREATE INDEX runs_app ON runs(application_id, id);
-- runs.list of one environment (the Runs screen's filter) counts and pages without a scan.
CREATE INDEX runs_env ON runs(environment_id, id);

-- The usual duration of each step of an application (the median of its last finished runs), kept
-- so that opening a run reads one row per step; computed again after another run has finished
-- (through_run_id: the newest run it was computed through). See usualDurations in run-store.ts.
CREATE TABLE step_usual (
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  step_key       TEXT NOT NULL,
  median_ms      INTEGER NOT NULL,
  samples        INTEGER NOT NULL,
  through_run_id INTEGER NOT NULL,
  PRIMARY KEY (application_id, step_key)
);
