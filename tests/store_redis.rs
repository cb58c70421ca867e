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
use tower_simplejwt::store::BlacklistEntry;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::redis::RedisStore;

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

async fn cached(url: &str, prefix: &str, staleness: Duration) -> Option<RedisStore> {
    match RedisStore::connect_cached(url, 10_000, staleness).await {
        Ok(store) => Some(store.with_prefix(prefix)),
        Err(e) => unavailable("Redis", e),
    }
}

async fn make_cached() -> Option<SharedStore> {
    cached(&redis_url(), &prefix(), Duration::from_secs(1))
        .await
        .map(|s| Arc::new(s) as SharedStore)
}

mod with_client_cache {
    use super::*;

    tower_simplejwt::store_conformance_tests!(make_cached());
    endpoint_suite!(make_cached());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations_with_client_caches() {
    let p = prefix();
    let (Some(a), Some(b)) = (
        cached(&redis_url(), &p, Duration::from_secs(1)).await,
        cached(&redis_url(), &p, Duration::from_secs(1)).await,
    ) else {
        return;
    };
    suite::durable::two_instances_share_revocations(Arc::new(a), Arc::new(b)).await;
}

/// The staleness bound of the client cache, measured: a revocation made on
/// instance B is seen by instance A, whose cache holds "not revoked", within
/// milliseconds (Redis pushes the invalidation), and A's own revocations at
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_cache_sees_another_instances_revocation_within_its_bound() {
    use tower_simplejwt::store::RevocationQuery;
    let p = prefix();
    let (Some(a), Some(b)) = (
        cached(&redis_url(), &p, Duration::from_secs(30)).await,
        connect_with(&redis_url(), &p).await,
    ) else {
        return;
    };
    let now = 1_900_000_000;
    for round in 0..20 {
        let jti = format!("jti-{round}");
        let (family, user) = (format!("fam-{round}"), format!("user-{round}"));
        let q = RevocationQuery::new(&jti)
            .with_family(&family)
            .with_user(&user, Some(now - 10));
        assert!(!a.is_revoked(q).await.unwrap());
        let (hits, _) = a.cache_hits_and_misses().unwrap();
        assert!(!a.is_revoked(q).await.unwrap());
        assert!(
            a.cache_hits_and_misses().unwrap().0 >= hits + 3,
            "answered from memory"
        );
        // Revoked on B, one way or another.
        match round % 3 {
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
        let started = std::time::Instant::now();
        while !a.is_revoked(q).await.unwrap() {
            assert!(
                started.elapsed() < Duration::from_millis(100),
                "round {round}: instance A still says \"not revoked\" after 100 ms"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // A's own revocation: seen by A's very next check.
    let q = RevocationQuery::new("own");
    assert!(!a.is_revoked(q).await.unwrap());
    assert!(!a.is_revoked(q).await.unwrap());
    a.blacklist(BlacklistEntry::new("own", now + 600, now))
        .await
        .unwrap();
    assert!(a.is_revoked(q).await.unwrap());
}

/// With the connection to Redis cut, a cached "not revoked" is never served
/// past the staleness bound: the check fails (503) or sees the revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_never_serves_a_stale_answer_past_the_bound() {
    use tower_simplejwt::store::RevocationQuery;
    if make().await.is_none() {
        return;
    }
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let p = prefix();
    let bound = Duration::from_secs(1);
    let a = cached(&format!("redis://127.0.0.1:{}", proxy.port), &p, bound)
        .await
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let b = connect_with(&redis_url(), &p).await.unwrap();
    let now = 1_900_000_000;
    let q = RevocationQuery::new("cut");
    assert!(!a.is_revoked(q).await.unwrap());
    let read = std::time::Instant::now();
    proxy.set_up(false);
    b.blacklist(BlacklistEntry::new("cut", now + 600, now))
        .await
        .unwrap();
    // Past the bound: never "not revoked".
    tokio::time::sleep(bound.saturating_sub(read.elapsed()) + Duration::from_millis(50)).await;
    for _ in 0..10 {
        assert!(
            !matches!(a.is_revoked(q).await, Ok(false)),
            "a stale answer past the bound"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.set_up(true);
    let started = std::time::Instant::now();
    loop {
        if let Ok(true) = a.is_revoked(q).await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
