//! The endpoint suite: drives the token routes in process through every row
//! of the contract. Each check takes the store under test, so the same suite
//! runs against memory, SQLite, PostgreSQL and Redis (`endpoint_suite!`).
#![allow(dead_code, unreachable_pub)]

pub mod durable;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::LookupError;
use tower_simplejwt::clock::ManualClock;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::{
    Claims, SimpleJwt, SimpleJwtBuilder, TokenType, UserRecord, UserResolver, VerifiedToken,
};

pub const SECRET: &[u8] = b"suite-secret-that-is-at-least-32-bytes!!";

/// alice/wonderland is active (id 1), bob/builder inactive (id 2).
#[derive(Clone, Default)]
pub struct Users {
    pub events: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        Ok(match (username, password) {
            ("alice", "wonderland") => {
                Some(LoginUser::active("1").with_claims(&json!({"role": "admin"})))
            }
            ("bob", "builder") => Some(LoginUser::inactive("2")),
            _ => None,
        })
    }
    async fn update_last_login(&self, user: &LoginUser) {
        self.events
            .lock()
            .unwrap()
            .push(format!("last_login:{}", user.user_id));
    }
    async fn on_login_success(&self, user: &LoginUser) {
        self.events
            .lock()
            .unwrap()
            .push(format!("success:{}", user.user_id));
    }
    async fn on_login_failed(&self, username: &str) {
        self.events
            .lock()
            .unwrap()
            .push(format!("failed:{username}"));
    }
}

/// Users known to the refresh re-check: "1" active, "2" inactive, the ids
/// in [`REACTIVATED`] active, others deleted.
#[derive(Clone)]
pub struct Directory;

/// Users a test switches on while it runs.
pub static REACTIVATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl UserResolver for Directory {
    type User = String;
    async fn resolve(
        &self,
        user_id: &str,
        _: &VerifiedToken,
    ) -> Result<Option<UserRecord<String>>, LookupError> {
        if REACTIVATED.lock().unwrap().iter().any(|u| u == user_id) {
            return Ok(Some(UserRecord::active(user_id.to_owned())));
        }
        Ok(match user_id {
            "1" => Some(UserRecord::active("alice".into())),
            "2" => Some(UserRecord::inactive("bob".into())),
            _ => None,
        })
    }
}

pub struct App {
    pub jwt: SimpleJwt,
    pub clock: ManualClock,
    pub router: Router,
    pub users: Users,
}

pub fn base(store: SharedStore) -> (SimpleJwtBuilder, ManualClock) {
    let clock = ManualClock::starting_now();
    let b = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_clock(clock.clone())
        .with_shared_store(store);
    (b, clock)
}

pub fn app_with(b: SimpleJwtBuilder, clock: ManualClock) -> App {
    let jwt = b.build().unwrap();
    let users = Users::default();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(users.clone())
        .with_user_resolver(Directory)
        .build()
        .unwrap();
    let router = Router::new()
        .route(
            "/api/me/",
            get(|Claims(c): Claims<Value>| async move { axum::Json(c) }),
        )
        .merge(endpoints.router())
        .layer(jwt.layer());
    App {
        jwt,
        clock,
        router,
        users,
    }
}

pub fn rotating(store: SharedStore) -> App {
    let (b, clock) = base(store);
    app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_access_revocation(true)
            .with_update_last_login(true),
        clock,
    )
}

pub fn plain(store: SharedStore) -> App {
    let (b, clock) = base(store);
    app_with(b, clock)
}

