//! Typed custom claims (roles, tenant) added at login and read in handlers,
//! with a role check.
//!
//! ```text
//! cargo run --example custom_claims -- 127.0.0.1:3000
//! ```
//! Users: `admin`/`admin-pass` (roles admin, staff) and `viewer`/`viewer-pass`.

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{Claims, SimpleJwt};

/// What this app puts into every token, next to Simple JWT's claims.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct AppClaims {
    roles: Vec<String>,
    tenant: String,
}

/// What handlers read back.
#[derive(Deserialize)]
struct TokenClaims {
    user_id: String,
    #[serde(flatten)]
    app: AppClaims,
}

struct Users;

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        let (id, roles) = match (username, password) {
            ("admin", "admin-pass") => ("1", vec!["admin", "staff"]),
            ("viewer", "viewer-pass") => ("2", vec!["viewer"]),
            _ => return Ok(None),
        };
        let claims = AppClaims {
            roles: roles.into_iter().map(String::from).collect(),
            tenant: "acme".into(),
        };
        Ok(Some(LoginUser::active(id).with_claims(&claims)))
    }
}

async fn profile(Claims(c): Claims<TokenClaims>) -> Json<Value> {
    Json(json!({ "user_id": c.user_id, "roles": c.app.roles, "tenant": c.app.tenant }))
}

async fn admin_only(Claims(c): Claims<TokenClaims>) -> (StatusCode, Json<Value>) {
    if !c.app.roles.iter().any(|r| r == "admin") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "detail": "You do not have permission to perform this action." })),
        );
    }
    (
        StatusCode::OK,
        Json(json!({ "detail": format!("Welcome to the {} admin area.", c.app.tenant) })),
    )
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let jwt = SimpleJwt::builder()
        .with_secret(
            std::env::var("JWT_SECRET")
                .unwrap_or_else(|_| "custom-claims-example-secret-change-me!".into()),
        )
        .build()
        .expect("valid settings");
    let app = Router::new()
        .route("/api/profile/", get(profile))
        .route("/api/admin/", get(admin_only))
        .merge(
            TokenEndpoints::builder(jwt.clone())
                .with_credentials(Users)
                .stateless()
                .build()
                .expect("valid endpoints")
                .router(),
        )
        .layer(jwt.layer());
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.expect("server");
}
