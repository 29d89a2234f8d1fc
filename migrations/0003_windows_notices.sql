-- 0003: maintenance windows, blackout dates, notice templates, campaigns and the mail outbox (ledger).
-- Timestamps are ISO-8601 UTC text ("2026-03-29T01:00:00.000Z"), so text order is time order.

CREATE TABLE windows (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  title         TEXT NOT NULL,
  start_at      TEXT NOT NULL,
  end_at        TEXT NOT NULL,
  impact        TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'announced', 'in_progress', 'done', 'cancelled', 'extended')),
  sequence      INTEGER NOT NULL DEFAULT 0,
  linked_run_id INTEGER,
  notes         TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  CHECK (end_at > start_at)
);
CREATE INDEX windows_start ON windows(start_at);
CREATE INDEX windows_end ON windows(end_at);
CREATE INDEX windows_state ON windows(state, start_at);

CREATE TABLE window_applications (
  window_id      INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  PRIMARY KEY (window_id, application_id)
);
CREATE INDEX window_applications_app ON window_applications(application_id);

CREATE TABLE window_servers (
  window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  PRIMARY KEY (window_id, server_id)
);
CREATE INDEX window_servers_server ON window_servers(server_id);

CREATE TABLE blackouts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  start_date TEXT NOT NULL,
  end_date   TEXT NOT NULL,
  reason     TEXT NOT NULL,
  timezone   TEXT NOT NULL DEFAULT 'UTC',
  created_at TEXT NOT NULL,
  CHECK (end_date >= start_date)
);
CREATE INDEX blackouts_dates ON blackouts(start_date, end_date);

-- Edited templates only; a missing row means the built-in default (shipped in code).
CREATE TABLE notice_templates (
  kind       TEXT NOT NULL,
  language   TEXT NOT NULL,
  subject    TEXT NOT NULL,
  html       TEXT NOT NULL,
  text       TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kind, language)
);

-- One campaign = one notice of one window to its audience, due at scheduled_at.
-- scheduled: not yet due, no recipients; materialising: recipients being written in chunks (the sender
-- starts on the first chunk; params.cursor = last contact id written); materialised: one outbox row per
-- recipient written; cancelled.
CREATE TABLE campaigns (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  window_id        INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
  kind             TEXT NOT NULL CHECK (kind IN ('announce', 'reminder', 'updated', 'started', 'completed', 'extended', 'cancelled')),
  offset_hours     REAL,
  scheduled_at     TEXT NOT NULL,
  state            TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'materialising', 'materialised', 'cancelled')),
  materialised_at  TEXT,
  params           TEXT NOT NULL DEFAULT '{}',
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX campaigns_due ON campaigns(state, scheduled_at);
CREATE INDEX campaigns_window ON campaigns(window_id);

-- The ledger: one row per recipient per campaign.
-- queued → sending → sent | failed; a row found in "sending" at start-up (crash) becomes "unknown"
-- and waits for the operator (resend or mark sent). message_id is generated before the first attempt.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE RESTRICT,
  contact_id      INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
  customer_id     INTEGER,
  customer_name   TEXT NOT NULL DEFAULT '',
  contact_name    TEXT NOT NULL DEFAULT '',
  email           TEXT NOT NULL,
  subject         TEXT NOT NULL,
  ics_method      TEXT NOT NULL DEFAULT 'REQUEST',
  state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  next_attempt_at TEXT NOT NULL,
  message_id      TEXT NOT NULL UNIQUE,
  smtp_message_id TEXT,
  sent_at         TEXT,
  note            TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  UNIQUE (campaign_id, contact_id)
);
-- The rendered bodies live apart, so the per-message state changes rewrite a small row only.
CREATE TABLE outbox_bodies (
  outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
  html      TEXT NOT NULL,
  text      TEXT NOT NULL,
  ics       TEXT NOT NULL
);

CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
CREATE INDEX outbox_campaign_state ON outbox(campaign_id, state);
CREATE INDEX outbox_email ON outbox(email);

-- The audience query walks contracts → customers → contacts by customer, skipping opted-out.
CREATE INDEX contacts_customer_optout ON contacts(customer_id, opted_out);
CREATE INDEX contracts_state_dates ON contracts(state, start_date, end_date);
