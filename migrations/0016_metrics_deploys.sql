-- 0016: delivery metrics, one analysed row per deployment or rollback, so the four keys read a time
-- range of narrow rows instead of analysing the whole history on every call.
--
-- What a deployment's row says (failed, why, recovery, lead times) depends on its lane (application ×
-- environment): the runs after it, the incidents and fixes linked to it, the planned windows of its
-- application, the failure window. Triggers mark a lane dirty whenever one of those facts changes,
-- whoever changes it (the runs cache, the metrics handlers, the windows screen, a cascade); the
-- store re-analyses the dirty lanes before it reads (metrics-store.ts, refreshCache). Times are
-- epoch milliseconds.

-- role: as metric_runs (never 'none'). causes: the FailureCause list, comma-separated, in the order found.
-- lead_s: JSON array of seconds from each shipped commit to the deployment (NULL: none).
CREATE TABLE metric_deploys (
  environment_id INTEGER NOT NULL,
  at_ms          INTEGER NOT NULL,
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  application_id INTEGER NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('deployment', 'rollback')),
  release_key    TEXT NOT NULL,
  failed         INTEGER NOT NULL CHECK (failed IN (0, 1)),
  causes         TEXT NOT NULL DEFAULT '',
  fixed_by       INTEGER,
  fixes_run_id   INTEGER,
  recovery_s     REAL,
  recovery_exact INTEGER NOT NULL DEFAULT 0 CHECK (recovery_exact IN (0, 1)),
  lead_s         TEXT,
  -- a period of one environment is one contiguous range of the table, in the history's order
  PRIMARY KEY (environment_id, at_ms, run_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX metric_deploys_run ON metric_deploys(run_id);
CREATE INDEX metric_deploys_app ON metric_deploys(application_id, environment_id, at_ms);

-- The lanes analysed, with the failure window they were analysed with and how many deployments they hold.
CREATE TABLE metric_lanes (
  application_id INTEGER NOT NULL,
  environment_id INTEGER NOT NULL,
  window_hours   INTEGER NOT NULL,
  deployments    INTEGER NOT NULL,
  PRIMARY KEY (environment_id, application_id)
) WITHOUT ROWID;

-- Lanes to analyse again before the next read.
CREATE TABLE metric_dirty_lanes (
  application_id INTEGER NOT NULL,
  environment_id INTEGER NOT NULL,
  PRIMARY KEY (application_id, environment_id)
) WITHOUT ROWID;

-- The history cached so far is analysed at first use.
INSERT INTO metric_dirty_lanes (application_id, environment_id)
SELECT DISTINCT application_id, environment_id FROM metric_runs;

-- The coverage count (finished runs of a period) as an index range.
CREATE INDEX metric_runs_finished ON metric_runs(environment_id, finished_ms, application_id);

-- A git deployment whose commits could not be read where the operator said (a local clone without
-- the release's commit): said per deployment in the drill-down.
ALTER TABLE metric_release_heads ADD COLUMN problem TEXT;

-- ---------------------------------------------------------------- what makes a lane dirty
-- A run enters the cache: its lane; and the lanes of the deployments it is a fix for (its time counts now).
CREATE TRIGGER metric_runs_added AFTER INSERT ON metric_runs BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT NEW.application_id, NEW.environment_id WHERE NEW.role <> 'none'
  UNION SELECT m.application_id, m.environment_id FROM metric_fixes f JOIN metric_runs m ON m.run_id = f.fixes_run_id WHERE f.run_id = NEW.run_id;
END;

CREATE TRIGGER metric_runs_removed AFTER DELETE ON metric_runs BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id) VALUES (OLD.application_id, OLD.environment_id);
END;

CREATE TRIGGER metric_incidents_added AFTER INSERT ON metric_incidents BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id = NEW.run_id;
END;

CREATE TRIGGER metric_incidents_changed AFTER UPDATE ON metric_incidents BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id IN (OLD.run_id, NEW.run_id);
END;

CREATE TRIGGER metric_incidents_removed AFTER DELETE ON metric_incidents BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id = OLD.run_id;
END;

CREATE TRIGGER metric_fixes_added AFTER INSERT ON metric_fixes BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id = NEW.fixes_run_id;
END;

CREATE TRIGGER metric_fixes_changed AFTER UPDATE ON metric_fixes BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id IN (OLD.fixes_run_id, NEW.fixes_run_id);
END;

CREATE TRIGGER metric_fixes_removed AFTER DELETE ON metric_fixes BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT application_id, environment_id FROM metric_runs WHERE run_id = OLD.fixes_run_id;
END;

-- A planned window decides whether an incident of its applications counts: the lanes holding incidents.
CREATE TRIGGER metric_window_app_added AFTER INSERT ON window_applications BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT DISTINCT m.application_id, m.environment_id FROM metric_incidents i JOIN metric_runs m ON m.run_id = i.run_id WHERE m.application_id = NEW.application_id;
END;

CREATE TRIGGER metric_window_app_removed AFTER DELETE ON window_applications BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT DISTINCT m.application_id, m.environment_id FROM metric_incidents i JOIN metric_runs m ON m.run_id = i.run_id WHERE m.application_id = OLD.application_id;
END;

CREATE TRIGGER metric_window_changed AFTER UPDATE OF start_at, end_at, state ON windows BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT DISTINCT m.application_id, m.environment_id FROM metric_incidents i JOIN metric_runs m ON m.run_id = i.run_id
  WHERE m.application_id IN (SELECT application_id FROM window_applications WHERE window_id = NEW.id);
END;

-- before the cascade empties its window_applications
CREATE TRIGGER metric_window_removed BEFORE DELETE ON windows BEGIN
  INSERT OR IGNORE INTO metric_dirty_lanes (application_id, environment_id)
  SELECT DISTINCT m.application_id, m.environment_id FROM metric_incidents i JOIN metric_runs m ON m.run_id = i.run_id
  WHERE m.application_id IN (SELECT application_id FROM window_applications WHERE window_id = OLD.id);
END;
