//! Against Django itself (feature `django`): hashes Django made are
//! verified here and hashes made here are verified by Django; Simple JWT's
//! revoke claim is computed the same; and `DjangoUsers` logs in users that
//! Django created, in a SQLite file and in PostgreSQL, through the token
//! endpoints. Django runs from the interop virtual environment
//! (`tests/interop/requirements.txt`, pinned).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::django::hashers::{check_password, make_password, must_update, revoke_claim};
use tower_simplejwt::django::{DjangoUser, DjangoUsers};
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::{CurrentUser, MemoryStore, SimpleJwt};

use common::services::{database_url, interop_python, run_id};

const PASSWORD: &str = "pässwörd with spaces 1";
/// The signing key both sides share (Simple JWT's `SIGNING_KEY`).
const SECRET: &[u8] = b"django-interop-secret-at-least-32-bytes!";
/// For Django's user commands, which split on spaces.
const USER_PASSWORD: &str = "pässwörd-1";

fn script(name: &str) -> String {
    format!("{}/tests/interop/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn django_hashes(args: &[&str]) -> Option<String> {
    let python = interop_python("Django")?;
    let out = Command::new(python)
        .arg(script("django_hashes.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn every_hash_django_makes_is_verified_here_and_no_other_password_is() {
    let Some(lines) = django_hashes(&["make", PASSWORD]) else {
        return;
    };
    let mut seen = Vec::new();
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (hasher, encoded) = (
            v["hasher"].as_str().unwrap(),
            v["encoded"].as_str().unwrap(),
        );
        let expected = hasher != "unusable";
        assert_eq!(
            check_password(PASSWORD, encoded),
            expected,
            "{hasher}: {encoded}"
        );
        assert!(
            !check_password("pässwörd with spaces 2", encoded),
            "{hasher}"
        );
        assert!(!check_password("", encoded), "{hasher}");
        // A changed hash matches nothing.
        let tampered = format!("{}A", &encoded[..encoded.len() - 1]);
        if tampered != encoded {
            assert!(!check_password(PASSWORD, &tampered), "{hasher}: {tampered}");
        }
        seen.push(hasher.to_owned());
    }
    assert_eq!(
        seen,
        [
            "pbkdf2_sha256",
            "pbkdf2_sha1",
            "argon2",
            "bcrypt_sha256",
            "bcrypt",
            "scrypt",
            "md5",
            "unusable"
        ]
    );
}

#[test]
fn django_verifies_the_hashes_made_here_and_would_not_rehash_them() {
    let encoded = make_password(PASSWORD, 1_000_000);
    let Some(answer) = django_hashes(&["check", PASSWORD, &encoded]) else {
        return;
    };
    assert_eq!(answer.trim(), "true");
    assert_eq!(
        django_hashes(&["check", "wrong", &encoded]).unwrap().trim(),
        "false"
    );
    assert!(!must_update(&encoded, 1_000_000));
    assert!(must_update(&encoded, 1_000_001));
    assert!(must_update("md5$salt$0123", 1_000_000));
}

#[test]
fn the_revoke_claim_is_simple_jwts() {
    for encoded in [
        make_password(PASSWORD, 1_000),
        "!unusable".to_owned(),
        "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA".to_owned(),
    ] {
        let Some(theirs) = django_hashes(&["revoke", &encoded]) else {
            return;
        };
        assert_eq!(revoke_claim(&encoded), theirs.trim(), "{encoded}");
    }
}

/// Django's own process, migrated, answering commands about its users.
struct Django {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Django {
    fn start(args: &[&str]) -> Option<Self> {
        let python = interop_python("Django")?;
        let mut child = Command::new(python)
            .env(
                "SIMPLEJWT_SECRET",
                String::from_utf8_lossy(SECRET).into_owned(),
            )
            .arg(script("django_users.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "Django did not start");
        Some(Self {
            child,
            stdin,
            stdout,
        })
    }

    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.trim().to_owned()
    }
}

impl Drop for Django {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Django migrated into a fresh PostgreSQL schema of its own.
struct PgDjango {
    django: Django,
    schema: String,
    url: String,
}

impl PgDjango {
    fn start() -> Option<Self> {
        let schema = format!("django_{}", run_id());
        let url = database_url();
        let django = Django::start(&["postgres", &url, &schema])?;
        Some(Self {
            django,
            schema,
            url,
        })
    }

    /// A pool whose connections see the schema's tables.
    async fn pool(&self) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(
                self.url
                    .parse::<sqlx::postgres::PgConnectOptions>()
                    .unwrap()
                    .options([("search_path", self.schema.as_str())]),
            )
            .await
            .unwrap()
    }

    /// Stops Django and drops the schema.
    async fn finish(self) {
        let Self {
            django,
            schema,
            url,
        } = self;
        drop(django);
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await;
    }
}

async fn me(CurrentUser(user): CurrentUser<DjangoUser>) -> String {
    user.username
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

fn login(username: &str, password: &str) -> Request<Body> {
    Request::post("/api/token/")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

fn get_me(access: &str) -> Request<Body> {
    Request::get("/me")
        .header("authorization", format!("Bearer {access}"))
        .body(Body::empty())
        .unwrap()
}

/// The scenario on either database: Django's users log in through the
/// token endpoints, inactive ones never; a password changed in Django ends
/// the tokens issued before (`CHECK_REVOKE_TOKEN`); `last_login` is set;
/// a low-iteration hash is rehashed in a format Django still verifies.
async fn users_created_by_django_log_in(django: &mut Django, users: DjangoUsers) {
    let id = django.ask(&format!("create alice {USER_PASSWORD} 1"));
    django.ask("create bob builder-pass 0");
    let users = users.with_rehash(1_000_000).verify().await.unwrap();
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_check_revoke_token(true)
        .with_update_last_login(true)
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(users.clone())
        .with_user_resolver(users.clone())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/me", get(me))
        .merge(endpoints.router())
        .layer(jwt.layer().with_user_resolver(users.clone()));

    let (status, body) = call(&app, login("alice", USER_PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access"].as_str().unwrap().to_owned();
    let claims = jwt
        .validate(&access, tower_simplejwt::TokenType::Access)
        .unwrap();
    assert_eq!(claims.user_id(), Some(id.as_str()));
    assert_eq!(
        call(&app, get_me(&access)).await,
        (StatusCode::OK, Value::String("alice".into()))
    );
    assert_ne!(django.ask("last_login alice"), "None", "last_login was set");

    // Wrong password, unknown user, inactive user: one answer.
    let refused = json!({"detail": "No active account found with the given credentials"});
    for (user, password) in [
        ("alice", "wrong"),
        ("nobody", USER_PASSWORD),
        ("bob", "builder-pass"),
    ] {
        assert_eq!(
            call(&app, login(user, password)).await,
            (StatusCode::UNAUTHORIZED, refused.clone()),
            "{user}"
        );
    }

    // A password change made in Django ends the Rust side's tokens.
    django.ask("password alice new-secret-2");
    let (status, body) = call(&app, get_me(&access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "password_changed", "{body}");
    assert_eq!(
        call(&app, login("alice", USER_PASSWORD)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = call(&app, login("alice", "new-secret-2")).await;
    assert_eq!(status, StatusCode::OK);
    let access = body["access"].as_str().unwrap().to_owned();

    // Deactivated in Django: refused by the Rust side.
    django.ask("deactivate alice");
    let (status, body) = call(&app, get_me(&access)).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("user_inactive"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_created_by_django_in_sqlite_log_in_here() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("django.sqlite3");
    let Some(mut django) = Django::start(&["sqlite", path.to_str().unwrap()]) else {
        return;
    };
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    users_created_by_django_log_in(&mut django, DjangoUsers::sqlite(pool)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_created_by_django_in_postgres_log_in_here() {
    let Some(mut pg) = PgDjango::start() else {
        return;
    };
    let users = DjangoUsers::postgres(pg.pool().await);
    users_created_by_django_log_in(&mut pg.django, users).await;
    pg.finish().await;
}

/// A hash of fewer iterations than asked is replaced on login, in a format
/// Django still verifies, and the old password keeps working on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rehash_on_login_is_verified_by_django() {
    use tower_simplejwt::endpoints::CredentialChecker;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("django.sqlite3");
    let Some(mut django) = Django::start(&["sqlite", path.to_str().unwrap()]) else {
        return;
    };
    django.ask(&format!("create carol {USER_PASSWORD} 1"));
    let before = django.ask("hash carol");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    // Django made 1,000,000 iterations; ask for more.
    let users = DjangoUsers::sqlite(pool)
        .with_rehash(1_000_001)
        .verify()
        .await
        .unwrap();
    let login = users.check("carol", USER_PASSWORD).await.unwrap().unwrap();
    let after = django.ask("hash carol");
    assert_ne!(before, after);
    assert!(after.starts_with("pbkdf2_sha256$1000001$"), "{after}");
    assert_eq!(django.ask(&format!("check carol {USER_PASSWORD}")), "true");
    assert!(login.password_fingerprint.is_some());
}

fn refresh_request(path: &str, refresh: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(json!({ "refresh": refresh }).to_string()))
        .unwrap()
}

fn field(answer: &str, name: &str) -> String {
    let v: Value = serde_json::from_str(answer).unwrap_or_else(|_| panic!("Django said {answer}"));
    v[name].as_str().unwrap().to_owned()
}

/// One blacklist for both sides (Simple JWT's `token_blacklist` tables):
/// pairs from either side refresh on the other, and a logout or a rotation
/// on one side is refused by the other.
async fn the_blacklist_is_shared_with_simple_jwt(
    django: &mut Django,
    users: DjangoUsers,
    store: tower_simplejwt::store::sql::SqlStore,
) {
    django.ask("create dave pw-dave 1");
    store.migrate().await.unwrap();
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(store.with_django_blacklist())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(users.clone())
        .with_user_resolver(users)
        .build()
        .unwrap();
    let app = Router::new().merge(endpoints.router());
    let blacklisted = json!({"detail": "Token is blacklisted", "code": "token_not_valid"});

    // A pair from here refreshes on Django; Django's rotation is then
    // refused here.
    let (status, body) = call(&app, login("dave", "pw-dave")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ours = body["refresh"].as_str().unwrap().to_owned();
    let theirs = django.ask(&format!("refresh {ours}"));
    assert!(field(&theirs, "refresh").len() > 20, "{theirs}");
    assert_eq!(
        call(&app, refresh_request("/api/token/refresh/", &ours)).await,
        (StatusCode::UNAUTHORIZED, blacklisted.clone())
    );

    // A pair from Django, logged out here: Django refuses it.
    let pair = django.ask("obtain dave pw-dave");
    let theirs = field(&pair, "refresh");
    assert_eq!(django.ask(&format!("verify {theirs}")), "valid");
    assert_eq!(
        call(&app, refresh_request("/api/token/blacklist/", &theirs)).await,
        (StatusCode::OK, json!({}))
    );
    assert_eq!(
        django.ask(&format!("verify {theirs}")),
        "error Token is blacklisted"
    );

    // A pair from Django refreshed here (rotation): Django refuses the old one.
    let theirs = field(&django.ask("obtain dave pw-dave"), "refresh");
    let (status, body) = call(&app, refresh_request("/api/token/refresh/", &theirs)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        django.ask(&format!("verify {theirs}")),
        "error Token is blacklisted"
    );
    // The new one, issued here, is valid there (and recorded as outstanding).
    let new = body["refresh"].as_str().unwrap().to_owned();
    assert_eq!(django.ask(&format!("verify {new}")), "valid");

    // Logged out on Django: refused here, by verify as by refresh.
    assert_eq!(django.ask(&format!("blacklist {new}")), "ok");
    let verify = Request::post("/api/token/verify/")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "token": new }).to_string()))
        .unwrap();
    assert_eq!(
        call(&app, verify).await,
        (StatusCode::UNAUTHORIZED, blacklisted.clone())
    );
    assert_eq!(
        call(&app, refresh_request("/api/token/refresh/", &new)).await,
        (StatusCode::UNAUTHORIZED, blacklisted)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blacklist_is_shared_with_simple_jwt_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("django.sqlite3");
    let Some(mut django) = Django::start(&["sqlite", path.to_str().unwrap()]) else {
        return;
    };
    let url = format!("sqlite://{}", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let store = tower_simplejwt::store::sql::SqlStore::connect(&url)
        .await
        .unwrap();
    the_blacklist_is_shared_with_simple_jwt(&mut django, DjangoUsers::sqlite(pool), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blacklist_is_shared_with_simple_jwt_in_postgres() {
    let Some(mut pg) = PgDjango::start() else {
        return;
    };
    let users = DjangoUsers::postgres(pg.pool().await);
    let store = tower_simplejwt::store::sql::SqlStore::connect_in_schema(&pg.url, &pg.schema)
        .await
        .unwrap();
    the_blacklist_is_shared_with_simple_jwt(&mut pg.django, users, store).await;
    pg.finish().await;
}

/// The Django project (DRF + Simple JWT's views) served over HTTP.
struct DjangoSite {
    child: Child,
    base: String,
}

impl Drop for DjangoSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DjangoSite {
    async fn start(url: &str, schema: &str) -> Option<Self> {
        let python = interop_python("Django")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .env(
                "SIMPLEJWT_SECRET",
                String::from_utf8_lossy(SECRET).into_owned(),
            )
            .env("SIMPLEJWT_CHECK_REVOKE_TOKEN", "1")
            .arg(script("django_site.py"))
            .args(["postgres", url, schema, &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let site = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "Django's runserver did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Some(site)
    }
}

/// The takeover, as a Django team would run it: the Django project and the
/// `django_takeover` example on one PostgreSQL database with one secret,
/// both over HTTP. Django's user logs in on the Rust side; pairs refresh
/// across; a logout on either side is refused by the other; a password
/// change and a deactivation made in Django are honoured by the Rust side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_django_takeover_example_runs_beside_a_real_django_project() {
    use common::http_client::{get, post, s};
    let Some(mut pg) = PgDjango::start() else {
        return;
    };
    let (url, schema) = (pg.url.clone(), pg.schema.clone());
    let django = &mut pg.django;
    django.ask("create erin pw-erin 1");
    let Some(site) = DjangoSite::start(&url, &schema).await else {
        return;
    };
    let secret = String::from_utf8_lossy(SECRET).into_owned();
    let rust = common::example::spawn(
        "django_takeover",
        &["127.0.0.1:0"],
        &[
            ("DATABASE_URL", url.as_str()),
            ("DJANGO_SCHEMA", schema.as_str()),
            ("DJANGO_SECRET_KEY", secret.as_str()),
        ],
        1,
    );
    let (rust, django_http) = (rust.addrs[0].clone(), site.base.clone());
    let login = json!({"username": "erin", "password": "pw-erin"});

    // Django's user logs in on the Rust side; its access token works on both.
    let (status, pair) = post(&format!("{rust}/api/token/"), login.clone()).await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    for base in [&rust, &django_http] {
        let (status, me) = get(&format!("{base}/api/me/"), Some(&s(&pair, "access"))).await;
        assert_eq!(
            (status, &me["username"]),
            (StatusCode::OK, &json!("erin")),
            "{base}"
        );
    }

    // A Rust refresh token refreshes on Django (rotation there); the old one
    // is then refused by Rust.
    let refresh = s(&pair, "refresh");
    let (status, theirs) = post(
        &format!("{django_http}/api/token/refresh/"),
        json!({ "refresh": refresh }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    let (status, body) = post(
        &format!("{rust}/api/token/refresh/"),
        json!({ "refresh": refresh }),
    )
    .await;
    assert_eq!(
        (status, &body["detail"]),
        (StatusCode::UNAUTHORIZED, &json!("Token is blacklisted"))
    );

    // Django's refresh token refreshes on Rust; logged out on Rust, it is
    // refused by Django.
    let (status, rotated) = post(
        &format!("{rust}/api/token/refresh/"),
        json!({ "refresh": s(&theirs, "refresh") }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let (status, _) = post(
        &format!("{rust}/api/token/blacklist/"),
        json!({ "refresh": s(&rotated, "refresh") }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(
        &format!("{django_http}/api/token/refresh/"),
        json!({ "refresh": s(&rotated, "refresh") }),
    )
    .await;
    assert_eq!(
        (status, &body["detail"]),
        (StatusCode::UNAUTHORIZED, &json!("Token is blacklisted"))
    );

    // Logged out on Django: refused by Rust.
    let (_, pair) = post(&format!("{django_http}/api/token/"), login.clone()).await;
    let (status, _) = post(
        &format!("{django_http}/api/token/blacklist/"),
        json!({ "refresh": s(&pair, "refresh") }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &format!("{rust}/api/token/refresh/"),
        json!({ "refresh": s(&pair, "refresh") }),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A password change in Django (CHECK_REVOKE_TOKEN): the Rust side's
    // tokens of the old password die, on both sides.
    let (_, pair) = post(&format!("{rust}/api/token/"), login.clone()).await;
    django.ask("password erin pw-erin-2");
    for base in [&rust, &django_http] {
        let (status, _) = get(&format!("{base}/api/me/"), Some(&s(&pair, "access"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{base}");
    }
    let login = json!({"username": "erin", "password": "pw-erin-2"});
    let (status, pair) = post(&format!("{rust}/api/token/"), login).await;
    assert_eq!(status, StatusCode::OK, "{pair}");

    // Deactivated in Django: refused by Rust.
    django.ask("deactivate erin");
    let (status, body) = get(&format!("{rust}/api/me/"), Some(&s(&pair, "access"))).await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("user_inactive"))
    );

    drop(site);
    pg.finish().await;
}

/// A cache fed by PostgreSQL's notifications sees a logout made by Django
/// itself, once `announce_django_blacklist` has installed its trigger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_feed_sees_djangos_own_logouts() {
    use tower_simplejwt::RevocationStore;
    use tower_simplejwt::store::{RevocationQuery, RevokedCache};
    let Some(mut pg) = PgDjango::start() else {
        return;
    };
    let (url, schema) = (pg.url.clone(), pg.schema.clone());
    let django = &mut pg.django;
    django.ask("create fay pw-fay 1");
    let store = tower_simplejwt::store::sql::SqlStore::connect_in_schema(&url, &schema)
        .await
        .unwrap()
        .with_django_blacklist();
    store.migrate().await.unwrap();
    store.announce_django_blacklist().await.unwrap();
    store.announce_django_blacklist().await.unwrap(); // idempotent
    let feed = store
        .invalidation_feed(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let cache = RevokedCache::new(store, 1_000, std::time::Duration::from_secs(600))
        .with_invalidations(feed);
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();

    let refresh = field(&django.ask("obtain fay pw-fay"), "refresh");
    let token = jwt
        .validate(&refresh, tower_simplejwt::TokenType::Refresh)
        .unwrap();
    let q = RevocationQuery::new(token.jti());
    assert!(!cache.is_revoked(q).await.unwrap());
    assert_eq!(cache.is_revoked_now(q), Some(false), "answered from memory");

    assert_eq!(django.ask(&format!("blacklist {refresh}")), "ok");
    let started = std::time::Instant::now();
    while cache.is_revoked_now(q) == Some(false) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "Django's logout never reached the cache"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(cache.is_revoked(q).await.unwrap());

    pg.finish().await;
}
