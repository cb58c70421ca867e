//! A complete app on an embedded default: users in SQLite (argon2 hashes),
//! the SQLite revocation store, the auth layer and every token route.
//!
//! ```text
//! cargo run --example quickstart
//! cargo run --example quickstart -- --addr 127.0.0.1:8080 --db /tmp/app.db --store redis://127.0.0.1:6379
//! ```
//!
//! Flags (or environment): `--addr` (`QUICKSTART_ADDR`, default
//! 127.0.0.1:3000), `--db` (`QUICKSTART_DB`, default `quickstart.db` in the
//! system temp dir), `--store` (`QUICKSTART_STORE`: `sqlite` (default),
//! `memory`, a `redis://` URL, or `redis+cache://` for Redis with its
//! client-side cache), `--recheck-users off` (skip the user lookup
//! on refresh; for load tests of the token path alone), `--access-lifetime`
//! (`QUICKSTART_ACCESS_LIFETIME`, seconds, default 300). `JWT_SECRET` holds
//! the signing secret.
//!
//! Open the printed address in a browser: the page at `/` (`demo.html`)
//! logs in through cookie mode, calls the protected route, refreshes on 401,
//! logs out and logs out everywhere. curl clients keep using bodies and the
//! `Authorization` header.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::store::RevokedCache;
use tower_simplejwt::store::redis::RedisStore;
use tower_simplejwt::store::sql::SqlStore;
use tower_simplejwt::{
    Claims, Cookies, CurrentUser, MemoryStore, RevocationStore, SimpleJwt, UserRecord,
    UserResolver, VerifiedToken,
};

const DEMO_USER: &str = "demo";
const DEMO_PASSWORD: &str = "demo-password";

struct Options {
    addr: SocketAddr,
    db: PathBuf,
    store: String,
    recheck_users: bool,
    access_lifetime: u64,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut addr = std::env::var("QUICKSTART_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let mut db = std::env::var("QUICKSTART_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("quickstart.db"));
    let mut store = std::env::var("QUICKSTART_STORE").unwrap_or_else(|_| "sqlite".into());
    let mut recheck_users = true;
    let mut access_lifetime =
        std::env::var("QUICKSTART_ACCESS_LIFETIME").unwrap_or_else(|_| "300".into());
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = value,
            "--db" => db = value.into(),
            "--store" => store = value,
            "--recheck-users" => recheck_users = value != "off",
            "--access-lifetime" => access_lifetime = value,
            other => panic!(
                "unknown flag {other}; use --addr, --db, --store, --recheck-users or --access-lifetime"
            ),
        }
    }
    Options {
        addr: addr.parse().expect("--addr must look like 127.0.0.1:3000"),
        db,
        store,
        recheck_users,
        access_lifetime: access_lifetime
            .parse()
            .expect("--access-lifetime must be a number of seconds"),
    }
}

/// The users table: argon2 hashes, an active flag.
#[derive(Clone)]
struct Users {
    pool: SqlitePool,
    /// Verified when the user does not exist, so timing does not tell.
    dummy_hash: Arc<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
struct User {
    id: i64,
    username: String,
}

fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(
            password.as_bytes(),
            &SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("salt"),
        )
        .expect("argon2 hashing")
        .to_string()
}

impl Users {
    async fn open(pool: SqlitePool) -> Users {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS users (
                id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1)",
        )
        .execute(&pool)
        .await
        .expect("create users table");
        let seeded = sqlx::query("INSERT INTO users (username, password_hash) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING")
            .bind(DEMO_USER)
            .bind(hash(DEMO_PASSWORD))
            .execute(&pool)
            .await
            .expect("seed demo user");
        if seeded.rows_affected() == 1 {
            println!("seeded demo user: username={DEMO_USER} password={DEMO_PASSWORD}");
        }
        Users {
            pool,
            dummy_hash: Arc::new(hash("not-a-real-password")),
        }
    }
}

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        let row: Option<(i64, String, bool)> =
            sqlx::query_as("SELECT id, password_hash, is_active FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| LookupError::with_source("user lookup", e))?;
        let stored = row
            .as_ref()
            .map_or(self.dummy_hash.as_str(), |r| r.1.as_str());
        let parsed = PasswordHash::new(stored).expect("stored hashes are valid PHC strings");
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(match row {
            Some((id, _, true)) if ok => Some(LoginUser::active(id.to_string())),
            Some((id, _, false)) if ok => Some(LoginUser::inactive(id.to_string())),
            _ => None,
        })
    }

    async fn on_login_failed(&self, username: &str) {
        tracing::warn!(username, "failed login");
    }
}

