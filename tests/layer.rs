//! The auth layer over a plain tower service: header parsing, rejections,
//! revocation checks, user resolution.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use http::{Request, Response, StatusCode};
use serde_json::json;
use tower::{ServiceExt, service_fn};
use tower_layer::Layer;
use tower_simplejwt::LookupError;
use tower_simplejwt::{
    AuthContext, AuthRejection, CurrentUser, JwtAuthLayer, MemoryStore, SimpleJwt, TokenError,
    UserRecord, UserResolver, VerifiedToken,
};

/// An inner service that echoes the user id it saw and counts calls.
fn app(
    layer: JwtAuthLayer,
    calls: Arc<AtomicUsize>,
) -> impl tower::Service<
    Request<String>,
    Response = Response<tower_simplejwt::auth::AuthBody<String>>,
    Error = Infallible,
> + Clone {
    layer.layer(service_fn(move |req: Request<String>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let ctx = req
                .extensions()
                .get::<AuthContext>()
                .expect("layer inserts the context");
            let who = ctx
                .token()
                .and_then(|t| t.user_id())
                .unwrap_or("anonymous")
                .to_owned();
            let user = req
                .extensions()
                .get::<CurrentUser<String>>()
                .map(|u| u.0.clone());
            Ok::<_, Infallible>(Response::new(format!("{who}|{}", user.unwrap_or_default())))
        }
    }))
}

async fn call(
    layer: JwtAuthLayer,
    req: Request<String>,
) -> (
    StatusCode,
    http::HeaderMap,
    serde_json::Value,
    usize,
    Option<AuthRejection>,
) {
    let calls = Arc::new(AtomicUsize::new(0));
    let res = app(layer, calls.clone()).oneshot(req).await.unwrap();
    let rejection = res.extensions().get::<AuthRejection>().copied();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = body_json(res).await;
    (
        status,
        headers,
        body,
        calls.load(Ordering::SeqCst),
        rejection,
    )
}

fn with_auth(value: &str) -> Request<String> {
    Request::builder()
        .header("authorization", value)
        .body(String::new())
        .unwrap()
}

#[tokio::test]
async fn valid_token_reaches_the_handler_with_claims() {
    let (jwt, _) = jwt();
    let token = jwt.for_user(42).access().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let res = app(jwt.layer(), calls.clone())
        .oneshot(bearer(&token))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"42|");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn anonymous_requests_pass_through_unless_required() {
    let (jwt, _) = jwt();
    let (status, _, _, calls, _) = call(jwt.layer(), Request::new(String::new())).await;
    assert_eq!((status, calls), (StatusCode::OK, 1));
    let (status, headers, body, calls, rejection) =
        call(jwt.layer().required(), Request::new(String::new())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"detail": "Authentication credentials were not provided."})
    );
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"api\"");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(calls, 0, "the inner service must not see refused requests");
    assert_eq!(rejection, Some(AuthRejection::MissingCredentials));
}

#[tokio::test]
async fn unknown_scheme_and_empty_header_are_anonymous() {
    let (jwt, _) = jwt();
    for value in ["Basic dXNlcjpwYXNz", "", "   ", "Token abc"] {
        let (status, _, body, _, _) = call(jwt.layer().required(), with_auth(value)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{value:?}");
        assert_eq!(
            body,
            json!({"detail": "Authentication credentials were not provided."}),
            "{value:?}"
        );
    }
}

#[tokio::test]
async fn scheme_without_exactly_one_token_is_bad_authorization_header() {
    let (jwt, _) = jwt();
    for value in ["Bearer", "Bearer a b", "bearer  a\tb c"] {
        let (status, headers, body, calls, _) = call(jwt.layer(), with_auth(value)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"})
        );
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer realm=\"api\", error=\"invalid_request\"")
        );
        assert_eq!(calls, 0);
    }
}

#[tokio::test]
async fn scheme_is_case_insensitive_and_whitespace_is_flexible() {
    let (jwt, _) = jwt();
    let token = jwt.for_user(1).access().unwrap();
    for value in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer \t {token}  "),
    ] {
        let (status, ..) = call(jwt.layer().required(), with_auth(&value)).await;
        assert_eq!(status, StatusCode::OK, "{value}");
    }
}

