//! SQL revocation store on sqlx: SQLite (embedded, feature `sqlite`) and
//! PostgreSQL (feature `postgres`).
//!
//! Schema (see `migrations/`; run with [`SqlStore::migrate`]):
//!
//! | table | key | other columns | indexes |
//! |---|---|---|---|
//! | `simplejwt_blacklist` | `jti` | `expires_at` | `expires_at` |
//! | `simplejwt_revoked_family` | `family` | `expires_at` | `expires_at` |
//! | `simplejwt_user_revocation` | `user_id` | `revoked_before`, `keep_until` | `keep_until` |
//! | `simplejwt_outstanding` | `jti` | `user_id`, `family`, `issued_at`, `expires_at` | `user_id`, `expires_at` |
//! | `simplejwt_attempts` | `key` (a login throttle's key and window) | `count`, `expires_at` | `expires_at` |
//!
//! Only ids and instants are stored, never a token. Blacklisting is one
//! `INSERT ... ON CONFLICT DO NOTHING` whose affected-row count tells whether
//! this call inserted the row, which makes refresh-token rotation race-free
//! across any number of app instances sharing the database.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use std::borrow::Cow;

#[cfg(feature = "postgres")]
use crate::store::InvalidationFeed;
use crate::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore, StoreError,
    StoreErrorKind, StoreFuture,
};

#[derive(Clone)]
enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool this store has. The
/// SQL is the same for both: standard SQL only (`CASE`, not SQLite's
/// two-argument `MAX` or PostgreSQL's `GREATEST`).
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            Backend::Postgres($pool) => $body,
        }
    };
}

/// A revocation store in SQLite or PostgreSQL.
///
/// ```no_run
/// # async fn demo() -> Result<(), tower_simplejwt::store::StoreError> {
/// use tower_simplejwt::store::sql::SqlStore;
///
/// let store = SqlStore::connect("sqlite://revocations.db").await?;
/// store.migrate().await?; // embedded, versioned migrations
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    timeout: Duration,
    /// Also keep Simple JWT's `token_blacklist` tables (shared with a Django app).
    django: bool,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend_name())
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn store_error(e: sqlx::Error) -> StoreError {
    let kind = match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreErrorKind::Unavailable,
        _ => StoreErrorKind::Backend,
    };
    StoreError::new(kind, "SQL store call failed", Some(Box::new(e)))
}

/// An id as stored: PostgreSQL text cannot hold a NUL byte, and a token the
/// crate accepted must never make the store fail, so `\` and NUL are
/// escaped (`\\`, `\0`). Ids without them (every id the crate mints) are
/// stored as they are.
fn escape(id: &str) -> Cow<'_, str> {
    if !id.contains(['\\', '\0']) {
        return Cow::Borrowed(id);
    }
    Cow::Owned(id.replace('\\', "\\\\").replace('\0', "\\0"))
}

