//! The revoked-answers cache keeps revocation correct: it passes the
//! conformance suite, answers replays of revoked tokens without the store,
//! and never hides a revocation made elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tower_simplejwt::MemoryStore;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore, RevokedCache,
    StoreFuture,
};

/// A logout-style entry that lives for years.
fn entry(jti: &str) -> BlacklistEntry<'_> {
    BlacklistEntry::new(jti, 4_000_000_000, 1_800_000_000)
}

async fn make() -> Option<SharedStore> {
    Some(Arc::new(RevokedCache::new(
        MemoryStore::new(),
        1000,
        Duration::from_secs(600),
    )))
}

tower_simplejwt::store_conformance_tests!(make());

/// A memory store that counts `is_revoked` calls and never answers synchronously.
#[derive(Clone, Default)]
struct Counting {
    inner: MemoryStore,
    calls: Arc<AtomicUsize>,
}

impl RevocationStore for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn blacklist<'a>(&'a self, e: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        self.inner.blacklist(e)
    }
    fn revoke_family<'a>(&'a self, f: &'a str, exp: u64, now: u64) -> StoreFuture<'a, ()> {
        self.inner.revoke_family(f, exp, now)
    }
    fn revoke_user_before<'a>(
        &'a self,
        u: &'a str,
        i: u64,
        k: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        self.inner.revoke_user_before(u, i, k, now)
    }
    fn is_revoked<'a>(&'a self, q: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.is_revoked(q)
    }
    fn record_outstanding(&self, t: OutstandingToken, now: u64) -> StoreFuture<'_, ()> {
        self.inner.record_outstanding(t, now)
    }
    fn outstanding_for_user<'a>(
        &'a self,
        u: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        self.inner.outstanding_for_user(u, now)
    }
    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        self.inner.flush_expired(now)
    }
}

fn q(jti: &str) -> RevocationQuery<'_> {
    RevocationQuery::new(jti).with_user("7", Some(1))
}

#[tokio::test]
async fn revoked_answers_are_served_from_memory() {
    let backend = Counting::default();
    let cache = RevokedCache::new(backend.clone(), 100, Duration::from_secs(600));
    backend.inner.blacklist(entry("stolen")).await.unwrap();
    assert!(cache.is_revoked(q("stolen")).await.unwrap());
    assert_eq!(backend.calls.load(Ordering::SeqCst), 1);
    for _ in 0..5 {
        assert!(cache.is_revoked(q("stolen")).await.unwrap());
    }
    assert_eq!(
        backend.calls.load(Ordering::SeqCst),
        1,
        "replays must not reach the store"
    );
    assert_eq!(cache.is_revoked_now(q("stolen")), Some(true));
}

#[tokio::test]
async fn live_answers_are_never_cached() {
    let backend = Counting::default();
    let cache = RevokedCache::new(backend.clone(), 100, Duration::from_secs(600));
    assert!(!cache.is_revoked(q("fine")).await.unwrap());
    // Another instance revokes the token directly in the shared store.
    backend.inner.blacklist(entry("fine")).await.unwrap();
    assert!(
        cache.is_revoked(q("fine")).await.unwrap(),
        "a revocation made elsewhere must be seen at once"
    );
    assert_eq!(backend.calls.load(Ordering::SeqCst), 2);
    // Log out everywhere is never hidden either.
    assert!(!cache.is_revoked(q("other")).await.unwrap());
    backend
        .inner
        .revoke_user_before("7", 10, 4_000_000_000, 1_800_000_000)
        .await
        .unwrap();
    assert!(cache.is_revoked(q("other")).await.unwrap());
}

#[tokio::test]
async fn a_full_cache_forgets_instead_of_growing() {
    let cache = RevokedCache::new(MemoryStore::new(), 3, Duration::from_secs(600));
    for i in 0..10 {
        let jti = format!("j{i}");
        cache.blacklist(entry(&jti)).await.unwrap();
        // Forgotten or not, a revoked token stays revoked.
        assert!(cache.is_revoked(q(&jti)).await.unwrap());
        assert!(
            cache.cached() <= 3,
            "{} answers remembered with a capacity of 3",
            cache.cached()
        );
    }
    assert!(cache.cached() > 0, "nothing is remembered at all");
    assert!(cache.is_revoked(q("j0")).await.unwrap());
}
