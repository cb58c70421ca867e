//! The layer's cost per request: the same tower service with and without
//! `JwtAuthLayer`, driven in process; plus store lookups and refresh with
//! rotation through the endpoint service.
//!
//! `cargo bench --bench layer`

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group};
use http::{Request, Response};
use tower::{Service, ServiceExt, service_fn};
use tower_layer::Layer;
use tower_simplejwt::endpoints::TokenEndpoints;
use tower_simplejwt::store::{RevocationQuery, RevocationStore};
use tower_simplejwt::{MemoryStore, SimpleJwt};

const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret!!";

fn handler()
-> impl Service<Request<String>, Response = Response<String>, Error = Infallible, Future: Send> + Clone
{
    service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    })
}

fn request(token: &str) -> Request<String> {
    Request::builder()
        .uri("/api/hello/")
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json")
        .header("user-agent", "bench")
        .body(String::new())
        .unwrap()
}

fn layer_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let token = jwt.for_user(42).access().unwrap();
    let revoking = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_access_revocation(true)
        .build()
        .unwrap();
    let revoking_token = revoking.for_user(42).access().unwrap();

    let mut g = c.benchmark_group("service_per_request");
    let bare = handler();
    g.bench_function("without_layer", |b| {
        b.to_async(&rt).iter(|| {
            let svc = bare.clone();
            let req = request(&token);
            async move { black_box(svc.oneshot(req).await.unwrap()) }
        })
    });
    let layered = jwt.layer().required().layer(handler());
    g.bench_function("with_layer_hs256", |b| {
        b.to_async(&rt).iter(|| {
            let svc = layered.clone();
            let req = request(&token);
            async move { black_box(svc.oneshot(req).await.unwrap()) }
        })
    });
    let layered_revocation = revoking.layer().required().layer(handler());
    g.bench_function("with_layer_and_memory_revocation_check", |b| {
        b.to_async(&rt).iter(|| {
            let svc = layered_revocation.clone();
            let req = request(&revoking_token);
            async move { black_box(svc.oneshot(req).await.unwrap()) }
        })
    });
    g.finish();
}

/// The same through axum: a `Router` with one route, with and without the
/// layer (axum adds its own per-layer boxing on top of the layer's work).
fn axum_router(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let token = jwt.for_user(42).access().unwrap();
    let handler = || async { axum::Json(serde_json::json!({ "status": "ok" })) };
    let bare = axum::Router::new().route("/api/hello/", axum::routing::get(handler));
    let layered = axum::Router::new()
        .route("/api/hello/", axum::routing::get(handler))
        .layer(jwt.layer());
    let request = || {
        Request::builder()
            .uri("/api/hello/")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let mut g = c.benchmark_group("axum_router_per_request");
    g.bench_function("without_layer", |b| {
        b.to_async(&rt).iter(|| {
            let app = bare.clone();
            let req = request();
            async move { black_box(app.oneshot(req).await.unwrap()) }
        })
    });
    g.bench_function("with_layer_hs256", |b| {
        b.to_async(&rt).iter(|| {
            let app = layered.clone();
            let req = request();
            async move { black_box(app.oneshot(req).await.unwrap()) }
        })
    });
    g.finish();
}

fn store_lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut stores: Vec<(&str, Arc<dyn RevocationStore>)> =
        vec![("memory", Arc::new(MemoryStore::new()))];
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("simplejwt-bench-{}.db", std::process::id()));
        if let Ok(s) =
            tower_simplejwt::store::sql::SqlStore::connect(&format!("sqlite://{}", dir.display()))
                .await
        {
            if s.migrate().await.is_ok() {
                stores.push(("sqlite", Arc::new(s)));
            }
        }
        let pg = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        if let Ok(s) = tower_simplejwt::store::sql::SqlStore::connect(&pg).await {
            if s.migrate().await.is_ok() {
                stores.push(("postgres", Arc::new(s)));
            }
        }
        let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        if let Ok(s) = tower_simplejwt::store::redis::RedisStore::connect(&redis).await {
            stores.push(("redis", Arc::new(s.with_prefix("simplejwt-bench:"))));
        }
    });
    let mut g = c.benchmark_group("store_is_revoked");
    for (name, store) in stores {
        rt.block_on(store.blacklist(tower_simplejwt::store::BlacklistEntry::new(
            "bench-revoked",
            4_000_000_000,
            1_800_000_000,
        )))
        .unwrap();
        g.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let store = store.clone();
                async move {
                    black_box(
                        store
                            .is_revoked(
                                RevocationQuery::new("0123456789abcdef0123456789abcdef")
                                    .with_family("fedcba9876543210fedcba9876543210")
                                    .with_user("42", Some(1_800_000_000)),
                            )
                            .await
                            .unwrap(),
                    )
                }
            })
        });
    }
    g.finish();
}

