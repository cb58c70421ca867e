//! Seeded random inputs: no token, header or body an attacker can send makes
//! the crate panic or answer 5xx.

mod common;

use std::sync::Arc;

use axum::body::Body;
use common::*;
use http::Request;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tower::ServiceExt;
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::{MemoryStore, SimpleJwt, TokenType};

fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..4) {
            0 if !out.is_empty() => {
                let i = rng.random_range(0..out.len());
                out[i] = rng.random();
            }
            1 if !out.is_empty() => {
                let i = rng.random_range(0..out.len());
                out.remove(i);
            }
            2 => {
                let i = rng.random_range(0..=out.len());
                let alphabet = b".-_={}\"\\ 0aZ";
                out.insert(i, alphabet[rng.random_range(0..alphabet.len())]);
            }
            _ => out.truncate(rng.random_range(0..=out.len())),
        }
    }
    out
}

#[test]
fn random_tokens_never_panic() {
    let (jwt, _) = jwt();
    let valid = jwt.for_user(1).access().unwrap();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for _ in 0..20_000 {
        let bytes = mutate(&mut rng, valid.as_bytes());
        let token = String::from_utf8_lossy(&bytes);
        for t in [TokenType::Access, TokenType::Refresh, TokenType::Sliding] {
            let _ = jwt.validate(&token, t);
        }
        let _ = jwt.validate_untyped(&token);
    }
}

#[tokio::test]
async fn random_headers_and_bodies_get_4xx_never_5xx() {
    let (b, _) = builder();
    let jwt: SimpleJwt = b
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .with_access_revocation(true)
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/p", axum::routing::get(|| async { "ok" }))
        .merge(endpoints.router())
        .layer(jwt.layer().required());
    let pair = jwt.for_user(1).pair().await.unwrap();
    let mut rng = StdRng::seed_from_u64(42);
    let bodies = [
        format!(r#"{{"refresh": "{}"}}"#, pair.refresh),
        format!(r#"{{"token": "{}"}}"#, pair.access),
        r#"{"username": "a", "password": "b"}"#.to_owned(),
    ];
    let paths = [
        "/api/token/refresh/",
        "/api/token/verify/",
        "/api/token/blacklist/",
        "/api/token/sliding/refresh/",
        "/api/token/",
    ];
    let app = Arc::new(app);
    // Answers only an endpoint gives (the layer answers 401 alone): proof
    // that the mangled bodies are parsed by the endpoints, not refused
    // before them.
    let mut parsed = 0;
    for i in 0..3_000 {
        // A mangled Authorization header on a protected route.
        let header = mutate(&mut rng, format!("Bearer {}", pair.access).as_bytes());
        if let Ok(value) = http::HeaderValue::from_bytes(&header) {
            let req = Request::get("/p")
                .header("authorization", value)
                .body(Body::empty())
                .unwrap();
            let status = (*app).clone().oneshot(req).await.unwrap().status();
            assert!(
                status.is_success() || status.is_client_error(),
                "header {header:?}: {status}"
            );
        }
        // A mangled body on a token endpoint.
        let body = mutate(&mut rng, bodies[i % bodies.len()].as_bytes());
        let content_type = [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
        ][i % 3];
        let req = Request::post(paths[i % paths.len()])
            .header("content-type", content_type)
            .body(Body::from(body.clone()))
            .unwrap();
        let status = (*app).clone().oneshot(req).await.unwrap().status();
        assert!(
            status.is_success() || status.is_client_error(),
            "body {:?}: {status}",
            String::from_utf8_lossy(&body)
        );
        parsed += usize::from(status != http::StatusCode::UNAUTHORIZED);
    }
    assert!(
        parsed > 1_500,
        "only {parsed} of 3000 bodies reached an endpoint's parser"
    );
}
