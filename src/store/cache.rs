//! A cache in front of a remote store that keeps revocation correct. By
//! default it only remembers "revoked" answers, which never become false
//! while the token can still be used (blacklist entries outlive their tokens
//! and "revoked before" instants only move forward), so a revocation made by
//! another instance is seen at once. It can also answer "not revoked" from
//! memory, within a stated staleness bound: for at most a time the app sets
//! ([`with_not_revoked_for`](RevokedCache::with_not_revoked_for)), or for as
//! long as the store's server confirms, through an
//! [`InvalidationFeed`](crate::store::InvalidationFeed), that nothing the
//! answer rests on has changed
//! ([`with_invalidations`](RevokedCache::with_invalidations)).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};
use crate::store::{
    BlacklistEntry, Blacklisted, InvalidationFeed, OutstandingToken, RevocationQuery,
    RevocationStore, StoreFuture,
};

/// `kind` and `id` written into `buf`, as a map key.
fn component<'b>(buf: &'b mut String, kind: &str, id: &str) -> &'b str {
    buf.clear();
    buf.push_str(kind);
    buf.push_str(id);
    buf
}

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

/// The "not revoked" answers a cache holds, by component: `j:<jti>` (not
/// blacklisted), `f:<family>` (not revoked), `u:<user>` (no revocation
/// covers tokens issued from the instant kept). Shared with an
/// [`InvalidationFeed`](crate::store::InvalidationFeed), which removes the
/// components another instance changed.
#[derive(Debug)]
pub(crate) struct ClearMap {
    capacity: std::sync::atomic::AtomicUsize,
    /// Component -> (served until, the instant it covers from).
    map: Mutex<HashMap<String, (Instant, u64)>>,
    /// Bumped by every invalidation: an answer the store gave before one is
    /// not cached after it.
    writes: AtomicU64,
}

impl Default for ClearMap {
    fn default() -> Self {
        Self {
            capacity: std::sync::atomic::AtomicUsize::new(DEFAULT_CLEAR_CAPACITY),
            map: Mutex::new(HashMap::new()),
            writes: AtomicU64::new(0),
        }
    }
}

const DEFAULT_CLEAR_CAPACITY: usize = 100_000;

impl ClearMap {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64)>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets `component`: the next check of a token it covers asks the store.
    pub(crate) fn invalidate(&self, component: &str) {
        self.writes.fetch_add(1, Ordering::AcqRel);
        self.lock().remove(component);
    }

    /// Forgets everything (a lost feed, a flushed database).
    pub(crate) fn invalidate_all(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
        self.lock().clear();
    }

    /// The count to hand back to [`remember`](Self::remember).
    fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// The components of a query answered "not revoked", or `None` when
    /// such an answer cannot be cached (a user check of unknown age).
    fn components(q: &RevocationQuery<'_>) -> Option<Vec<(String, u64)>> {
        let mut parts = vec![(format!("j:{}", q.jti), 0)];
        if let Some(f) = q.family {
            parts.push((format!("f:{f}"), 0));
        }
        match (q.user_id, q.issued_at) {
            (Some(u), Some(iat)) => parts.push((format!("u:{u}"), iat)),
            (Some(_), None) => return None,
            _ => {}
        }
        Some(parts)
    }

    /// Whether every part of `q` is held "not revoked" until after `now`.
    /// On every request: one key buffer, no other allocation.
    fn known_clear(&self, q: &RevocationQuery<'_>, now: Instant) -> bool {
        if q.user_id.is_some() && q.issued_at.is_none() {
            return false;
        }
        let mut key = String::with_capacity(64);
        let map = self.lock();
        let mut clear = |kind: &str, id: &str, iat: u64| {
            map.get(component(&mut key, kind, id))
                .is_some_and(|(until, from)| *until > now && *from <= iat)
        };
        clear("j:", q.jti, 0)
            && q.family.is_none_or(|f| clear("f:", f, 0))
            && match (q.user_id, q.issued_at) {
                (Some(u), Some(iat)) => clear("u:", u, iat),
                _ => true,
            }
    }

    /// Holds `q` "not revoked" until `until`, unless an invalidation came
    /// since the store was asked (`writes` then moved on).
    fn remember(&self, q: &RevocationQuery<'_>, writes_before: u64, until: Instant) {
        let Some(parts) = Self::components(q) else {
            return;
        };
        let mut map = self.lock();
        if self.writes() != writes_before {
            return;
        }
        if map.len() >= self.capacity.load(Ordering::Relaxed) {
            let now = Instant::now();
            map.retain(|_, (until, _)| *until > now);
            if map.len() >= self.capacity.load(Ordering::Relaxed) {
                // Forgetting is always safe: the store is asked again.
                map.clear();
            }
        }
        for (key, iat) in parts {
            // Each entry is exactly one answer, the newest: merging an older
            // answer's instant with a newer answer's expiry could outlive
            // the bound.
            map.insert(key, (until, iat));
        }
    }
}

/// How "not revoked" answers are kept.
enum NotRevoked {
    /// Never: the store is asked.
    Off,
    /// Each answer for at most this long.
    For(Duration, ClearMap),
    /// While the feed confirms that nothing changed.
    Feed(InvalidationFeed),
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
    /// Whether `revoked` may hold whole queries (the check then builds
    /// that key too; most checks need not).
    whole_queries: std::sync::atomic::AtomicBool,
    not_revoked: NotRevoked,
}

