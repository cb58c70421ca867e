//! The layer and extractors under axum 0.8.

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::*;
use http::{Request, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;
use tower_simplejwt::{Claims, CurrentUser, UserRecord, UserResolver, VerifiedToken};

#[derive(Deserialize)]
struct MyClaims {
    user_id: String,
    #[serde(default)]
    role: Option<String>,
}

async fn me(Claims(c): Claims<MyClaims>) -> String {
    format!("{}:{}", c.user_id, c.role.unwrap_or_default())
}

async fn greet(claims: Option<Claims<MyClaims>>) -> String {
    match claims {
        Some(Claims(c)) => format!("hello {}", c.user_id),
        None => "hello stranger".to_owned(),
    }
}

async fn token_info(token: VerifiedToken) -> String {
    token.jti().to_owned()
}

fn router(jwt: &tower_simplejwt::SimpleJwt) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/greet", get(greet))
        .route("/jti", get(token_info))
        .layer(jwt.layer())
}

async fn get_with(app: Router, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn router_layer_feeds_claims_to_handlers() {
    let (jwt, _) = jwt();
    let token = jwt
        .for_user(7)
        .with_claim("role", "admin")
        .access()
        .unwrap();
    assert_eq!(
        get_with(router(&jwt), "/me", Some(&token)).await,
        (StatusCode::OK, "7:admin".into())
    );
    assert_eq!(
        get_with(router(&jwt), "/greet", Some(&token)).await,
        (StatusCode::OK, "hello 7".into())
    );
    let jti = jwt.validate_access(&token).unwrap().jti().to_owned();
    assert_eq!(
        get_with(router(&jwt), "/jti", Some(&token)).await,
        (StatusCode::OK, jti)
    );
}

#[tokio::test]
async fn claims_extractor_without_credentials_is_401_and_option_is_none() {
    let (jwt, _) = jwt();
    let app = router(&jwt);
    let res = app
        .clone()
        .oneshot(Request::builder().uri("/me").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"api\"");
    assert_eq!(
        body_json(res).await,
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(
        get_with(app, "/greet", None).await,
        (StatusCode::OK, "hello stranger".into())
    );
}

#[tokio::test]
async fn bad_token_is_refused_by_the_layer_under_axum() {
    let (jwt, clock) = jwt();
    let token = jwt.for_user(7).access().unwrap();
    clock.advance(minutes(6));
    let res = router(&jwt)
        .oneshot(
            Request::builder()
                .uri("/greet")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(res).await, not_valid("Token is expired"));
}

#[tokio::test]
async fn route_layer_protects_only_matched_routes() {
    let (jwt, _) = jwt();
    let app = Router::new()
        .route("/private", get(me))
        .route_layer(jwt.layer().required())
        .route("/public", get(|| async { "open" }));
    assert_eq!(
        get_with(app.clone(), "/public", None).await,
        (StatusCode::OK, "open".into())
    );
    assert_eq!(
        get_with(app.clone(), "/private", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Unknown paths stay 404 instead of 401 with route_layer.
    assert_eq!(
        get_with(app, "/nowhere", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn extractor_without_the_layer_is_a_500_naming_the_fix() {
    let app = Router::new().route("/me", get(me));
    let (status, body) = get_with(app, "/me", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("JwtAuthLayer"), "{body}");
}

#[tokio::test]
async fn claims_that_do_not_fit_the_type_are_401() {
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct NeedsTenant {
        tenant: u64,
    }
    let (jwt, _) = jwt();
    let app = Router::new()
        .route("/t", get(|_c: Claims<NeedsTenant>| async { "ok" }))
        .layer(jwt.layer());
    let token = jwt.for_user(1).access().unwrap();
    let (status, body) = get_with(app, "/t", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"detail": "Token is invalid", "code": "token_not_valid"})
    );
}

#[derive(Clone)]
struct Users;

#[derive(Clone, Debug)]
struct User {
    name: String,
}

impl UserResolver for Users {
    type User = User;
    async fn resolve(
        &self,
        user_id: &str,
        _: &VerifiedToken,
    ) -> Result<Option<UserRecord<User>>, tower_simplejwt::LookupError> {
        Ok((user_id == "7").then(|| UserRecord::active(User { name: "ada".into() })))
    }
}

#[tokio::test]
async fn current_user_extractor_reads_the_resolved_user() {
    let (jwt, _) = jwt();
    let app =
        Router::new()
            .route(
                "/who",
                get(|CurrentUser(u): CurrentUser<User>| async move { u.name }),
            )
            .route(
                "/maybe",
                get(|u: Option<CurrentUser<User>>| async move {
                    u.map_or("nobody".into(), |u| u.0.name)
                }),
            )
            .layer(jwt.layer().with_user_resolver(Users));
    let token = jwt.for_user(7).access().unwrap();
    assert_eq!(
        get_with(app.clone(), "/who", Some(&token)).await,
        (StatusCode::OK, "ada".into())
    );
    assert_eq!(
        get_with(app.clone(), "/maybe", None).await,
        (StatusCode::OK, "nobody".into())
    );
    assert_eq!(
        get_with(app.clone(), "/who", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let stranger = jwt.for_user(8).access().unwrap();
    let (status, body) = get_with(app, "/who", Some(&stranger)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("user_not_found"));
}

#[tokio::test]
async fn current_user_without_a_resolver_is_a_500_naming_the_fix() {
    let (jwt, _) = jwt();
    let app = Router::new()
        .route(
            "/who",
            get(|CurrentUser(u): CurrentUser<User>| async move { u.name }),
        )
        .layer(jwt.layer());
    let token = jwt.for_user(7).access().unwrap();
    let (status, body) = get_with(app, "/who", Some(&token)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("with_user_resolver"), "{body}");
}