impl App {
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(json!({"raw": String::from_utf8_lossy(&bytes)}))
        };
        (status, headers, body)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, http::HeaderMap, Value) {
        self.send(
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn login(&self) -> (String, String) {
        let (status, _, body) = self
            .post(
                "/api/token/",
                json!({"username": "alice", "password": "wonderland"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["access"].as_str().unwrap().to_owned(),
            body["refresh"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn me(&self, access: &str) -> (StatusCode, Value) {
        let (s, _, b) = self
            .send(
                Request::get("/api/me/")
                    .header("authorization", format!("Bearer {access}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        (s, b)
    }
}

/// Past the default reuse grace window.
pub const GRACE: Duration = Duration::from_secs(5);

pub fn token_error(message: &str) -> Value {
    json!({"detail": message, "code": "token_not_valid"})
}

// ---- the checks ----

pub async fn obtain_pair_returns_tokens_with_no_store(store: SharedStore) {
    let app = rotating(store.clone());
    let (status, headers, body) = app
        .post(
            "/api/token/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["content-type"], "application/json");
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 2);
    let refresh = app
        .jwt
        .validate(body["refresh"].as_str().unwrap(), TokenType::Refresh)
        .unwrap();
    let access = app
        .jwt
        .validate(body["access"].as_str().unwrap(), TokenType::Access)
        .unwrap();
    assert_eq!(access.user_id(), Some("1"));
    assert_eq!(
        access.claims::<Value>().unwrap()["role"],
        "admin",
        "custom claims from the checker"
    );
    let outstanding = store
        .outstanding_for_user("1", app.jwt.now())
        .await
        .unwrap();
    assert!(
        outstanding.iter().any(|t| t.jti == refresh.jti()),
        "refresh token recorded as outstanding"
    );
    assert_eq!(
        app.me(body["access"].as_str().unwrap()).await.0,
        StatusCode::OK
    );
    let events = app.users.events.lock().unwrap().clone();
    assert_eq!(
        events,
        vec!["last_login:1".to_owned(), "success:1".to_owned()]
    );
}

pub async fn obtain_failures_share_one_401(store: SharedStore) {
    let app = rotating(store);
    let expected = json!({"detail": "No active account found with the given credentials"});
    for (u, p) in [
        ("alice", "wrong"),
        ("nobody", "wonderland"),
        ("bob", "builder"),
    ] {
        let (status, headers, body) = app
            .post("/api/token/", json!({"username": u, "password": p}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{u}");
        assert_eq!(body, expected, "{u}");
        assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    }
    let events = app.users.events.lock().unwrap().clone();
    assert_eq!(events, vec!["failed:alice", "failed:nobody", "failed:bob"]);
}

pub async fn obtain_trims_and_accepts_form_bodies(store: SharedStore) {
    let app = plain(store);
    let (status, _, _) = app
        .post(
            "/api/token/",
            json!({"username": "  alice ", "password": " wonderland\t"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let req = Request::post("/api/token/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("username=alice&password=wonderland"))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access"].is_string());
}

pub async fn field_errors_are_reported_together(store: SharedStore) {
    let app = plain(store);
    let required = json!(["This field is required."]);
    let (status, _, body) = app.post("/api/token/", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({"username": required, "password": required}));
    let (_, _, body) = app
        .post("/api/token/", json!({"username": "  ", "password": null}))
        .await;
    assert_eq!(
        body,
        json!({"username": ["This field may not be blank."], "password": ["This field may not be null."]})
    );
    for path in ["/api/token/refresh/", "/api/token/blacklist/"] {
        let (status, _, body) = app.post(path, json!({})).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, json!({"refresh": required}))
        );
    }
    for path in ["/api/token/verify/", "/api/token/sliding/refresh/"] {
        let (status, _, body) = app.post(path, json!({"other": 1})).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, json!({"token": required}))
        );
    }
    // No content type at all: no data, so the fields are missing.
    let (status, _, body) = app
        .send(
            Request::post("/api/token/refresh/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"refresh": required}))
    );
}

pub async fn bad_bodies_get_the_contract_400_415_413(store: SharedStore) {
    let app = plain(store);
    let raw = |ct: &str, body: &str| {
        Request::post("/api/token/refresh/")
            .header("content-type", ct)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (status, _, body) = app.send(raw("application/json", "{\"refresh\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{body}"
    );
    for (text, kind) in [
        ("[1]", "list"),
        ("\"x\"", "str"),
        ("3", "int"),
        ("true", "bool"),
    ] {
        let (status, _, body) = app.send(raw("application/json", text)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]})
        );
    }
    let (status, _, body) = app.send(raw("text/plain", "refresh=x")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        body,
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
    let huge = format!("{{\"refresh\": \"{}\"}}", "x".repeat(100_000));
    let (status, _, _) = app.send(raw("application/json", &huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, body) = app
        .send(raw("application/json", "{\"refresh\": {\"a\": 1}}"))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["Not a valid string."]})
        )
    );
}

pub async fn wrong_method_is_405_and_options_is_answered(store: SharedStore) {
    let app = plain(store);
    for path in [
        "/api/token/",
        "/api/token/refresh/",
        "/api/token/verify/",
        "/api/token/blacklist/",
        "/api/token/sliding/",
        "/api/token/sliding/refresh/",
    ] {
        let (status, headers, body) = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(body, json!({"detail": "Method \"GET\" not allowed."}));
        assert_eq!(headers["allow"], "POST, OPTIONS");
        let (status, headers, _) = app
            .send(Request::options(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["allow"], "POST, OPTIONS");
    }
    let (status, _, body) = app
        .send(Request::put("/api/token/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail": "Method \"PUT\" not allowed."})
        )
    );
}

pub async fn refresh_without_rotation_returns_access_only(store: SharedStore) {
    let app = plain(store);
    let (_, refresh) = app.login().await;
    app.clock.advance(Duration::from_secs(30));
    let (status, headers, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body.as_object().unwrap().len(), 1);
    let access = app
        .jwt
        .validate_access(body["access"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        access.claims::<Value>().unwrap()["role"],
        "admin",
        "claims copied from the refresh token"
    );
    // Without rotation the same refresh token keeps working.
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": refresh}))
            .await
            .0,
        StatusCode::OK
    );
}

pub async fn rotation_consumes_the_old_token_and_reuse_revokes_the_family(store: SharedStore) {
    let app = rotating(store);
    let (_, r1) = app.login().await;
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (a2, r2) = (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    );
    assert_ne!(r1, r2);
    assert_eq!(app.me(&a2).await.0, StatusCode::OK);

    // The thief replays the rotated token after the grace window: refused,
    // and the whole family dies.
    app.clock.advance(GRACE);
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r2}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        ),
        "victim's newer token revoked too"
    );
    assert_eq!(
        app.me(&a2).await.0,
        StatusCode::UNAUTHORIZED,
        "access tokens of the family revoked"
    );
    // A fresh login starts a new family.
    let (a3, r3) = app.login().await;
    assert_eq!(app.me(&a3).await.0, StatusCode::OK);
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r3}))
            .await
            .0,
        StatusCode::OK
    );
}

