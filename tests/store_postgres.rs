//! The PostgreSQL store on the real server (`DATABASE_URL`), each test run
//! in its own schema (one per store, so checks never see each other's
//! revocations): conformance suite, endpoint suite, two instances,
//! restart, and an outage through a proxy.

mod common;
#[macro_use]
mod suite;

use std::str::FromStr;
use std::sync::Arc;

use common::services::{Proxy, database_url, run_id, unavailable};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::sql::SqlStore;

/// A fresh schema name, stamped with the time so old ones can be dropped.
fn schema() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("simplejwt_{now}_{}", run_id())
}

/// Drops schemas left by test runs more than an hour old (once per process).
async fn drop_stale_schemas(admin: &sqlx::PgPool) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let cutoff = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'simplejwt\\_%'")
            .fetch_all(admin)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let stamp = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if stamp.is_some_and(|t| t < cutoff)
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(admin)
            .await;
        }
    }
}

async fn connect(url: &str, schema: &str) -> Result<SqlStore, String> {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect_with(PgConnectOptions::from_str(url).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    drop_stale_schemas(&admin).await;
    let store = SqlStore::connect_in_schema(url, schema)
        .await
        .map_err(|e| e.to_string())?
        .with_timeout(std::time::Duration::from_secs(2));
    store.migrate().await.map_err(|e| format!("{e:?}"))?;
    Ok(store)
}

async fn make_in(schema: &str) -> Option<SharedStore> {
    match connect(&database_url(), schema).await {
        Ok(store) => Some(Arc::new(store)),
        Err(e) => unavailable("PostgreSQL", e),
    }
}

async fn make_store() -> Option<SqlStore> {
    match connect(&database_url(), &schema()).await {
        Ok(store) => Some(store),
        Err(e) => unavailable("PostgreSQL", e),
    }
}

async fn make() -> Option<SharedStore> {
    make_store().await.map(|s| Arc::new(s) as SharedStore)
}

tower_simplejwt::store_conformance_tests!(make());
endpoint_suite!(make());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations() {
    let shared = schema();
    let (Some(a), Some(b)) = (make_in(&shared).await, make_in(&shared).await) else {
        return;
    };
    suite::durable::two_instances_share_revocations(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_survive_a_restart() {
    let shared = schema();
    let Some(first) = make_in(&shared).await else {
        return;
    };
    suite::durable::revocations_survive_a_restart(first, async { make_in(&shared).await.unwrap() })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_closed_then_recovers() {
    let own = schema();
    if make_in(&own).await.is_none() {
        return;
    }
    let url = database_url();
    let opts = PgConnectOptions::from_str(&url).unwrap();
    let proxy = Proxy::start(format!("{}:{}", opts.get_host(), opts.get_port())).await;
    let proxied = opts.port(proxy.port);
    let base = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(1))
        .connect_with(proxied.options([("search_path", own.as_str())]))
        .await
        .unwrap();
    let store = SqlStore::from_postgres(base).with_timeout(std::time::Duration::from_secs(1));
    suite::durable::outage_fails_closed_then_recovers(Arc::new(store), &proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_is_a_connect_error_not_a_panic() {
    let err = SqlStore::connect("postgres://postgres@127.0.0.1:1/test")
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        tower_simplejwt::store::StoreErrorKind::Unavailable
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_keeps_the_stores_tables_apart() {
    let name = schema();
    let store = match connect(&database_url(), &name).await {
        Ok(store) => store,
        Err(e) => return unavailable::<()>("PostgreSQL", e).unwrap_or(()),
    };
    let _ = store;
    let admin = sqlx::PgPool::connect(&database_url()).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    )
    .bind(&name)
    .fetch_all(&admin)
    .await
    .unwrap();
    let tables: Vec<_> = tables.into_iter().map(|(t,)| t).collect();
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "simplejwt_attempts",
            "simplejwt_blacklist",
            "simplejwt_outstanding",
            "simplejwt_revoked_family",
            "simplejwt_user_revocation"
        ],
        "the store's tables and its migration record live in its schema"
    );
    for bad in ["", "1abc", "a;DROP TABLE x", "with space", "quo\"te"] {
        let err = SqlStore::connect_in_schema(&database_url(), bad)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("plain identifier"),
            "{bad:?}: {err}"
        );
    }
}

/// The negative-answer cache's staleness bound in these tests.
const BOUND: std::time::Duration = std::time::Duration::from_millis(800);

fn cached(store: SqlStore) -> tower_simplejwt::store::RevokedCache<SqlStore> {
    tower_simplejwt::store::RevokedCache::new(store, 10_000, std::time::Duration::from_secs(600))
        .with_not_revoked_for(BOUND)
}

async fn make_cached() -> Option<SharedStore> {
    make_store()
        .await
        .map(|s| Arc::new(cached(s)) as SharedStore)
}

mod with_not_revoked_cache {
    use super::*;

    tower_simplejwt::store_conformance_tests!(make_cached());
    endpoint_suite!(make_cached());
}

/// The bound, measured: with "not revoked" answers cached on instance A, a
/// revocation made on instance B is seen by A within the bound (and not
/// long before it: the cache does answer), and A's own revocations at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_another_instance_is_seen_within_the_negative_cache_bound() {
    use tower_simplejwt::RevocationStore;
    use tower_simplejwt::store::{BlacklistEntry, RevocationQuery};
    let shared = schema();
    let (Ok(a), Ok(b)) = (
        connect(&database_url(), &shared).await,
        connect(&database_url(), &shared).await,
    ) else {
        let _: Option<()> = unavailable("PostgreSQL", "cannot connect");
        return;
    };
    let a = cached(a);
    let now = 1_900_000_000;
    for round in 0..3 {
        let (jti, family, user) = (
            format!("j{round}"),
            format!("f{round}"),
            format!("u{round}"),
        );
        let q = RevocationQuery::new(&jti)
            .with_family(&family)
            .with_user(&user, Some(now - 10));
        assert!(!a.is_revoked(q).await.unwrap());
        // Answered from memory now: the layer's fast path needs no store.
        assert_eq!(a.is_revoked_now(q), Some(false));
        let revoked_at = std::time::Instant::now();
        match round {
            0 => {
                b.blacklist(BlacklistEntry::new(&jti, now + 600, now))
                    .await
                    .unwrap();
            }
            1 => b.revoke_family(&family, now + 600, now).await.unwrap(),
            _ => b
                .revoke_user_before(&user, now, now + 600, now)
                .await
                .unwrap(),
        }
        // Within the bound A may still answer from memory: that is the
        // staleness it documents.
        assert_eq!(a.is_revoked_now(q), Some(false));
        while !a.is_revoked(q).await.unwrap() {
            assert!(
                revoked_at.elapsed() < BOUND + std::time::Duration::from_millis(200),
                "round {round}: still \"not revoked\" past the bound"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    // A's own revocation: its very next check sees it.
    let q = RevocationQuery::new("own").with_user("me", Some(now - 5));
    assert!(!a.is_revoked(q).await.unwrap());
    assert_eq!(a.is_revoked_now(q), Some(false));
    a.revoke_user_before("me", now, now + 600, now)
        .await
        .unwrap();
    assert!(a.is_revoked(q).await.unwrap());
}

/// An answer past the bound is asked again, and the fresh answer is cached
/// again (the cache keeps answering from memory, bound after bound).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_negative_cache_refreshes_after_each_bound() {
    use tower_simplejwt::RevocationStore;
    use tower_simplejwt::store::RevocationQuery;
    let Some(store) = make_store().await else {
        return;
    };
    let a = cached(store);
    let q = RevocationQuery::new("j")
        .with_family("f")
        .with_user("u", Some(1_900_000_000));
    for _ in 0..3 {
        assert!(!a.is_revoked(q).await.unwrap());
        assert_eq!(a.is_revoked_now(q), Some(false));
        tokio::time::sleep(BOUND + std::time::Duration::from_millis(50)).await;
        assert_eq!(
            a.is_revoked_now(q),
            None,
            "past the bound the store is asked"
        );
    }
}

/// A store of instance "A" in `schema`, reached through `port` (the
/// server's, or a proxy's): its checks answered from memory, kept true by
/// the LISTEN/NOTIFY invalidation feed.
async fn fed(
    schema: &str,
    port: Option<u16>,
    bound: std::time::Duration,
) -> tower_simplejwt::store::RevokedCache<SqlStore> {
    let opts = PgConnectOptions::from_str(&database_url()).unwrap();
    let opts = match port {
        Some(port) => opts.port(port),
        None => opts,
    };
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(1))
        .connect_with(opts.options([("search_path", schema)]))
        .await
        .unwrap();
    let store = SqlStore::from_postgres(pool).with_timeout(std::time::Duration::from_millis(500));
    let feed = store.invalidation_feed(bound).await.unwrap();
    assert!(feed.is_live(), "live once created");
    tower_simplejwt::store::RevokedCache::new(store, 10_000, std::time::Duration::from_secs(600))
        .with_invalidations(feed)
}

async fn make_fed() -> Option<SharedStore> {
    let shared = schema();
    connect(&database_url(), &shared).await.ok()?;
    Some(Arc::new(
        fed(&shared, None, std::time::Duration::from_secs(1)).await,
    ))
}

mod with_invalidation_feed {
    use super::*;

    tower_simplejwt::store_conformance_tests!(make_fed());
    endpoint_suite!(make_fed());
}

/// The feed's staleness bound on a healthy connection, measured: a
/// revocation on instance B is seen in instance A's memory within 100 ms
/// (the notification is sent when B's write commits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notify_feed_sees_another_instances_revocation_within_its_bound() {
    let shared = schema();
    let Ok(b) = connect(&database_url(), &shared).await else {
        let _: Option<()> = unavailable("PostgreSQL", "cannot connect");
        return;
    };
    let a = fed(&shared, None, std::time::Duration::from_secs(30)).await;
    let slowest = suite::durable::a_feed_sees_another_instances_revocation(
        &a,
        &b,
        std::time::Duration::from_millis(100),
    )
    .await;
    eprintln!("slowest invalidation over 30 rounds: {slowest:?}");
}

async fn fed_behind_proxy(
    bound: std::time::Duration,
) -> Option<(
    tower_simplejwt::store::RevokedCache<SqlStore>,
    SqlStore,
    Proxy,
)> {
    let shared = schema();
    let Ok(b) = connect(&database_url(), &shared).await else {
        return unavailable("PostgreSQL", "cannot connect");
    };
    let opts = PgConnectOptions::from_str(&database_url()).unwrap();
    let proxy = Proxy::start(format!("{}:{}", opts.get_host(), opts.get_port())).await;
    let a = fed(&shared, Some(proxy.port), bound).await;
    Some((a, b, proxy))
}

/// The database going away: the listener's connection closes, the cache
/// forgets everything and asks the store (503) until the feed is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_notify_connection_never_serves_a_stale_answer() {
    let bound = std::time::Duration::from_millis(400);
    let Some((a, b, proxy)) = fed_behind_proxy(bound).await else {
        return;
    };
    suite::durable::a_broken_feed_stops_answering_within_its_bound(
        &a,
        &b,
        bound,
        || proxy.set_up(false),
        || proxy.set_up(true),
    )
    .await;
}

/// A silent network: the heartbeats stop arriving, and the cache stops
/// answering from memory within the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_notify_connection_stops_answering_within_its_bound() {
    let bound = std::time::Duration::from_millis(400);
    let Some((a, b, proxy)) = fed_behind_proxy(bound).await else {
        return;
    };
    suite::durable::a_broken_feed_stops_answering_within_its_bound(
        &a,
        &b,
        bound,
        || proxy.set_stalled(true),
        || proxy.set_stalled(false),
    )
    .await;
}

#[tokio::test]
async fn an_invalidation_feed_needs_postgresql() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    let err = store
        .invalidation_feed(std::time::Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("with_not_revoked_for"), "{err}");
}
