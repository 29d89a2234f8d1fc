-- 0006: messages of one campaign × customer share their rendering. A notice is rendered once per
-- campaign, customer zone/language and customer name, split around the contact's name (subject,
-- html and text as JSON arrays of pieces) and the invitation around its ATTENDEE line; a ledger row
-- points at it (render_id) and its message is those pieces joined with its own contact_name/email
-- — so the send path writes no per-message body. Rows whose template uses the name otherwise (or
-- has none) keep a full body in outbox_bodies, as before. Either way the stored message never
-- changes: a resend is byte-identical.
CREATE TABLE outbox_renders (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  subject     TEXT NOT NULL,
  html        TEXT NOT NULL,
  text        TEXT NOT NULL,
  ics_head    TEXT NOT NULL,
  ics_tail    TEXT NOT NULL,
  ics_method  TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX outbox_renders_campaign ON outbox_renders(campaign_id);

ALTER TABLE outbox ADD COLUMN render_id INTEGER REFERENCES outbox_renders(id);
