//! The testing kit (feature `testing`), used the way an app's tests would.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_simplejwt::testing::{FailingStore, JwksServer, RequestExt, TestJwt};
use tower_simplejwt::{
    Algorithm, Claims, CurrentUser, Key, MemoryStore, RemoteKeys, SimpleJwt, TokenType,
};

async fn me(Claims(claims): Claims<serde_json::Value>) -> String {
    format!("{} {}", claims["user_id"], claims["plan"])
}

#[derive(Clone, Debug)]
struct User {
    name: &'static str,
}

async fn profile(CurrentUser(user): CurrentUser<User>) -> &'static str {
    user.name
}

async fn status(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_bearer_token_from_the_kit_passes_the_layer_until_the_clock_moves_past_it() {
    let test = TestJwt::new();
    let app = Router::new()
        .route("/me", get(me))
        .layer(test.jwt().layer());
    let token = test.access(7);
    let req = Request::get("/me")
        .bearer(&token)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        status(&app, req).await,
        (StatusCode::OK, "\"7\" null".to_owned())
    );
    test.advance(Duration::from_secs(300));
    let req = Request::get("/me")
        .body(Body::empty())
        .unwrap()
        .bearer(&token);
    assert_eq!(status(&app, req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cookie_from_the_kit_is_read_by_a_cookie_configuration() {
    let test = TestJwt::from_builder(
        SimpleJwt::builder()
            .with_secret(TestJwt::SECRET)
            .with_auth_cookie("access"),
    );
    let app = Router::new()
        .route("/me", get(me))
        .layer(test.jwt().layer());
    let req = Request::get("/me")
        .cookie("theme", "dark")
        .cookie("access", &test.access(3))
        .body(Body::empty())
        .unwrap();
    assert_eq!(status(&app, req).await.0, StatusCode::OK);
}

/// Handler unit tests: no layer, no token in the request; the kit puts
/// what the layer would into the request.
#[tokio::test]
async fn handlers_get_claims_and_users_put_in_by_the_kit_without_the_layer() {
    let test = TestJwt::new();
    let app = Router::new()
        .route("/me", get(me))
        .route("/profile", get(profile));
    let mut req = Request::get("/me").body(Body::empty()).unwrap();
    test.authenticate_with_claims(&mut req, 5, &serde_json::json!({ "plan": "pro" }));
    assert_eq!(
        status(&app, req).await,
        (StatusCode::OK, "\"5\" \"pro\"".to_owned())
    );
    let mut req = Request::get("/profile").body(Body::empty()).unwrap();
    test.authenticate_as(&mut req, 5, User { name: "alice" });
    assert_eq!(
        status(&app, req).await,
        (StatusCode::OK, "alice".to_owned())
    );
    // Without the kit (and without the layer) the extractor says what is missing.
    let req = Request::get("/me").body(Body::empty()).unwrap();
    assert_eq!(status(&app, req).await.0, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_failing_store_gives_the_apps_503_path_and_recovers() {
    let (store, switch) = FailingStore::new(MemoryStore::new());
    let test = TestJwt::from_builder(
        SimpleJwt::builder()
            .with_secret(TestJwt::SECRET)
            .with_store(store)
            .with_access_revocation(true),
    );
    let app = Router::new()
        .route("/me", get(me))
        .layer(test.jwt().layer());
    let token = test.access(1);
    let get = || {
        Request::get("/me")
            .bearer(&token)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(status(&app, get()).await.0, StatusCode::OK);
    switch.fail();
    let (code, body) = status(&app, get()).await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("service_unavailable"), "{body}");
    switch.recover();
    assert_eq!(status(&app, get()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_jwks_server_serves_a_rotation_to_the_app_under_test() {
    let server = JwksServer::start_empty().await;
    let provider = |kid: &str, pem: &str| {
        SimpleJwt::builder()
            .with_signing_key(Key::private_pem(Algorithm::ES256, pem).with_kid(kid))
            .with_issuer(server.issuer())
            .build()
            .unwrap()
    };
    let old = provider("k1", include_str!("keys/es256.pem"));
    server.serve_keys_of(&old);
    let keys = RemoteKeys::jwks_url(server.jwks_url())
        .with_issuer(server.issuer())
        .load()
        .await
        .unwrap();
    let jwt = SimpleJwt::builder().with_remote_keys(keys).build().unwrap();
    let token = old.for_user(1).access().unwrap();
    assert!(jwt.validate(&token, TokenType::Access).is_ok());
    let app = Router::new().route("/me", get(me)).layer(jwt.layer());
    // The provider rotates to a new key: the app fetches the set again.
    let new = provider("k2", include_str!("keys/es256-b.pem"));
    server.serve_keys_of(&new);
    let token = new.for_user(1).access().unwrap();
    let req = Request::get("/me")
        .bearer(&token)
        .body(Body::empty())
        .unwrap();
    assert_eq!(status(&app, req).await.0, StatusCode::OK);
    assert_eq!(server.fetches(), 2);
}
