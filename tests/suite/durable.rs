//! Checks that only make sense for shared, durable stores: two app
//! instances, restarts, and outages.

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tower_simplejwt::store::conformance::SharedStore;

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
