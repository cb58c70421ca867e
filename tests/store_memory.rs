//! The in-memory store passes the conformance suite.

use std::sync::Arc;

use tower_simplejwt::MemoryStore;
use tower_simplejwt::store::conformance::SharedStore;

async fn make() -> Option<SharedStore> {
    Some(Arc::new(MemoryStore::new()))
}

tower_simplejwt::store_conformance_tests!(make());
