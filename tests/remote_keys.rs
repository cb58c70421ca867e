//! Remote keys against a real HTTP key server on loopback: rotation, a
//! flood of forged `kid`s, a provider that is down, slow, oversized or
//! malformed, discovery, several issuers, and the HTTP rules.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use common::jwks::{Answer, JwksServer, closed_port};
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::remote::{FetchEvent, FetchTrigger, KeyFetchErrorKind};
use tower_simplejwt::{Algorithm, Claims, Key, RemoteKeySet, RemoteKeys, SimpleJwt};

const RSA: &str = include_str!("keys/rsa.pem");
const ES256: &str = include_str!("keys/es256.pem");
const ED25519: &str = include_str!("keys/ed25519.pem");
const LOCAL_SECRET: &str = "the app's own secret, thirty-two bytes or more";

/// An identity provider: signs with one key, under one `kid` and issuer.
fn idp(alg: Algorithm, pem: &str, kid: &str, issuer: &str) -> SimpleJwt {
    SimpleJwt::builder()
        .with_signing_key(Key::private_pem(alg, pem).with_kid(kid))
        .with_issuer(issuer)
        .build()
        .unwrap()
}

fn token(idp: &SimpleJwt) -> String {
    idp.for_user("alice").access().unwrap()
}

/// The JWK Set publishing the public keys of `idps`.
fn set_of(idps: &[&SimpleJwt]) -> Value {
    let keys: Vec<Value> = idps
        .iter()
        .flat_map(|i| i.jwks().keys)
        .map(|k| serde_json::to_value(k).unwrap())
        .collect();
    json!({ "keys": keys })
}

/// Remote keys with test-sized durations.
fn remote(server: &JwksServer) -> RemoteKeys {
    RemoteKeys::jwks_url(server.jwks_url())
        .with_issuer(server.issuer())
        .with_cooldown(Duration::from_secs(1))
        .with_ttl_bounds(Duration::from_secs(1), Duration::from_secs(3600))
        .with_timeout(Duration::from_secs(3))
}

/// An app with its own secret and `keys`: `/api/me/` behind the layer,
/// the token routes beside it.
fn app_with(keys: RemoteKeySet) -> Router {
    let jwt = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .with_remote_keys(keys)
        .build()
        .unwrap();
    app(jwt)
}

fn app(jwt: SimpleJwt) -> Router {
    Router::new()
        .route(
            "/api/me/",
            get(|Claims(c): Claims<Value>| async move { c["user_id"].to_string() }),
        )
        .layer(jwt.layer().required())
        .merge(
            TokenEndpoints::builder(jwt)
                .stateless()
                .build()
                .unwrap()
                .router(),
        )
}

/// `GET /api/me/` with `token`: the status, and `Retry-After` if any.
async fn me(app: &Router, token: &str) -> (StatusCode, Option<String>) {
    let req = Request::get("/api/me/")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status(), retry)
}

async fn verify(app: &Router, token: &str) -> StatusCode {
    let req = Request::post("/api/token/verify/")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "token": token }).to_string()))
        .unwrap();
    app.clone().oneshot(req).await.unwrap().status()
}

/// Polls `cond` every 50 ms for up to `limit`.
async fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cond()
}

/// Records every fetch event.
fn recorder() -> (
    Arc<Mutex<Vec<FetchEvent>>>,
    impl Fn(&FetchEvent) + Send + Sync,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |e: &FetchEvent| {
        sink.lock().unwrap().push(e.clone())
    })
}

