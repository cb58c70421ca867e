//! The endpoint suite on the in-memory store, plus the fail-closed checks
//! that need a broken store.

mod common;
#[macro_use]
mod suite;

use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::{MemoryStore, RevocationStore};

async fn make() -> Option<SharedStore> {
    Some(Arc::new(MemoryStore::new()))
}

endpoint_suite!(make());

fn down_app() -> suite::App {
    let (b, clock) = suite::base(Arc::new(common::down_store()));
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

#[tokio::test]
async fn jwks_refuses_other_methods_with_its_own_allow_header() {
    let app = suite::plain(Arc::new(MemoryStore::new()));
    let (status, headers, body) = app
        .send(
            Request::post("/.well-known/jwks.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail": "Method \"POST\" not allowed."})
        )
    );
    assert_eq!(headers["allow"], "GET, HEAD");
}

/// An EdDSA issuer, and a verify-only service built from its JWK Set.
fn issuer_and_verifier() -> (tower_simplejwt::SimpleJwt, tower_simplejwt::SimpleJwt) {
    let issuer = tower_simplejwt::SimpleJwt::builder()
        .with_signing_key(tower_simplejwt::Key::private_pem(
            tower_simplejwt::Algorithm::EdDSA,
            include_str!("keys/ed25519.pem"),
        ))
        .build()
        .unwrap();
    let verifier = tower_simplejwt::SimpleJwt::builder()
        .with_jwk_set(&issuer.jwks(), tower_simplejwt::Algorithm::EdDSA)
        .build()
        .unwrap();
    (issuer, verifier)
}

#[tokio::test]
async fn a_verify_only_service_mounts_no_route_that_mints() {
    use tower::ServiceExt;
    let (issuer, verifier) = issuer_and_verifier();
    let router: axum::Router = tower_simplejwt::endpoints::TokenEndpoints::builder(verifier)
        .stateless()
        .build()
        .unwrap()
        .router();
    let pair = issuer.for_user("1").pair().await.unwrap();
    let post = |path: &str, body: serde_json::Value| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    for (path, body) in [
        ("/api/token/", json!({"username": "a", "password": "b"})),
        ("/api/token/refresh/", json!({"refresh": pair.refresh})),
        (
            "/api/token/sliding/",
            json!({"username": "a", "password": "b"}),
        ),
        ("/api/token/sliding/refresh/", json!({"token": pair.access})),
    ] {
        let status = router
            .clone()
            .oneshot(post(path, body))
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let status = router
        .oneshot(post("/api/token/verify/", json!({"token": pair.access})))
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn credentials_on_a_verify_only_service_are_refused_at_build_time() {
    struct Nobody;
    impl tower_simplejwt::endpoints::CredentialChecker for Nobody {
        async fn check(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<tower_simplejwt::endpoints::LoginUser>, tower_simplejwt::LookupError>
        {
            Ok(None)
        }
    }
    let (_, verifier) = issuer_and_verifier();
    let err = tower_simplejwt::endpoints::TokenEndpoints::builder(verifier)
        .with_credentials(Nobody)
        .stateless()
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("need a signing key"), "{err}");
}

#[tokio::test]
async fn a_checkers_reserved_custom_claim_is_a_500_naming_the_fix() {
    use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
    struct Clashing;
    impl CredentialChecker for Clashing {
        async fn check(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<LoginUser>, tower_simplejwt::LookupError> {
            Ok(Some(
                LoginUser::active("1").with_claims(&json!({"jti": "mine"})),
            ))
        }
    }
    let (b, clock) = suite::base(Arc::new(MemoryStore::new()));
    let jwt = b.build().unwrap();
    let _ = clock;
    let router: axum::Router = TokenEndpoints::builder(jwt)
        .with_credentials(Clashing)
        .stateless()
        .build()
        .unwrap()
        .router();
    use tower::ServiceExt;
    let res = router
        .oneshot(
            Request::post("/api/token/")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"username": "a", "password": "b"}"#))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = common::body_json(res).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"jti\"") && detail.contains("LoginUser::claims"),
        "{detail}"
    );
}

#[test]
fn password_fingerprints_never_reach_debug_output() {
    let fingerprint = "pbkdf2_sha256$1000000$salt$c2VjcmV0";
    let user =
        tower_simplejwt::endpoints::LoginUser::active("1").with_password_fingerprint(fingerprint);
    let record =
        tower_simplejwt::UserRecord::active("alice").with_password_fingerprint(fingerprint);
    let (b, _) = suite::base(Arc::new(MemoryStore::new()));
    let jwt = b.build().unwrap();
    let builder = jwt.for_user(1).with_password_fingerprint(fingerprint);
    for shown in [
        format!("{user:?}"),
        format!("{record:?}"),
        format!("{builder:?}"),
    ] {
        assert!(!shown.contains(fingerprint), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}

#[tokio::test]
async fn sliding_refresh_exp_gets_the_same_leeway_as_exp() {
    let (b, clock) = suite::base(Arc::new(MemoryStore::new()));
    let app = suite::app_with(
        b.with_leeway(std::time::Duration::from_secs(30))
            .with_sliding_token_refresh_lifetime(std::time::Duration::from_secs(100)),
        clock,
    );
    let (_, _, body) = app
        .post(
            "/api/token/sliding/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    let token = body["token"].as_str().unwrap().to_owned();
    app.clock.advance(std::time::Duration::from_secs(110));
    let (status, _, body) = app
        .post("/api/token/sliding/refresh/", json!({"token": token}))
        .await;
    assert_eq!(status, StatusCode::OK, "within the leeway: {body}");
    app.clock.advance(std::time::Duration::from_secs(20));
    let (status, _, body) = app
        .post("/api/token/sliding/refresh/", json!({"token": token}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Token 'refresh_exp' claim has expired", "code": "token_not_valid"})
        )
    );
}

/// A memory store where a "log out everywhere" of user 1 lands while a
/// rotation is spending its token: between the refresh's verdict and its
/// spend.
#[derive(Clone, Default)]
struct LogoutDuringRotation {
    inner: MemoryStore,
}

impl tower_simplejwt::RevocationStore for LogoutDuringRotation {
    fn name(&self) -> &'static str {
        "racing"
    }
    fn blacklist<'a>(
        &'a self,
        e: tower_simplejwt::store::BlacklistEntry<'a>,
    ) -> tower_simplejwt::store::StoreFuture<'a, tower_simplejwt::store::Blacklisted> {
        Box::pin(async move {
            if e.rotation {
                self.inner
                    .revoke_user_before("1", e.now, e.now + 86_400, e.now)
                    .await?;
            }
            self.inner.blacklist(e).await
        })
    }
    fn revoke_family<'a>(
        &'a self,
        f: &'a str,
        exp: u64,
        now: u64,
    ) -> tower_simplejwt::store::StoreFuture<'a, ()> {
        self.inner.revoke_family(f, exp, now)
    }
    fn revoke_user_before<'a>(
        &'a self,
        u: &'a str,
        i: u64,
        k: u64,
        now: u64,
    ) -> tower_simplejwt::store::StoreFuture<'a, ()> {
        self.inner.revoke_user_before(u, i, k, now)
    }
    fn is_revoked<'a>(
        &'a self,
        q: tower_simplejwt::store::RevocationQuery<'a>,
    ) -> tower_simplejwt::store::StoreFuture<'a, bool> {
        self.inner.is_revoked(q)
    }
    fn record_outstanding(
        &self,
        t: tower_simplejwt::store::OutstandingToken,
        now: u64,
    ) -> tower_simplejwt::store::StoreFuture<'_, ()> {
        self.inner.record_outstanding(t, now)
    }
    fn outstanding_for_user<'a>(
        &'a self,
        u: &'a str,
        now: u64,
    ) -> tower_simplejwt::store::StoreFuture<'a, Vec<tower_simplejwt::store::OutstandingToken>>
    {
        self.inner.outstanding_for_user(u, now)
    }
    fn flush_expired(&self, now: u64) -> tower_simplejwt::store::StoreFuture<'_, u64> {
        self.inner.flush_expired(now)
    }
}

