//! Two app instances on two ports sharing one Redis revocation store: a
//! logout on one holds on the other.
//!
//! ```text
//! cargo run --example multi_instance -- 127.0.0.1:3001 127.0.0.1:3002
//! ```
//! `REDIS_URL` defaults to redis://127.0.0.1:6379. Log in as `ada`/`lovelace`.

use axum::Router;
use axum::routing::get;
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::store::redis::RedisStore;
use tower_simplejwt::{Claims, SimpleJwt};

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

/// One instance: its own configuration and Redis connection, as a separate
/// process would have. Only the secret and the Redis data are shared.
async fn instance(name: &'static str, addr: String, redis_url: String, prefix: String) {
    let store = RedisStore::connect(&redis_url)
        .await
        .expect("connect to Redis")
        .with_prefix(prefix);
    let jwt = SimpleJwt::builder()
        .with_secret(
            std::env::var("JWT_SECRET")
                .unwrap_or_else(|_| "multi-instance-example-secret-change-me".into()),
        )
        .with_store(store)
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .with_access_revocation(true)
        .build()
        .expect("valid settings");
    let app = Router::new()
        .route(
            "/api/me/",
            get(move |Claims(c): Claims<serde_json::Value>| async move {
                format!("{name} serves user {}", c["user_id"])
            }),
        )
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
    println!(
        "listening on http://{} ({name})",
        listener.local_addr().unwrap()
    );
    axum::serve(listener, app).await.expect("server");
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let a = args.next().unwrap_or_else(|| "127.0.0.1:3001".into());
    let b = args.next().unwrap_or_else(|| "127.0.0.1:3002".into());
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = std::env::var("REDIS_PREFIX").unwrap_or_else(|_| "multi-instance-example:".into());
    tokio::join!(
        instance("instance A", a, redis_url.clone(), prefix.clone()),
        instance("instance B", b, redis_url, prefix),
    );
}
