//! Refresh with rotation over HTTP, per shared store: requests/s with one app
//! instance and with two sharing the store. Every request spends a distinct
//! refresh token (rotation blacklists it, records the new one), so each one
//! costs the store its real writes.
//!
//! `cargo bench --bench refresh_load` (env: `REQUESTS`, default 4000;
//! `CONNS`, default 32; `REDIS_URL`, `DATABASE_URL`)
//!
//! Each instance is an axum server with its own runtime (one worker
//! thread) and its own store connection; the client (hyper, `CONNS`
//! keep-alive connections spread over the instances) runs on a third. On a
//! two-core machine two instances share the cores with the client, so the
//! second instance shows what the store allows, not a doubling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::store::RevocationStore;
use tower_simplejwt::store::redis::RedisStore;
use tower_simplejwt::store::sql::SqlStore;
use tower_simplejwt::{MemoryStore, SimpleJwt};

const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret!!";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn jwt(store: Arc<dyn RevocationStore>) -> SimpleJwt {
    SimpleJwt::builder()
        .with_secret(SECRET)
        .with_shared_store(store)
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .expect("configuration")
}

/// Opens a connection to the store named `kind` (one per instance, as
/// separate processes would have).
async fn open(kind: &str, prefix: &str) -> Option<Arc<dyn RevocationStore>> {
    match kind {
        "memory" => Some(Arc::new(MemoryStore::new())),
        "redis" => {
            let url =
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            let store = RedisStore::connect(&url).await.ok()?.with_prefix(prefix);
            Some(Arc::new(store))
        }
        _ => {
            let url = std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let store = SqlStore::connect(&url).await.ok()?;
            store.migrate().await.ok()?;
            Some(Arc::new(store))
        }
    }
}

/// Starts one instance on its own single-thread runtime; returns its address.
fn start_instance(kind: &'static str, prefix: String) -> Option<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let Some(store) = open(kind, &prefix).await else {
                let _ = tx.send(None);
                return;
            };
            let jwt = jwt(store);
            let app: axum::Router = TokenEndpoints::builder(jwt.clone())
                .stateless()
                .build()
                .unwrap()
                .router()
                .layer(jwt.layer());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _ = tx.send(Some(listener.local_addr().unwrap()));
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().ok().flatten()
}

/// Refreshes `requests` distinct tokens through `instances`; returns requests/s.
fn run(kind: &'static str, instances: usize, requests: usize, conns: usize) -> Option<f64> {
    let prefix = format!("simplejwt-bench-refresh:{}:", std::process::id());
    let addrs: Option<Vec<SocketAddr>> = (0..instances)
        .map(|_| start_instance(kind, prefix.clone()))
        .collect();
    let addrs = addrs?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // Tokens minted from app code, recorded in the store like logins.
        let minter = jwt(open(kind, &prefix).await?);
        let mut tokens = Vec::with_capacity(requests);
        for i in 0..requests {
            tokens.push(minter.for_user(i % 1000).pair().await.ok()?.refresh);
        }
        let tokens = Arc::new(tokens);
        let next = Arc::new(AtomicUsize::new(0));
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(conns)
            .build_http();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..conns {
            let (tokens, next, client) = (tokens.clone(), next.clone(), client.clone());
            let addr = addrs[c % addrs.len()];
            tasks.push(tokio::spawn(async move {
                let mut ok = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(token) = tokens.get(i) else {
                        return ok;
                    };
                    let req = http::Request::post(format!("http://{addr}/api/token/refresh/"))
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(format!(
                            r#"{{"refresh":"{token}"}}"#
                        ))))
                        .unwrap();
                    let res = client.request(req).await.expect("request");
                    let status = res.status();
                    let _ = res.into_body().collect().await;
                    assert_eq!(status, 200, "every token is refreshed exactly once");
                    ok += 1;
                }
            }));
        }
        let mut done = 0;
        for t in tasks {
            done += t.await.unwrap();
        }
        assert_eq!(done, requests);
        Some(requests as f64 / started.elapsed().as_secs_f64())
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks stores.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let requests = env_usize("REQUESTS", 4000);
    let conns = env_usize("CONNS", 32);
    let mut memory_one = None;
    for kind in ["memory", "redis", "postgres"] {
        if !filter.is_empty() && !filter.iter().any(|f| kind.contains(f.as_str())) {
            continue;
        }
        for instances in [1, 2] {
            match run(kind, instances, requests, conns) {
                Some(rps) => {
                    if kind == "memory" && instances == 1 {
                        memory_one = Some(rps);
                    }
                    let ratio = memory_one.map_or(String::new(), |m| {
                        format!(" ({:.2}x memory, 1 instance)", rps / m)
                    });
                    println!(
                        "refresh_rotation/{kind}/{instances}_instance{}: {rps:.0} req/s{ratio}",
                        if instances == 1 { "" } else { "s" }
                    );
                }
                None => println!("refresh_rotation/{kind}: store unavailable, skipped"),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
