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
use crate::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore,
};

/// A store shared by the checks.
pub type SharedStore = Arc<dyn RevocationStore>;

fn now() -> u64 {
    SystemClock.now()
}

/// A fresh random id (a `jti`, a family, a user), so checks can share a database.
fn new_jti() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether `jti` alone is blacklisted, as the layer would ask.
async fn blacklisted(store: &SharedStore, jti: &str) -> bool {
    let q = RevocationQuery {
        jti,
        family: None,
        user_id: None,
        issued_at: None,
    };
    store.is_revoked(q).await.unwrap()
}

/// The latest instant `user`'s "log out everywhere" covers, probed through
/// `is_revoked` around `near` (within an hour): `None` when nothing is covered.
async fn revoked_before(store: &SharedStore, user: &str, near: u64) -> Option<u64> {
    let covered = |iat| async move {
        let q = RevocationQuery {
            jti: "unrelated",
            family: None,
            user_id: Some(user),
            issued_at: Some(iat),
        };
        store.is_revoked(q).await.unwrap()
    };
    let (mut lo, mut hi) = (near - 3600, near + 3600);
    if !covered(lo).await {
        return None;
    }
    // Invariant: `lo` covered, `hi` not (or the end of the window).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if covered(mid).await {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// A plain blacklist entry (a logout) as of now.
fn entry(jti: &str, expires_at: u64) -> BlacklistEntry<'_> {
    BlacklistEntry {
        jti,
        expires_at,
        now: now(),
        rotation: false,
    }
}

/// `blacklist` inserts once: the first call returns `true`, later ones `false`,
/// and `is_revoked` sees it.
pub async fn blacklist_is_insert_if_absent(store: SharedStore) {
    let jti = new_jti();
    assert!(
        !blacklisted(&store, &jti).await,
        "fresh jti reported blacklisted"
    );
    assert_eq!(
        store.blacklist(entry(&jti, now() + 600)).await.unwrap(),
        Blacklisted::Inserted,
        "first insert must win"
    );
    assert_eq!(
        store.blacklist(entry(&jti, now() + 600)).await.unwrap(),
        Blacklisted::Existing { rotated_at: None },
        "second insert must lose"
    );
    assert!(blacklisted(&store, &jti).await);
}

