//! The Redis store on the real server (`REDIS_URL`), each store under its
//! own key prefix: conformance suite, endpoint suite, two instances,
//! restart, key layout, and an outage (a proxy cut mid-test) with recovery.

mod common;
#[macro_use]
mod suite;

use std::sync::Arc;
use std::time::Duration;

use common::services::{Proxy, redis_url, run_id, unavailable};
use tower_simplejwt::RevocationStore;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::redis::RedisStore;
use tower_simplejwt::store::{BlacklistEntry, RevokedCache};

async fn connect_with(url: &str, prefix: &str) -> Option<RedisStore> {
    match RedisStore::connect(url).await {
        Ok(store) => {
            let store = store.with_prefix(prefix);
            match store.ping().await {
                Ok(()) => Some(store),
                Err(e) => unavailable("Redis", e),
            }
        }
        Err(e) => unavailable("Redis", e),
    }
}

fn prefix() -> String {
    format!("simplejwt-test:{}:", run_id())
}

async fn make() -> Option<SharedStore> {
    connect_with(&redis_url(), &prefix())
        .await
        .map(|s| Arc::new(s) as SharedStore)
}

tower_simplejwt::store_conformance_tests!(make());
endpoint_suite!(make());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations() {
    let p = prefix();
    let (Some(a), Some(b)) = (
        connect_with(&redis_url(), &p).await,
        connect_with(&redis_url(), &p).await,
    ) else {
        return;
    };
    suite::durable::two_instances_share_revocations(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_survive_a_restart() {
    let p = prefix();
    let Some(first) = connect_with(&redis_url(), &p).await else {
        return;
    };
    let again = p.clone();
    suite::durable::revocations_survive_a_restart(Arc::new(first), async move {
        Arc::new(connect_with(&redis_url(), &again).await.unwrap()) as SharedStore
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_closed_then_recovers() {
    if make().await.is_none() {
        return;
    }
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let store = RedisStore::connect(&format!("redis://127.0.0.1:{}", proxy.port))
        .await
        .unwrap()
        .with_prefix(prefix())
        .with_timeout(Duration::from_secs(1));
    suite::durable::outage_fails_closed_then_recovers(Arc::new(store), &proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_follow_the_documented_layout_and_expire_with_tokens() {
    let p = prefix();
    let Some(store) = connect_with(&redis_url(), &p).await else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The app's clock is an hour ahead of Redis's: expiry follows the app.
    let now = now + 3600;
    let entry = |expires_at| BlacklistEntry::new("abc", expires_at, now);
    assert!(store.blacklist(entry(now + 600)).await.unwrap().inserted());
    store.revoke_family("fam1", now + 700, now).await.unwrap();
    store
        .revoke_user_before("u1", now, now + 800, now)
        .await
        .unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl = |key: String| {
        let mut conn = conn.clone();
        async move {
            redis::cmd("TTL")
                .arg(key)
                .query_async::<i64>(&mut conn)
                .await
                .unwrap()
        }
    };
    for (key, life) in [("bl:abc", 600), ("fam:fam1", 700), ("user:u1", 800)] {
        let left = ttl(format!("{p}{key}")).await;
        assert!(
            (life - 2..=life).contains(&left),
            "{key}: {left}s left, want {life}s"
        );
    }
    let v: String = redis::cmd("GET")
        .arg(format!("{p}user:u1"))
        .query_async(&mut conn.clone())
        .await
        .unwrap();
    assert_eq!(v, now.to_string());
    // A second blacklist call extends, never shortens.
    assert!(!store.blacklist(entry(now + 60)).await.unwrap().inserted());
    let left = ttl(format!("{p}bl:abc")).await;
    assert!((598..=600).contains(&left), "{left}");
}

#[tokio::test]
async fn unreachable_redis_is_an_error_not_a_panic() {
    let err = RedisStore::connect("redis://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        tower_simplejwt::store::StoreErrorKind::Unavailable
            | tower_simplejwt::store::StoreErrorKind::Timeout
    ));
}

/// A store of instance "A": its revocation checks answered from memory,
/// kept true by Redis's invalidation feed.
async fn cached(url: &str, prefix: &str, bound: Duration) -> Option<RevokedCache<RedisStore>> {
    let store = match RedisStore::connect(url).await {
        Ok(store) => store
            .with_prefix(prefix)
            .with_timeout(Duration::from_millis(500)),
        Err(e) => return unavailable("Redis", e),
    };
    let feed = store.invalidation_feed(url, bound).await.unwrap();
    assert!(feed.is_live(), "live once created");
    Some(RevokedCache::new(store, 10_000, Duration::from_secs(600)).with_invalidations(feed))
}

async fn make_cached() -> Option<SharedStore> {
    cached(&redis_url(), &prefix(), Duration::from_secs(1))
        .await
        .map(|s| Arc::new(s) as SharedStore)
}

mod with_invalidation_feed {
    use super::*;

    tower_simplejwt::store_conformance_tests!(make_cached());
    endpoint_suite!(make_cached());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations_with_invalidation_feeds() {
    let p = prefix();
    let (Some(a), Some(b)) = (
        cached(&redis_url(), &p, Duration::from_secs(1)).await,
        cached(&redis_url(), &p, Duration::from_secs(1)).await,
    ) else {
        return;
    };
    suite::durable::two_instances_share_revocations(Arc::new(a), Arc::new(b)).await;
}

/// The feed's staleness bound on a healthy connection, measured: a
/// revocation on instance B is seen in instance A's memory within 50 ms
/// (Redis pushes the invalidation; in practice a round trip).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invalidation_feed_sees_another_instances_revocation_within_its_bound() {
    let p = prefix();
    let (Some(a), Some(b)) = (
        cached(&redis_url(), &p, Duration::from_secs(30)).await,
        connect_with(&redis_url(), &p).await,
    ) else {
        return;
    };
    let slowest =
        suite::durable::a_feed_sees_another_instances_revocation(&a, &b, Duration::from_millis(50))
            .await;
    eprintln!("slowest invalidation over 30 rounds: {slowest:?}");
}

/// Redis going away: the connection closes, the cache forgets everything at
/// once and asks the store (which fails: 503) until the feed is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_feed_connection_never_serves_a_stale_answer() {
    let (Some(a), Some(b), proxy, bound) = behind_proxy(Duration::from_millis(400)).await else {
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

/// A silent network: nothing arrives, nothing closes. The heartbeats stop
/// confirming, and the cache stops answering from memory within the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_feed_connection_stops_answering_within_its_bound() {
    let (Some(a), Some(b), proxy, bound) = behind_proxy(Duration::from_millis(400)).await else {
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

/// Instance A behind a proxy (its store calls and its feed), instance B direct.
async fn behind_proxy(
    bound: Duration,
) -> (
    Option<RevokedCache<RedisStore>>,
    Option<RedisStore>,
    Proxy,
    Duration,
) {
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let p = prefix();
    let b = connect_with(&redis_url(), &p).await;
    let a = match b {
        Some(_) => cached(&format!("redis://127.0.0.1:{}", proxy.port), &p, bound).await,
        None => None,
    };
    (a, b, proxy, bound)
}

#[tokio::test]
async fn an_invalidation_feed_refuses_a_cluster_node() {
    let url = common::services::redis_cluster_urls()[0].clone();
    let store = match RedisStore::connect(&url).await {
        Ok(store) => store,
        Err(e) => return unavailable("Redis Cluster", e).unwrap_or(()),
    };
    let err = store
        .invalidation_feed(&url, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("with_not_revoked_for"), "{err}");
}
