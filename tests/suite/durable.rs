//! Checks that only make sense for shared, durable stores: two app
//! instances, restarts, and outages.

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;
use tower_simplejwt::RevocationStore;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::{BlacklistEntry, RevocationQuery, RevokedCache};

use crate::suite::{app_with, base, token_error};

pub fn instance(store: SharedStore) -> crate::suite::App {
    let (b, clock) = base(store);
    app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_access_revocation(true),
        clock,
    )
}

/// A token blacklisted through instance A is refused by instance B, and
/// "log out everywhere" on A holds on B.
pub async fn two_instances_share_revocations(a: SharedStore, b: SharedStore) {
    let (app_a, app_b) = (instance(a), instance(b));
    let (access, refresh) = app_a.login().await;
    assert_eq!(app_b.me(&access).await.0, StatusCode::OK);
    assert_eq!(
        app_a
            .post("/api/token/blacklist/", json!({"refresh": refresh}))
            .await
            .0,
        StatusCode::OK
    );
    let (status, _, body) = app_b
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );

    // Rotation on A consumes the token for B as well: within the grace
    // window B hands out A's successor, after it B refuses.
    let (_, r1) = app_a.login().await;
    let (status, _, on_a) = app_a
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, on_b) = app_b
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!((status, on_b), (StatusCode::OK, on_a));
    for app in [&app_a, &app_b] {
        app.clock.advance(crate::suite::GRACE);
    }
    assert_eq!(
        app_b
            .post("/api/token/refresh/", json!({"refresh": r1}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let (access2, _) = app_b.login().await;
    let req = http::Request::post("/api/token/logout_all/")
        .header("authorization", format!("Bearer {access2}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app_a.send(req).await.0, StatusCode::OK);
    let (status, body) = app_b.me(&access2).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["messages"][0]["message"], "Token is blacklisted");
}

/// Revocations survive a new store instance on the same database.
pub async fn revocations_survive_a_restart(
    before: SharedStore,
    after: impl std::future::Future<Output = SharedStore>,
) {
    let app = instance(before);
    let (access, refresh) = app.login().await;
    assert_eq!(
        app.post("/api/token/blacklist/", json!({"refresh": refresh}))
            .await
            .0,
        StatusCode::OK
    );
    let user_jti = app.jwt.validate_access(&access).unwrap();
    app.jwt
        .logout_everywhere(user_jti.user_id().unwrap())
        .await
        .unwrap();
    drop(app);

    let restarted = instance(after.await);
    let (status, _, body) = restarted
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    assert_eq!(restarted.me(&access).await.0, StatusCode::UNAUTHORIZED);
}

/// Through a proxy that goes down: 503s and no tokens, then recovery.
pub async fn outage_fails_closed_then_recovers(
    store: SharedStore,
    proxy: &crate::common::services::Proxy,
) {
    let app = instance(store);
    let (access, refresh) = app.login().await;
    proxy.set_up(false);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let unavailable = crate::common::unavailable_body();
    let (status, _, body) = app
        .post(
            "/api/token/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, unavailable.clone()),
        "obtain must mint nothing"
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, unavailable.clone()),
        "refresh must mint nothing"
    );
    let (status, body) = app.me(&access).await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, unavailable),
        "the layer fails closed"
    );

    proxy.set_up(true);
    let mut recovered = false;
    for _ in 0..100 {
        if app.me(&access).await.0 == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the store did not recover after the outage");
    // The refresh token was never consumed during the outage.
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Revokes `q` on `b` in the way `round` picks (blacklist, family, user).
async fn revoke_on(b: &dyn RevocationStore, q: RevocationQuery<'_>, round: usize, now: u64) {
    match round % 3 {
        0 => {
            b.blacklist(BlacklistEntry::new(q.jti, now + 600, now))
                .await
                .unwrap();
        }
        1 => b
            .revoke_family(q.family.unwrap(), now + 600, now)
            .await
            .unwrap(),
        _ => b
            .revoke_user_before(q.user_id.unwrap(), now, now + 600, now)
            .await
            .unwrap(),
    }
}

/// Waits until `a` answers `q` from memory (its feed is live).
async fn answered_from_memory<S: RevocationStore>(a: &RevokedCache<S>, q: RevocationQuery<'_>) {
    let started = Instant::now();
    loop {
        assert!(!a.is_revoked(q).await.unwrap());
        if a.is_revoked_now(q) == Some(false) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the cache never answered from memory: is its feed live?"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The staleness bound of an invalidation feed, measured: instance A
/// answers "not revoked" from memory (the layer's synchronous path); a
/// revocation made on instance B, of each kind, is seen by A within
/// `within`. A's own revocation is seen by its very next check. Returns the
/// slowest round.
pub async fn a_feed_sees_another_instances_revocation<S: RevocationStore>(
    a: &RevokedCache<S>,
    b: &dyn RevocationStore,
    within: Duration,
) -> Duration {
    let now = 1_900_000_000;
    let mut slowest = Duration::ZERO;
    for round in 0..30 {
        let (jti, family, user) = (
            format!("feed-j{round}"),
            format!("feed-f{round}"),
            format!("feed-u{round}"),
        );
        let q = RevocationQuery::new(&jti)
            .with_family(&family)
            .with_user(&user, Some(now - 10));
        answered_from_memory(a, q).await;
        let revoked = Instant::now();
        revoke_on(b, q, round, now).await;
        while a.is_revoked_now(q) == Some(false) {
            assert!(
                revoked.elapsed() < within,
                "round {round}: still \"not revoked\" from memory {within:?} after the revocation"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        assert!(a.is_revoked(q).await.unwrap(), "round {round}");
        slowest = slowest.max(revoked.elapsed());
    }
    let q = RevocationQuery::new("feed-own").with_user("feed-me", Some(now - 5));
    answered_from_memory(a, q).await;
    a.revoke_user_before("feed-me", now, now + 600, now)
        .await
        .unwrap();
    assert_ne!(a.is_revoked_now(q), Some(false));
    assert!(a.is_revoked(q).await.unwrap());
    slowest
}

/// With the connection of instance A to the store broken by `cut` (closed,
/// or silent), A stops answering "not revoked" from memory within `bound`,
/// and never answers it again while B's revocations are unseen: one made
/// just after the cut, and one made once A stopped answering, which A's
/// feed cannot have heard of (errors are fine: the layer answers 503).
/// After `restore`, A sees both revocations and answers from memory again.
pub async fn a_broken_feed_stops_answering_within_its_bound<S: RevocationStore>(
    a: &RevokedCache<S>,
    b: &dyn RevocationStore,
    bound: Duration,
    cut: impl Fn(),
    restore: impl Fn(),
) {
    let now = 1_900_000_000;
    let (first, missed, probe) = (
        RevocationQuery::new("cut-j"),
        RevocationQuery::new("cut-missed"),
        RevocationQuery::new("cut-probe"),
    );
    for q in [first, missed, probe] {
        answered_from_memory(a, q).await;
    }
    let cut_at = Instant::now();
    cut();
    revoke_on(b, first, 0, now).await;
    // `first` may be invalidated before the break takes hold; `probe`,
    // which nobody revokes, stops being served only when the feed is down.
    for q in [first, probe] {
        while a.is_revoked_now(q) == Some(false) {
            assert!(
                cut_at.elapsed() < bound + Duration::from_millis(100),
                "\"not revoked\" served from memory {:?} after the cut (bound {bound:?})",
                cut_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    revoke_on(b, missed, 0, now).await;
    for _ in 0..5 {
        for q in [first, missed] {
            let answer = tokio::time::timeout(Duration::from_secs(3), a.is_revoked(q)).await;
            assert!(
                !matches!(answer, Ok(Ok(false))),
                "a stale \"not revoked\" of {} while the feed is broken",
                q.jti
            );
            assert_ne!(a.is_revoked_now(q), Some(false));
        }
    }
    restore();
    // Once the feed is back (a fresh answer is served from memory), what
    // was cached before the break is gone: both revocations are seen.
    let fresh = RevocationQuery::new("cut-fresh");
    answered_from_memory(a, fresh).await;
    for q in [first, missed] {
        assert_ne!(
            a.is_revoked_now(q),
            Some(false),
            "{}: an answer cached before the break survived it",
            q.jti
        );
        assert!(a.is_revoked(q).await.unwrap(), "{}", q.jti);
    }
}