/// Of 50 concurrent `blacklist` calls for one `jti`, exactly one wins.
pub async fn concurrent_blacklist_has_exactly_one_winner(store: SharedStore) {
    for _round in 0..3 {
        let jti = Arc::new(new_jti());
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (store, jti) = (store.clone(), jti.clone());
                tokio::spawn(async move {
                    store
                        .blacklist(BlacklistEntry {
                            rotation: true,
                            ..entry(&jti, now() + 600)
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for h in handles {
            match h.await.unwrap() {
                Blacklisted::Inserted => winners += 1,
                Blacklisted::Existing { rotated_at } => assert!(
                    rotated_at.is_some_and(|t| t + 5 >= now()),
                    "a loser must learn when the rotation happened, got {rotated_at:?}"
                ),
            }
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
    store
        .revoke_family(&family, now() + 600, now())
        .await
        .unwrap();
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
    assert_eq!(revoked_before(&store, &user, t).await, None);
    assert!(!store.is_revoked(q(t)).await.unwrap());
    store
        .revoke_user_before(&user, t, t + 600, t)
        .await
        .unwrap();
    assert_eq!(revoked_before(&store, &user, t).await, Some(t));
    assert!(store.is_revoked(q(t - 10)).await.unwrap());
    assert!(
        store.is_revoked(q(t)).await.unwrap(),
        "same-second tokens are revoked too"
    );
    assert!(!store.is_revoked(q(t + 1)).await.unwrap());
    store
        .revoke_user_before(&user, t - 100, t + 600, t)
        .await
        .unwrap();
    assert_eq!(
        revoked_before(&store, &user, t).await,
        Some(t),
        "instant moved backwards"
    );
    let other = format!("user-{}", new_jti());
    assert_eq!(revoked_before(&store, &other, t).await, None);
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
    store.blacklist(entry(&jti, now() + 600)).await.unwrap();
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
    store.record_outstanding(live.clone(), t).await.unwrap();
    store.record_outstanding(dead, t).await.unwrap();
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
    store
        .blacklist(BlacklistEntry {
            now: t,
            ..entry(&dead, t - 10)
        })
        .await
        .unwrap();
    store.blacklist(entry(&live, t + 600)).await.unwrap();
    store.revoke_family(&fam, t + 600, t).await.unwrap();
    store
        .revoke_user_before(&user, t, t + 600, t)
        .await
        .unwrap();
    // A store that expires entries by itself may take a moment to drop one
    // already past its life.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    store.flush_expired(t).await.unwrap();
    assert!(
        blacklisted(&store, &live).await,
        "flush removed a live entry"
    );
    assert!(
        !blacklisted(&store, &dead).await,
        "flush kept an expired entry"
    );
    let q = RevocationQuery {
        jti: "x",
        family: Some(&fam),
        user_id: Some(&user),
        issued_at: Some(t),
    };
    assert!(store.is_revoked(q).await.unwrap());
    assert_eq!(revoked_before(&store, &user, t).await, Some(t));
    // A longer life given later is kept; a shorter one never shortens it.
    let j = new_jti();
    store.blacklist(entry(&j, t + 600)).await.unwrap();
    store
        .blacklist(BlacklistEntry {
            now: t,
            ..entry(&j, t - 10)
        })
        .await
        .unwrap();
    store.flush_expired(t).await.unwrap();
    assert!(
        blacklisted(&store, &j).await,
        "a second blacklist call shortened the entry"
    );
}

/// A rotation records its instant: a later insert learns it, and a plain
/// blacklist entry (a logout) has none.
pub async fn rotation_instant_is_recorded(store: SharedStore) {
    let (rotated, logged_out) = (new_jti(), new_jti());
    let t = now();
    let rotation = BlacklistEntry {
        rotation: true,
        now: t,
        ..entry(&rotated, t + 600)
    };
    assert_eq!(
        store.blacklist(rotation).await.unwrap(),
        Blacklisted::Inserted
    );
    assert_eq!(
        store.blacklist(entry(&rotated, t + 600)).await.unwrap(),
        Blacklisted::Existing {
            rotated_at: Some(t)
        },
        "the rotation instant is kept"
    );
    store.blacklist(entry(&logged_out, t + 600)).await.unwrap();
    assert_eq!(
        store
            .blacklist(BlacklistEntry {
                rotation: true,
                ..entry(&logged_out, t + 600)
            })
            .await
            .unwrap(),
        Blacklisted::Existing { rotated_at: None },
        "a logout is never mistaken for a rotation"
    );
}

/// Ids are stored exactly, whatever bytes a signed claim carried: NUL,
/// backslashes, separators and non-ASCII text never collide or fail.
pub async fn ids_with_any_characters_are_kept_apart(store: SharedStore) {
    let base = new_jti();
    let ids = [
        format!("{base}\0nul"),
        format!("{base}\\0nul"),
        format!("{base}\\"),
        format!("{base}:x:1:2"),
        format!("{base} é ☃"),
    ];
    for id in &ids {
        assert_eq!(
            store.blacklist(entry(id, now() + 600)).await.unwrap(),
            Blacklisted::Inserted,
            "{id:?} collided with another id"
        );
    }
    for id in &ids {
        assert!(blacklisted(&store, id).await, "{id:?}");
        store.revoke_family(id, now() + 600, now()).await.unwrap();
        store
            .revoke_user_before(id, now(), now() + 600, now())
            .await
            .unwrap();
        let q = RevocationQuery {
            jti: "unrelated",
            family: Some(id),
            user_id: Some(id),
            issued_at: Some(now()),
        };
        assert!(store.is_revoked(q).await.unwrap(), "{id:?}");
        let token = OutstandingToken {
            jti: id.clone(),
            user_id: id.clone(),
            family: Some(id.clone()),
            issued_at: now(),
            expires_at: now() + 600,
        };
        store
            .record_outstanding(token.clone(), now())
            .await
            .unwrap();
        assert_eq!(
            store.outstanding_for_user(id, now()).await.unwrap(),
            vec![token]
        );
    }
    assert!(!blacklisted(&store, &format!("{base}nul")).await);
}

/// Entries live by the app's clock, whatever the store's clock says: an
/// app whose clock is ten days behind still gets its full lifetimes.
pub async fn entries_live_by_the_apps_clock(store: SharedStore) {
    let app_now = now() - 10 * 24 * 3600;
    let (jti, family) = (new_jti(), new_jti());
    let user = format!("user-{}", new_jti());
    store
        .blacklist(BlacklistEntry {
            now: app_now,
            ..entry(&jti, app_now + 600)
        })
        .await
        .unwrap();
    store
        .revoke_family(&family, app_now + 600, app_now)
        .await
        .unwrap();
    store
        .revoke_user_before(&user, app_now, app_now + 600, app_now)
        .await
        .unwrap();
    store.flush_expired(app_now).await.unwrap();
    assert!(blacklisted(&store, &jti).await, "blacklist entry lapsed");
    let q = RevocationQuery {
        jti: "unrelated",
        family: Some(&family),
        user_id: None,
        issued_at: None,
    };
    assert!(store.is_revoked(q).await.unwrap(), "family entry lapsed");
    assert_eq!(
        revoked_before(&store, &user, app_now).await,
        Some(app_now),
        "user entry lapsed"
    );
}

/// The edges of the "revoked" answer the crate relies on: a token of
/// unknown age is covered by its user's revocation, and a token without a
/// family never matches a revoked empty family.
pub async fn revocation_edges_hold(store: SharedStore) {
    let t = now();
    let user = format!("user-{}", new_jti());
    store
        .revoke_user_before(&user, t, t + 600, t)
        .await
        .unwrap();
    let unknown_age = RevocationQuery {
        jti: "unrelated",
        family: None,
        user_id: Some(&user),
        issued_at: None,
    };
    assert!(
        store.is_revoked(unknown_age).await.unwrap(),
        "a token without `iat` must be covered by its user's revocation"
    );
    store.revoke_family("", t + 600, t).await.unwrap();
    let no_family = RevocationQuery {
        jti: &new_jti(),
        family: None,
        user_id: None,
        issued_at: Some(t),
    };
    assert!(
        !store.is_revoked(no_family).await.unwrap(),
        "a token without a family matched the revoked empty family"
    );
}

/// A later, shorter revocation never shortens an earlier one: families and
/// users stay revoked through a flush.
pub async fn revocations_are_never_shortened(store: SharedStore) {
    let t = now();
    let (family, user) = (new_jti(), format!("user-{}", new_jti()));
    store.revoke_family(&family, t + 600, t).await.unwrap();
    store.revoke_family(&family, t - 10, t).await.unwrap();
    store
        .revoke_user_before(&user, t, t + 600, t)
        .await
        .unwrap();
    store.revoke_user_before(&user, t, t - 10, t).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    store.flush_expired(t).await.unwrap();
    let q = RevocationQuery {
        jti: "unrelated",
        family: Some(&family),
        user_id: None,
        issued_at: Some(t),
    };
    assert!(
        store.is_revoked(q).await.unwrap(),
        "the family revocation was shortened"
    );
    assert_eq!(
        revoked_before(&store, &user, t).await,
        Some(t),
        "the user revocation was shortened"
    );
}

/// Attempt counters count per key and window, atomically across
/// concurrent callers, and a clear starts the key's window over.
pub async fn attempts_are_counted_per_key_and_window(store: SharedStore) {
    let (key, other) = (format!("u:{}", new_jti()), format!("c:{}", new_jti()));
    let window = 60;
    let t = now() - now() % window;
    for expected in 1..=3 {
        assert_eq!(
            store.count_attempt(&key, window, t + 1).await.unwrap(),
            expected
        );
    }
    assert_eq!(
        store.count_attempt(&other, window, t + 1).await.unwrap(),
        1,
        "keys apart"
    );
    assert_eq!(
        store.count_attempt(&key, window, t + window).await.unwrap(),
        1,
        "the next window starts over"
    );
    store.clear_attempts(&key, window, t + 2).await.unwrap();
    assert_eq!(
        store.count_attempt(&key, window, t + 3).await.unwrap(),
        1,
        "cleared"
    );
    // 40 concurrent attempts: each count given out once.
    let shared = Arc::new(format!("race:{}", new_jti()));
    let handles: Vec<_> = (0..40)
        .map(|_| {
            let (store, key) = (store.clone(), shared.clone());
            tokio::spawn(async move { store.count_attempt(&key, window, t + 5).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for h in handles {
        counts.push(h.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=40).collect::<Vec<u64>>());
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
            rotation_instant_is_recorded,
            ids_with_any_characters_are_kept_apart,
            entries_live_by_the_apps_clock,
            revocation_edges_hold,
            revocations_are_never_shortened,
            attempts_are_counted_per_key_and_window,
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