#[tokio::test]
async fn two_authorization_headers_are_rejected() {
    let (jwt, _) = jwt();
    let token = jwt.for_user(1).access().unwrap();
    let req = Request::builder()
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let (status, _, body, calls, rejection) = call(jwt.layer(), req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad_authorization_header");
    assert_eq!(
        (calls, rejection),
        (0, Some(AuthRejection::DuplicateAuthorizationHeader))
    );
}

#[tokio::test]
async fn expired_access_token_gets_401_token_not_valid() {
    let (jwt, clock) = jwt();
    let token = jwt.for_user(1).access().unwrap();
    clock.advance(minutes(5));
    let (status, headers, body, calls, rejection) = call(jwt.layer(), bearer(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, not_valid("Token is expired"));
    assert_eq!(
        headers["www-authenticate"],
        "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"Token is expired\""
    );
    assert_eq!(calls, 0);
    assert_eq!(
        rejection,
        Some(AuthRejection::InvalidToken(TokenError::Expired))
    );
}

#[tokio::test]
async fn refresh_token_on_a_protected_route_has_wrong_type() {
    let (jwt, _) = jwt();
    let pair = jwt.for_user(1).pair().await.unwrap();
    let (status, _, body, ..) = call(jwt.layer(), bearer(&pair.refresh)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, not_valid("Token has wrong type"));
}

#[tokio::test]
async fn garbage_token_is_invalid_not_a_500() {
    let (jwt, _) = jwt();
    for token in ["x", "a.b.c", "....", "eyJ.eyJ.eyJ"] {
        let (status, _, body, ..) = call(jwt.layer(), bearer(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, not_valid("Token is invalid"));
    }
    let req = Request::builder()
        .header(
            "authorization",
            http::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .body(String::new())
        .unwrap();
    let (status, _, body, ..) = call(jwt.layer(), req).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, not_valid("Token is invalid"))
    );
}

#[tokio::test]
async fn token_without_user_id_is_refused() {
    let (jwt, _) = jwt();
    let mut claims = simplejwt_claims("access", NOW);
    claims.as_object_mut().unwrap().remove("user_id");
    let token = hs256(&default_header(), &claims);
    let (status, _, body, ..) = call(jwt.layer(), bearer(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"detail": "Token contained no recognizable user identification", "code": "token_not_valid"})
    );
}

#[tokio::test]
async fn custom_header_name_and_types_are_honoured() {
    let (b, _) = builder();
    let jwt = b
        .with_auth_header_name(http::HeaderName::from_static("x-auth"))
        .with_auth_header_types(["JWT", "Bearer"])
        .build()
        .unwrap();
    let token = jwt.for_user(3).access().unwrap();
    let req = Request::builder()
        .header("x-auth", format!("jwt {token}"))
        .body(String::new())
        .unwrap();
    let (status, ..) = call(jwt.layer().required(), req).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, ..) = call(jwt.layer().required(), bearer(&token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "Authorization is not the configured header"
    );
    assert_eq!(headers["www-authenticate"], "JWT realm=\"api\"");
}

#[tokio::test]
async fn cookie_carries_the_token_for_browser_apps() {
    let (b, _) = builder();
    let jwt = b.with_auth_cookie("access_token").build().unwrap();
    let token = jwt.for_user(8).access().unwrap();
    let req = Request::builder()
        .header("cookie", format!("theme=dark; access_token={token}"))
        .body(String::new())
        .unwrap();
    let (status, ..) = call(jwt.layer().required(), req).await;
    assert_eq!(status, StatusCode::OK);
    let req = Request::builder()
        .header("cookie", "access_token=garbage")
        .body(String::new())
        .unwrap();
    let (status, _, body, ..) = call(jwt.layer(), req).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, not_valid("Token is invalid"))
    );
}

fn revoking(
    store: impl tower_simplejwt::RevocationStore,
) -> (SimpleJwt, tower_simplejwt::clock::ManualClock) {
    let (b, clock) = builder();
    (
        b.with_store(store)
            .with_access_revocation(true)
            .build()
            .unwrap(),
        clock,
    )
}