#[tokio::test]
async fn a_rotated_in_key_is_accepted_by_its_first_request_and_the_old_one_until_it_leaves() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let old = idp(Algorithm::RS256, RSA, "2026-11", &server.issuer());
    let new = idp(Algorithm::ES256, ES256, "2026-12", &server.issuer());
    server.publish(set_of(&[&old]));
    let app = app_with(remote(&server).load().await.unwrap());
    assert_eq!(server.fetches(), 1);
    assert_eq!(me(&app, &token(&old)).await.0, StatusCode::OK);

    // The provider rotates a key in: its first token is accepted at once,
    // after one fetch made for it.
    server.publish(set_of(&[&old, &new]));
    assert_eq!(me(&app, &token(&new)).await.0, StatusCode::OK);
    assert_eq!(server.fetches(), 2);
    assert_eq!(me(&app, &token(&old)).await.0, StatusCode::OK);
    assert_eq!(me(&app, &token(&new)).await.0, StatusCode::OK);
    assert_eq!(server.fetches(), 2, "known keys need no fetch");

    // The verify endpoint waits for the fetch too (after the cooldown).
    let newer = idp(
        Algorithm::ES256,
        include_str!("keys/es256-b.pem"),
        "2027-01",
        &server.issuer(),
    );
    server.publish(set_of(&[&old, &new, &newer]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(verify(&app, &token(&newer)).await, StatusCode::OK);
    assert_eq!(server.fetches(), 3);

    // The old key leaves the set: once the set is fetched again, its
    // tokens are refused.
    server.publish(set_of(&[&new]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stranger = idp(Algorithm::EdDSA, ED25519, "unknown", &server.issuer());
    assert_eq!(
        me(&app, &token(&stranger)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.fetches(), 4);
    assert_eq!(me(&app, &token(&old)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &token(&new)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_flood_of_forged_kids_fetches_at_most_once_per_cooldown_and_cannot_starve_a_rotation() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let good = idp(Algorithm::RS256, RSA, "good", &server.issuer());
    server.publish(set_of(&[&good]));
    let keys = remote(&server)
        .with_cooldown(Duration::from_secs(2))
        .load()
        .await
        .unwrap();
    let app = app_with(keys);
    let forged: Vec<String> = (0..200)
        .map(|i| {
            let attacker = idp(
                Algorithm::ES256,
                ES256,
                &format!("forged-{i}"),
                &server.issuer(),
            );
            token(&attacker)
        })
        .collect();

    // 200 forged kids at once: one fetch, shared; every one refused.
    let started = Instant::now();
    let answers = futures::future::join_all(forged.iter().map(|t| me(&app, t))).await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(server.fetches(), 2);

    // The provider rotates while the flood goes on. Within the cooldown
    // the new key is refused like any unknown kid; after it, the first
    // request accepts it, whoever started the fetch.
    let rotated = idp(Algorithm::EdDSA, ED25519, "rotated", &server.issuer());
    server.publish(set_of(&[&good, &rotated]));
    let flood = {
        let app = app.clone();
        let forged = forged.clone();
        tokio::spawn(async move {
            for t in forged.iter().cycle().take(4000) {
                let _ = me(&app, t).await;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    assert_eq!(me(&app, &token(&rotated)).await.0, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(started.elapsed())).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(me(&app, &token(&rotated)).await.0, StatusCode::OK);
    flood.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let allowed = 2 + (elapsed / 2.0).ceil() as usize;
    assert!(
        server.fetches() <= allowed,
        "{} fetches in {elapsed:.1} s with a 2 s cooldown",
        server.fetches()
    );
}

#[tokio::test]
async fn a_cancelled_request_does_not_waste_the_fetch_it_started() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let first = idp(Algorithm::RS256, RSA, "first", &server.issuer());
    let second = idp(Algorithm::ES256, ES256, "second", &server.issuer());
    server.publish(set_of(&[&first]));
    let keys = remote(&server).load().await.unwrap();
    let app = app_with(keys.clone());
    server.publish(set_of(&[&first, &second]));
    server.stall();
    // The client gives up while the fetch is stalled.
    let gave_up = tokio::time::timeout(Duration::from_millis(200), me(&app, &token(&second))).await;
    assert!(gave_up.is_err());
    server.release();
    assert!(eventually(Duration::from_secs(3), || keys.health().keys == 2).await);
    // The fetch finished without it; the next request needs no other.
    assert_eq!(me(&app, &token(&second)).await.0, StatusCode::OK);
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn a_slow_provider_never_delays_a_request_whose_key_is_known() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    server.cache_control(Some("max-age=1"));
    let keys = remote(&server)
        .with_timeout(Duration::from_secs(30))
        .load()
        .await
        .unwrap();
    let app = app_with(keys);
    // The background refresh (due at 0.8 s) hangs on the server.
    server.stall();
    assert!(eventually(Duration::from_secs(3), || server.fetches() == 2).await);
    for _ in 0..20 {
        let answer = tokio::time::timeout(Duration::from_secs(2), me(&app, &token(&idp))).await;
        assert_eq!(
            answer.expect("a request waited on the key server").0,
            StatusCode::OK
        );
    }
    server.release();
}

#[tokio::test]
async fn a_provider_down_at_startup_fails_load_and_starts_degraded_with_start() {
    // Fail fast: nothing listens, or the server errs.
    let nobody = closed_port().await;
    let err = RemoteKeys::jwks_url(format!("http://{nobody}/jwks.json"))
        .load()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Network, "{err}");
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.answer_with(Answer::Status(500));
    let err = remote(&server).load().await.unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Status);
    assert!(err.to_string().contains("500"), "{err}");

    // Start degraded: 503 with Retry-After (never 401) until a fetch works.
    let (events, hook) = recorder();
    let keys = remote(&server).on_fetch(hook).start().unwrap();
    let app = app_with(keys.clone());
    assert!(eventually(Duration::from_secs(2), || keys.health().failures >= 1).await);
    let (status, retry) = me(&app, &token(&idp)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(
        verify(&app, &token(&idp)).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Our own tokens do not depend on the provider.
    let local = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .build()
        .unwrap();
    assert_eq!(me(&app, &token(&local)).await.0, StatusCode::OK);
    let health = keys.health();
    assert!(!health.ready && health.last_success.is_none());
    assert!(health.last_failure.unwrap().1.contains("500"));

    server.publish(set_of(&[&idp]));
    server.answer_with(Answer::Set);
    assert!(eventually(Duration::from_secs(5), || keys.health().ready).await);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    let events = events.lock().unwrap();
    assert_eq!(events[0].trigger, FetchTrigger::Startup);
    assert!(events[0].outcome.is_err());
    assert_eq!(events.last().unwrap().trigger, FetchTrigger::Retry);
    assert!(events.last().unwrap().outcome.is_ok());
}

#[tokio::test]
async fn an_initial_set_serves_while_the_provider_is_down() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::ES256, ES256, "k", &server.issuer());
    server.answer_with(Answer::Status(503));
    let seed = serde_json::from_value(set_of(&[&idp])).unwrap();
    let keys = remote(&server).with_initial_set(seed).start().unwrap();
    let app = app_with(keys.clone());
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    assert!(eventually(Duration::from_secs(2), || keys.health().failures >= 1).await);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_provider_down_later_keeps_the_last_set_within_the_bound_then_answers_503() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    server.cache_control(Some("max-age=1"));
    let keys = remote(&server)
        .with_stale_for(Duration::from_secs(2))
        .load()
        .await
        .unwrap();
    let loaded = Instant::now();
    let app = app_with(keys.clone());
    server.answer_with(Answer::Status(502));

    // Fresh for 1 s, then stale but usable until 3 s: never a 401 or 503.
    assert!(eventually(Duration::from_secs(3), || keys.health().stale).await);
    assert!(keys.health().ready && keys.health().failures >= 1);
    assert!(loaded.elapsed() < Duration::from_millis(2500));
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    // Past the bound: 503 with Retry-After, never 401.
    assert!(eventually(Duration::from_secs(4), || !keys.health().ready).await);
    assert!(loaded.elapsed() >= Duration::from_secs(3));
    let (status, retry) = me(&app, &token(&idp)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry.is_some());
    // Back up: served again.
    server.answer_with(Answer::Set);
    assert!(eventually(Duration::from_secs(6), || keys.health().ready).await);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn oversized_or_malformed_sets_are_refused_and_the_last_good_set_is_kept() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.answer_with(Answer::Body(vec![b' '; 4096]));
    let err = remote(&server)
        .with_max_size(1024)
        .load()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::TooLarge);
    for body in [&b"<html>"[..], br#"{"keys": 7}"#, br#"{"keys": []}"#] {
        server.answer_with(Answer::Body(body.to_vec()));
        let err = remote(&server).load().await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                KeyFetchErrorKind::Malformed | KeyFetchErrorKind::NoUsableKey
            ),
            "{err}"
        );
    }

    server.publish(set_of(&[&idp]));
    server.answer_with(Answer::Set);
    server.cache_control(Some("max-age=1"));
    let keys = remote(&server).with_max_size(4096).load().await.unwrap();
    let app = app_with(keys.clone());
    server.answer_with(Answer::Body(br#"{"keys": "#.to_vec()));
    assert!(eventually(Duration::from_secs(3), || keys.health().failures >= 1).await);
    assert!(
        keys.health()
            .last_failure
            .unwrap()
            .1
            .contains("not a JWK Set")
    );
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    assert_eq!(keys.health().keys, 1);
}

#[tokio::test]
async fn unusable_keys_are_skipped_one_by_one_and_each_key_keeps_its_algorithm() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let good = idp(Algorithm::RS256, RSA, "good", &server.issuer());
    let mut set = set_of(&[&good]);
    let rsa = set["keys"][0].clone();
    let mut enc = rsa.clone();
    enc["kid"] = json!("enc");
    enc["use"] = json!("enc");
    let mut oaep = rsa.clone();
    oaep["kid"] = json!("oaep");
    oaep["alg"] = json!("RSA-OAEP-256");
    let mut no_alg = rsa.clone();
    no_alg["kid"] = json!("no-alg");
    no_alg.as_object_mut().unwrap().remove("alg");
    let keys = set["keys"].as_array_mut().unwrap();
    keys.insert(0, enc);
    keys.push(oaep);
    keys.push(no_alg);
    keys.push(json!({ "kty": "oct", "kid": "secret", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" }));
    keys.push(json!({ "kty": "dilithium", "kid": "future", "x": "AAAA" }));
    keys.push(json!({ "kty": "EC", "kid": "broken", "crv": "P-256", "x": "AAAA", "y": "AAAA" }));
    server.publish(set);
    let (events, hook) = recorder();
    let keys = remote(&server).on_fetch(hook).load().await.unwrap();
    {
        let events = events.lock().unwrap();
        let fetched = events[0].outcome.as_ref().unwrap();
        assert_eq!(fetched.kids, vec![Some("good".to_owned())]);
        assert_eq!(fetched.skipped.len(), 6, "{:?}", fetched.skipped);
        for kid in ["enc", "oaep", "no-alg", "secret", "future", "broken"] {
            assert!(
                fetched.skipped.iter().any(|s| s.contains(kid)),
                "{kid} not reported in {:?}",
                fetched.skipped
            );
        }
    }
    let app = app_with(keys);
    assert_eq!(me(&app, &token(&good)).await.0, StatusCode::OK);
    // The same RSA key under another algorithm is refused: one algorithm per key.
    let pss = idp(Algorithm::PS256, RSA, "good", &server.issuer());
    assert_eq!(me(&app, &token(&pss)).await.0, StatusCode::UNAUTHORIZED);
    // The skipped RSA key without `alg` is not used with RS256 either.
    let no_alg = idp(Algorithm::RS256, RSA, "no-alg", &server.issuer());
    assert_eq!(me(&app, &token(&no_alg)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_without_alg_is_bound_to_the_configured_algorithm() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::PS256, RSA, "k", &server.issuer());
    let mut set = set_of(&[&idp]);
    set["keys"][0].as_object_mut().unwrap().remove("alg");
    server.publish(set);
    let keys = remote(&server)
        .with_algorithm(Algorithm::PS256)
        .load()
        .await
        .unwrap();
    let app = app_with(keys);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    let rs = idp_token(Algorithm::RS256, "k", &server.issuer());
    assert_eq!(me(&app, &rs).await.0, StatusCode::UNAUTHORIZED);
}

fn idp_token(alg: Algorithm, kid: &str, issuer: &str) -> String {
    token(&idp(alg, RSA, kid, issuer))
}

#[tokio::test]
async fn cache_control_max_age_sets_the_ttl_within_its_bounds() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    let ttl_of = |cc: Option<&'static str>| {
        let server = server.clone();
        async move {
            server.cache_control(cc);
            let (events, hook) = recorder();
            let keys = remote(&server)
                .with_cache_ttl(Duration::from_secs(600))
                .with_ttl_bounds(Duration::from_secs(60), Duration::from_secs(7200))
                .on_fetch(hook)
                .load()
                .await
                .unwrap();
            drop(keys);
            let events = events.lock().unwrap();
            events[0].outcome.as_ref().unwrap().ttl
        }
    };
    assert_eq!(ttl_of(None).await, Duration::from_secs(600));
    assert_eq!(
        ttl_of(Some("public, max-age=900")).await,
        Duration::from_secs(900)
    );
    assert_eq!(ttl_of(Some("max-age=5")).await, Duration::from_secs(60));
    assert_eq!(
        ttl_of(Some("max-age=86400")).await,
        Duration::from_secs(7200)
    );
    assert_eq!(ttl_of(Some("no-store")).await, Duration::from_secs(60));

    // And the set is refreshed ahead of that expiry, in the background.
    server.cache_control(Some("max-age=1"));
    let before = server.fetches();
    let keys = remote(&server).load().await.unwrap();
    assert!(eventually(Duration::from_secs(4), || server.fetches() >= before + 3).await);
    assert!(!keys.health().stale);
}

#[tokio::test]
async fn discovery_finds_the_set_and_requires_the_configured_issuer() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::ES256, ES256, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    let keys = RemoteKeys::discover(server.issuer()).load().await.unwrap();
    assert_eq!(server.discoveries(), 1);
    assert_eq!(keys.issuer(), Some(server.issuer().as_str()));
    let app = app_with(keys);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    assert_eq!(verify(&app, &token(&idp)).await, StatusCode::OK);
    // Signed with the provider's key but naming another issuer: refused.
    let other = self::idp(Algorithm::ES256, ES256, "k", "https://elsewhere.example");
    assert_eq!(me(&app, &token(&other)).await.0, StatusCode::UNAUTHORIZED);
    // Without an issuer at all: refused too.
    let bare = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::ES256, ES256).with_kid("k"))
        .build()
        .unwrap();
    assert_eq!(me(&app, &token(&bare)).await.0, StatusCode::UNAUTHORIZED);

    // A document that names another issuer is refused.
    server.set_issuer("https://impostor.example");
    let err = RemoteKeys::discover(server.base())
        .load()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::IssuerMismatch);
}

#[tokio::test]
async fn several_issuers_are_routed_by_iss_beside_the_apps_own_tokens() {
    let a = JwksServer::start(json!({ "keys": [] })).await;
    let b = JwksServer::start(json!({ "keys": [] })).await;
    // Both providers use the same `kid`: routing is by issuer, not by kid.
    let idp_a = idp(Algorithm::RS256, RSA, "key-1", &a.issuer());
    let idp_b = idp(Algorithm::ES256, ES256, "key-1", &b.issuer());
    a.publish(set_of(&[&idp_a]));
    b.publish(set_of(&[&idp_b]));
    let jwt = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .with_remote_keys(remote(&a).with_audience("api-a").load().await.unwrap())
        .with_remote_keys(remote(&b).load().await.unwrap())
        .build()
        .unwrap();
    let app = app(jwt);
    let with_aud = |aud: &str| {
        let idp = SimpleJwt::builder()
            .with_signing_key(Key::private_pem(Algorithm::RS256, RSA).with_kid("key-1"))
            .with_issuer(a.issuer())
            .with_audience(aud)
            .build()
            .unwrap();
        token(&idp)
    };
    assert_eq!(me(&app, &with_aud("api-a")).await.0, StatusCode::OK);
    assert_eq!(
        me(&app, &with_aud("api-b")).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The audience is A's own: A's tokens without one are refused.
    assert_eq!(me(&app, &token(&idp_a)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &token(&idp_b)).await.0, StatusCode::OK);
    let local = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .build()
        .unwrap();
    assert_eq!(me(&app, &token(&local)).await.0, StatusCode::OK);
    // B's key under A's issuer: refused (and no fetch from B for it).
    let forged = idp(Algorithm::ES256, ES256, "key-1", &a.issuer());
    assert_eq!(me(&app, &token(&forged)).await.0, StatusCode::UNAUTHORIZED);
    // A token that names A but is signed with the app's own secret.
    let local_as_a = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .with_issuer(a.issuer())
        .build()
        .unwrap();
    assert_eq!(
        me(&app, &token(&local_as_a)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn remote_key_sets_must_be_told_apart_at_build_time() {
    let a = JwksServer::start(json!({ "keys": [] })).await;
    let idp_a = idp(Algorithm::RS256, RSA, "k", &a.issuer());
    a.publish(set_of(&[&idp_a]));
    let one = remote(&a).load().await.unwrap();
    let two = remote(&a).load().await.unwrap();
    let err = SimpleJwt::builder()
        .with_remote_keys(one.clone())
        .with_remote_keys(two)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("two remote key sets"), "{err}");
    let err = SimpleJwt::builder()
        .with_secret(LOCAL_SECRET)
        .with_issuer(a.issuer())
        .with_remote_keys(one)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("own issuer"), "{err}");
}

#[tokio::test]
async fn a_verify_only_configuration_with_remote_keys_mounts_no_minting_routes() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    let jwt = SimpleJwt::builder()
        .with_remote_keys(remote(&server).load().await.unwrap())
        .build()
        .unwrap();
    assert!(jwt.for_user("alice").access().is_err());
    let app = app(jwt);
    assert_eq!(me(&app, &token(&idp)).await.0, StatusCode::OK);
    assert_eq!(verify(&app, &token(&idp)).await, StatusCode::OK);
    assert_eq!(verify(&app, "not.a.token").await, StatusCode::UNAUTHORIZED);
    for path in ["/api/token/", "/api/token/refresh/", "/api/token/sliding/"] {
        let req = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let status = app.clone().oneshot(req).await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn plain_http_and_redirects_to_other_hosts_are_refused() {
    let err = RemoteKeys::jwks_url("http://idp.example.com/jwks.json")
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Url);
    assert!(err.to_string().contains("HTTPS"), "{err}");
    assert!(
        RemoteKeys::jwks_url("http://idp.example.com/jwks.json")
            .insecure_allow_http()
            .start()
            .is_ok()
    );
    let err = RemoteKeys::discover("http://idp.example.com")
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Url);

    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    // Same host: followed.
    server.answer_with(Answer::Redirect(format!("{}/moved.json", server.base())));
    assert!(remote(&server).load().await.is_ok());
    // Another host (the same machine under another name): refused.
    let elsewhere = format!("http://localhost:{}/moved.json", server.addr.port());
    server.answer_with(Answer::Redirect(elsewhere));
    let err = remote(&server).load().await.unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Redirect, "{err}");
}

#[tokio::test]
async fn the_background_task_ends_as_soon_as_the_key_set_is_dropped() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    // An hour-long TTL: the task would sleep for 48 minutes.
    server.cache_control(Some("max-age=3600"));
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = alive();
    let keys = remote(&server).load().await.unwrap();
    // The key set's task, once the fetch's connection is closed.
    assert!(eventually(Duration::from_secs(2), || alive() == before + 1).await);
    let printed = format!("{keys:?}");
    assert!(
        printed.contains(&server.jwks_url()) && printed.contains("ready: true"),
        "{printed}"
    );
    drop(keys);
    assert!(eventually(Duration::from_secs(2), || alive() == before).await);
    assert_eq!(server.fetches(), 1);
}

/// The PyJWT identity provider of `tests/interop/pyjwt_idp.py`, in its own
/// process; killed when dropped.
struct PyIdp {
    child: std::process::Child,
    out: Value,
}

impl Drop for PyIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> Option<std::path::PathBuf> {
    common::services::interop_python("PyJWT")
}

fn start_py_idp() -> Option<PyIdp> {
    use std::io::BufRead;
    let python = python()?;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pyjwt_idp.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let out = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the PyJWT provider printed {line:?}: {e}"));
    Some(PyIdp { child, out })
}

#[tokio::test]
async fn rs256_and_es256_tokens_signed_by_pyjwt_are_verified_with_keys_served_by_another_process() {
    let Some(py) = start_py_idp() else { return };
    let s = |k: &str| py.out[k].as_str().unwrap().to_owned();
    let (events, hook) = recorder();
    let keys = RemoteKeys::jwks_url(s("jwks_url"))
        .with_issuer(s("issuer"))
        .on_fetch(hook)
        .load()
        .await
        .unwrap();
    {
        let events = events.lock().unwrap();
        let fetched = events[0].outcome.as_ref().unwrap();
        assert_eq!(
            fetched.kids,
            vec![Some("py-rsa".to_owned()), Some("py-ec".to_owned())]
        );
        assert_eq!(fetched.skipped.len(), 1, "the encryption key");
        assert_eq!(fetched.ttl, Duration::from_secs(300), "Cache-Control");
    }
    let app = app_with(keys);
    for alg in ["rs256", "es256"] {
        let req = Request::get("/api/me/")
            .header("authorization", format!("Bearer {}", s(alg)))
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{alg}");
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(&body[..], b"\"py-user\"");
        assert_eq!(verify(&app, &s(alg)).await, StatusCode::OK, "{alg}");
    }
    for refused in ["expired", "other_issuer", "unpublished", "wrong_alg"] {
        assert_eq!(
            me(&app, &s(refused)).await.0,
            StatusCode::UNAUTHORIZED,
            "{refused}"
        );
        assert_eq!(
            verify(&app, &s(refused)).await,
            StatusCode::UNAUTHORIZED,
            "{refused}"
        );
    }
}

#[tokio::test]
async fn providers_whose_tokens_share_a_header_are_still_told_apart_by_iss() {
    const ES256_B: &str = include_str!("keys/es256-b.pem");
    let a = JwksServer::start(json!({ "keys": [] })).await;
    let b = JwksServer::start(json!({ "keys": [] })).await;
    // Same algorithm and `kid`: byte-identical headers, different keys.
    let idp_a = idp(Algorithm::ES256, ES256, "main", &a.issuer());
    let idp_b = idp(Algorithm::ES256, ES256_B, "main", &b.issuer());
    a.publish(set_of(&[&idp_a]));
    b.publish(set_of(&[&idp_b]));
    let jwt = SimpleJwt::builder()
        .with_remote_keys(remote(&a).load().await.unwrap())
        .with_remote_keys(remote(&b).load().await.unwrap())
        .build()
        .unwrap();
    let app = app(jwt);
    for _ in 0..3 {
        assert_eq!(me(&app, &token(&idp_a)).await.0, StatusCode::OK);
        assert_eq!(me(&app, &token(&idp_b)).await.0, StatusCode::OK);
    }
    // A bad signature under a header seen before is refused, as is B's
    // key claiming A's issuer.
    let good = token(&idp_a);
    let (message, signature) = good.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let bad = format!("{message}.{flipped}{}", &signature[1..]);
    assert_eq!(me(&app, &bad).await.0, StatusCode::UNAUTHORIZED);
    let b_as_a = idp(Algorithm::ES256, ES256_B, "main", &a.issuer());
    assert_eq!(me(&app, &token(&b_as_a)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!((a.fetches(), b.fetches()), (1, 1));
}

#[tokio::test]
async fn a_fetch_that_hangs_fails_at_the_timeout_and_keeps_the_last_set() {
    let server = JwksServer::start(json!({ "keys": [] })).await;
    let idp = idp(Algorithm::RS256, RSA, "k", &server.issuer());
    server.publish(set_of(&[&idp]));
    server.stall();
    let started = Instant::now();
    let err = remote(&server)
        .with_timeout(Duration::from_secs(1))
        .load()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), KeyFetchErrorKind::Network);
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    server.release();
}
