-- 0007: a cell records, as data, that a failed health check put its host back on the release that
-- was current before the run: {"from": <the run's release>, "to": <the previous one>, "ok": <the
-- switch back itself worked>} as JSON; NULL when it did not happen (and for every older cell).
ALTER TABLE run_steps ADD COLUMN switched_back TEXT;