fn refresh_rotation(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .stateless()
        .build()
        .unwrap();
    let mut refresh = rt.block_on(jwt.for_user(42).pair()).unwrap().refresh;
    c.bench_function("refresh_with_rotation_memory_store", |b| {
        b.iter(|| {
            let req = Request::post("/api/token/refresh/")
                .header("content-type", "application/json")
                .body(format!(r#"{{"refresh":"{refresh}"}}"#))
                .unwrap();
            let res = rt.block_on(endpoints.refresh().oneshot(req)).unwrap();
            let body = rt
                .block_on(http_body_util::BodyExt::collect(res.into_body()))
                .unwrap()
                .to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            refresh = v["refresh"].as_str().unwrap().to_owned();
        })
    });
}

/// A route behind the layer with a revocation check on every request
/// (access revocation on), per store: the memory store, Redis with and
/// without its client-side cache, PostgreSQL with and without the
/// negative-answer cache. The same token every time, as a client sends it.
/// Every store the machine has, each under the name the figures use.
fn stores(rt: &tokio::runtime::Runtime) -> Vec<(&'static str, Arc<dyn RevocationStore>)> {
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let pg = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    rt.block_on(async {
        use tower_simplejwt::store::RevokedCache;
        use tower_simplejwt::store::redis::RedisStore;
        use tower_simplejwt::store::sql::SqlStore;
        let mut stores: Vec<(&str, Arc<dyn RevocationStore>)> =
            vec![("memory", Arc::new(MemoryStore::new()))];
        if let Ok(s) = RedisStore::connect(&redis).await {
            stores.push(("redis", Arc::new(s.with_prefix("simplejwt-bench:"))));
        }
        if let Ok(s) = RedisStore::connect(&redis).await {
            let s = s.with_prefix("simplejwt-bench:");
            if let Ok(feed) = s
                .invalidation_feed(&redis, std::time::Duration::from_secs(1))
                .await
            {
                let cache = RevokedCache::new(s, 10_000, std::time::Duration::from_secs(600))
                    .with_invalidations(feed);
                stores.push(("redis_invalidation_feed", Arc::new(cache)));
            }
        }
        if let Ok(s) = SqlStore::connect(&pg).await {
            if s.migrate().await.is_ok() {
                stores.push(("postgres", Arc::new(s)));
            }
        }
        if let Ok(s) = SqlStore::connect(&pg).await {
            let cache = RevokedCache::new(s, 10_000, std::time::Duration::from_secs(600))
                .with_not_revoked_for(std::time::Duration::from_secs(1));
            stores.push(("postgres_not_revoked_cache", Arc::new(cache)));
        }
        if let Ok(s) = SqlStore::connect(&pg).await {
            if let Ok(feed) = s.invalidation_feed(std::time::Duration::from_secs(1)).await {
                let cache = RevokedCache::new(s, 10_000, std::time::Duration::from_secs(600))
                    .with_invalidations(feed);
                stores.push(("postgres_invalidation_feed", Arc::new(cache)));
            }
        }
        stores
    })
}

/// An app checking revocation on every request on `store`, and a token.
fn revoking(store: Arc<dyn RevocationStore>) -> (SimpleJwt, String) {
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_shared_store(store)
        .with_access_revocation(true)
        .build()
        .unwrap();
    let token = jwt.for_user(42).access().unwrap();
    (jwt, token)
}

fn revocation_check_per_request(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("revocation_check_per_request");
    for (name, store) in stores(&rt) {
        let (jwt, token) = revoking(store);
        let svc = jwt.layer().required().layer(handler());
        // Checked once: caches are warm.
        let res = rt.block_on(svc.clone().oneshot(request(&token))).unwrap();
        assert_eq!(res.status(), 200, "{name}");
        g.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let svc = svc.clone();
                let req = request(&token);
                async move { black_box(svc.oneshot(req).await.unwrap()) }
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    revocation_check_per_request,
    layer_cost,
    axum_router,
    store_lookup,
    refresh_rotation
);

/// `LAYER_COUNT="<store> <n>"`: `n` requests through the revoking route on
/// one store, nothing else (for `scripts/layer_instructions.sh`).
fn count(spec: &str) {
    let mut parts = spec.split_whitespace();
    let (wanted, n) = (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (name, store) = stores(&rt)
        .into_iter()
        .find(|(name, _)| *name == wanted)
        .unwrap_or_else(|| panic!("store {wanted} unavailable"));
    let (jwt, token) = revoking(store);
    let svc = jwt.layer().required().layer(handler());
    let res = rt.block_on(svc.clone().oneshot(request(&token))).unwrap();
    assert_eq!(res.status(), 200, "{name}");
    rt.block_on(async {
        for _ in 0..n {
            let res = svc.clone().oneshot(request(&token)).await.unwrap();
            assert_eq!(res.status(), 200);
        }
    });
}

fn main() {
    if let Ok(spec) = std::env::var("LAYER_COUNT") {
        return count(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