impl UserResolver for Users {
    type User = User;
    async fn resolve(
        &self,
        user_id: &str,
        _token: &VerifiedToken,
    ) -> Result<Option<UserRecord<User>>, LookupError> {
        let Ok(id) = user_id.parse::<i64>() else {
            return Ok(None);
        };
        let row: Option<(String, bool)> =
            sqlx::query_as("SELECT username, is_active FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| LookupError::with_source("user lookup", e))?;
        Ok(row.map(|(username, is_active)| {
            let user = User { id, username };
            if is_active {
                UserRecord::active(user)
            } else {
                UserRecord::inactive(user)
            }
        }))
    }
}

#[derive(Deserialize)]
struct TokenClaims {
    user_id: String,
    exp: u64,
}

async fn me(
    CurrentUser(user): CurrentUser<User>,
    Claims(claims): Claims<TokenClaims>,
) -> Json<Value> {
    Json(
        json!({ "id": user.id, "username": user.username, "user_id": claims.user_id, "token_expires_at": claims.exp }),
    )
}

async fn hello(claims: Option<Claims<TokenClaims>>) -> Json<Value> {
    Json(match claims {
        Some(Claims(c)) => json!({ "message": format!("Hello, user {}!", c.user_id) }),
        None => json!({ "message": "Hello, stranger! Log in to get a personal greeting." }),
    })
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Request log: method, path, status and latency; never headers or bodies,
/// so no token reaches the logs.
async fn log_requests(req: Request, next: Next) -> Response {
    let (method, path, started) = (
        req.method().clone(),
        req.uri().path().to_owned(),
        Instant::now(),
    );
    let res = next.run(req).await;
    tracing::info!(%method, path, status = res.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
    res
}

fn secret() -> String {
    match std::env::var("JWT_SECRET") {
        Ok(s) => s,
        Err(_) => {
            let bytes: [u8; 32] = rand::random();
            tracing::warn!(
                "JWT_SECRET is not set: using a random secret, so tokens die with this process. \
                 Set one (at least 32 bytes, e.g. `openssl rand -hex 32`) to keep them across restarts."
            );
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let opts = options();

    let db_url = format!("sqlite://{}", opts.db.display());
    println!(
        "database: {} (users and revocations; created on first run)",
        opts.db.display()
    );
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            db_url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .expect("database path")
                .create_if_missing(true),
        )
        .await
        .expect("open the SQLite database");
    let users = Users::open(pool).await;

    let store: Arc<dyn RevocationStore> = match opts.store.as_str() {
        "memory" => Arc::new(MemoryStore::new()),
        "sqlite" => {
            let store = SqlStore::connect(&db_url)
                .await
                .expect("open the SQLite store");
            store.migrate().await.expect("migrate the SQLite store");
            Arc::new(store)
        }
        // Redis with an in-memory cache kept true by Redis's invalidation
        // feed: checks of a token seen before are answered from memory.
        url if url.starts_with("redis+cache://") => {
            let url = url.replacen("redis+cache://", "redis://", 1);
            let store = RedisStore::connect(&url).await.expect("connect to Redis");
            let feed = store
                .invalidation_feed(&url, std::time::Duration::from_secs(1))
                .await
                .expect("start the Redis invalidation feed");
            Arc::new(
                RevokedCache::new(store, 100_000, std::time::Duration::from_secs(600))
                    .with_invalidations(feed),
            )
        }
        url if url.starts_with("redis://") => {
            Arc::new(RedisStore::connect(url).await.expect("connect to Redis"))
        }
        other => {
            panic!("--store must be sqlite, memory, redis://... or redis+cache://..., not {other}")
        }
    };
    println!("revocation store: {}", store.name());

    // Cookie mode for the demo page: HttpOnly cookies set by the token
    // routes; bodies keep the refresh token for curl. Plain-HTTP cookies only
    // on a loopback address (browsers treat it as a secure context anyway).
    let mut cookies = Cookies::new().with_refresh_in_body(true);
    if opts.addr.ip().is_loopback() {
        cookies = cookies.insecure_allow_http();
    }
    let jwt = SimpleJwt::builder()
        .with_secret(secret())
        .with_access_token_lifetime(std::time::Duration::from_secs(opts.access_lifetime))
        .with_cookies(cookies)
        .with_shared_store(store.clone())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .with_access_revocation(true)
        .build()
        .expect("valid JWT settings");

    // Expired revocations are flushed every hour.
    let flusher = jwt.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Some(store) = flusher.store() {
                if let Err(e) = store.flush_expired(flusher.now()).await {
                    tracing::warn!(error = %e, "flush failed");
                }
            }
        }
    });

    let endpoints = TokenEndpoints::builder(jwt.clone()).with_credentials(users.clone());
    let endpoints = if opts.recheck_users {
        // Deleted or deactivated users cannot refresh.
        endpoints.with_user_resolver(users.clone())
    } else {
        endpoints.stateless()
    }
    .build()
    .expect("valid endpoints");
    // `/api/me/` requires a token and loads the user; it has its own layer.
    let protected = Router::new()
        .route("/api/me/", get(me))
        .layer(jwt.layer().required().with_user_resolver(users));
    // Everything else shares one optional layer. The token routes sit behind
    // it too: the layer leaves them alone, so a client that sends its expired
    // access token along can still refresh and log in.
    let public = Router::new()
        .route("/api/hello/", get(hello).post(hello))
        // The health check again, behind the auth layer (the load script
        // compares the two to measure the layer).
        .route("/api/health/", get(health))
        .merge(endpoints.router())
        .layer(jwt.layer());
    let app = Router::new()
        // Outside the auth layer: the demo page and a load balancer's health check.
        .route("/", get(|| async { Html(include_str!("demo.html")) }))
        .route("/health", get(health))
        .merge(protected)
        .merge(public)
        .layer(middleware::from_fn(log_requests));

    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .expect("bind the address");
    let base = format!("http://{}", listener.local_addr().unwrap());
    println!("listening on {base}");
    println!("open {base}/ in a browser for the demo page (cookie mode)");
    println!(
        r#"
Or try it (copy and paste; the tokens land in shell variables):
  # log in: obtain a pair
  TOKENS=$(curl -s -X POST {base}/api/token/ -H 'content-type: application/json' \
    -d '{{"username": "{DEMO_USER}", "password": "{DEMO_PASSWORD}"}}'); echo "$TOKENS"
  ACCESS=$(echo "$TOKENS" | sed -E 's/.*"access":"([^"]+)".*/\1/')
  REFRESH=$(echo "$TOKENS" | sed -E 's/.*"refresh":"([^"]+)".*/\1/')
  # call a protected route with the access token
  curl -s {base}/api/me/ -H "Authorization: Bearer $ACCESS"
  # greet anonymous and authenticated callers differently
  curl -s {base}/api/hello/; curl -s {base}/api/hello/ -H "Authorization: Bearer $ACCESS"
  # refresh: the refresh token rotates, keep the new one
  TOKENS=$(curl -s -X POST {base}/api/token/refresh/ -H 'content-type: application/json' \
    -d "{{\"refresh\": \"$REFRESH\"}}"); echo "$TOKENS"
  REFRESH=$(echo "$TOKENS" | sed -E 's/.*"refresh":"([^"]+)".*/\1/')
  # log out: blacklist the refresh token (a second time answers 401)
  curl -s -X POST {base}/api/token/blacklist/ -H 'content-type: application/json' -d "{{\"refresh\": \"$REFRESH\"}}"
  # log out everywhere: log in again, then revoke every token of the user issued until now
  ACCESS=$(curl -s -X POST {base}/api/token/ -H 'content-type: application/json' \
    -d '{{"username": "{DEMO_USER}", "password": "{DEMO_PASSWORD}"}}' | sed -E 's/.*"access":"([^"]+)".*/\1/')
  curl -s -X POST {base}/api/token/logout_all/ -H "Authorization: Bearer $ACCESS"
"#
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("shutting down");
        })
        .await
        .expect("server");
}
