//! Passwordless login with a one-time code: the code is printed to the
//! console instead of being sent; a correct code mints a pair from app code,
//! and the normal refresh and blacklist routes take it from there.
//!
//! ```text
//! cargo run --example passwordless -- 127.0.0.1:3000
//! curl -X POST localhost:3000/otp/request -H 'content-type: application/json' -d '{"email": "a@example.com"}'
//! curl -X POST localhost:3000/otp/verify -H 'content-type: application/json' -d '{"email": "a@example.com", "code": "<code>"}'
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::{Claims, MemoryStore, SimpleJwt};

/// A pending code: the code, its expiry, and the attempts left.
type Pending = (String, Instant, u8);

#[derive(Clone)]
struct AppState {
    jwt: SimpleJwt,
    /// email -> pending code
    codes: Arc<Mutex<HashMap<String, Pending>>>,
}

#[derive(Deserialize)]
struct OtpRequest {
    email: String,
}

#[derive(Deserialize)]
struct OtpVerify {
    email: String,
    code: String,
}

async fn request_code(State(state): State<AppState>, Json(body): Json<OtpRequest>) -> Json<Value> {
    let email = body.email.trim().to_lowercase();
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    // Stand-in for sending an email or SMS.
    println!("OTP for {email}: {code}");
    state
        .codes
        .lock()
        .unwrap()
        .insert(email, (code, Instant::now() + Duration::from_secs(300), 5));
    Json(json!({ "detail": "If the address exists, a code was sent." }))
}

async fn verify_code(
    State(state): State<AppState>,
    Json(body): Json<OtpVerify>,
) -> (StatusCode, Json<Value>) {
    let email = body.email.trim().to_lowercase();
    let valid = {
        let mut codes = state.codes.lock().unwrap();
        match codes.get_mut(&email) {
            Some((code, expires, attempts)) if *expires > Instant::now() && *attempts > 0 => {
                *attempts -= 1;
                let ok = constant_time_eq(code.as_bytes(), body.code.trim().as_bytes());
                if ok {
                    codes.remove(&email); // one-time
                }
                ok
            }
            _ => false,
        }
    };
    if !valid {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "detail": "Invalid or expired code." })),
        );
    }
    // No password anywhere: the app vouches for the user and mints the pair.
    let minted = state
        .jwt
        .for_user(&email)
        .with_claim("amr", ["otp"])
        .pair()
        .await;
    match minted {
        Ok(pair) => (
            StatusCode::OK,
            Json(json!({ "refresh": pair.refresh, "access": pair.access })),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "detail": "Try again later." })),
        ),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct Me {
    user_id: String,
    amr: Vec<String>,
}

async fn me(Claims(me): Claims<Me>) -> Json<Value> {
    Json(json!({ "email": me.user_id, "login_method": me.amr }))
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let jwt = SimpleJwt::builder()
        .with_secret(
            std::env::var("JWT_SECRET")
                .unwrap_or_else(|_| "passwordless-example-secret-change-me!!".into()),
        )
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .expect("valid settings");
    let state = AppState {
        jwt: jwt.clone(),
        codes: Arc::default(),
    };
    let app = Router::new()
        .route("/api/me/", get(me))
        // No credential checker: only refresh, verify, blacklist and friends.
        .merge(
            TokenEndpoints::builder(jwt.clone())
                .stateless()
                .build()
                .expect("valid endpoints")
                .router(),
        )
        .layer(jwt.layer())
        // The OTP routes log users in: like the token routes, they sit
        // outside the auth layer, so a stale access token never blocks them.
        .route("/otp/request", post(request_code))
        .route("/otp/verify", post(verify_code))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.expect("server");
}
