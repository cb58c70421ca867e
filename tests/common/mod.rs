//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod example;
pub mod http_client;
pub mod jwks;
pub mod services;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Request, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_simplejwt::clock::ManualClock;
use tower_simplejwt::{SimpleJwt, SimpleJwtBuilder};

pub const SECRET: &[u8] = b"test-secret-that-is-at-least-32-bytes-long!";
pub const NOW: u64 = 1_800_000_000;

/// A builder with the test secret and a manual clock at `NOW`.
pub fn builder() -> (SimpleJwtBuilder, ManualClock) {
    let clock = ManualClock::new(NOW);
    (
        SimpleJwt::builder()
            .with_secret(SECRET)
            .with_clock(clock.clone()),
        clock,
    )
}

pub fn jwt() -> (SimpleJwt, ManualClock) {
    let (b, clock) = builder();
    (b.build().unwrap(), clock)
}

/// Signs arbitrary header and claims JSON with HS256 the way PyJWT does,
/// independent of the crate under test.
pub fn hs256(header: &Value, claims: &Value) -> String {
    sign_raw(
        &serde_json::to_vec(header).unwrap(),
        &serde_json::to_vec(claims).unwrap(),
        SECRET,
    )
}

pub fn sign_raw(header: &[u8], payload: &[u8], secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(msg.as_bytes());
    format!(
        "{msg}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Simple JWT's access claims for `user_id` at `now`.
pub fn simplejwt_claims(token_type: &str, now: u64) -> Value {
    json!({
        "token_type": token_type,
        "exp": now + 300,
        "iat": now,
        "jti": "0123456789abcdef0123456789abcdef",
        "user_id": "42",
    })
}

pub fn default_header() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

pub fn bearer<B: Default>(token: &str) -> Request<B> {
    Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(B::default())
        .unwrap()
}

pub async fn body_json<B>(res: Response<B>) -> Value
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) }))
}

pub fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

/// The body of every 503: the store is down, nothing was accepted or issued.
pub fn unavailable_body() -> Value {
    json!({"detail": "Service temporarily unavailable.", "code": "service_unavailable"})
}

/// The protected-route body for a bad access token.
pub fn not_valid(message: &str) -> Value {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
    })
}

/// A store whose backend is down: every call fails (the testing kit's).
pub fn down_store() -> tower_simplejwt::testing::FailingStore<tower_simplejwt::MemoryStore> {
    tower_simplejwt::testing::FailingStore::down(tower_simplejwt::MemoryStore::new())
}
