//! Real services for store tests: URLs, skipping, and a TCP proxy that can
//! cut the connection to simulate an outage and a recovery.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};

/// Set by `.ci/run`: a missing service fails the test instead of skipping it.
pub const REQUIRE_VAR: &str = "TOWER_SIMPLEJWT_REQUIRE_SERVICES";

pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The nodes of the local Redis Cluster `scripts/redis-cluster.sh` starts.
pub fn redis_cluster_urls() -> Vec<String> {
    std::env::var("REDIS_CLUSTER_URLS")
        .unwrap_or_else(|_| {
            (7101..=7106)
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .split(',')
        .map(str::to_owned)
        .collect()
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Skips (printing why) or, under CI, fails.
pub fn unavailable<T>(service: &str, why: impl std::fmt::Display) -> Option<T> {
    if std::env::var_os(REQUIRE_VAR).is_some() {
        panic!("{service} is required ({REQUIRE_VAR} is set) but unavailable: {why}");
    }
    eprintln!("SKIPPED: {service} unavailable ({why}); set {REQUIRE_VAR}=1 to make this a failure");
    None
}

/// A unique name for this test run (schemas, key prefixes).
pub fn run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "t{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A TCP proxy in front of a service. `set_up(false)` drops every open
/// connection and refuses new ones, like a server going away;
/// `set_stalled(true)` keeps connections open but forwards nothing, like a
/// silent network.
#[derive(Clone)]
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
}

/// Copies `from` to `to` until either closes, holding the bytes while
/// `stalled` is set.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    pub async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            up: Arc::new(AtomicBool::new(true)),
            stalled: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(AtomicU64::new(0)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if !p.up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let (target, p) = (target.clone(), p.clone());
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let generation = p.generation.load(Ordering::SeqCst);
                    let watch = async {
                        while p.generation.load(Ordering::SeqCst) == generation {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    tokio::select! {
                        _ = pump(in_read, out_write, p.stalled.clone()) => {}
                        _ = pump(out_read, in_write, p.stalled.clone()) => {}
                        _ = watch => {}
                    }
                });
            }
        });
        proxy
    }

    pub fn set_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::SeqCst);
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `Some(())` when Redis answers PING; otherwise skips (or fails under CI).
pub async fn redis_reachable() -> Option<()> {
    let client = match redis::Client::open(redis_url()) {
        Ok(c) => c,
        Err(e) => return unavailable("Redis", e),
    };
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), attempt).await {
        Ok(Ok(_)) => Some(()),
        Ok(Err(e)) => unavailable("Redis", e),
        Err(_) => unavailable("Redis", "timed out"),
    }
}

/// The Python of the interoperability tests (PyJWT, Django, Simple JWT):
/// `TOWER_SIMPLEJWT_PYTHON`, else the virtual environment `.ci/run` makes;
/// otherwise skips (or fails under CI), saying how to make it.
pub fn interop_python(what: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("TOWER_SIMPLEJWT_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python")
        });
    if path.exists() {
        Some(path)
    } else {
        unavailable(
            what,
            format!(
                "no Python at {} (create it with `python3 -m venv target/interop-venv && \
                 target/interop-venv/bin/pip install -r tests/interop/requirements.txt`)",
                path.display()
            ),
        )
    }
}
