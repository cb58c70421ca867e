-- tower-simplejwt revocation store, version 3: ids are stored with `\` and
-- NUL escaped (`\\`, `\0`), so that any text a signed claim carries can be
-- stored. Rows written before keep matching: their backslashes are escaped.
UPDATE simplejwt_blacklist SET jti = replace(jti, '\', '\\');
UPDATE simplejwt_revoked_family SET family = replace(family, '\', '\\');
UPDATE simplejwt_user_revocation SET user_id = replace(user_id, '\', '\\');
UPDATE simplejwt_outstanding SET jti = replace(jti, '\', '\\'),
    user_id = replace(user_id, '\', '\\'), family = replace(family, '\', '\\');
