-- tower-simplejwt revocation store, version 5: attempt counters of login
-- throttling, one row per key and window, shared by every instance.
CREATE TABLE IF NOT EXISTS simplejwt_attempts (
    key        TEXT    NOT NULL PRIMARY KEY,
    count      BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS simplejwt_attempts_expires_at ON simplejwt_attempts (expires_at);
