-- 0009: contract hours as several ranges (issue 11, item 1): a stored single range {days, from, to}
-- becomes a list of one, the shape the contract now reads and writes.
UPDATE contracts SET allowed_hours = json_array(json(allowed_hours))
 WHERE allowed_hours IS NOT NULL AND json_type(allowed_hours) = 'object';

-- The impact text per language (item 3): {"es": "…", "pt": "…"}; a language without its own text
-- reads the window's `impact` (written in English, the templates' default language).
ALTER TABLE windows ADD COLUMN impacts TEXT NOT NULL DEFAULT '{}';

-- A window limited to one environment (item 5): servers of other environments, and what only runs
-- there, are left out of its scope. NULL: every environment, as before.
ALTER TABLE windows ADD COLUMN environment_id INTEGER REFERENCES environments(id) ON DELETE SET NULL;
