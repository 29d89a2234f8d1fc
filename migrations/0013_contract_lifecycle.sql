-- 0013: the contract lifecycle (issue 14): per-contract policy, holds, stage history, the suspension
-- decisions, what the evaluator has handled, and contract notices in the outbox ledger.
--
-- `contracts.state` stays the coarse label (active/grace/suspended/terminated) but is no longer edited
-- by hand: the evaluator writes it from the stage (expiring → active, suspension_due → grace,
-- suspended while a suspension is in force); `terminated` only by contracts.terminate, and the
-- evaluator never moves a terminated contract.

-- A contract's own settings; NULL: the Settings default (settings key `contracts.policy`). Grace days
-- are the contract's own `grace_days` column.
CREATE TABLE contract_policies (
  contract_id                 INTEGER PRIMARY KEY REFERENCES contracts(id) ON DELETE CASCADE,
  reminder_days_before        TEXT,
  overdue_reminder_days_after TEXT,
  suspension_mode             TEXT CHECK (suspension_mode IN ('propose', 'automatic')),
  suspension_reason           TEXT CHECK (suspension_reason IN ('overdue', 'terms', 'manual')),
  retry_after_seconds         INTEGER,
  stop_workers                TEXT,
  updated_at                  TEXT NOT NULL
);

-- "Do not suspend" until a date (inclusive, the customer's calendar), with a reason.
CREATE TABLE contract_holds (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_id INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  reason      TEXT NOT NULL,
  until       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  released_at TEXT,
  released_by TEXT,
  release_why TEXT
);
CREATE INDEX contract_holds_contract ON contract_holds(contract_id, released_at, until);

-- Every stage change of a contract (application_id NULL) or of one application it covers.
CREATE TABLE contract_stages (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_id    INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  application_id INTEGER REFERENCES applications(id) ON DELETE SET NULL,
  stage          TEXT NOT NULL CHECK (stage IN ('active', 'expiring', 'grace', 'suspension_due', 'suspended', 'terminated')),
  at             TEXT NOT NULL,
  why            TEXT NOT NULL DEFAULT '',
  actor          TEXT NOT NULL
);
CREATE INDEX contract_stages_contract ON contract_stages(contract_id, id);

-- The due points the evaluator has handled, once each: key = contract:<id>:<kind>[:<days>]:<period>
-- (period = the end date it was about; a renewal starts new periods). A reminder with no contact to
-- send to is handled too (outcome says so).
CREATE TABLE contract_due_handled (
  key         TEXT PRIMARY KEY,
  contract_id INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  days        INTEGER,
  period      TEXT NOT NULL,
  due_at      TEXT NOT NULL,
  handled_at  TEXT NOT NULL,
  outcome     TEXT NOT NULL
);
CREATE INDEX contract_due_handled_contract ON contract_due_handled(contract_id, period);

-- A suspension that came due for one application of a contract in one period: an open decision
-- (Today), or what became of it. Automatic suspensions are recorded accepted by 'puesta'.
CREATE TABLE contract_proposals (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  contract_id    INTEGER NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
  application_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
  period         TEXT NOT NULL,
  due_at         TEXT NOT NULL,
  reason         TEXT NOT NULL CHECK (reason IN ('overdue', 'terms', 'manual')),
  state          TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'dismissed', 'superseded')),
  decided_at     TEXT,
  decided_by     TEXT,
  why            TEXT NOT NULL DEFAULT '',
  suspension_ids TEXT NOT NULL DEFAULT '[]',
  created_at     TEXT NOT NULL,
  UNIQUE (contract_id, application_id, period)
);
CREATE INDEX contract_proposals_open ON contract_proposals(state, due_at);

-- The evaluator's own state: when it last ran (the catch-up starts there).
CREATE TABLE contract_evaluator (
  id                INTEGER PRIMARY KEY CHECK (id = 1),
  last_evaluated_at TEXT
);
INSERT INTO contract_evaluator (id, last_evaluated_at) VALUES (1, NULL);

-- Contract notices go through the same ledger and sender as window notices, so a ledger row may
-- belong to a contract instead of a campaign: campaign_id becomes nullable, contract_id and
-- notice_key (the idempotency key: contract, stage, period) are added. SQLite cannot drop NOT NULL
-- in place, so the table is rebuilt; foreign keys are on inside the migration, so outbox_bodies
-- (which cascades from outbox) is moved aside first and rebuilt too. Values and ids are kept.
CREATE TABLE outbox_next (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id     INTEGER REFERENCES campaigns(id) ON DELETE RESTRICT,
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
  render_id       INTEGER REFERENCES outbox_renders(id),
  contract_id     INTEGER REFERENCES contracts(id) ON DELETE SET NULL,
  notice_key      TEXT,
  UNIQUE (campaign_id, contact_id),
  CHECK (campaign_id IS NOT NULL OR contract_id IS NOT NULL OR notice_key IS NOT NULL)
);
INSERT INTO outbox_next (id, campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method, state, attempts,
    last_error, next_attempt_at, message_id, smtp_message_id, sent_at, note, created_at, updated_at, render_id)
  SELECT id, campaign_id, contact_id, customer_id, customer_name, contact_name, email, subject, ics_method, state, attempts,
    last_error, next_attempt_at, message_id, smtp_message_id, sent_at, note, created_at, updated_at, render_id FROM outbox;

CREATE TABLE outbox_bodies_next (
  outbox_id INTEGER PRIMARY KEY REFERENCES outbox_next(id) ON DELETE CASCADE,
  html      TEXT NOT NULL,
  text      TEXT NOT NULL,
  ics       TEXT NOT NULL
);
INSERT INTO outbox_bodies_next (outbox_id, html, text, ics) SELECT outbox_id, html, text, ics FROM outbox_bodies;

DROP TABLE outbox_bodies;
DROP TABLE outbox;
-- RENAME rewrites outbox_bodies_next's reference to outbox_next into a reference to outbox.
ALTER TABLE outbox_next RENAME TO outbox;
ALTER TABLE outbox_bodies_next RENAME TO outbox_bodies;

CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
CREATE INDEX outbox_campaign_state ON outbox(campaign_id, state);
CREATE INDEX outbox_email ON outbox(email);
CREATE INDEX outbox_contract ON outbox(contract_id, id) WHERE contract_id IS NOT NULL;
-- One message per notice and recipient, whatever happens (crash, a second evaluation, two processes).
CREATE UNIQUE INDEX outbox_notice_key ON outbox(notice_key, contact_id) WHERE notice_key IS NOT NULL;