pub async fn a_retry_within_the_grace_window_gets_the_same_successor(store: SharedStore) {
    let app = rotating(store.clone());
    let (_, r1) = app.login().await;
    let (status, _, first) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // The answer was lost; the client retries a few seconds later.
    app.clock.advance(GRACE - Duration::from_secs(1));
    let (status, _, again) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, first, "the same successor, byte for byte (HS256)");
    let r2 = first["refresh"].as_str().unwrap().to_owned();
    let a2 = first["access"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&a2).await.0, StatusCode::OK);
    // One branch: the login's refresh token and one successor are recorded.
    let outstanding = store
        .outstanding_for_user("1", app.jwt.now())
        .await
        .unwrap();
    let successor = app.jwt.validate(&r2, TokenType::Refresh).unwrap();
    assert_eq!(
        outstanding
            .iter()
            .filter(|t| t.jti == successor.jti())
            .count(),
        1
    );
    // The family moves on; the old token is no retry of the live branch any more.
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r3 = body["refresh"].as_str().unwrap().to_owned();
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r3}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        ),
        "reuse outside the live branch revokes the family"
    );
}

pub async fn no_grace_after_a_logout_or_with_a_zero_window(store: SharedStore) {
    // A logged-out token is never "rotated": presenting it is reuse at once.
    let app = rotating(store.clone());
    let (_, r1) = app.login().await;
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let r2 = body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post("/api/token/blacklist/", json!({"refresh": r2}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r2}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r1}))
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "the logged-out successor is no live branch"
    );
    // With the window at zero, an immediate replay revokes the family.
    let (b, clock) = base(store);
    let app = app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_reuse_grace(Duration::ZERO),
        clock,
    );
    let (_, r1) = app.login().await;
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let r2 = body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r1}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r2}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

pub async fn concurrent_refreshes_with_reuse_detection_share_one_successor(store: SharedStore) {
    for round in 0..3 {
        // The default: rotation and blacklist-after-rotation turn reuse
        // detection (and its grace window) on.
        let app = Arc::new(rotating(store.clone()));
        let (_, refresh) = app.login().await;
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (app, refresh) = (app.clone(), refresh.clone());
                tokio::spawn(async move {
                    app.post("/api/token/refresh/", json!({"refresh": refresh}))
                        .await
                })
            })
            .collect();
        let mut bodies = Vec::new();
        for h in handles {
            let (status, _, body) = h.await.unwrap();
            assert_eq!(status, StatusCode::OK, "round {round}: {body}");
            bodies.push(body);
        }
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "round {round}: every tab gets the one successor"
        );
        let successor = bodies[0]["refresh"].as_str().unwrap().to_owned();
        let jti = app
            .jwt
            .validate(&successor, TokenType::Refresh)
            .unwrap()
            .jti()
            .to_owned();
        let recorded = store
            .outstanding_for_user("1", app.jwt.now())
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.jti == jti)
            .count();
        assert_eq!(recorded, 1, "round {round}: the store records one winner");
        assert_eq!(
            app.post("/api/token/refresh/", json!({"refresh": successor}))
                .await
                .0,
            StatusCode::OK,
            "round {round}: the family lives on"
        );
    }
}