#[tokio::test]
async fn blacklisted_access_token_is_refused_when_access_revocation_is_on() {
    let (jwt, _) = revoking(MemoryStore::new());
    let token = jwt.for_user(1).access().unwrap();
    assert_eq!(call(jwt.layer(), bearer(&token)).await.0, StatusCode::OK);
    let verified = jwt.validate_access(&token).unwrap();
    assert!(jwt.blacklist(&verified).await.unwrap());
    let (status, _, body, calls, _) = call(jwt.layer(), bearer(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, not_valid("Token is blacklisted"));
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn logout_everywhere_revokes_earlier_tokens_only() {
    let (jwt, clock) = revoking(MemoryStore::new());
    let old = jwt.for_user(1).access().unwrap();
    let other_user = jwt.for_user(2).access().unwrap();
    jwt.logout_everywhere("1").await.unwrap();
    assert_eq!(
        call(jwt.layer(), bearer(&old)).await.2,
        not_valid("Token is blacklisted")
    );
    assert_eq!(
        call(jwt.layer(), bearer(&other_user)).await.0,
        StatusCode::OK
    );
    clock.advance(std::time::Duration::from_secs(1));
    let fresh = jwt.for_user(1).access().unwrap();
    assert_eq!(call(jwt.layer(), bearer(&fresh)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn store_down_fails_closed_with_503() {
    let (jwt, _) = revoking(down_store());
    let token = jwt.for_user(1).access().unwrap();
    let (status, headers, body, calls, rejection) = call(jwt.layer(), bearer(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, unavailable_body());
    assert!(
        !body.to_string().contains("connection refused"),
        "store details leaked"
    );
    assert_eq!(headers["retry-after"], "1");
    assert_eq!((calls, rejection), (0, Some(AuthRejection::Unavailable)));
    // Anonymous requests do not need the store.
    assert_eq!(
        call(jwt.layer(), Request::new(String::new())).await.0,
        StatusCode::OK
    );
}

#[derive(Clone)]
struct Users;

impl UserResolver for Users {
    type User = String;
    async fn resolve(
        &self,
        user_id: &str,
        _token: &VerifiedToken,
    ) -> Result<Option<UserRecord<String>>, LookupError> {
        Ok(match user_id {
            "1" => Some(UserRecord::active("alice".to_owned())),
            "2" => Some(UserRecord::inactive("bob".into())),
            "3" => Some(UserRecord::active("carol".into()).with_password_fingerprint("v2")),
            "500" => {
                return Err(tower_simplejwt::LookupError::new("db down"));
            }
            _ => None,
        })
    }
}

#[tokio::test]
async fn user_resolution_maps_to_the_contract_401s() {
    let (b, _) = builder();
    let jwt = b.with_check_revoke_token(true).build().unwrap();
    let layer = jwt.layer().with_user_resolver(Users);
    let token = |id: &str, fp: Option<&str>| {
        let b = jwt.for_user(id);
        match fp {
            Some(fp) => b.with_password_fingerprint(fp).access().unwrap(),
            None => b.access().unwrap(),
        }
    };
    let calls = Arc::new(AtomicUsize::new(0));
    let res = app(layer.clone(), calls)
        .oneshot(bearer(&token("1", None)))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"1|alice");

    let cases = [
        (
            "9",
            None,
            json!({"detail": "User not found", "code": "user_not_found"}),
        ),
        (
            "2",
            None,
            json!({"detail": "User is inactive", "code": "user_inactive"}),
        ),
        (
            "3",
            Some("v1"),
            json!({"detail": "The user's password has been changed.", "code": "password_changed"}),
        ),
    ];
    for (id, fp, expected) in cases {
        let (status, headers, body, calls, _) = call(layer.clone(), bearer(&token(id, fp))).await;
        assert_eq!((status, calls), (StatusCode::UNAUTHORIZED, 0), "user {id}");
        assert_eq!(body, expected);
        assert!(headers.contains_key("www-authenticate"));
    }
    assert_eq!(
        call(layer.clone(), bearer(&token("3", Some("v2")))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(layer, bearer(&token("500", None))).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn inactive_users_pass_when_the_check_is_off() {
    let (b, _) = builder();
    let jwt = b.with_check_user_is_active(false).build().unwrap();
    let token = jwt.for_user(2).access().unwrap();
    assert_eq!(
        call(jwt.layer().with_user_resolver(Users), bearer(&token))
            .await
            .0,
        StatusCode::OK
    );
}
