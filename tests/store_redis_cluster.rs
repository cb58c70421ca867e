//! The Redis store on a real Redis Cluster (three primaries, three
//! replicas; `scripts/redis-cluster.sh start`, which `.ci/run` runs): the
//! conformance suite, the endpoint suite (with its 50 concurrent refreshes),
//! two instances, and the flush reaching every primary.

mod common;
#[macro_use]
mod suite;

use std::sync::Arc;

use common::services::{redis_cluster_urls, run_id, unavailable};
use tower_simplejwt::RevocationStore;
use tower_simplejwt::store::OutstandingToken;
use tower_simplejwt::store::conformance::SharedStore;
use tower_simplejwt::store::redis::RedisStore;

async fn connect(prefix: &str) -> Option<RedisStore<redis::cluster_async::ClusterConnection>> {
    match RedisStore::connect_cluster(redis_cluster_urls()).await {
        Ok(store) => {
            let store = store.with_prefix(prefix);
            match store.ping().await {
                Ok(()) => Some(store),
                Err(e) => unavailable("Redis Cluster", e),
            }
        }
        Err(e) => unavailable("Redis Cluster (scripts/redis-cluster.sh start)", e),
    }
}

fn prefix() -> String {
    format!("simplejwt-cluster:{}:", run_id())
}

async fn make() -> Option<SharedStore> {
    connect(&prefix()).await.map(|s| Arc::new(s) as SharedStore)
}

tower_simplejwt::store_conformance_tests!(make());
endpoint_suite!(make());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_revocations_on_a_cluster() {
    let p = prefix();
    let (Some(a), Some(b)) = (connect(&p).await, connect(&p).await) else {
        return;
    };
    suite::durable::two_instances_share_revocations(Arc::new(a), Arc::new(b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revocation_check_reads_keys_on_every_primary_in_one_call() {
    let Some(store) = connect(&prefix()).await else {
        return;
    };
    // Keys of one query spread over the cluster's slots: the check still
    // answers (a pipeline would get CROSSSLOT).
    let now = 1_900_000_000;
    for i in 0..30 {
        let (jti, family, user) = (format!("j{i}"), format!("f{i}"), format!("u{i}"));
        let q = tower_simplejwt::store::RevocationQuery::new(&jti)
            .with_family(&family)
            .with_user(&user, Some(now - 1));
        assert!(!store.is_revoked(q).await.unwrap());
        match i % 3 {
            0 => {
                let e = tower_simplejwt::store::BlacklistEntry::new(&jti, now + 60, now);
                store.blacklist(e).await.unwrap();
            }
            1 => store.revoke_family(&family, now + 60, now).await.unwrap(),
            _ => store
                .revoke_user_before(&user, now, now + 60, now)
                .await
                .unwrap(),
        }
        assert!(store.is_revoked(q).await.unwrap(), "query {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flush_prunes_outstanding_tokens_on_every_primary() {
    let Some(store) = connect(&prefix()).await else {
        return;
    };
    let now = 1_900_000_000;
    // 40 users: their sets land on all three primaries.
    for i in 0..40 {
        let user = format!("user-{i}");
        for (jti, exp) in [
            (format!("old-{i}"), now + 10),
            (format!("new-{i}"), now + 1000),
        ] {
            let t = OutstandingToken::new(jti, user.clone(), now - 5, exp);
            store.record_outstanding(t, now).await.unwrap();
        }
    }
    let removed = store.flush_expired(now + 100).await.unwrap();
    assert_eq!(removed, 40, "one expired token per user, wherever it lives");
    for i in 0..40 {
        let left = store
            .outstanding_for_user(&format!("user-{i}"), now + 100)
            .await
            .unwrap();
        assert_eq!(left.len(), 1);
    }
}
