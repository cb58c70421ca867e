//! A cache in front of a remote store that keeps revocation correct. By
//! default it only remembers "revoked" answers, which never become false
//! while the token can still be used (blacklist entries outlive their tokens
//! and "revoked before" instants only move forward), so a revocation made by
//! another instance is seen at once. With
//! [`with_not_revoked_for`](RevokedCache::with_not_revoked_for) it also
//! answers "not revoked" from memory, for at most the bound the app sets.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};
use crate::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore, StoreFuture,
};

/// The whole question, as a cache key.
fn query_key(q: &RevocationQuery<'_>) -> String {
    format!(
        "q:{}\0{}\0{}\0{}",
        q.jti,
        q.family.unwrap_or(""),
        q.user_id.unwrap_or(""),
        q.issued_at.map_or(String::new(), |t| t.to_string())
    )
}

/// Wraps a store and answers repeated questions about revoked tokens from
/// memory (for example a client replaying a logged-out token), sparing the
/// round trip to Redis or the database.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tower_simplejwt::MemoryStore;
/// use tower_simplejwt::store::{BlacklistEntry, RevocationQuery, RevocationStore, RevokedCache};
///
/// let store = RevokedCache::new(MemoryStore::new(), 10_000, Duration::from_secs(600));
/// let entry = BlacklistEntry::new("abc", 1_800_000_600, 1_800_000_000);
/// store.blacklist(entry).await.unwrap();
/// let q = RevocationQuery::new("abc");
/// assert!(store.is_revoked(q).await.unwrap());
/// assert_eq!(store.is_revoked_now(q), Some(true)); // answered from memory
/// # });
/// ```
pub struct RevokedCache<S> {
    inner: S,
    capacity: usize,
    ttl: u64,
    /// `j:<jti>`, `f:<family>` or a whole query -> cached until (Unix seconds).
    revoked: Mutex<HashMap<String, u64>>,
    /// How long a "not revoked" answer may be served from memory.
    not_revoked_for: Option<Duration>,
    /// `j:<jti>` (not blacklisted), `f:<family>` (not revoked), `u:<user>`
    /// (no revocation covers tokens issued from the instant kept) -> (until,
    /// that instant).
    clear: Mutex<HashMap<String, (Instant, u64)>>,
    /// Bumped by every revocation made through this cache: an answer the
    /// store gave before one is not cached after it.
    writes: AtomicU64,
}

impl<S> fmt::Debug for RevokedCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevokedCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl<S: RevocationStore> RevokedCache<S> {
    /// Remembers up to `capacity` revoked ids, each for `ttl`.
    pub fn new(inner: S, capacity: usize, ttl: Duration) -> Self {
        Self {
            inner,
            capacity: capacity.max(1),
            ttl: ttl.as_secs().max(1),
            revoked: Mutex::new(HashMap::new()),
            not_revoked_for: None,
            clear: Mutex::new(HashMap::new()),
            writes: AtomicU64::new(0),
        }
    }

    /// Also answers "not revoked" from memory, each answer for at most
    /// `bound`, the staleness bound: a revocation made by another instance
    /// is seen here within `bound`; one made through this cache at once.
    /// The auth layer then decides without waiting on the store for tokens
    /// it has checked in the last `bound`.
    #[must_use]
    pub fn with_not_revoked_for(mut self, bound: Duration) -> Self {
        self.not_revoked_for = Some(bound).filter(|b| !b.is_zero());
        self
    }

    /// Forgets what a revocation of `component` changes, so this instance's
    /// next check asks the store.
    fn revoked_here(&self, component: &str) {
        if self.not_revoked_for.is_some() {
            self.writes.fetch_add(1, Ordering::AcqRel);
            self.clear
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(component);
        }
    }

    /// The components of a query answered "not revoked".
    fn components(q: &RevocationQuery<'_>) -> Vec<(String, u64)> {
        let mut parts = vec![(format!("j:{}", q.jti), 0)];
        if let Some(f) = q.family {
            parts.push((format!("f:{f}"), 0));
        }
        if let (Some(u), Some(iat)) = (q.user_id, q.issued_at) {
            parts.push((format!("u:{u}"), iat));
        }
        parts
    }

