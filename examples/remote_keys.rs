//! Tokens from an identity provider, verified with the keys it publishes
//! (Simple JWT's `JWK_URL`): the API finds the provider's JWK Set through
//! OpenID Connect discovery and keeps it fresh in the background. A key the
//! provider rotates in is fetched by the first token that uses it; if the
//! provider becomes unreachable, the last good set keeps serving for a
//! bounded time, then the API answers 503 (never a 401 that logs users out).
//!
//! ```text
//! cargo run --example remote_keys -- 127.0.0.1:3001 127.0.0.1:3002
//! ```
//! Log in at the provider (`POST /api/token/` as `ada`/`lovelace`), then call
//! `GET /api/me/` on the API with the access token. `GET /healthz` on the API
//! says whether its keys are loaded. Here the provider is a second
//! tower-simplejwt service in the same process; in production it is
//! Keycloak, Auth0, Okta, Cognito... and its URL is HTTPS.

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{Algorithm, Claims, Key, RemoteKeySet, RemoteKeys, SimpleJwt};

const DEMO_PRIVATE_KEY: &str = include_str!("../tests/keys/es256.pem");

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

/// The identity provider: signs with its private key, serves its token
/// routes, its JWK Set and an OpenID Connect discovery document.
async fn provider(addr: &str) -> String {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("bind the provider");
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let jwt = SimpleJwt::builder()
        .with_signing_key(
            Key::private_pem(Algorithm::ES256, DEMO_PRIVATE_KEY).with_kid("idp-2026-12"),
        )
        .with_issuer(&issuer)
        .build()
        .expect("valid provider settings");
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
    });
    let app = TokenEndpoints::builder(jwt)
        .with_credentials(Users)
        .stateless()
        .build()
        .expect("valid provider endpoints")
        .router()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        );
    println!("listening on {issuer} (identity provider)");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("provider") });
    issuer
}

#[derive(serde::Deserialize)]
struct User {
    user_id: String,
}

/// `GET /healthz`: 200 when the provider's keys are usable, else 503.
async fn health(keys: RemoteKeySet) -> (StatusCode, Json<Value>) {
    let h = keys.health();
    let status = if h.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "ready": h.ready,
        "stale": h.stale,
        "keys": h.keys,
        "fetches": h.fetches,
        "failures": h.failures,
    });
    (status, Json(body))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let provider_addr = args.next().unwrap_or_else(|| "127.0.0.1:3001".into());
    let api_addr = args.next().unwrap_or_else(|| "127.0.0.1:3002".into());
    let issuer = provider(&provider_addr).await;

    // The API. `load` fails fast if the provider cannot be reached; use
    // `start` instead to come up degraded (503) until it can.
    let keys = RemoteKeys::discover(&issuer)
        .on_fetch(|event| match &event.outcome {
            Ok(keys) => println!(
                "fetched {} ({:?}): kids {:?}",
                event.url, event.trigger, keys.kids
            ),
            Err(e) => println!("fetching {} failed ({:?}): {e}", event.url, event.trigger),
        })
        .load()
        .await
        .expect("the provider's keys");
    // Verify only: no signing key, so no minting routes are mounted.
    let jwt = SimpleJwt::builder()
        .with_remote_keys(keys.clone())
        .build()
        .expect("valid API settings");
    let app = Router::new()
        .route(
            "/api/me/",
            get(|Claims(user): Claims<User>| async move { Json(user.user_id) }),
        )
        .layer(jwt.layer().required())
        .route("/healthz", get(move || health(keys.clone())))
        .merge(
            TokenEndpoints::builder(jwt)
                .stateless()
                .build()
                .expect("valid API endpoints")
                .router(),
        );
    let listener = tokio::net::TcpListener::bind(&api_addr)
        .await
        .expect("bind the API");
    println!(
        "listening on http://{} (API)",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, app).await.expect("API");
}
