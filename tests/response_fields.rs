//! Extra fields in the obtain and refresh bodies (`ResponseFields`), and
//! extra claims from the user record at login (`LoginUser::with_claims`).

mod common;
#[macro_use]
mod suite;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::{Map, Value, json};
use tower::ServiceExt;
use tower_simplejwt::clock::ManualClock;
use tower_simplejwt::endpoints::{IssuedTokens, ResponseFields, TokenEndpoints, TokenRoute};
use tower_simplejwt::{LookupError, MemoryStore, SimpleJwt, TokenType};

const NOW: u64 = 1_800_000_000;

/// A profile and the expiry instants; or a field it must not replace; or a
/// failing lookup.
enum Hook {
    Profile,
    Replaces,
    Fails,
}

impl ResponseFields for Hook {
    async fn fields(&self, issued: &IssuedTokens<'_>) -> Result<Map<String, Value>, LookupError> {
        let mut fields = Map::new();
        match self {
            Hook::Profile => {
                fields.insert(
                    "user".into(),
                    json!({ "id": issued.user_id, "name": "Alice" }),
                );
                fields.insert("access_expires_at".into(), json!(issued.expires_at));
                fields.insert(
                    "refresh_expires_at".into(),
                    json!(issued.refresh_expires_at),
                );
                fields.insert(
                    "route".into(),
                    json!(match issued.route {
                        TokenRoute::ObtainPair => "obtain_pair",
                        TokenRoute::Refresh => "refresh",
                        _ => "sliding",
                    }),
                );
            }
            Hook::Replaces => {
                fields.insert("access".into(), json!("mine"));
            }
            Hook::Fails => return Err(LookupError::new("profile service down")),
        }
        Ok(fields)
    }
}

fn app(hook: Hook) -> (Router, SimpleJwt) {
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .with_clock(ManualClock::new(NOW))
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .build()
        .unwrap();
    let router = TokenEndpoints::builder(jwt.clone())
        .with_credentials(suite::Users::default())
        .stateless()
        .with_response_fields(hook)
        .build()
        .unwrap()
        .router();
    (router, jwt)
}

async fn post(app: &Router, path: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn credentials() -> Value {
    json!({"username": "alice", "password": "wonderland"})
}

#[tokio::test]
async fn the_apps_fields_join_the_obtain_and_refresh_bodies() {
    let (app, jwt) = app(Hook::Profile);
    let (status, body) = post(&app, "/api/token/", credentials()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"], json!({"id": "1", "name": "Alice"}));
    assert_eq!(body["route"], "obtain_pair");
    let access = jwt
        .validate(body["access"].as_str().unwrap(), TokenType::Access)
        .unwrap();
    assert_eq!(
        body["access_expires_at"],
        json!(access.claims::<Value>().unwrap()["exp"])
    );
    let refresh = jwt
        .validate(body["refresh"].as_str().unwrap(), TokenType::Refresh)
        .unwrap();
    assert_eq!(
        body["refresh_expires_at"],
        json!(refresh.claims::<Value>().unwrap()["exp"])
    );

    let (status, body) = post(
        &app,
        "/api/token/refresh/",
        json!({ "refresh": body["refresh"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["route"].as_str(), &body["user"]["id"]),
        (Some("refresh"), &json!("1"))
    );
    assert!(body["refresh"].is_string() && body["access"].is_string());
}

#[tokio::test]
async fn a_hook_cannot_replace_a_token_field_and_its_failure_issues_nothing() {
    let (replacing, _) = app(Hook::Replaces);
    let (status, body) = post(&replacing, "/api/token/", credentials()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.to_string().contains("rename it"), "{body}");
    let (failing, _) = app(Hook::Fails);
    let (status, body) = post(&failing, "/api/token/", credentials()).await;
    assert_eq!(
        (status, body),
        (StatusCode::SERVICE_UNAVAILABLE, common::unavailable_body())
    );
}

/// Simple JWT's `get_token` override: claims from the user record at login.
#[tokio::test]
async fn claims_from_the_user_record_go_into_the_tokens() {
    use tower_simplejwt::endpoints::{CredentialChecker, LoginUser};
    struct WithPlan;
    impl CredentialChecker for WithPlan {
        async fn check(&self, u: &str, p: &str) -> Result<Option<LoginUser>, LookupError> {
            Ok((u == "alice" && p == "wonderland").then(|| {
                LoginUser::active("1").with_claims(&json!({"plan": "pro", "is_staff": true}))
            }))
        }
    }
    let jwt = SimpleJwt::builder()
        .with_secret(suite::SECRET)
        .build()
        .unwrap();
    let app = TokenEndpoints::builder(jwt.clone())
        .with_credentials(WithPlan)
        .stateless()
        .build()
        .unwrap()
        .router();
    let (status, body) = post(&app, "/api/token/", credentials()).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["access", "refresh"] {
        let kind = if field == "access" {
            TokenType::Access
        } else {
            TokenType::Refresh
        };
        let token = jwt.validate(body[field].as_str().unwrap(), kind).unwrap();
        assert_eq!(token.claims::<Value>().unwrap()["plan"], "pro", "{field}");
        assert_eq!(
            token.claims::<Value>().unwrap()["is_staff"],
            true,
            "{field}"
        );
    }
}