pub async fn verifying_a_rotated_token_reports_without_revoking_the_family(store: SharedStore) {
    let app = rotating(store);
    let (_, r1) = app.login().await;
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let r2 = body["refresh"].as_str().unwrap().to_owned();
    let (status, _, body) = app.post("/api/token/verify/", json!({"token": r1})).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r2}))
            .await
            .0,
        StatusCode::OK,
        "verify is not reuse"
    );
}

pub async fn rotation_without_reuse_detection_keeps_the_family(store: SharedStore) {
    let (b, clock) = base(store);
    let app = app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_reuse_detection(false),
        clock,
    );
    let (_, r1) = app.login().await;
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let r2 = body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r1}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": r2}))
            .await
            .0,
        StatusCode::OK
    );
}

pub async fn concurrent_refreshes_of_one_token_give_exactly_one_200(store: SharedStore) {
    for round in 0..3 {
        let (b, clock) = base(store.clone());
        let app = Arc::new(app_with(
            b.with_rotate_refresh_tokens(true)
                .with_blacklist_after_rotation(true)
                .with_reuse_detection(false),
            clock,
        ));
        let (_, refresh) = app.login().await;
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let (app, refresh) = (app.clone(), refresh.clone());
                tokio::spawn(async move {
                    app.post("/api/token/refresh/", json!({"refresh": refresh}))
                        .await
                })
            })
            .collect();
        let mut ok = Vec::new();
        let mut refused = 0;
        for h in handles {
            let (status, _, body) = h.await.unwrap();
            match status {
                StatusCode::OK => ok.push(body),
                StatusCode::UNAUTHORIZED => {
                    assert_eq!(body, token_error("Token is blacklisted"));
                    refused += 1;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!((ok.len(), refused), (1, 49), "round {round}");
        // The winner's new token works.
        let winner = ok[0]["refresh"].as_str().unwrap().to_owned();
        assert_eq!(
            app.post("/api/token/refresh/", json!({"refresh": winner}))
                .await
                .0,
            StatusCode::OK
        );
    }
}

pub async fn verify_accepts_any_type_and_consults_the_blacklist(store: SharedStore) {
    let app = rotating(store);
    let (access, refresh) = app.login().await;
    for token in [&access, &refresh] {
        let (status, headers, body) = app
            .post("/api/token/verify/", json!({"token": token}))
            .await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        assert_eq!(headers["cache-control"], "no-store");
    }
    let (status, _, body) = app
        .post("/api/token/verify/", json!({"token": "not.a.token"}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, token_error("Token is invalid"))
    );
    assert_eq!(
        app.post("/api/token/blacklist/", json!({"refresh": refresh}))
            .await
            .0,
        StatusCode::OK
    );
    let (status, headers, body) = app
        .post("/api/token/verify/", json!({"token": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    app.clock.advance(Duration::from_secs(301));
    let (status, _, body) = app
        .post("/api/token/verify/", json!({"token": access}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, token_error("Token is expired"))
    );
}

pub async fn blacklist_twice_is_401_and_kills_refresh(store: SharedStore) {
    let app = plain(store);
    let (access, refresh) = app.login().await;
    let (status, headers, body) = app
        .post("/api/token/blacklist/", json!({"refresh": refresh}))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, body) = app
        .post("/api/token/blacklist/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    let (status, _, body) = app
        .post("/api/token/blacklist/", json!({"refresh": access}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token has wrong type")
        )
    );
}

pub async fn logout_also_revokes_the_presented_access_token(store: SharedStore) {
    let app = rotating(store);
    let (access, refresh) = app.login().await;
    let req = Request::post("/api/token/blacklist/")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {access}"))
        .body(Body::from(json!({"refresh": refresh}).to_string()))
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::OK);
    let (status, body) = app.me(&access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["messages"][0]["message"], "Token is blacklisted");
}

pub async fn sliding_tokens_renew_within_refresh_exp(store: SharedStore) {
    let (b, clock) = base(store.clone());
    let app = app_with(
        b.with_auth_token_types([TokenType::Access, TokenType::Sliding]),
        clock,
    );
    let (status, headers, body) = app
        .post(
            "/api/token/sliding/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    let t1 = body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&t1).await.0, StatusCode::OK);
    let first = app.jwt.validate(&t1, TokenType::Sliding).unwrap();

    app.clock.advance(Duration::from_secs(200));
    let (status, _, body) = app
        .post("/api/token/sliding/refresh/", json!({"token": t1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let t2 = body["token"].as_str().unwrap().to_owned();
    let renewed = app.jwt.validate(&t2, TokenType::Sliding).unwrap();
    assert_eq!(renewed.jti(), first.jti(), "Simple JWT keeps the jti");
    assert_eq!(renewed.refresh_exp(), first.refresh_exp());
    assert_eq!(renewed.exp(), app.jwt.now() + 300);

    // Blacklisting a sliding token lasts until its refresh_exp, not its exp:
    // a flush after exp must not make it renewable again.
    assert!(app.jwt.blacklist(&renewed).await.unwrap());
    // The layer refuses a blacklisted sliding token, as Simple JWT does.
    let (status, body) = app.me(&t2).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["messages"][0]["message"], "Token is blacklisted");
    let (status, _, body) = app.post("/api/token/verify/", json!({"token": t2})).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        ),
        "verify agrees with the layer"
    );
    app.clock.advance(Duration::from_secs(400));
    store.flush_expired(app.jwt.now()).await.unwrap();
    assert!(
        app.jwt.is_revoked(&renewed).await.unwrap(),
        "sliding blacklist entry flushed while renewable"
    );

    // refresh_exp passing ends the token for good.
    let (b, clock) = base(store);
    let app = app_with(
        b.with_sliding_token_refresh_lifetime(Duration::from_secs(100)),
        clock,
    );
    let (_, _, body) = app
        .post(
            "/api/token/sliding/",
            json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    let t = body["token"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::from_secs(100));
    let (status, _, body) = app
        .post("/api/token/sliding/refresh/", json!({"token": t}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token 'refresh_exp' claim has expired")
        )
    );
}

pub async fn logout_everywhere_holds_for_layer_and_refresh(store: SharedStore) {
    let app = rotating(store);
    let (access, refresh) = app.login().await;
    let (other_access, _) = app.login().await;
    let req = Request::post("/api/token/logout_all/")
        .header("authorization", format!("Bearer {access}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    for token in [&access, &other_access] {
        assert_eq!(app.me(token).await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    // Without credentials the endpoint is a 401.
    let (status, _, _) = app
        .send(
            Request::post("/api/token/logout_all/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.clock.advance(Duration::from_secs(1));
    let (fresh, _) = app.login().await;
    assert_eq!(app.me(&fresh).await.0, StatusCode::OK);
}

pub async fn refresh_rechecks_the_user(store: SharedStore) {
    let app = rotating(store);
    let expected = json!({"detail": "No active account found for the given token."});
    for user in ["2", "999"] {
        let pair = app.jwt.for_user(user).pair().await.unwrap();
        let (status, _, body) = app
            .post("/api/token/refresh/", json!({"refresh": pair.refresh}))
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::UNAUTHORIZED, expected.clone()),
            "user {user}"
        );
    }
    // A refused re-check consumes nothing: once the user is back, the very
    // same refresh token works.
    let user = format!("returning-{}", app.jwt.now() ^ std::process::id() as u64);
    let pair = app.jwt.for_user(&user).pair().await.unwrap();
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": pair.refresh}))
        .await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, expected));
    REACTIVATED.lock().unwrap().push(user.clone());
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": pair.refresh}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused refresh spent the token: {body}"
    );
}

pub async fn absolute_session_lifetime_ends_rotation(store: SharedStore) {
    let (b, clock) = base(store);
    let app = app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_max_session_lifetime(Duration::from_secs(3600)),
        clock,
    );
    let (_, mut refresh) = app.login().await;
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(1000));
        let (status, _, body) = app
            .post("/api/token/refresh/", json!({"refresh": refresh}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        refresh = body["refresh"].as_str().unwrap().to_owned();
    }
    app.clock.advance(Duration::from_secs(600));
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, token_error("Token is expired"))
    );
}

pub async fn pyjwt_style_refresh_token_is_accepted(store: SharedStore) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::Mac;
    let app = rotating(store);
    let now = app.jwt.now();
    let claims = json!({"token_type": "refresh", "exp": now + 86400, "iat": now, "jti": "9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d", "user_id": 1});
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(msg.as_bytes());
    let token = format!(
        "{msg}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": token}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = app
        .jwt
        .validate_access(body["access"].as_str().unwrap())
        .unwrap();
    assert_eq!(access.user_id(), Some("1"));
    // Rotated: the hand-made token is consumed.
    app.clock.advance(GRACE);
    assert_eq!(
        app.post("/api/token/refresh/", json!({"refresh": token}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

/// What the layer answers for an access token: 200, or the message of its 401/503.
pub async fn layer_verdict(app: &App, access: &str) -> (StatusCode, Value) {
    let (status, body) = app.me(access).await;
    let message = match status {
        StatusCode::OK => json!({}),
        StatusCode::SERVICE_UNAVAILABLE => body,
        _ => body["messages"][0]["message"].clone(),
    };
    (status, message)
}

/// What verify answers for the same token, in the same shape.
pub async fn verify_verdict(app: &App, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = app
        .post("/api/token/verify/", json!({"token": token}))
        .await;
    let message = match status {
        StatusCode::OK => json!({}),
        StatusCode::SERVICE_UNAVAILABLE => body,
        _ => body["detail"].clone(),
    };
    (status, message)
}

/// Verify and the layer agree on `tokens`.
pub async fn assert_agree(app: &App, tokens: &[&str], when: &str) {
    for token in tokens {
        assert_eq!(
            verify_verdict(app, token).await,
            layer_verdict(app, token).await,
            "verify and the layer disagree {when}"
        );
    }
}

pub async fn verify_and_the_layer_agree_on_every_token(store: SharedStore) {
    for access_revocation in [true, false] {
        let (b, clock) = base(store.clone());
        let app = app_with(
            b.with_rotate_refresh_tokens(true)
                .with_blacklist_after_rotation(true)
                .with_access_revocation(access_revocation),
            clock,
        );
        let when = |what: &str| format!("{what} (access revocation {access_revocation})");
        // The store is shared with the first round, whose "log out
        // everywhere" must lie in this round's past.
        if !access_revocation {
            app.clock.advance(Duration::from_secs(3600));
        }
        // Live tokens.
        let (a1, r1) = app.login().await;
        let (a2, r2) = app.login().await;
        assert_agree(&app, &[&a1, &a2], &when("on live tokens")).await;
        // Logout: the family of a1 is revoked.
        let (status, _, body) = app
            .post("/api/token/blacklist/", json!({"refresh": r1}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_agree(&app, &[&a1, &a2], &when("after a logout")).await;
        // Reuse detected: the family of a2 and its rotated successor revoked.
        let (_, _, body) = app
            .post("/api/token/refresh/", json!({"refresh": r2}))
            .await;
        let a3 = body["access"].as_str().unwrap().to_owned();
        app.clock.advance(GRACE);
        app.post("/api/token/refresh/", json!({"refresh": r2}))
            .await;
        assert_agree(&app, &[&a2, &a3], &when("after reuse")).await;
        // Log out everywhere.
        let (a4, _) = app.login().await;
        app.jwt.logout_everywhere("1").await.unwrap();
        app.clock.advance(Duration::from_secs(1));
        let (a5, _) = app.login().await;
        assert_agree(&app, &[&a4, &a5], &when("after logging out everywhere")).await;
        // Expired, and garbage.
        app.clock.advance(Duration::from_secs(300));
        assert_agree(&app, &[&a5, "not.a.token"], &when("after expiry")).await;
    }
    // Without access revocation an access token of a logged-out login still
    // passes the layer, and verify says so instead of "blacklisted".
    let (b, clock) = base(store);
    let app = app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true),
        clock,
    );
    app.clock.advance(Duration::from_secs(7200));
    let (access, refresh) = app.login().await;
    app.post("/api/token/blacklist/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        verify_verdict(&app, &access).await,
        (StatusCode::OK, json!({}))
    );
    assert_eq!(
        layer_verdict(&app, &access).await,
        (StatusCode::OK, json!({}))
    );
}

pub async fn a_blacklisted_token_stays_dead_through_the_leeway(store: SharedStore) {
    let (b, clock) = base(store.clone());
    let app = app_with(
        b.with_leeway(Duration::from_secs(60))
            .with_access_revocation(true),
        clock,
    );
    // Blacklisted from app code: only their own `jti` entries hold them.
    let (access, refresh) = app.login().await;
    for token in [&access, &refresh] {
        let verified = app.jwt.validate_untyped(token).unwrap();
        assert!(app.jwt.blacklist(&verified).await.unwrap());
    }
    // Past the access token's exp, within the leeway, after a flush.
    app.clock.advance(Duration::from_secs(300 + 30));
    store.flush_expired(app.jwt.now()).await.unwrap();
    let (status, body) = app.me(&access).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revived within the leeway: {body}"
    );
    assert_eq!(body["messages"][0]["message"], "Token is blacklisted");
    // The same for the refresh token, past its exp.
    app.clock.advance(Duration::from_secs(86_400 - 300));
    store.flush_expired(app.jwt.now()).await.unwrap();
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
}

pub async fn family_and_user_revocations_outlive_their_tokens_through_a_flush(store: SharedStore) {
    let (b, clock) = base(store.clone());
    let app = app_with(
        b.with_rotate_refresh_tokens(true)
            .with_blacklist_after_rotation(true)
            .with_leeway(Duration::from_secs(60)),
        clock,
    );
    // A family revoked by reuse.
    let (_, r1) = app.login().await;
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let r2 = body["refresh"].as_str().unwrap().to_owned();
    app.clock.advance(GRACE);
    app.post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    // A user logged out everywhere (user 2 is inactive for refresh, so use
    // the layer-free check on a token of user 1 minted now).
    let (_, r3) = app.login().await;
    app.jwt.logout_everywhere("1").await.unwrap();
    // Just before the refresh tokens expire (leeway included), after a flush.
    app.clock.advance(Duration::from_secs(86_400 + 30));
    store.flush_expired(app.jwt.now()).await.unwrap();
    for (what, token) in [("the revoked family", &r2), ("the user's", &r3)] {
        let (status, _, body) = app
            .post("/api/token/refresh/", json!({"refresh": token}))
            .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                token_error("Token is blacklisted")
            ),
            "{what} token came back after a flush"
        );
    }
}

pub async fn sessions_are_listed_and_ended_one_by_one(store: SharedStore) {
    let app = rotating(store);
    let user = format!("devices-{}", app.jwt.now() ^ u64::from(std::process::id()));
    REACTIVATED.lock().unwrap().push(user.clone());
    let phone = app.jwt.for_user(&user).pair().await.unwrap();
    app.clock.advance(Duration::from_secs(10));
    let laptop = app.jwt.for_user(&user).pair().await.unwrap();
    // The phone rotates: still one session, now issued later.
    app.clock.advance(Duration::from_secs(10));
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": phone.refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let phone_refresh = body["refresh"].as_str().unwrap().to_owned();
    let sessions = app.jwt.sessions(&user).await.unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let phone_family = app
        .jwt
        .validate(&phone.refresh, TokenType::Refresh)
        .unwrap()
        .jti()
        .to_owned();
    assert_eq!(sessions[0].family, phone_family, "newest first");
    assert_eq!(sessions[0].issued_at, app.jwt.now());
    // Log the laptop out from the phone.
    app.jwt
        .end_session(&user, &sessions[1].family)
        .await
        .unwrap();
    let sessions = app.jwt.sessions(&user).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].family, phone_family);
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": laptop.refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    assert_eq!(app.me(&laptop.access).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .post("/api/token/refresh/", json!({"refresh": phone_refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "the phone stays logged in");
}

