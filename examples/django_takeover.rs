//! A Rust service beside a Django app, on the same PostgreSQL database and
//! the same secret: it logs in Django's users (Django's password hashes),
//! issues and accepts Simple JWT's tokens, shares Simple JWT's blacklist
//! tables, and honours a password change or a deactivation made in Django.
//!
//! ```text
//! DATABASE_URL=postgres://app@db/app DJANGO_SECRET_KEY=... \
//!     cargo run --example django_takeover --features django,postgres -- 127.0.0.1:8001
//! ```
//!
//! - `DATABASE_URL`: Django's database (its `auth_user` and, with
//!   `rest_framework_simplejwt.token_blacklist` installed, its blacklist).
//! - `DJANGO_SCHEMA`: the schema Django's tables are in, if not `public`.
//! - `DJANGO_SECRET_KEY`: Simple JWT's `SIGNING_KEY` (Django's `SECRET_KEY`
//!   unless the project sets another).
//!
//! Routes: Simple JWT's (`/api/token/`, `/api/token/refresh/`,
//! `/api/token/verify/`, `/api/token/blacklist/`, ...) and `GET /api/me/`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_simplejwt::django::hashers::DJANGO_PBKDF2_ITERATIONS;
use tower_simplejwt::django::{DjangoUser, DjangoUsers};
use tower_simplejwt::endpoints::{LoginThrottle, TokenEndpoints};
use tower_simplejwt::store::sql::SqlStore;
use tower_simplejwt::{CurrentUser, SimpleJwt};

/// The user Django knows, as the resolver loaded it for this request.
async fn me(CurrentUser(user): CurrentUser<DjangoUser>) -> Json<Value> {
    Json(json!({ "id": user.id, "username": user.username }))
}

#[tokio::main]
async fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8001".to_owned())
        .parse()
        .expect("the first argument is the address to listen on");
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL: Django's PostgreSQL database");
    let secret =
        std::env::var("DJANGO_SECRET_KEY").expect("DJANGO_SECRET_KEY: Simple JWT's signing key");
    let schema = std::env::var("DJANGO_SCHEMA").ok();

    // Django's users, in Django's own table.
    let mut options: sqlx::postgres::PgConnectOptions = url.parse().expect("DATABASE_URL");
    if let Some(schema) = &schema {
        options = options.options([("search_path", schema.as_str())]);
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .expect("connect to Django's database");
    let users = DjangoUsers::postgres(pool)
        .with_rehash(DJANGO_PBKDF2_ITERATIONS)
        .verify()
        .await
        .expect("Django's user table");

    // Simple JWT's blacklist, shared; families and "log out everywhere" in
    // the store's own tables beside it.
    let store = match &schema {
        Some(schema) => SqlStore::connect_in_schema(&url, schema).await,
        None => SqlStore::connect(&url).await,
    }
    .expect("connect the revocation store");
    store.migrate().await.expect("migrate the revocation store");

    // Simple JWT's defaults, and the settings a Django project usually sets.
    let jwt = SimpleJwt::builder()
        .with_secret(secret)
        .with_store(store.with_django_blacklist())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .with_update_last_login(true)
        .with_check_revoke_token(true)
        .build()
        .expect("configuration");
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(users.clone())
        .with_user_resolver(users.clone())
        .with_login_throttle(LoginThrottle::new())
        .build()
        .expect("token endpoints");
    let app = Router::new()
        .route("/api/me/", get(me))
        .merge(endpoints.router())
        .layer(jwt.layer().with_user_resolver(users));

    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    println!(
        "listening on http://{}",
        listener.local_addr().expect("address")
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .expect("serve");
}