#[tokio::test]
async fn a_logout_everywhere_landing_during_a_rotation_is_never_escaped() {
    let app = suite::rotating(Arc::new(LogoutDuringRotation::default()));
    let (_, refresh) = app.login().await;
    app.clock.advance(std::time::Duration::from_secs(1));
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
        ),
        "a successor minted after the logout escaped it"
    );
}

#[tokio::test]
async fn a_blacklisted_sliding_token_stays_dead_after_a_last_moment_renewal() {
    let store = Arc::new(MemoryStore::new());
    let (b, clock) = suite::base(store.clone());
    let app = suite::app_with(
        b.with_auth_token_types([
            tower_simplejwt::TokenType::Access,
            tower_simplejwt::TokenType::Sliding,
        ])
        .with_sliding_token_refresh_lifetime(std::time::Duration::from_secs(100)),
        clock,
    );
    let (_, _, body) = app
        .post(
            "/api/token/sliding/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    let first = body["token"].as_str().unwrap().to_owned();
    // The thief renews just before refresh_exp: same jti, exp 300 s later.
    app.clock.advance(std::time::Duration::from_secs(90));
    let (_, _, body) = app
        .post("/api/token/sliding/refresh/", json!({"token": first}))
        .await;
    let renewed = body["token"].as_str().unwrap().to_owned();
    // The victim logs the first copy out.
    let verified = app
        .jwt
        .validate(&first, tower_simplejwt::TokenType::Sliding)
        .unwrap();
    assert!(app.jwt.blacklist(&verified).await.unwrap());
    // Past the first copy's exp and refresh_exp, after a flush, the renewed
    // copy (still within its own exp) must be refused.
    app.clock.advance(std::time::Duration::from_secs(260));
    store.flush_expired(app.jwt.now()).await.unwrap();
    let (status, body) = app.me(&renewed).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["messages"][0]["message"], "Token is blacklisted");
}

#[tokio::test]
async fn a_retry_on_an_instance_a_second_behind_is_still_a_retry() {
    let store: Arc<MemoryStore> = Arc::new(MemoryStore::new());
    let a = suite::rotating(store.clone());
    let b = suite::rotating(store);
    let (_, refresh) = a.login().await;
    // Later, with B's clock a second behind A's (the login is in both pasts).
    a.clock.advance(std::time::Duration::from_secs(60));
    b.clock.set(a.jwt.now() - 1);
    let (status, _, on_a) = a
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, on_b) = b
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!((status, on_b), (StatusCode::OK, on_a));
}

#[tokio::test]
async fn a_login_rotated_in_its_first_second_is_still_listed() {
    let app = suite::rotating(Arc::new(MemoryStore::new()));
    let (_, refresh) = app.login().await;
    let (status, _, _) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.jwt.sessions("1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn routes_that_are_not_mounted_are_not_left_alone() {
    use tower::ServiceExt;
    // A verify-only service: its router mounts no refresh route, so a
    // fallback behind a required layer must not be reachable there.
    let (_, verifier) = issuer_and_verifier();
    let app: axum::Router = axum::Router::new()
        .fallback(|| async { "the app's fallback" })
        .layer(verifier.layer().required());
    let res = app
        .oneshot(
            Request::post("/api/token/refresh/")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
