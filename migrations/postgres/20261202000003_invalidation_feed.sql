-- tower-simplejwt revocation store, version 4: every revocation is announced
-- on the channel `simplejwt_revocations` (LISTEN/NOTIFY), so the instances'
-- invalidation feeds drop what they cached about it. The payload is the
-- component that changed, its id as stored: `j:<jti>`, `f:<family>` or
-- `u:<user_id>`; `*` (drop everything) when it would not fit in a
-- notification. The notification is sent when the write commits.
CREATE OR REPLACE FUNCTION simplejwt_announce_revocation() RETURNS trigger AS $$
DECLARE
    component TEXT;
BEGIN
    IF TG_TABLE_NAME = 'simplejwt_blacklist' THEN
        component := 'j:' || NEW.jti;
    ELSIF TG_TABLE_NAME = 'simplejwt_revoked_family' THEN
        component := 'f:' || NEW.family;
    ELSE
        component := 'u:' || NEW.user_id;
    END IF;
    IF octet_length(component) > 7000 THEN
        component := '*';
    END IF;
    PERFORM pg_notify('simplejwt_revocations', component);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER simplejwt_blacklist_announce AFTER INSERT OR UPDATE ON simplejwt_blacklist
    FOR EACH ROW EXECUTE FUNCTION simplejwt_announce_revocation();
CREATE TRIGGER simplejwt_revoked_family_announce AFTER INSERT OR UPDATE ON simplejwt_revoked_family
    FOR EACH ROW EXECUTE FUNCTION simplejwt_announce_revocation();
CREATE TRIGGER simplejwt_user_revocation_announce AFTER INSERT OR UPDATE ON simplejwt_user_revocation
    FOR EACH ROW EXECUTE FUNCTION simplejwt_announce_revocation();
