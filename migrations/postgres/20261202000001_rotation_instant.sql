-- tower-simplejwt revocation store, version 2: the instant a rotation spent a
-- refresh token (NULL for a logout), so a retry of that rotation within the
-- grace window can be recognised.
ALTER TABLE simplejwt_blacklist ADD COLUMN rotated_at BIGINT;
