//! The endpoint suite on the in-memory store, plus the fail-closed checks
//! that need a broken store.

mod common;
#[macro_use]
mod suite;

use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;
use tower_simplejwt::MemoryStore;
use tower_simplejwt::store::conformance::SharedStore;

async fn make() -> Option<SharedStore> {
    Some(Arc::new(MemoryStore::new()))
}

endpoint_suite!(make());

fn down_app() -> suite::App {
    let (b, clock) = suite::base(Arc::new(common::DownStore));
    suite::app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true),
        clock,
    )
}

#[tokio::test]
async fn store_down_gives_503_and_mints_nothing() {
    let app = down_app();
    let unavailable = common::unavailable_body();
    let (status, _, body) = app
        .post(
            "/api/token/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(
        (status, body.clone()),
        (StatusCode::SERVICE_UNAVAILABLE, unavailable.clone()),
        "no pair without recording it"
    );
    let pair = app.jwt.for_user("1").pair().await;
    assert!(pair.is_err(), "minting from code fails closed too");
    let refresh = {
        let ok = suite::plain(Arc::new(MemoryStore::new()));
        ok.jwt.for_user("1").pair().await.unwrap().refresh
    };
    for path in ["/api/token/refresh/", "/api/token/blacklist/"] {
        let (status, _, body) = app.post(path, json!({"refresh": refresh})).await;
        assert_eq!(
            (status, body),
            (StatusCode::SERVICE_UNAVAILABLE, unavailable.clone()),
            "{path}"
        );
    }
    let (status, _, body) = app
        .post("/api/token/verify/", json!({"token": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, unavailable)
    );
}

#[tokio::test]
async fn username_field_is_configurable() {
    let (b, clock) = suite::base(Arc::new(MemoryStore::new()));
    let app = suite::app_with(b.with_username_field("email"), clock);
    let (status, _, body) = app
        .post(
            "/api/token/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"email": ["This field is required."]})
        )
    );
    let (status, _, _) = app
        .post(
            "/api/token/",
            json!({"email": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn jwks_is_served_at_the_well_known_path() {
    let app = suite::plain(Arc::new(MemoryStore::new()));
    let (status, headers, body) = app
        .send(
            Request::get("/.well-known/jwks.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"keys": []})));
    assert_eq!(headers["content-type"], "application/json");
}

#[tokio::test]
async fn endpoints_mount_under_plain_hyper_services() {
    // Any body type: here `String`, with no axum involved.
    use tower::ServiceExt;
    let app = suite::plain(Arc::new(MemoryStore::new()));
    let endpoints = tower_simplejwt::endpoints::TokenEndpoints::builder(app.jwt.clone())
        .stateless()
        .build()
        .unwrap();
    let pair = app.jwt.for_user("1").pair().await.unwrap();
    let req = Request::post("/")
        .header("content-type", "application/json")
        .body(json!({"token": pair.access}).to_string())
        .unwrap();
    let res = endpoints.verify().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_a_store_no_blacklist_route_is_mounted() {
    use tower::ServiceExt;
    let jwt = tower_simplejwt::SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .build()
        .unwrap();
    let pair = jwt.for_user("1").pair().await.unwrap();
    let router: axum::Router = tower_simplejwt::endpoints::TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap()
        .router();
    for path in ["/api/token/blacklist/", "/api/token/logout_all/"] {
        let req = Request::post(path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", pair.access))
            .body(Body::from(json!({"refresh": pair.refresh}).to_string()))
            .unwrap();
        assert_eq!(
            router.clone().oneshot(req).await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Refresh still works without a store.
    let req = Request::post("/api/token/refresh/")
        .header("content-type", "application/json")
        .body(Body::from(json!({"refresh": pair.refresh}).to_string()))
        .unwrap();
    assert_eq!(router.oneshot(req).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_all_ignores_the_body() {
    let app = suite::rotating(Arc::new(MemoryStore::new()));
    let (access, _) = app.login().await;
    let req = Request::post("/api/token/logout_all/")
        .header("authorization", format!("Bearer {access}"))
        .header("content-type", "text/plain")
        .body(Body::from("anything"))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
}
