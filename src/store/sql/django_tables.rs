//! Simple JWT's `token_blacklist` tables, shared with a Django app
//! ([`SqlStore::with_django_blacklist`]).

use super::{Backend, SqlStore, escape, to_i64, to_u64};
use crate::store::{BlacklistEntry, Blacklisted, OutstandingToken, StoreError};

/// `Unix seconds` as the backend's timestamp: PostgreSQL `timestamptz`;
/// SQLite text as Django writes it (UTC).
fn timestamp(backend: &Backend, param: &str) -> String {
    match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite(_) => format!("strftime('%Y-%m-%d %H:%M:%f', {param}, 'unixepoch')"),
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => format!("to_timestamp({param})"),
    }
}

/// A Django user's primary key, when the id is one (else no user is set,
/// which Django allows).
fn django_user(user_id: &str) -> Option<i64> {
    user_id.parse().ok()
}

impl SqlStore {
    /// Blacklists in Django's tables first: their unique `token_id` decides
    /// who wins; this store's own row keeps the rotation instant.
    pub(super) async fn django_blacklist(
        &self,
        e: BlacklistEntry<'_>,
    ) -> Result<Blacklisted, StoreError> {
        let jti = escape(e.jti);
        let exp = to_i64(e.expires_at);
        let rotated_at = e.rotation.then(|| to_i64(e.now));
        let outstanding = format!(
            "INSERT INTO token_blacklist_outstandingtoken (user_id, jti, token, created_at, expires_at) \
             VALUES (NULL, $1, '', NULL, {}) ON CONFLICT (jti) DO NOTHING",
            timestamp(&self.backend, "$2")
        );
        let blacklisted = format!(
            "INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) \
             SELECT id, {} FROM token_blacklist_outstandingtoken WHERE jti = $1 \
             ON CONFLICT (token_id) DO NOTHING",
            timestamp(&self.backend, "$2")
        );
        on_pool!(self, |pool| {
            self.timed(async {
                sqlx::query(sqlx::AssertSqlSafe(outstanding))
                    .bind(jti.as_ref())
                    .bind(exp)
                    .execute(pool)
                    .await?;
                let django_won = sqlx::query(sqlx::AssertSqlSafe(blacklisted))
                    .bind(jti.as_ref())
                    .bind(to_i64(e.now))
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1;
                let ours_won = sqlx::query(
                    "INSERT INTO simplejwt_blacklist (jti, expires_at, rotated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti.as_ref())
                .bind(exp)
                .bind(rotated_at)
                .execute(pool)
                .await?
                .rows_affected()
                    == 1;
                if django_won && ours_won {
                    return Ok(Blacklisted::Inserted);
                }
                // Blacklisted before: by a rotation here (the instant is in
                // this store's row), or by a logout on either side.
                let found: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT rotated_at FROM simplejwt_blacklist WHERE jti = $1",
                )
                .bind(jti.as_ref())
                .fetch_optional(pool)
                .await?;
                let rotated_at = if ours_won {
                    // Django's side had it first: a logout there.
                    None
                } else {
                    found.flatten().map(to_u64)
                };
                Ok(Blacklisted::Existing { rotated_at })
            })
            .await
        })
    }

    /// Records a refresh token as Django's outstanding row, as Simple JWT
    /// does when it issues one (the `token` column empty).
    pub(super) async fn django_record(&self, t: &OutstandingToken) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO token_blacklist_outstandingtoken (user_id, jti, token, created_at, expires_at) \
             VALUES ($1, $2, '', {}, {}) ON CONFLICT (jti) DO NOTHING",
            timestamp(&self.backend, "$3"),
            timestamp(&self.backend, "$4")
        );
        on_pool!(self, |pool| {
            self.timed(
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(django_user(&t.user_id))
                    .bind(escape(&t.jti).as_ref())
                    .bind(to_i64(t.issued_at))
                    .bind(to_i64(t.expires_at))
                    .execute(pool),
            )
            .await
            .map(|_| ())
        })
    }
}

/// The trigger that announces Django's blacklist writes to invalidation
/// feeds, as the store's migration does for its own tables.
#[cfg(feature = "postgres")]
const ANNOUNCE: &str = r"
CREATE OR REPLACE FUNCTION simplejwt_announce_django_blacklist() RETURNS trigger AS $$
DECLARE
    component TEXT;
BEGIN
    SELECT 'j:' || jti INTO component FROM token_blacklist_outstandingtoken WHERE id = NEW.token_id;
    IF component IS NULL OR octet_length(component) > 7000 THEN
        component := '*';
    END IF;
    PERFORM pg_notify('simplejwt_revocations', component);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS simplejwt_django_blacklist_announce ON token_blacklist_blacklistedtoken;
CREATE TRIGGER simplejwt_django_blacklist_announce AFTER INSERT ON token_blacklist_blacklistedtoken
    FOR EACH ROW EXECUTE FUNCTION simplejwt_announce_django_blacklist();
";

impl SqlStore {
    /// Installs a trigger on Django's `token_blacklist_blacklistedtoken`
    /// (PostgreSQL) that announces every blacklisting, whichever side
    /// writes it, to the invalidation feeds
    /// ([`invalidation_feed`](SqlStore::invalidation_feed)), so caches
    /// that answer "not revoked" from memory see Django's logouts too.
    /// Idempotent: call it at startup, after Django's migrations.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn announce_django_blacklist(&self) -> Result<(), StoreError> {
        #[allow(irrefutable_let_patterns)]
        let Backend::Postgres(pool) = &self.backend else {
            return Err(StoreError::new(
                crate::store::StoreErrorKind::Backend,
                "announcing Django's blacklist needs PostgreSQL (SQLite has no notifications)",
                None,
            ));
        };
        self.timed(sqlx::raw_sql(ANNOUNCE).execute(pool))
            .await
            .map(|_| ())
    }
}