impl<S> fmt::Debug for RevokedCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.not_revoked {
            NotRevoked::Off => "off".to_owned(),
            NotRevoked::For(bound, _) => format!("for {bound:?}"),
            NotRevoked::Feed(feed) => format!("{feed:?}"),
        };
        f.debug_struct("RevokedCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("not_revoked", &mode)
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
            whole_queries: std::sync::atomic::AtomicBool::new(false),
            not_revoked: NotRevoked::Off,
        }
    }

    /// Also answers "not revoked" from memory, each answer for at most
    /// `bound`, the staleness bound: a revocation made by another instance
    /// is seen here within `bound`; one made through this cache at once.
    /// The auth layer then decides without waiting on the store for tokens
    /// it has checked in the last `bound`. Works with any store.
    #[must_use]
    pub fn with_not_revoked_for(mut self, bound: Duration) -> Self {
        self.not_revoked = if bound.is_zero() {
            NotRevoked::Off
        } else {
            let map = ClearMap::default();
            map.capacity.store(self.capacity, Ordering::Relaxed);
            NotRevoked::For(bound, map)
        };
        self
    }

    /// Also answers "not revoked" from memory for as long as `feed` is live:
    /// the store's server tells this instance of every revocation any
    /// instance makes, and the feed confirms it is still listening at least
    /// once per its bound. Staleness bound: another instance's revocation
    /// is seen as soon as its invalidation arrives (on a healthy connection,
    /// about a network round trip), and never later than the feed's bound
    /// after the connection went silent: the cache then stops answering
    /// from memory and asks the store until the feed is back, with an empty
    /// cache. Revocations made through this cache are seen at once.
    ///
    /// Feeds: [`RedisStore::invalidation_feed`](crate::store::redis::RedisStore::invalidation_feed)
    /// and [`SqlStore::invalidation_feed`](crate::store::sql::SqlStore::invalidation_feed) (PostgreSQL).
    #[must_use]
    pub fn with_invalidations(mut self, feed: InvalidationFeed) -> Self {
        feed.clear_map()
            .capacity
            .store(self.capacity, Ordering::Relaxed);
        self.not_revoked = NotRevoked::Feed(feed);
        self
    }

    /// The map of "not revoked" answers and how long a new answer may be
    /// held in it, when answers may be served from it at `now`.
    fn serving(&self, now: Instant) -> Option<(&ClearMap, Duration)> {
        match &self.not_revoked {
            NotRevoked::Off => None,
            NotRevoked::For(bound, map) => Some((map, *bound)),
            // Held until invalidated; the time to live only keeps entries
            // of tokens no longer seen from piling up.
            NotRevoked::Feed(feed) => feed
                .is_live_at(now)
                .then(|| (feed.clear_map(), Duration::from_secs(self.ttl))),
        }
    }

    /// Forgets what a revocation of `component` changes, so this instance's
    /// next check asks the store.
    fn revoked_here(&self, component: &str) {
        match &self.not_revoked {
            NotRevoked::Off => {}
            NotRevoked::For(_, map) => map.invalidate(component),
            NotRevoked::Feed(feed) => feed.clear_map().invalidate(component),
        }
    }

    /// "Not revoked", from memory, when every part of `q` is held clear.
    /// One clock read.
    fn known_clear(&self, q: &RevocationQuery<'_>) -> bool {
        let now = Instant::now();
        self.serving(now)
            .is_some_and(|(map, _)| map.known_clear(q, now))
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
            self.whole_queries
                .store(map.keys().any(|k| k.starts_with("q:")), Ordering::Relaxed);
        }
        let keep = lifetime.map_or(self.ttl, |l| l.min(self.ttl));
        if keep > 0 {
            if key.starts_with("q:") {
                self.whole_queries.store(true, Ordering::Relaxed);
            }
            map.insert(key, now + keep);
        }
    }

    fn known(&self, q: &RevocationQuery<'_>) -> bool {
        let map = self.revoked.lock().unwrap_or_else(|p| p.into_inner());
        if map.is_empty() {
            return false;
        }
        let now = Self::now();
        let mut key = String::with_capacity(64);
        let mut hit = |kind: &str, id: &str| {
            map.get(component(&mut key, kind, id))
                .is_some_and(|until| *until > now)
        };
        hit("j:", q.jti)
            || q.family.is_some_and(|f| hit("f:", f))
            || (self.whole_queries.load(Ordering::Relaxed)
                && map.get(&query_key(q)).is_some_and(|until| *until > now))
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
            let writes = self.serving(Instant::now()).map(|(map, _)| map.writes());
            let revoked = self.inner.is_revoked(query).await?;
            if revoked {
                // Whatever revoked this exact token stays true for it.
                self.remember(query_key(&query), None);
            } else if let Some(before) = writes {
                let now = Instant::now();
                if let Some((map, keep)) = self.serving(now) {
                    map.remember(&query, before, now + keep);
                }
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

    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        self.inner.count_attempt(key, window, now)
    }

    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        self.inner.clear_attempts(key, window, now)
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        self.revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > Self::now());
        self.inner.flush_expired(now)
    }
}