    /// "Not revoked", from memory, when every part of `q` was seen clear
    /// within the bound.
    fn known_clear(&self, q: &RevocationQuery<'_>) -> bool {
        if self.not_revoked_for.is_none() || (q.user_id.is_some() && q.issued_at.is_none()) {
            return false;
        }
        let now = Instant::now();
        let clear = self.clear.lock().unwrap_or_else(|p| p.into_inner());
        Self::components(q).iter().all(|(key, iat)| {
            clear
                .get(key)
                .is_some_and(|(until, from)| *until > now && from <= iat)
        })
    }

    /// Remembers that `q` was not revoked, unless a revocation went through
    /// this cache since the store was asked (`writes` then moved on).
    fn remember_clear(&self, q: &RevocationQuery<'_>, writes_before: u64) {
        let Some(bound) = self.not_revoked_for else {
            return;
        };
        if q.user_id.is_some() && q.issued_at.is_none() {
            return;
        }
        let mut clear = self.clear.lock().unwrap_or_else(|p| p.into_inner());
        if self.writes.load(Ordering::Acquire) != writes_before {
            return;
        }
        let now = Instant::now();
        if clear.len() >= self.capacity {
            clear.retain(|_, (until, _)| *until > now);
            if clear.len() >= self.capacity {
                clear.clear();
            }
        }
        let until = now + bound;
        for (key, iat) in Self::components(q) {
            // Each entry is exactly one answer, the newest: merging an older
            // answer's instant with a newer answer's expiry could outlive
            // the bound.
            clear.insert(key, (until, iat));
        }
    }

    /// How many revoked answers are remembered now (at most the capacity).
    pub fn cached(&self) -> usize {
        self.revoked.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn now() -> u64 {
        SystemClock.now()
    }

    /// Remembers `key` as revoked for the cache's time to live, or for
    /// `lifetime` seconds when the entry itself lives less.
    fn remember(&self, key: String, lifetime: Option<u64>) {
        let now = Self::now();
        let mut map = self.revoked.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, until| *until > now);
            if map.len() >= self.capacity {
                // Forgetting is always safe: the store is asked again.
                map.clear();
            }
        }
        let keep = lifetime.map_or(self.ttl, |l| l.min(self.ttl));
        if keep > 0 {
            map.insert(key, now + keep);
        }
    }

    fn known(&self, q: &RevocationQuery<'_>) -> bool {
        let now = Self::now();
        let map = self.revoked.lock().unwrap_or_else(|p| p.into_inner());
        let hit = |k: &str| map.get(k).is_some_and(|until| *until > now);
        hit(&format!("j:{}", q.jti))
            || q.family.is_some_and(|f| hit(&format!("f:{f}")))
            || hit(&query_key(q))
    }
}

impl<S: RevocationStore> RevocationStore for RevokedCache<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn blacklist<'a>(&'a self, entry: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        Box::pin(async move {
            let outcome = self.inner.blacklist(entry).await?;
            self.revoked_here(&format!("j:{}", entry.jti));
            let lifetime = entry.expires_at.saturating_sub(entry.now);
            self.remember(format!("j:{}", entry.jti), Some(lifetime));
            Ok(outcome)
        })
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.inner.revoke_family(family, expires_at, now).await?;
            self.revoked_here(&format!("f:{family}"));
            self.remember(format!("f:{family}"), Some(expires_at.saturating_sub(now)));
            Ok(())
        })
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.inner
                .revoke_user_before(user_id, instant, keep_until, now)
                .await?;
            self.revoked_here(&format!("u:{user_id}"));
            Ok(())
        })
    }

    fn is_revoked<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if self.known(&query) {
                return Ok(true);
            }
            if self.known_clear(&query) {
                return Ok(false);
            }
            let writes = self.writes.load(Ordering::Acquire);
            let revoked = self.inner.is_revoked(query).await?;
            if revoked {
                // Whatever revoked this exact token stays true for it.
                self.remember(query_key(&query), None);
            } else {
                self.remember_clear(&query, writes);
            }
            Ok(revoked)
        })
    }

    fn is_revoked_now(&self, query: RevocationQuery<'_>) -> Option<bool> {
        if self.known(&query) {
            return Some(true);
        }
        if self.known_clear(&query) {
            return Some(false);
        }
        self.inner.is_revoked_now(query)
    }

    fn record_outstanding(&self, token: OutstandingToken, now: u64) -> StoreFuture<'_, ()> {
        self.inner.record_outstanding(token, now)
    }

    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        self.inner.outstanding_for_user(user_id, now)
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        self.revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > Self::now());
        self.inner.flush_expired(now)
    }
}
