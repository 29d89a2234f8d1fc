-- 0002: SSH host keys pinned per host + port + key type (trust on first use, by an operator).
-- A changed key never replaces a pin by itself: an operator replaces it deliberately (audited).

CREATE TABLE host_keys (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  host        TEXT NOT NULL COLLATE NOCASE,
  port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  key_type    TEXT NOT NULL,
  -- 'SHA256:' + unpadded base64 of the SHA-256 of the public key blob, as `ssh-keygen -lf` prints it
  fingerprint TEXT NOT NULL CHECK (fingerprint LIKE 'SHA256:%'),
  server_id   INTEGER REFERENCES servers(id) ON DELETE SET NULL,
  trusted_by  TEXT NOT NULL,
  trusted_at  TEXT NOT NULL,
  UNIQUE (host, port, key_type)
);
CREATE INDEX host_keys_server ON host_keys(server_id);
