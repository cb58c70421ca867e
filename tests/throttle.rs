//! Login throttling: per username, per client address (with trusted
//! proxies), DRF's 429 and `Retry-After`, a successful login resetting its
//! username, counts shared by instances through the store, fail closed.

mod common;
#[macro_use]
mod suite;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::clock::ManualClock;
use tower_simplejwt::endpoints::{LoginThrottle, TokenEndpoints};
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::{MemoryStore, SimpleJwt};

fn app(store: SharedStore, clock: &ManualClock, throttle: LoginThrottle) -> Router {
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .with_clock(clock.clone())
        .with_shared_store(store)
        .build()
        .unwrap();
    TokenEndpoints::builder(jwt)
        .with_credentials(suite::Users::default())
        .stateless()
        .with_login_throttle(throttle)
        .build()
        .unwrap()
        .router()
}

/// A login from `peer` (as axum's `ConnectInfo` gives it), with optional
/// `X-Forwarded-For`.
async fn login(
    app: &Router,
    peer: &str,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::post("/api/token/")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap();
    if let Some(f) = forwarded {
        req.headers_mut()
            .insert("x-forwarded-for", f.parse().unwrap());
    }
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The start of a one-minute window (1,800,000,000 is one).
const WINDOW_START: u64 = 1_800_000_000;

fn per_username(limit: u64) -> LoginThrottle {
    LoginThrottle::new()
        .per_username(limit, Duration::from_secs(60))
        .per_client(0, Duration::ZERO)
}

#[tokio::test]
async fn a_username_is_throttled_after_its_limit_with_drfs_429_until_the_window_ends() {
    let clock = ManualClock::new(WINDOW_START + 10);
    let app = app(Arc::new(MemoryStore::new()), &clock, per_username(3));
    for _ in 0..3 {
        assert_eq!(
            login(&app, "198.51.100.1:5000", None, "alice", "guess")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    // The fourth, even with the right password, from another address.
    let (status, retry, body) = login(&app, "198.51.100.2:5000", None, "alice", "wonderland").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry.as_deref(), Some("50"));
    assert_eq!(
        body,
        json!({"detail": "Request was throttled. Expected available in 50 seconds."})
    );
    // Case does not make another account.
    assert_eq!(
        login(&app, "198.51.100.2:5000", None, "ALICE", "wonderland")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another username is not affected.
    assert_eq!(
        login(&app, "198.51.100.1:5000", None, "bob", "guess")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // The next window.
    clock.advance(Duration::from_secs(50));
    assert_eq!(
        login(&app, "198.51.100.1:5000", None, "alice", "wonderland")
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_successful_login_resets_its_usernames_count() {
    let clock = ManualClock::new(WINDOW_START);
    let app = app(Arc::new(MemoryStore::new()), &clock, per_username(3));
    for _ in 0..2 {
        login(&app, "198.51.100.1:1", None, "alice", "guess").await;
    }
    assert_eq!(
        login(&app, "198.51.100.1:1", None, "alice", "wonderland")
            .await
            .0,
        StatusCode::OK
    );
    for _ in 0..3 {
        assert_eq!(
            login(&app, "198.51.100.1:1", None, "alice", "guess")
                .await
                .0,
            StatusCode::UNAUTHORIZED,
            "counting started over"
        );
    }
    assert_eq!(
        login(&app, "198.51.100.1:1", None, "alice", "guess")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_client_address_is_throttled_and_forwarded_for_is_believed_from_trusted_proxies_only() {
    let clock = ManualClock::new(WINDOW_START);
    let throttle = LoginThrottle::new()
        .per_username(0, Duration::ZERO)
        .per_client(2, Duration::from_secs(60))
        .with_trusted_proxy("10.0.0.0/8");
    let app = app(Arc::new(MemoryStore::new()), &clock, throttle);
    // Two attempts from one address at different accounts, then refused.
    login(&app, "203.0.113.5:1", None, "alice", "guess").await;
    login(&app, "203.0.113.5:2", None, "bob", "guess").await;
    assert_eq!(
        login(&app, "203.0.113.5:3", None, "carol", "guess").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged header from an untrusted peer changes nothing.
    assert_eq!(
        login(
            &app,
            "203.0.113.5:4",
            Some("192.0.2.77"),
            "alice",
            "wonderland"
        )
        .await
        .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Behind the trusted proxy, each client is counted apart.
    for client in ["192.0.2.1", "192.0.2.2"] {
        for _ in 0..2 {
            assert_eq!(
                login(&app, "10.0.0.2:80", Some(client), "alice", "guess")
                    .await
                    .0,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            login(
                &app,
                "10.0.0.2:80",
                Some(&format!("6.6.6.6, {client}")),
                "alice",
                "guess"
            )
            .await
            .0,
            StatusCode::TOO_MANY_REQUESTS,
            "{client}: the client's own left part of the header cannot reset its count"
        );
    }
}

#[tokio::test]
async fn two_instances_share_the_counts_through_the_store() {
    let clock = ManualClock::new(WINDOW_START);
    let store: SharedStore = Arc::new(MemoryStore::new());
    let (a, b) = (
        app(store.clone(), &clock, per_username(2)),
        app(store, &clock, per_username(2)),
    );
    login(&a, "198.51.100.1:1", None, "alice", "guess").await;
    login(&b, "198.51.100.1:1", None, "alice", "guess").await;
    assert_eq!(
        login(&a, "198.51.100.1:1", None, "alice", "wonderland")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_store_that_is_down_fails_the_login_closed() {
    let clock = ManualClock::new(1_800_000_000);
    let store = tower_simplejwt::testing::FailingStore::down(MemoryStore::new());
    let app = app(Arc::new(store), &clock, LoginThrottle::new());
    let (status, retry, body) = login(&app, "198.51.100.1:1", None, "alice", "wonderland").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(body, common::unavailable_body());
}

#[tokio::test]
async fn a_missing_peer_address_is_a_500_that_names_the_fix() {
    let clock = ManualClock::new(1_800_000_000);
    let app = app(Arc::new(MemoryStore::new()), &clock, LoginThrottle::new());
    let req = Request::post("/api/token/")
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"username": "alice", "password": "wonderland"}"#,
        ))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert!(
        String::from_utf8_lossy(&bytes).contains("into_make_service_with_connect_info"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn a_throttle_without_a_store_or_with_a_bad_proxy_does_not_build() {
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .build()
        .unwrap();
    let err = TokenEndpoints::builder(jwt)
        .with_credentials(suite::Users::default())
        .stateless()
        .with_login_throttle(LoginThrottle::new())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("with_store"), "{err}");
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .with_store(MemoryStore::new())
        .build()
        .unwrap();
    let err = TokenEndpoints::builder(jwt)
        .with_credentials(suite::Users::default())
        .stateless()
        .with_login_throttle(LoginThrottle::new().with_trusted_proxy("10.0.0.0/40"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("trusted proxy"), "{err}");
}

/// The OpenAPI document lists the 429 on the obtain routes exactly when the
/// throttle is on.
#[test]
fn the_openapi_document_lists_429_on_the_obtain_routes_when_throttled() {
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .with_store(MemoryStore::new())
        .build()
        .unwrap();
    let doc = |throttle: Option<LoginThrottle>| {
        let mut b = TokenEndpoints::builder(jwt.clone())
            .with_credentials(suite::Users::default())
            .stateless();
        if let Some(t) = throttle {
            b = b.with_login_throttle(t);
        }
        serde_json::to_value(b.build().unwrap().openapi()).unwrap()
    };
    let throttled = doc(Some(LoginThrottle::new()));
    for path in ["/api/token/", "/api/token/sliding/"] {
        assert!(
            throttled["paths"][path]["post"]["responses"]["429"].is_object(),
            "{path}"
        );
    }
    assert!(throttled["paths"]["/api/token/refresh/"]["post"]["responses"]["429"].is_null());
    assert!(doc(None)["paths"]["/api/token/"]["post"]["responses"]["429"].is_null());
}
