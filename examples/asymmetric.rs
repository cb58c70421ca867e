//! ES256 keys with a key id: the issuer signs and serves its public JWK Set
//! at `/.well-known/jwks.json`; a second service fetches it and validates
//! tokens with the public key only.
//!
//! ```text
//! cargo run --example asymmetric -- 127.0.0.1:3001 127.0.0.1:3002
//! ```
//! Log in at the issuer as `ada`/`lovelace`, then call `GET /api/orders/` on
//! the resource service. The bundled key is for this demo only: make your
//! own with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{Algorithm, Claims, Key, MemoryStore, SimpleJwt};

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

async fn fetch_jwks(url: &str) -> JwkSet {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let res = client
        .get(url.parse().expect("JWKS URL"))
        .await
        .expect("fetch the JWK Set");
    let body = res
        .into_body()
        .collect()
        .await
        .expect("read the JWK Set")
        .to_bytes();
    serde_json::from_slice(&body).expect("a JWK Set")
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let issuer_addr = args.next().unwrap_or_else(|| "127.0.0.1:3001".into());
    let resource_addr = args.next().unwrap_or_else(|| "127.0.0.1:3002".into());

    // The issuer: private key, kid, every token route and the JWK Set.
    let issuer = SimpleJwt::builder()
        .with_signing_key(
            Key::private_pem(Algorithm::ES256, DEMO_PRIVATE_KEY).with_kid("demo-es256-2026-11"),
        )
        .with_store(MemoryStore::new())
        .build()
        .expect("valid issuer settings");
    let issuer_app = TokenEndpoints::builder(issuer.clone())
        .with_credentials(Users)
        .stateless()
        .build()
        .expect("valid endpoints")
        .router::<()>();
    let listener = tokio::net::TcpListener::bind(&issuer_addr)
        .await
        .expect("bind issuer");
    let issuer_url = format!("http://{}", listener.local_addr().unwrap());
    println!("listening on {issuer_url} (issuer)");
    tokio::spawn(async move { axum::serve(listener, issuer_app).await.expect("issuer") });

    // The resource service: public keys only, taken from the issuer's JWK Set.
    let jwks = fetch_jwks(&format!("{issuer_url}/.well-known/jwks.json")).await;
    let verifier = SimpleJwt::builder()
        .with_jwk_set(&jwks, Algorithm::ES256)
        .build()
        .expect("valid resource settings");
    let resource_app = Router::new()
        .route(
            "/api/orders/",
            get(|Claims(c): Claims<serde_json::Value>| async move {
                format!("orders of user {}", c["user_id"])
            }),
        )
        .layer(verifier.layer().required());
    let listener = tokio::net::TcpListener::bind(&resource_addr)
        .await
        .expect("bind resource");
    println!(
        "listening on http://{} (resource)",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, resource_app).await.expect("resource");
}