/// The inverse of [`escape`].
fn unescape(stored: String) -> String {
    if !stored.contains('\\') {
        return stored;
    }
    let mut out = String::with_capacity(stored.len());
    let mut chars = stored.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl SqlStore {
    /// Connects to `sqlite://path` (created if missing; WAL journal) or
    /// `postgres://...`. Every call times out after 3 seconds by default.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let timeout = Duration::from_secs(3);
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(store_error)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(timeout);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(timeout)
                .connect_with(options)
                .await
                .map_err(store_error)?;
            return Ok(Self::from_sqlite(pool));
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(timeout)
                .connect(url)
                .await
                .map_err(store_error)?;
            return Ok(Self::from_postgres(pool));
        }
        Err(StoreError::new(
            StoreErrorKind::Backend,
            format!(
                "unsupported database URL scheme in {:?}: enable the `sqlite` or `postgres` feature and use sqlite:// or postgres://",
                url.split(':').next().unwrap_or_default()
            ),
            None,
        ))
    }

    /// Connects to PostgreSQL with every table of the store (and the record
    /// of its migrations) in `schema`, created if missing: an app that
    /// shares its database, and runs its own sqlx migrations, keeps its
    /// tables and migration history apart from the store's. `schema` is a
    /// plain identifier (letters, digits, `_`; not starting with a digit).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        use std::str::FromStr;
        let plain = schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && schema.chars().next().is_some_and(|c| !c.is_ascii_digit());
        if !plain {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "schema name {schema:?} is not a plain identifier: use letters, digits and '_', not starting with a digit"
                ),
                None,
            ));
        }
        let timeout = Duration::from_secs(3);
        let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(store_error)?;
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(timeout)
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        // The name was checked above: a plain identifier, safe to splice.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&admin)
        .await
        .map_err(store_error)?;
        admin.close().await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(timeout)
            .connect_with(options.options([("search_path", schema)]))
            .await
            .map_err(store_error)?;
        Ok(Self::from_postgres(pool))
    }

    /// A store on an existing SQLite pool.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub fn from_sqlite(pool: sqlx::SqlitePool) -> Self {
        Self {
            backend: Backend::Sqlite(pool),
            timeout: Duration::from_secs(3),
            django: false,
        }
    }

    /// A store on an existing PostgreSQL pool.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub fn from_postgres(pool: sqlx::PgPool) -> Self {
        Self {
            backend: Backend::Postgres(pool),
            timeout: Duration::from_secs(3),
            django: false,
        }
    }

    /// Sets the per-call timeout (past it the call fails with
    /// [`StoreErrorKind::Timeout`], and requests get 503).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Shares Simple JWT's blacklist with a Django app on the same database:
    /// the tables `token_blacklist_outstandingtoken` and
    /// `token_blacklist_blacklistedtoken` (Django's `migrate` creates them,
    /// with `rest_framework_simplejwt.token_blacklist` installed).
    ///
    /// - A token blacklisted on either side is refused by both: the
    ///   revocation check reads Django's blacklist too.
    /// - Blacklisting (logout, rotation) writes Django's rows, as Simple
    ///   JWT's `blacklist()` does: the outstanding row if missing, then the
    ///   blacklisted row. Its unique `token_id` is the atomic test: of two
    ///   concurrent rotations, on either side, one wins.
    /// - Refresh tokens issued here are recorded as outstanding rows
    ///   (`user_id` is the token's user id, the Django user's primary key).
    ///   The `token` column, which Django requires, is left empty: no raw
    ///   token is written.
    /// - Families and "log out everywhere" stay in this store's own tables.
    ///   Expired Django rows are Django's to flush (`flushexpiredtokens`).
    ///
    /// An invalidation feed sees Django's blacklist writes once
    /// [`announce_django_blacklist`](SqlStore::announce_django_blacklist)
    /// has installed its trigger (PostgreSQL); without it, cache "not
    /// revoked" answers only with
    /// [`RevokedCache::with_not_revoked_for`](crate::store::RevokedCache::with_not_revoked_for).
    #[must_use]
    pub fn with_django_blacklist(mut self) -> Self {
        self.django = true;
        self
    }

    fn backend_name(&self) -> &'static str {
        on_pool!(self, |_pool| {
            match self.backend {
                #[cfg(feature = "sqlite")]
                Backend::Sqlite(_) => "sqlite",
                #[cfg(feature = "postgres")]
                Backend::Postgres(_) => "postgres",
            }
        })
    }

    /// Starts an [`InvalidationFeed`] on PostgreSQL's `LISTEN/NOTIFY`: the
    /// store's tables announce every revocation on the channel
    /// `simplejwt_revocations` when it commits (a trigger installed by
    /// [`migrate`](Self::migrate)), and a connection of its own listens.
    /// Every quarter of `bound` the feed sends itself a notification through
    /// the pool; PostgreSQL delivers notifications in commit order, so its
    /// arrival confirms every earlier revocation was applied. Hand it to
    /// [`RevokedCache::with_invalidations`](crate::store::RevokedCache::with_invalidations).
    ///
    /// PostgreSQL only (SQLite has no notifications: use
    /// [`RevokedCache::with_not_revoked_for`](crate::store::RevokedCache::with_not_revoked_for)).
    /// Fails when the feed is not live within 3 seconds; after that it
    /// reconnects by itself (the cache asks the store meanwhile).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tower_simplejwt::store::StoreError> {
    /// use std::time::Duration;
    /// use tower_simplejwt::store::RevokedCache;
    /// use tower_simplejwt::store::sql::SqlStore;
    ///
    /// let store = SqlStore::connect("postgres://localhost/app").await?;
    /// store.migrate().await?;
    /// let feed = store.invalidation_feed(Duration::from_secs(1)).await?;
    /// let store = RevokedCache::new(store, 100_000, Duration::from_secs(600)).with_invalidations(feed);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn invalidation_feed(&self, bound: Duration) -> Result<InvalidationFeed, StoreError> {
        #[allow(irrefutable_let_patterns)]
        let Backend::Postgres(pool) = &self.backend else {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                "invalidation feeds need PostgreSQL (SQLite has no notifications: use RevokedCache::with_not_revoked_for)",
                None,
            ));
        };
        notify_feed::start(pool, bound).await
    }

    /// Applies the embedded migrations (idempotent; safe to call on every start).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        };
        result.map_err(|e| {
            StoreError::new(
                StoreErrorKind::Backend,
                "migration failed",
                Some(Box::new(e)),
            )
        })
    }

    async fn timed<T>(
        &self,
        fut: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(StoreError::new(
                StoreErrorKind::Timeout,
                "SQL store call timed out",
                None,
            )),
        }
    }

    async fn blacklist_impl(&self, e: BlacklistEntry<'_>) -> Result<Blacklisted, StoreError> {
        if self.django {
            return self.django_blacklist(e).await;
        }
        let jti = escape(e.jti);
        let exp = to_i64(e.expires_at);
        let rotated_at = e.rotation.then(|| to_i64(e.now));
        on_pool!(self, |pool| {
            self.timed(async {
                let done = sqlx::query(
                    "INSERT INTO simplejwt_blacklist (jti, expires_at, rotated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti.as_ref())
                .bind(exp)
                .bind(rotated_at)
                .execute(pool)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok(Blacklisted::Inserted);
                }
                // Already there: only ever extend its life, and learn why it is there.
                let sql = "UPDATE simplejwt_blacklist \
                           SET expires_at = CASE WHEN expires_at > $2 THEN expires_at ELSE $2 END \
                           WHERE jti = $1 RETURNING rotated_at";
                let found: Option<Option<i64>> = sqlx::query_scalar(sql)
                    .bind(jti.as_ref())
                    .bind(exp)
                    .fetch_optional(pool)
                    .await?;
                Ok(Blacklisted::Existing {
                    rotated_at: found.flatten().map(to_u64),
                })
            })
            .await
        })
    }

    async fn revoke_family_impl(&self, family: &str, expires_at: u64) -> Result<(), StoreError> {
        let family = escape(family);
        let exp = to_i64(expires_at);
        on_pool!(self, |pool| {
            let sql = "INSERT INTO simplejwt_revoked_family (family, expires_at) VALUES ($1, $2) \
                       ON CONFLICT (family) DO UPDATE SET expires_at = CASE \
                       WHEN simplejwt_revoked_family.expires_at > excluded.expires_at \
                       THEN simplejwt_revoked_family.expires_at ELSE excluded.expires_at END";
            self.timed(
                sqlx::query(sql)
                    .bind(family.as_ref())
                    .bind(exp)
                    .execute(pool),
            )
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn revoke_user_impl(
        &self,
        user_id: &str,
        instant: u64,
        keep_until: u64,
    ) -> Result<(), StoreError> {
        let user_id = escape(user_id);
        on_pool!(self, |pool| {
            let sql = "INSERT INTO simplejwt_user_revocation (user_id, revoked_before, keep_until) VALUES ($1, $2, $3) \
                       ON CONFLICT (user_id) DO UPDATE SET \
                       revoked_before = CASE WHEN simplejwt_user_revocation.revoked_before > excluded.revoked_before \
                       THEN simplejwt_user_revocation.revoked_before ELSE excluded.revoked_before END, \
                       keep_until = CASE WHEN simplejwt_user_revocation.keep_until > excluded.keep_until \
                       THEN simplejwt_user_revocation.keep_until ELSE excluded.keep_until END";
            self.timed(
                sqlx::query(sql)
                    .bind(user_id.as_ref())
                    .bind(to_i64(instant))
                    .bind(to_i64(keep_until))
                    .execute(pool),
            )
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn is_revoked_impl(&self, q: RevocationQuery<'_>) -> Result<bool, StoreError> {
        // One round trip for the three checks (four with Django's blacklist).
        let iat = q.issued_at.map_or(0, to_i64);
        let sql = if self.django {
            concat!(
                "SELECT CASE WHEN ",
                "EXISTS (SELECT 1 FROM simplejwt_blacklist WHERE jti = $1) ",
                "OR EXISTS (SELECT 1 FROM simplejwt_revoked_family WHERE family = $2) ",
                "OR EXISTS (SELECT 1 FROM simplejwt_user_revocation WHERE user_id = $3 AND revoked_before >= $4) ",
                "OR EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b ",
                "JOIN token_blacklist_outstandingtoken o ON o.id = b.token_id WHERE o.jti = $1) ",
                "THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END"
            )
        } else {
            concat!(
                "SELECT CASE WHEN ",
                "EXISTS (SELECT 1 FROM simplejwt_blacklist WHERE jti = $1) ",
                "OR EXISTS (SELECT 1 FROM simplejwt_revoked_family WHERE family = $2) ",
                "OR EXISTS (SELECT 1 FROM simplejwt_user_revocation WHERE user_id = $3 AND revoked_before >= $4) ",
                "THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END"
            )
        };
        let n: i64 = on_pool!(self, |pool| {
            self.timed(
                sqlx::query_scalar(sql)
                    .bind(escape(q.jti).as_ref())
                    .bind(q.family.map(escape).as_deref())
                    .bind(q.user_id.map(escape).as_deref())
                    .bind(iat)
                    .fetch_one(pool),
            )
            .await
        })?;
        Ok(n == 1)
    }

    async fn record_impl(&self, t: OutstandingToken) -> Result<(), StoreError> {
        if self.django {
            self.django_record(&t).await?;
        }
        on_pool!(self, |pool| {
            self.timed(
                sqlx::query(
                    "INSERT INTO simplejwt_outstanding (jti, user_id, family, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING",
                )
                .bind(escape(&t.jti).as_ref())
                .bind(escape(&t.user_id).as_ref())
                .bind(t.family.as_deref().map(escape).as_deref())
                .bind(to_i64(t.issued_at))
                .bind(to_i64(t.expires_at))
                .execute(pool),
            )
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn outstanding_impl(
        &self,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<OutstandingToken>, StoreError> {
        type Row = (String, String, Option<String>, i64, i64);
        let rows: Vec<Row> = on_pool!(self, |pool| {
            self.timed(
                sqlx::query_as(
                    "SELECT jti, user_id, family, issued_at, expires_at FROM simplejwt_outstanding \
                     WHERE user_id = $1 AND expires_at >= $2 ORDER BY issued_at, jti",
                )
                .bind(escape(user_id).as_ref())
                .bind(to_i64(now))
                .fetch_all(pool),
            )
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(jti, user_id, family, iat, exp)| OutstandingToken {
                jti: unescape(jti),
                user_id: unescape(user_id),
                family: family.map(unescape),
                issued_at: to_u64(iat),
                expires_at: to_u64(exp),
            })
            .collect())
    }

    /// Deletes expired rows in batches of 1000, so a large flush never holds
    /// long locks.
    async fn flush_impl(&self, now: u64) -> Result<u64, StoreError> {
        const BATCHES: [&str; 5] = [
            "DELETE FROM simplejwt_attempts WHERE key IN \
             (SELECT key FROM simplejwt_attempts WHERE expires_at <= $1 LIMIT 1000)",
            "DELETE FROM simplejwt_blacklist WHERE jti IN \
             (SELECT jti FROM simplejwt_blacklist WHERE expires_at < $1 LIMIT 1000)",
            "DELETE FROM simplejwt_revoked_family WHERE family IN \
             (SELECT family FROM simplejwt_revoked_family WHERE expires_at < $1 LIMIT 1000)",
            "DELETE FROM simplejwt_user_revocation WHERE user_id IN \
             (SELECT user_id FROM simplejwt_user_revocation WHERE keep_until < $1 LIMIT 1000)",
            "DELETE FROM simplejwt_outstanding WHERE jti IN \
             (SELECT jti FROM simplejwt_outstanding WHERE expires_at < $1 LIMIT 1000)",
        ];
        let now = to_i64(now);
        let mut total = 0;
        for sql in BATCHES {
            loop {
                let n = on_pool!(self, |pool| {
                    self.timed(sqlx::query(sql).bind(now).execute(pool))
                        .await
                        .map(|r| r.rows_affected())
                })?;
                total += n;
                if n < 1000 {
                    break;
                }
            }
        }
        Ok(total)
    }
}

impl RevocationStore for SqlStore {
    fn name(&self) -> &'static str {
        self.backend_name()
    }

    fn blacklist<'a>(&'a self, entry: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        Box::pin(self.blacklist_impl(entry))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        _now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.revoke_family_impl(family, expires_at))
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        _now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.revoke_user_impl(user_id, instant, keep_until))
    }

    fn is_revoked<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        Box::pin(self.is_revoked_impl(query))
    }

    fn record_outstanding(&self, token: OutstandingToken, _now: u64) -> StoreFuture<'_, ()> {
        Box::pin(self.record_impl(token))
    }

    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        Box::pin(self.outstanding_impl(user_id, now))
    }

    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (key, ends) = crate::store::attempt_window(key, window, now);
            let count: i64 = on_pool!(self, |pool| {
                self.timed(
                    sqlx::query_scalar(
                        "INSERT INTO simplejwt_attempts (key, count, expires_at) VALUES ($1, 1, $2) \
                         ON CONFLICT (key) DO UPDATE SET count = simplejwt_attempts.count + 1 \
                         RETURNING count",
                    )
                    .bind(escape(&key).as_ref())
                    .bind(to_i64(ends))
                    .fetch_one(pool),
                )
                .await
            })?;
            Ok(to_u64(count))
        })
    }

    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (key, _) = crate::store::attempt_window(key, window, now);
            on_pool!(self, |pool| {
                self.timed(
                    sqlx::query("DELETE FROM simplejwt_attempts WHERE key = $1")
                        .bind(escape(&key).as_ref())
                        .execute(pool),
                )
                .await
                .map(|_| ())
            })
        })
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        Box::pin(self.flush_impl(now))
    }
}

