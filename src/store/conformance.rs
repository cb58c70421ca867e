//! The conformance suite every [`RevocationStore`] must pass.
//!
//! Each check takes a fresh handle on the store under test and uses random
//! ids, so checks can share one database. Run them all with
//! [`store_conformance_tests!`](crate::store_conformance_tests):
//!
//! ```
//! use std::sync::Arc;
//! use tower_simplejwt::MemoryStore;
//! use tower_simplejwt::store::conformance::SharedStore;
//!
//! async fn make() -> Option<SharedStore> {
//!     Some(Arc::new(MemoryStore::new())) // your store here; `None` skips
//! }
//!
//! tower_simplejwt::store_conformance_tests!(make());
//! # fn main() {}
//! ```

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::store::{OutstandingToken, RevocationQuery, RevocationStore};
use crate::token::new_jti;

/// A store shared by the checks.
pub type SharedStore = Arc<dyn RevocationStore>;

fn now() -> u64 {
    SystemClock.now()
}

/// `blacklist` inserts once: the first call returns `true`, later ones `false`,
/// and `is_blacklisted` sees it.
pub async fn blacklist_is_insert_if_absent(store: SharedStore) {
    let jti = new_jti();
    assert!(
        !store.is_blacklisted(&jti).await.unwrap(),
        "fresh jti reported blacklisted"
    );
    assert!(
        store.blacklist(&jti, now() + 600).await.unwrap(),
        "first insert must win"
    );
    assert!(
        !store.blacklist(&jti, now() + 600).await.unwrap(),
        "second insert must lose"
    );
    assert!(store.is_blacklisted(&jti).await.unwrap());
}

/// Of 50 concurrent `blacklist` calls for one `jti`, exactly one wins.
pub async fn concurrent_blacklist_has_exactly_one_winner(store: SharedStore) {
    for _round in 0..3 {
        let jti = Arc::new(new_jti());
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (store, jti) = (store.clone(), jti.clone());
                tokio::spawn(async move { store.blacklist(&jti, now() + 600).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for h in handles {
            winners += usize::from(h.await.unwrap());
        }
        assert_eq!(
            winners, 1,
            "exactly one concurrent blacklist call must insert"
        );
    }
}

/// A revoked family revokes every token carrying it, and only those.
pub async fn family_revocation_covers_its_tokens(store: SharedStore) {
    let (family, other, jti) = (new_jti(), new_jti(), new_jti());
    let q = |family| RevocationQuery {
        jti: &jti,
        family: Some(family),
        user_id: None,
        issued_at: None,
    };
    assert!(!store.is_revoked(q(&family)).await.unwrap());
    store.revoke_family(&family, now() + 600).await.unwrap();
    assert!(store.is_revoked(q(&family)).await.unwrap());
    assert!(!store.is_revoked(q(&other)).await.unwrap());
}

/// "Log out everywhere": tokens issued at or before the instant are revoked,
/// later ones are not, and the instant never moves backwards.
pub async fn user_revocation_is_monotonic_and_inclusive(store: SharedStore) {
    let user = format!("user-{}", new_jti());
    let t = now();
    let q = |iat| RevocationQuery {
        jti: "unrelated",
        family: None,
        user_id: Some(&user),
        issued_at: Some(iat),
    };
    assert_eq!(store.user_revoked_before(&user).await.unwrap(), None);
    assert!(!store.is_revoked(q(t)).await.unwrap());
    store.revoke_user_before(&user, t, t + 600).await.unwrap();
    assert_eq!(store.user_revoked_before(&user).await.unwrap(), Some(t));
    assert!(store.is_revoked(q(t - 10)).await.unwrap());
    assert!(
        store.is_revoked(q(t)).await.unwrap(),
        "same-second tokens are revoked too"
    );
    assert!(!store.is_revoked(q(t + 1)).await.unwrap());
    store
        .revoke_user_before(&user, t - 100, t + 600)
        .await
        .unwrap();
    assert_eq!(
        store.user_revoked_before(&user).await.unwrap(),
        Some(t),
        "instant moved backwards"
    );
    let other = format!("user-{}", new_jti());
    assert_eq!(store.user_revoked_before(&other).await.unwrap(), None);
}

/// `is_revoked` sees a blacklisted `jti`.
pub async fn is_revoked_sees_blacklisted_jti(store: SharedStore) {
    let jti = new_jti();
    let q = RevocationQuery {
        jti: &jti,
        family: None,
        user_id: Some("nobody"),
        issued_at: Some(now()),
    };
    assert!(!store.is_revoked(q).await.unwrap());
    store.blacklist(&jti, now() + 600).await.unwrap();
    assert!(store.is_revoked(q).await.unwrap());
}

/// Outstanding tokens are listed per user, without expired ones.
pub async fn outstanding_tokens_are_listed_per_user(store: SharedStore) {
    let user = format!("user-{}", new_jti());
    let t = now();
    let live = OutstandingToken {
        jti: new_jti(),
        user_id: user.clone(),
        family: Some(new_jti()),
        issued_at: t,
        expires_at: t + 600,
    };
    let dead = OutstandingToken {
        jti: new_jti(),
        expires_at: t - 1,
        issued_at: t - 100,
        ..live.clone()
    };
    store.record_outstanding(live.clone()).await.unwrap();
    store.record_outstanding(dead).await.unwrap();
    let listed = store.outstanding_for_user(&user, t).await.unwrap();
    assert_eq!(listed, vec![live]);
    assert!(
        store
            .outstanding_for_user("nobody-at-all", t)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Flushing removes expired entries only: a live token stays revoked.
pub async fn flush_never_unrevokes_a_live_token(store: SharedStore) {
    let t = now();
    let (dead, live, fam) = (new_jti(), new_jti(), new_jti());
    let user = format!("user-{}", new_jti());
    store.blacklist(&dead, t - 10).await.unwrap();
    store.blacklist(&live, t + 600).await.unwrap();
    store.revoke_family(&fam, t + 600).await.unwrap();
    store.revoke_user_before(&user, t, t + 600).await.unwrap();
    store.flush_expired(t).await.unwrap();
    assert!(
        store.is_blacklisted(&live).await.unwrap(),
        "flush removed a live entry"
    );
    assert!(
        !store.is_blacklisted(&dead).await.unwrap(),
        "flush kept an expired entry"
    );
    let q = RevocationQuery {
        jti: "x",
        family: Some(&fam),
        user_id: Some(&user),
        issued_at: Some(t),
    };
    assert!(store.is_revoked(q).await.unwrap());
    assert_eq!(store.user_revoked_before(&user).await.unwrap(), Some(t));
    // A longer life given later is kept; a shorter one never shortens it.
    let j = new_jti();
    store.blacklist(&j, t + 600).await.unwrap();
    store.blacklist(&j, t - 10).await.unwrap();
    store.flush_expired(t).await.unwrap();
    assert!(
        store.is_blacklisted(&j).await.unwrap(),
        "a second blacklist call shortened the entry"
    );
}

/// Generates one `#[tokio::test]` per conformance check. `$make` is an
/// expression evaluating to a future of `Option<SharedStore>`; `None` skips
/// (for a service that is not running).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            blacklist_is_insert_if_absent,
            concurrent_blacklist_has_exactly_one_winner,
            family_revocation_covers_its_tokens,
            user_revocation_is_monotonic_and_inclusive,
            is_revoked_sees_blacklisted_jti,
            outstanding_tokens_are_listed_per_user,
            flush_never_unrevokes_a_live_token,
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                if let Some(store) = $make.await {
                    $crate::store::conformance::$check(store).await;
                }
            }
        )*
    };
}
