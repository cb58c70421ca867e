//! The documented ways of mounting the token routes, exactly as the README
//! and the docs write them: a client that sends its expired (or garbage)
//! access token on every request can still log in and refresh, because the
//! token routes ignore the `Authorization` header as Simple JWT's do.

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{Claims, MemoryStore, SimpleJwt, TokenPaths};

#[derive(serde::Deserialize)]
struct MyClaims {
    user_id: String,
}

struct Users;

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        Ok((username == "ada" && password == "lovelace").then(|| LoginUser::active("1")))
    }
}

/// An access token signed with the right secret that expired a minute ago.
fn expired_access() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = common::simplejwt_claims("access", now - 600);
    claims["user_id"] = json!("1");
    common::hs256(&common::default_header(), &claims)
}

fn post(path: &str, body: &Value, authorization: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path).header("content-type", "application/json");
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

async fn send<S>(svc: &S, req: Request<Body>) -> (StatusCode, Value)
where
    S: tower::Service<Request<Body>, Error = std::convert::Infallible> + Clone,
    S::Response: Into<http::Response<Body>>,
{
    let res: http::Response<Body> = svc.clone().oneshot(req).await.unwrap().into();
    let status = res.status();
    (status, common::body_json(res).await)
}

/// The stale headers a frontend may send along.
fn stale_headers() -> Vec<String> {
    vec![
        format!("Bearer {}", expired_access()),
        "Bearer not.a.token".to_owned(),
        "Bearer two parts".to_owned(),
    ]
}

/// Login answers with and without a stale header are the same, and a refresh
/// with one succeeds.
async fn token_routes_ignore_stale_headers<S>(app: &S, jwt: &SimpleJwt, login: Value)
where
    S: tower::Service<Request<Body>, Error = std::convert::Infallible> + Clone,
    S::Response: Into<http::Response<Body>>,
{
    let clean = send(app, post("/api/token/", &login, None)).await;
    for stale in stale_headers() {
        let (status, body) = send(app, post("/api/token/", &login, Some(&stale))).await;
        assert_eq!(status, clean.0, "login with {stale:?}: {body}");
        assert_eq!(
            body.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            clean.1.as_object().map(|o| o.keys().collect())
        );

        let pair = jwt.for_user(1).pair().await.unwrap();
        let (status, body) = send(
            app,
            post(
                "/api/token/refresh/",
                &json!({"refresh": pair.refresh}),
                Some(&stale),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "refresh with {stale:?}: {body}");
        assert!(body["access"].is_string());
        // With rotation the old refresh token is spent: log out with the new one.
        let refresh = body["refresh"].as_str().unwrap_or(&pair.refresh).to_owned();
        let (status, body) = send(
            app,
            post(
                "/api/token/verify/",
                &json!({"token": pair.access}),
                Some(&stale),
            ),
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({})),
            "verify with {stale:?}"
        );
        if jwt.store().is_some() {
            let (status, body) = send(
                app,
                post(
                    "/api/token/blacklist/",
                    &json!({"refresh": refresh}),
                    Some(&stale),
                ),
            )
            .await;
            assert_eq!(
                (status, body),
                (StatusCode::OK, json!({})),
                "logout with {stale:?}"
            );
        }
    }
}

fn secret() -> &'static [u8] {
    common::SECRET
}

/// README, "Axum in 15 lines": the composition as written there.
#[tokio::test]
async fn readme_axum_example_refreshes_and_logs_in_with_a_stale_header() {
    let readme = include_str!("../README.md");
    for line in [
        "    let endpoints = TokenEndpoints::builder(jwt.clone()).stateless().build()?; // no users table yet",
        "        .route(\"/api/me/\", get(|Claims(c): Claims<MyClaims>| async move { c.user_id }))",
        "        .merge(endpoints.router()) // /api/token/refresh/, /verify/, /blacklist/...: the layer leaves them alone",
        "        .layer(jwt.layer());",
    ] {
        assert!(
            readme.contains(line),
            "the README no longer says {line:?}: update this test"
        );
    }
    let jwt = SimpleJwt::builder()
        .with_secret(secret())
        .with_store(MemoryStore::new())
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap();
    let app: Router = Router::new()
        .route(
            "/api/me/",
            get(|Claims(c): Claims<MyClaims>| async move { c.user_id }),
        )
        .merge(endpoints.router())
        .layer(jwt.layer());
    token_routes_ignore_stale_headers(
        &app,
        &jwt,
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    // The protected route still refuses the same stale header.
    let (status, body) = send(
        &app,
        Request::get("/api/me/")
            .header("authorization", format!("Bearer {}", expired_access()))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            common::not_valid("Token is expired")
        )
    );
}