mod django_tables;

/// The PostgreSQL [`InvalidationFeed`]: a listening connection and a
/// heartbeat through the pool.
#[cfg(feature = "postgres")]
mod notify_feed {
    use std::time::{Duration, Instant};

    use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

    use super::{store_error, unescape};
    use crate::store::{FeedSender, InvalidationFeed, StoreError, StoreErrorKind};

    /// The channel the migration's trigger announces revocations on.
    const CHANNEL: &str = "simplejwt_revocations";

    pub(super) async fn start(
        pool: &PgPool,
        bound: Duration,
    ) -> Result<InvalidationFeed, StoreError> {
        let (feed, sender) = InvalidationFeed::new(bound);
        // The listener keeps one connection for itself, apart from the
        // store's pool.
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with((*pool.connect_options()).clone())
            .await
            .map_err(store_error)?;
        let mut listener = PgListener::connect_with(&own).await.map_err(store_error)?;
        listener.listen(CHANNEL).await.map_err(store_error)?;
        let beat = Heartbeat {
            id: rand::random(),
            epoch: Instant::now(),
        };
        let listen = tokio::spawn(listen(listener, beat, sender.clone()));
        let ping = tokio::spawn(ping(pool.clone(), beat, sender));
        let (listen, ping) = (listen.abort_handle(), ping.abort_handle());
        let feed = feed.on_drop(move || {
            listen.abort();
            ping.abort();
        });
        let started = Instant::now();
        while !feed.is_live() {
            if started.elapsed() > Duration::from_secs(3) {
                return Err(StoreError::new(
                    StoreErrorKind::Timeout,
                    "the PostgreSQL invalidation feed was not live within 3 seconds (is the migration applied?)",
                    None,
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(feed)
    }

    /// Names this feed's heartbeats and the instants they were sent.
    #[derive(Clone, Copy)]
    struct Heartbeat {
        id: u64,
        epoch: Instant,
    }

    impl Heartbeat {
        fn payload(self, sent: Instant) -> String {
            format!("ping:{}:{}", self.id, (sent - self.epoch).as_nanos())
        }

        /// When the heartbeat in `payload` was sent, if it is one of ours.
        fn sent(self, payload: &str) -> Option<Instant> {
            let rest = payload.strip_prefix("ping:")?;
            let (id, nanos) = rest.split_once(':')?;
            (id.parse::<u64>().ok()? == self.id)
                .then(|| nanos.parse::<u64>().ok())
                .flatten()
                .map(|n| self.epoch + Duration::from_nanos(n))
        }
    }

    async fn listen(mut listener: PgListener, beat: Heartbeat, sender: FeedSender) {
        loop {
            match listener.try_recv().await {
                Ok(Some(note)) => apply(&sender, beat, note.payload()),
                // Reconnected (and listening again): notifications may have
                // been missed.
                Ok(None) => sender.lost(),
                Err(_) => {
                    sender.lost();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    fn apply(sender: &FeedSender, beat: Heartbeat, payload: &str) {
        if let Some(sent) = beat.sent(payload) {
            sender.confirm(sent);
        } else if let Some(jti) = payload.strip_prefix("j:") {
            sender.invalidate_jti(&unescape(jti.to_owned()));
        } else if let Some(family) = payload.strip_prefix("f:") {
            sender.invalidate_family(&unescape(family.to_owned()));
        } else if let Some(user) = payload.strip_prefix("u:") {
            sender.invalidate_user(&unescape(user.to_owned()));
        } else if !payload.starts_with("ping:") {
            sender.invalidate_all();
        }
    }

    async fn ping(pool: PgPool, beat: Heartbeat, sender: FeedSender) {
        let every = sender.heartbeat_every();
        loop {
            let sent = Instant::now();
            // A lost heartbeat needs no action: the feed stops being live
            // once the bound passes without one.
            let _ = tokio::time::timeout(
                every,
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(beat.payload(sent))
                    .execute(&pool),
            )
            .await;
            tokio::time::sleep(every).await;
        }
    }
}
