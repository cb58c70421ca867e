-- tower-simplejwt revocation store, version 1. No raw token is stored.
CREATE TABLE IF NOT EXISTS simplejwt_blacklist (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS simplejwt_blacklist_expires_at ON simplejwt_blacklist (expires_at);

CREATE TABLE IF NOT EXISTS simplejwt_revoked_family (
    family     TEXT    NOT NULL PRIMARY KEY,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS simplejwt_revoked_family_expires_at ON simplejwt_revoked_family (expires_at);

CREATE TABLE IF NOT EXISTS simplejwt_user_revocation (
    user_id        TEXT    NOT NULL PRIMARY KEY,
    revoked_before BIGINT  NOT NULL,
    keep_until     BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS simplejwt_user_revocation_keep_until ON simplejwt_user_revocation (keep_until);

CREATE TABLE IF NOT EXISTS simplejwt_outstanding (
    jti        TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    family     TEXT,
    issued_at  BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS simplejwt_outstanding_user_id ON simplejwt_outstanding (user_id);
CREATE INDEX IF NOT EXISTS simplejwt_outstanding_expires_at ON simplejwt_outstanding (expires_at);
