//! Every example runs here as its own process (`cargo test` builds them)
//! on ephemeral ports, and is driven over HTTP.

mod common;

use common::example::{Running, spawn};
use common::http_client::{call, get, post, s};

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::{Value, json};

/// Logs in as the quickstart's demo user; returns the pair.
async fn login_demo(base: &str) -> Value {
    let (status, pair) = post(
        &format!("{base}/api/token/"),
        json!({"username": "demo", "password": "demo-password"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    pair
}

/// Posts `{"refresh": token}` to a token route (`refresh`, `blacklist`).
async fn with_refresh(base: &str, route: &str, refresh: &str) -> (StatusCode, Value) {
    post(
        &format!("{base}/api/token/{route}/"),
        json!({"refresh": refresh}),
    )
    .await
}

const SECRET: (&str, &str) = ("JWT_SECRET", "examples-test-secret-of-at-least-32-bytes!");

/// An access token of user 1, signed with the examples' secret, expired a
/// minute ago: what a frontend's "refresh on 401" interceptor sends along.
fn expired_access() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = common::simplejwt_claims("access", now - 600);
    claims["user_id"] = json!("1");
    common::sign_raw(
        &serde_json::to_vec(&common::default_header()).unwrap(),
        &serde_json::to_vec(&claims).unwrap(),
        SECRET.1.as_bytes(),
    )
}

/// Logs in at `login_path` and refreshes, both with an expired access token
/// in the header, as a frontend does: both must answer 200.
async fn login_and_refresh_with_a_stale_header(base: &str, login_path: &str, login: Value) {
    let stale = expired_access();
    let (status, pair) = call(
        Method::POST,
        &format!("{base}{login_path}"),
        Some(login),
        Some(&stale),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "login with a stale header: {pair}");
    let (status, body) = call(
        Method::POST,
        &format!("{base}/api/token/refresh/"),
        Some(json!({"refresh": s(&pair, "refresh")})),
        Some(&stale),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "refresh with a stale header: {body}"
    );
    assert!(body["access"].is_string());
}

#[tokio::test]
async fn quickstart_serves_the_full_flow_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quickstart.db");
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--db",
        db.to_str().unwrap(),
        "--store",
        "sqlite",
    ];
    let app = spawn("quickstart", &args, &[SECRET], 1);
    let base = app.addrs[0].clone();
    assert!(
        app.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("seeded demo user"))
    );

    login_and_refresh_with_a_stale_header(
        &base,
        "/api/token/",
        json!({"username": "demo", "password": "demo-password"}),
    )
    .await;
    let pair = login_demo(&base).await;
    let (access, refresh) = (s(&pair, "access"), s(&pair, "refresh"));
    let (status, me) = get(&format!("{base}/api/me/"), Some(&access)).await;
    assert_eq!(
        (status, me["username"].clone()),
        (StatusCode::OK, json!("demo"))
    );
    assert_eq!(
        get(&format!("{base}/api/me/"), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, hello) = get(&format!("{base}/api/hello/"), None).await;
    assert!(s(&hello, "message").contains("stranger"));
    let (_, hello) = get(&format!("{base}/api/hello/"), Some(&access)).await;
    assert!(s(&hello, "message").contains("user 1"));
    let (status, wrong) = post(
        &format!("{base}/api/token/"),
        json!({"username": "demo", "password": "nope"}),
    )
    .await;
    assert_eq!(
        (status, wrong),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "No active account found with the given credentials"})
        )
    );

    let (status, rotated) = with_refresh(&base, "refresh", &refresh).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let refresh2 = s(&rotated, "refresh");
    assert_eq!(
        with_refresh(&base, "blacklist", &refresh2).await.0,
        StatusCode::OK
    );
    assert_eq!(
        with_refresh(&base, "refresh", &refresh2).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Logging out killed the whole login, access token included.
    assert_eq!(
        get(&format!("{base}/api/me/"), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );

    let pair = login_demo(&base).await;
    let access = s(&pair, "access");
    let (status, _) = call(
        Method::POST,
        &format!("{base}/api/token/logout_all/"),
        None,
        Some(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get(&format!("{base}/api/me/"), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    drop(app);

    // Restart on the same database: revocations survive.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let app = spawn("quickstart", &args, &[SECRET], 1);
    let base = app.addrs[0].clone();
    let (status, body) = with_refresh(&base, "refresh", &refresh2).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
        )
    );
    assert_eq!(
        get(&format!("{base}/api/me/"), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let pair = login_demo(&base).await;
    assert_eq!(
        get(&format!("{base}/api/me/"), Some(&s(&pair, "access")))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn quickstart_runs_on_redis_too() {
    if common::services::redis_reachable().await.is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quickstart.db");
    let redis = common::services::redis_url();
    let app = spawn(
        "quickstart",
        &[
            "--addr",
            "127.0.0.1:0",
            "--db",
            db.to_str().unwrap(),
            "--store",
            &redis,
        ],
        &[SECRET],
        1,
    );
    let base = app.addrs[0].clone();
    assert!(
        app.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("revocation store: redis"))
    );
    let pair = login_demo(&base).await;
    assert_eq!(
        with_refresh(&base, "blacklist", &s(&pair, "refresh"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        with_refresh(&base, "refresh", &s(&pair, "refresh")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn hyper_example_mounts_layer_and_endpoints_without_axum() {
    let app = spawn("hyper", &["127.0.0.1:0"], &[SECRET], 1);
    let base = app.addrs[0].clone();
    let (status, pair) = post(
        &format!("{base}/api/token/"),
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = get(&format!("{base}/api/me/"), Some(&s(&pair, "access"))).await;
    assert_eq!((status, me), (StatusCode::OK, json!({"user_id": "1"})));
    let (status, body) = get(&format!("{base}/api/me/"), None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Authentication credentials were not provided."})
        )
    );
    let (status, _) = with_refresh(&base, "refresh", &s(&pair, "refresh")).await;
    assert_eq!(status, StatusCode::OK);
    login_and_refresh_with_a_stale_header(
        &base,
        "/api/token/",
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
}

/// The one-time code the passwordless example printed for `email`.
async fn printed_code(app: &Running, email: &str) -> String {
    let prefix = format!("OTP for {email}: ");
    let started = Instant::now();
    loop {
        let found = app
            .lines
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_owned));
        if let Some(code) = found {
            return code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no code printed for {email}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn passwordless_example_mints_a_pair_from_an_otp() {
    let app = spawn("passwordless", &["127.0.0.1:0"], &[SECRET], 1);
    let base = app.addrs[0].clone();
    assert_eq!(
        post(
            &format!("{base}/otp/request"),
            json!({"email": "A@example.com"})
        )
        .await
        .0,
        StatusCode::OK
    );
    let code = printed_code(&app, "a@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        post(
            &format!("{base}/otp/verify"),
            json!({"email": "a@example.com", "code": wrong})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, pair) = post(
        &format!("{base}/otp/verify"),
        json!({"email": "a@example.com", "code": code}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pair}");
    assert_eq!(
        post(
            &format!("{base}/otp/verify"),
            json!({"email": "a@example.com", "code": code})
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED,
        "codes are one-time"
    );
    // The OTP login and refresh work with a stale access token in the header.
    assert_eq!(
        call(
            Method::POST,
            &format!("{base}/otp/request"),
            Some(json!({"email": "b@example.com"})),
            Some(&expired_access()),
        )
        .await
        .0,
        StatusCode::OK
    );
    let code_b = printed_code(&app, "b@example.com").await;
    login_and_refresh_with_a_stale_header(
        &base,
        "/otp/verify",
        json!({"email": "b@example.com", "code": code_b}),
    )
    .await;
    let (status, me) = get(&format!("{base}/api/me/"), Some(&s(&pair, "access"))).await;
    assert_eq!(
        (status, me),
        (
            StatusCode::OK,
            json!({"email": "a@example.com", "login_method": ["otp"]})
        )
    );
    let (status, rotated) = with_refresh(&base, "refresh", &s(&pair, "refresh")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        with_refresh(&base, "blacklist", &s(&rotated, "refresh"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        with_refresh(&base, "refresh", &s(&rotated, "refresh"))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn custom_claims_example_checks_roles() {
    let app = spawn("custom_claims", &["127.0.0.1:0"], &[SECRET], 1);
    let base = app.addrs[0].clone();
    let login = |u: &'static str, p: &'static str| {
        let base = base.clone();
        async move {
            s(
                &post(
                    &format!("{base}/api/token/"),
                    json!({"username": u, "password": p}),
                )
                .await
                .1,
                "access",
            )
        }
    };
    login_and_refresh_with_a_stale_header(
        &base,
        "/api/token/",
        json!({"username": "admin", "password": "admin-pass"}),
    )
    .await;
    let admin = login("admin", "admin-pass").await;
    let viewer = login("viewer", "viewer-pass").await;
    let (status, profile) = get(&format!("{base}/api/profile/"), Some(&admin)).await;
    assert_eq!(
        (status, profile),
        (
            StatusCode::OK,
            json!({"user_id": "1", "roles": ["admin", "staff"], "tenant": "acme"})
        )
    );
    assert_eq!(
        get(&format!("{base}/api/admin/"), Some(&admin)).await.0,
        StatusCode::OK
    );
    let (status, body) = get(&format!("{base}/api/admin/"), Some(&viewer)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::FORBIDDEN,
            json!({"detail": "You do not have permission to perform this action."})
        )
    );
}

#[tokio::test]
async fn multi_instance_example_shares_logout_through_redis() {
    if common::services::redis_reachable().await.is_none() {
        return;
    }
    let prefix = format!("multi-instance-test:{}:", common::services::run_id());
    let app = spawn(
        "multi_instance",
        &["127.0.0.1:0", "127.0.0.1:0"],
        &[
            SECRET,
            ("REDIS_URL", &common::services::redis_url()),
            ("REDIS_PREFIX", &prefix),
        ],
        2,
    );
    let (a, b) = (app.addrs[0].clone(), app.addrs[1].clone());
    for base in [&a, &b] {
        login_and_refresh_with_a_stale_header(
            base,
            "/api/token/",
            json!({"username": "ada", "password": "lovelace"}),
        )
        .await;
    }
    let (status, pair) = post(
        &format!("{a}/api/token/"),
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let access = s(&pair, "access");
    assert_eq!(
        get(&format!("{b}/api/me/"), Some(&access)).await.0,
        StatusCode::OK
    );
    let req_body = json!({"refresh": s(&pair, "refresh")});
    let (status, _) = call(
        Method::POST,
        &format!("{a}/api/token/blacklist/"),
        Some(req_body.clone()),
        Some(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        post(&format!("{b}/api/token/refresh/"), req_body).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&format!("{b}/api/me/"), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED,
        "access token revoked on B too"
    );
}

#[tokio::test]
async fn asymmetric_example_validates_with_the_public_jwks_only() {
    let app = spawn("asymmetric", &["127.0.0.1:0", "127.0.0.1:0"], &[], 2);
    let (issuer, resource) = (app.addrs[0].clone(), app.addrs[1].clone());
    // The issuer signs with ES256: an HS256 token is as stale as it gets.
    login_and_refresh_with_a_stale_header(
        &issuer,
        "/api/token/",
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    let (status, jwks) = get(&format!("{issuer}/.well-known/jwks.json"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks["keys"][0]["kid"], "demo-es256-2026-11");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert!(jwks["keys"][0].get("d").is_none());
    let (status, pair) = post(
        &format!("{issuer}/api/token/"),
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = get(
        &format!("{resource}/api/orders/"),
        Some(&s(&pair, "access")),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!("orders of user \"1\""))
    );
    assert_eq!(
        get(&format!("{resource}/api/orders/"), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn remote_keys_example_verifies_the_providers_tokens_with_its_discovered_keys() {
    let app = spawn("remote_keys", &["127.0.0.1:0", "127.0.0.1:0"], &[], 2);
    let (provider, api) = (app.addrs[0].clone(), app.addrs[1].clone());
    login_and_refresh_with_a_stale_header(
        &provider,
        "/api/token/",
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    let (status, pair) = post(
        &format!("{provider}/api/token/"),
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let access = s(&pair, "access");
    assert_eq!(
        get(&format!("{api}/api/me/"), Some(&access)).await,
        (StatusCode::OK, json!("1"))
    );
    assert_eq!(
        get(&format!("{api}/api/me/"), Some("not.a.token")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = post(
        &format!("{api}/api/token/verify/"),
        json!({"token": access}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Verify only: the API mints nothing.
    let (status, _) = post(
        &format!("{api}/api/token/"),
        json!({"username": "ada", "password": "lovelace"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, health) = get(&format!("{api}/healthz"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (health["ready"].clone(), health["keys"].clone()),
        (json!(true), json!(1))
    );
    let lines = app.lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/.well-known/jwks.json (Startup): kids [Some(\"idp-2026-12\")]")),
        "{lines:?}"
    );
}