pub async fn a_logout_that_loses_to_a_rotation_revokes_the_rotated_branch(store: SharedStore) {
    let app = rotating(store);
    let (_, r1) = app.login().await;
    // The thief rotates first; the victim's logout with the same token comes second.
    let (_, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": r1}))
        .await;
    let (thief_access, thief_refresh) = (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    );
    let (status, _, body) = app
        .post("/api/token/blacklist/", json!({"refresh": r1}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        )
    );
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": thief_refresh}))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            token_error("Token is blacklisted")
        ),
        "the rotated branch outlived the logout"
    );
    assert_eq!(app.me(&thief_access).await.0, StatusCode::UNAUTHORIZED);
}

pub async fn family_revocation_never_reaches_another_user(store: SharedStore) {
    let app = rotating(store);
    // Alice's login and its family.
    let (alice_access, alice_refresh) = app.login().await;
    let family = app
        .jwt
        .validate(&alice_refresh, TokenType::Refresh)
        .unwrap()
        .family_or_jti()
        .to_owned();
    // Mallory (user 1000) holds a token signed by the same key (say, by the
    // Django side) that claims Alice's family, and presents it twice.
    let now = app.jwt.now();
    let forged = crate::common::sign_raw(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        json!({"token_type": "refresh", "exp": now + 3600, "iat": now, "jti": "mallory-1", "user_id": "1000", "family_id": family})
            .to_string()
            .as_bytes(),
        SECRET,
    );
    REACTIVATED.lock().unwrap().push("1000".into());
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": forged}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(GRACE);
    let (status, _, _) = app
        .post("/api/token/refresh/", json!({"refresh": forged}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "Mallory's reuse is refused"
    );
    // Alice is untouched.
    assert_eq!(app.me(&alice_access).await.0, StatusCode::OK);
    let (status, _, body) = app
        .post("/api/token/refresh/", json!({"refresh": alice_refresh}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "Mallory revoked Alice's family: {body}"
    );
}

/// A signed token may carry any text in its claims; no store may fail on it.
pub async fn claims_with_any_characters_never_fail_the_store(store: SharedStore) {
    let app = rotating(store);
    let now = app.jwt.now();
    let sign = |jti: &str| {
        let claims = json!({"token_type": "refresh", "exp": now + 86400, "iat": now, "jti": jti, "user_id": "1", "family_id": format!("family of {jti}")});
        crate::common::sign_raw(
            br#"{"alg":"HS256","typ":"JWT"}"#,
            claims.to_string().as_bytes(),
            SECRET,
        )
    };
    for jti in [
        "nul\u{0}in\u{0}it",
        "back\\slash\\0",
        "colon:1:2:",
        "snow ☃ man",
    ] {
        let (status, _, body) = app
            .post("/api/token/refresh/", json!({"refresh": sign(jti)}))
            .await;
        assert_eq!(status, StatusCode::OK, "refresh {jti:?}: {body}");
        let successor = body["refresh"].as_str().unwrap().to_owned();
        let (status, _, body) = app
            .post("/api/token/blacklist/", json!({"refresh": successor}))
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({})),
            "logout {jti:?}"
        );
        let (status, _, body) = app
            .post("/api/token/verify/", json!({"token": sign(jti)}))
            .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                token_error("Token is blacklisted")
            ),
            "verify {jti:?}"
        );
    }
}

