//! A Redis Cluster primary stops mid-run and its replica takes over: no
//! revocation is lost (the store waits for a replica to acknowledge each
//! one), and nothing fails open (during the failover a revoked token gets
//! 401 or 503, never 200). Alone in its test binary, so that no other test
//! sees the failover.

mod common;
#[macro_use]
#[allow(unused_macros)]
mod suite;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower_simplejwt::store::redis::RedisStore;

use common::services::{redis_cluster_urls, run_id, unavailable};

fn claim(token: &str, name: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let json: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    match &json[name] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn admin() -> redis::aio::MultiplexedConnection {
    let first = redis_cluster_urls().into_iter().next().unwrap();
    redis::Client::open(first)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The port of the primary serving `key`'s slot.
async fn primary_of(key: &str) -> u16 {
    let mut conn = admin().await;
    let slot: u16 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .unwrap();
    for line in nodes.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !fields[2].contains("master") || fields[2].contains("fail") {
            continue;
        }
        let serves = fields[8..].iter().any(|range| {
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            match (a.parse::<u16>(), b.parse::<u16>()) {
                (Ok(a), Ok(b)) => (a..=b).contains(&slot),
                _ => false,
            }
        });
        if serves {
            let addr = fields[1].split('@').next().unwrap();
            return addr.rsplit(':').next().unwrap().parse().unwrap();
        }
    }
    panic!("no primary serves slot {slot}:\n{nodes}");
}

async fn pid_of(port: u16) -> u32 {
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// Three connected primaries and three replicas, every slot served.
async fn healthy() -> bool {
    let mut conn = admin().await;
    let Ok(info) = redis::cmd("CLUSTER")
        .arg("INFO")
        .query_async::<String>(&mut conn)
        .await
    else {
        return false;
    };
    let Ok(nodes) = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async::<String>(&mut conn)
        .await
    else {
        return false;
    };
    let live: Vec<&str> = nodes
        .lines()
        .filter(|l| l.contains("connected") && !l.contains("fail"))
        .collect();
    info.contains("cluster_state:ok")
        && live.iter().filter(|l| l.contains("master")).count() == 3
        && live.iter().filter(|l| l.contains("slave")).count() == 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_loses_no_revocation_and_never_fails_open() {
    let store = match RedisStore::connect_cluster(redis_cluster_urls()).await {
        Ok(s) => s,
        Err(e) => {
            let _: Option<()> = unavailable("Redis Cluster (scripts/redis-cluster.sh start)", e);
            return;
        }
    };
    if !healthy().await {
        let _: Option<()> = unavailable(
            "a healthy Redis Cluster",
            "not three primaries and three replicas",
        );
        return;
    }
    let prefix = format!("simplejwt-failover:{}:", run_id());
    let store = store
        .with_prefix(&prefix)
        .with_replica_acks(1, Duration::from_millis(500))
        .with_timeout(Duration::from_secs(1));
    let app = suite::durable::instance(Arc::new(store));

    // Logout of one login, and log out everywhere: both acknowledged by a
    // replica before the answer.
    let (_, refresh1) = app.login().await;
    let (status, _, _) = app
        .post("/api/token/blacklist/", json!({"refresh": refresh1}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (access2, refresh2) = app.login().await;
    let req = Request::post("/api/token/logout_all/")
        .header("authorization", format!("Bearer {access2}"))
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.0, StatusCode::OK);

    // The primary holding the user's revocation stops at once (SIGSTOP:
    // no goodbye to the cluster), and comes back 7 seconds later.
    let user_key = format!("{prefix}user:{}", claim(&access2, "user_id"));
    let port = primary_of(&user_key).await;
    let pid = pid_of(port).await;
    signal(pid, "-STOP");
    let resume = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(7)).await;
        signal(pid, "-CONT");
    });

    let probe = |refresh: String| {
        let body = json!({ "refresh": refresh });
        let app = &app;
        async move { app.post("/api/token/refresh/", body).await.0 }
    };
    let mut seen = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(12) {
        let answers = [
            app.me(&access2).await.0,
            probe(refresh2.clone()).await,
            probe(refresh1.clone()).await,
        ];
        for status in answers {
            assert_ne!(
                status,
                StatusCode::OK,
                "a revoked token was accepted during the failover"
            );
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::SERVICE_UNAVAILABLE,
                "{status}"
            );
        }
        seen.extend(answers);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    resume.await.unwrap();
    assert!(
        seen.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "the stopped primary should have made some checks fail closed"
    );

    // The replica took over and holds every revocation.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy().await {
        assert!(Instant::now() < deadline, "the cluster did not heal");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_ne!(
        primary_of(&user_key).await,
        port,
        "the replica was promoted"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answers = [
            app.me(&access2).await.0,
            probe(refresh2.clone()).await,
            probe(refresh1.clone()).await,
        ];
        if answers.iter().all(|s| *s == StatusCode::UNAUTHORIZED) {
            break;
        }
        assert!(!answers.contains(&StatusCode::OK), "{answers:?}");
        assert!(
            Instant::now() < deadline,
            "still {answers:?} after the failover"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And the promoted primary takes new logins (a second after log out
    // everywhere, which also covers its own second) and logouts.
    app.clock.advance(Duration::from_secs(1));
    let (_, refresh3) = app.login().await;
    let (status, _, _) = app
        .post("/api/token/blacklist/", json!({"refresh": refresh3}))
        .await;
    assert_eq!(status, StatusCode::OK);
}