/// The same composition with a login route and a required layer: the token
/// routes stay open, everything else needs a token.
#[tokio::test]
async fn token_routes_behind_a_required_layer_stay_open() {
    let jwt = SimpleJwt::builder()
        .with_secret(secret())
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(Users)
        .stateless()
        .build()
        .unwrap();
    let app: Router = Router::new()
        .route(
            "/api/me/",
            get(|Claims(c): Claims<MyClaims>| async move { c.user_id }),
        )
        .merge(endpoints.router())
        .layer(jwt.layer().required());
    token_routes_ignore_stale_headers(
        &app,
        &jwt,
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    let (status, body) = send(
        &app,
        post(
            "/api/token/",
            &json!({"username": "ada", "password": "lovelace"}),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Log-out-everywhere authenticates its caller: a stale header is refused.
    let (status, body) = send(
        &app,
        Request::post("/api/token/logout_all/")
            .header("authorization", format!("Bearer {}", expired_access()))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            common::not_valid("Token is expired")
        )
    );
    // The JWK Set and a CORS preflight of a token route ignore a stale
    // header too; a preflight of a protected route does not.
    for stale in stale_headers() {
        let get = |path: &str, method: http::Method| {
            Request::builder()
                .method(method)
                .uri(path)
                .header("authorization", &stale)
                .body(Body::empty())
                .unwrap()
        };
        let (status, body) = send(&app, get("/.well-known/jwks.json", http::Method::GET)).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"keys": []})),
            "{stale}"
        );
        let (status, _) = send(&app, get("/.well-known/jwks.json", http::Method::HEAD)).await;
        assert_eq!(status, StatusCode::OK, "{stale}");
        let (status, _) = send(&app, get("/api/token/refresh/", http::Method::OPTIONS)).await;
        assert_eq!(status, StatusCode::OK, "{stale}");
        let (status, _) = send(&app, get("/api/me/", http::Method::OPTIONS)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{stale}");
        let (status, _) = send(&app, get("/api/token/logout_all/", http::Method::POST)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{stale}");
    }
    // A path that only ends like a token route is not one.
    let (status, _) = send(&app, post("/x/api/token/refresh/", &json!({}), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Moved routes: the layer follows `with_token_paths`.
#[tokio::test]
async fn moved_token_routes_are_still_left_alone() {
    let jwt = SimpleJwt::builder()
        .with_secret(secret())
        .with_token_paths(TokenPaths::with_prefix("/auth"))
        .build()
        .unwrap();
    let app: Router = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap()
        .router()
        .layer(jwt.layer().required());
    let pair = jwt.for_user(1).pair().await.unwrap();
    for stale in stale_headers() {
        let (status, body) = send(
            &app,
            post(
                "/auth/refresh/",
                &json!({"refresh": pair.refresh}),
                Some(&stale),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{stale}: {body}");
    }
    let (status, _) = send(
        &app,
        post(
            "/api/token/refresh/",
            &json!({"refresh": pair.refresh}),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old path is not a token route any more"
    );
}

/// README, "Endpoints": the hyper path router, here wrapped whole in the
/// layer as a plain tower service.
#[tokio::test]
async fn hyper_path_router_behind_the_layer_refreshes_with_a_stale_header() {
    let jwt = SimpleJwt::builder()
        .with_secret(secret())
        .with_store(MemoryStore::new())
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(Users)
        .stateless()
        .build()
        .unwrap();
    let router = service_fn(move |req: Request<Body>| {
        let endpoints = endpoints.clone();
        async move {
            let res = match req.uri().path() {
                "/api/token/" => endpoints.obtain_pair().oneshot(req).await,
                "/api/token/refresh/" => endpoints.refresh().oneshot(req).await,
                "/api/token/verify/" => endpoints.verify().oneshot(req).await,
                "/api/token/blacklist/" => endpoints.blacklist().oneshot(req).await,
                _ => Ok(http::Response::builder()
                    .status(404)
                    .body(Default::default())
                    .unwrap()),
            }?;
            Ok::<_, std::convert::Infallible>(res.map(Body::new))
        }
    });
    let app = ServiceBuilder::new()
        .layer(jwt.layer().required())
        .service(router)
        .map_response(|res| res.map(Body::new));
    token_routes_ignore_stale_headers(
        &app,
        &jwt,
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
}

/// Token paths must be usable: rooted and distinct.
#[test]
fn token_paths_are_checked_at_build_time() {
    let mut paths = TokenPaths::default();
    paths.verify = paths.refresh.clone();
    let err = SimpleJwt::builder()
        .with_secret(secret())
        .with_token_paths(paths)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("refresh and verify are both"),
        "{err}"
    );
    let mut paths = TokenPaths::default();
    paths.jwks = "jwks.json".into();
    let err = SimpleJwt::builder()
        .with_secret(secret())
        .with_token_paths(paths)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("must start with '/'"), "{err}");
    let err = SimpleJwt::builder()
        .with_secret(secret())
        .with_token_paths(TokenPaths::with_prefix(""))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not the root"), "{err}");
}

/// The one way left to get it wrong: token routes behind the layer at paths
/// it does not know. Every request there fails at once, with the fix.
#[tokio::test]
async fn token_routes_behind_the_layer_at_unknown_paths_fail_loudly() {
    let jwt = SimpleJwt::builder().with_secret(secret()).build().unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap();
    let pair = jwt.for_user(1).pair().await.unwrap();
    let body = json!({"refresh": pair.refresh});

    // Nested under a prefix the paths do not carry, with the layer outside.
    let nested: Router = Router::new()
        .nest("/v1", endpoints.router())
        .layer(jwt.layer());
    // A single endpoint wrapped in the layer by hand, at its own path.
    let by_hand = ServiceBuilder::new()
        .map_response(|res: http::Response<_>| res.map(Body::new))
        .layer(jwt.layer())
        .service(service_fn(move |req: Request<Body>| {
            endpoints.refresh().oneshot(req)
        }));
    for (status, body) in [
        send(&nested, post("/v1/api/token/refresh/", &body, None)).await,
        send(&by_hand, post("/auth/refresh", &body, None)).await,
    ] {
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("with_token_paths") && detail.contains("outside the layer"),
            "{detail}"
        );
    }
    // The same endpoint without the layer is fine anywhere.
    let bare = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap()
        .refresh()
        .oneshot(post("/anywhere", &body, None))
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::OK);
}