pub async fn garbage_tokens_never_500(store: SharedStore) {
    let app = rotating(store);
    let inputs = [
        json!("x"),
        json!("a.b.c"),
        json!(""),
        json!("   "),
        json!(12),
        json!("é.é.é"),
        json!("...."),
    ];
    for path in [
        "/api/token/refresh/",
        "/api/token/verify/",
        "/api/token/blacklist/",
        "/api/token/sliding/refresh/",
    ] {
        let field = if path.contains("verify") || path.contains("sliding") {
            "token"
        } else {
            "refresh"
        };
        for input in &inputs {
            let (status, _, body) = app.post(path, json!({ field: input })).await;
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
                "{path} {input}: {status} {body}"
            );
        }
    }
}

/// Generates one `#[tokio::test]` per endpoint check for a store factory
/// (an async expression giving `Option<SharedStore>`; `None` skips).
#[macro_export]
macro_rules! endpoint_suite {
    ($make:expr) => {
        $crate::endpoint_suite!(@each $make;
            obtain_pair_returns_tokens_with_no_store,
            obtain_failures_share_one_401,
            obtain_trims_and_accepts_form_bodies,
            field_errors_are_reported_together,
            bad_bodies_get_the_contract_400_415_413,
            wrong_method_is_405_and_options_is_answered,
            refresh_without_rotation_returns_access_only,
            rotation_consumes_the_old_token_and_reuse_revokes_the_family,
            rotation_without_reuse_detection_keeps_the_family,
            verifying_a_rotated_token_reports_without_revoking_the_family,
            concurrent_refreshes_of_one_token_give_exactly_one_200,
            a_retry_within_the_grace_window_gets_the_same_successor,
            no_grace_after_a_logout_or_with_a_zero_window,
            concurrent_refreshes_with_reuse_detection_share_one_successor,
            verify_accepts_any_type_and_consults_the_blacklist,
            blacklist_twice_is_401_and_kills_refresh,
            logout_also_revokes_the_presented_access_token,
            sliding_tokens_renew_within_refresh_exp,
            logout_everywhere_holds_for_layer_and_refresh,
            refresh_rechecks_the_user,
            absolute_session_lifetime_ends_rotation,
            pyjwt_style_refresh_token_is_accepted,
            garbage_tokens_never_500,
            claims_with_any_characters_never_fail_the_store,
            verify_and_the_layer_agree_on_every_token,
            a_blacklisted_token_stays_dead_through_the_leeway,
            a_logout_that_loses_to_a_rotation_revokes_the_rotated_branch,
            sessions_are_listed_and_ended_one_by_one,
            family_and_user_revocations_outlive_their_tokens_through_a_flush,
            family_revocation_never_reaches_another_user,
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        mod endpoint_suite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    if let Some(store) = $make.await {
                        $crate::suite::$check(store).await;
                    }
                }
            )*
        }
    };
}
