//! The SQLite store (a file in a temp dir): conformance suite, endpoint
//! suite, two instances, restart, and a broken database.

mod common;
#[macro_use]
mod suite;

use std::sync::Arc;

use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::sql::SqlStore;

async fn open(path: &std::path::Path) -> SqlStore {
    let store = SqlStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

async fn make() -> Option<SharedStore> {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("revocations.db")).await;
    // Keep the directory for the life of the test process.
    std::mem::forget(dir);
    Some(Arc::new(store))
}

tower_simplejwt::store_conformance_tests!(make());
endpoint_suite!(make());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let (a, b) = (open(&path).await, open(&path).await);
    suite::durable::two_instances_share_revocations(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("restart.db");
    let first = open(&path).await;
    suite::durable::revocations_survive_a_restart(Arc::new(first), async {
        Arc::new(open(&path).await) as SharedStore
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_keep_no_raw_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.db");
    let store = open(&path).await;
    store.migrate().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let columns: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM pragma_table_info('simplejwt_blacklist') UNION ALL \
         SELECT name FROM pragma_table_info('simplejwt_outstanding')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let names: Vec<_> = columns.into_iter().map(|c| c.0).collect();
    assert!(
        !names.iter().any(|n| n.contains("token")),
        "no column holds a raw token: {names:?}"
    );
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'simplejwt_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let indexes: Vec<_> = indexes.into_iter().map(|c| c.0).collect();
    for expected in [
        "simplejwt_blacklist_expires_at",
        "simplejwt_outstanding_user_id",
        "simplejwt_user_revocation_keep_until",
    ] {
        assert!(
            indexes.iter().any(|i| i == expected),
            "missing index {expected}: {indexes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_database_fails_closed() {
    use http::StatusCode;
    // A store whose tables were never created: every call errors.
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::connect(&format!(
        "sqlite://{}",
        dir.path().join("empty.db").display()
    ))
    .await
    .unwrap();
    let app = suite::rotating(Arc::new(store));
    let (status, _, _) = app
        .post(
            "/api/token/",
            serde_json::json!({"username": "alice", "password": "wonderland"}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
