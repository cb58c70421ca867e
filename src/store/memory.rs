//! The in-process store: lock-sharded maps, bounded by expiry.

use std::collections::HashMap;
use std::collections::hash_map::{self, DefaultHasher};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore, StoreError,
    StoreFuture,
};

const SHARDS: usize = 16;
/// Every this many inserts, one shard is swept of expired entries.
const SWEEP_EVERY: u64 = 1024;

/// The default store: in memory, for one process. Revocations are lost on
/// restart and not shared between instances; use the SQL or Redis store for that.
///
/// Growth is bounded: entries expire with their tokens and are swept
/// incrementally while inserting, and by [`RevocationStore::flush_expired`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tower_simplejwt::store::{BlacklistEntry, Blacklisted, MemoryStore, RevocationStore};
///
/// let store = MemoryStore::new();
/// let entry = BlacklistEntry::new("abc", 1_800_000_600, 1_800_000_000);
/// assert_eq!(store.blacklist(entry).await.unwrap(), Blacklisted::Inserted);
/// // The second insert loses.
/// assert_eq!(store.blacklist(entry).await.unwrap(), Blacklisted::Existing { rotated_at: None });
/// # });
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<State>,
}

#[derive(Clone, Copy)]
enum Kind {
    Jti,
    Family,
}

/// One user's outstanding tokens by `jti`, and the size at which expired
/// ones are pruned next.
type UserTokens = (HashMap<String, OutstandingToken>, usize);

/// `expires_at`, and the rotation instant of a `jti` spent by a rotation.
type Entry = (u64, Option<u64>);

#[derive(Default)]
struct State {
    /// Blacklisted `jti -> entry`.
    jtis: [Mutex<HashMap<String, Entry>>; SHARDS],
    /// Revoked `family -> entry`.
    families: [Mutex<HashMap<String, Entry>>; SHARDS],
    /// `user_id -> (revoked at or before, keep until)`.
    users: Mutex<HashMap<String, (u64, u64)>>,
    /// `user_id -> (tokens, length at which expired ones are pruned next)`.
    outstanding: Mutex<HashMap<String, UserTokens>>,
    /// Attempt counters: `key@window start -> (count, window end)`.
    attempts: Mutex<HashMap<String, (u64, u64)>>,
    inserts: AtomicU64,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a map half-updated
    // (each critical section is a single insert/remove), so keep going.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryStore {
    /// An empty store. Expired entries are swept as of the time the app
    /// passes with each write, so the app's clock is the only one that counts.
    pub fn new() -> Self {
        Self::default()
    }

    fn shards(&self, kind: Kind) -> &[Mutex<HashMap<String, Entry>>; SHARDS] {
        match kind {
            Kind::Jti => &self.inner.jtis,
            Kind::Family => &self.inner.families,
        }
    }

    fn shard(&self, kind: Kind, key: &str) -> &Mutex<HashMap<String, Entry>> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        &self.shards(kind)[(h.finish() as usize) % SHARDS]
    }

    fn insert(
        &self,
        kind: Kind,
        key: &str,
        expires_at: u64,
        now: u64,
        rotated_at: Option<u64>,
    ) -> Blacklisted {
        let n = self.inner.inserts.fetch_add(1, Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 {
            lock(&self.shards(kind)[(n / SWEEP_EVERY) as usize % SHARDS])
                .retain(|_, (exp, _)| *exp >= now);
        }
        match lock(self.shard(kind, key)).entry(key.to_owned()) {
            hash_map::Entry::Occupied(mut e) => {
                // Never shorten an entry's life.
                let (exp, rotated_at) = e.get_mut();
                *exp = (*exp).max(expires_at);
                Blacklisted::Existing {
                    rotated_at: *rotated_at,
                }
            }
            hash_map::Entry::Vacant(e) => {
                e.insert((expires_at, rotated_at));
                Blacklisted::Inserted
            }
        }
    }

    fn contains(&self, kind: Kind, key: &str) -> bool {
        lock(self.shard(kind, key)).contains_key(key)
    }

    fn revoked(&self, q: RevocationQuery<'_>) -> bool {
        self.contains(Kind::Jti, q.jti)
            || q.family.is_some_and(|f| self.contains(Kind::Family, f))
            || q.is_covered_by(q.user_id.and_then(|u| self.user_instant(u)))
    }

    fn user_instant(&self, user_id: &str) -> Option<u64> {
        lock(&self.inner.users)
            .get(user_id)
            .map(|(instant, _)| *instant)
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Ok::<T, StoreError>(value)))
}

impl RevocationStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn blacklist<'a>(&'a self, e: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        let rotated_at = e.rotation.then_some(e.now);
        ready(self.insert(Kind::Jti, e.jti, e.expires_at, e.now, rotated_at))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        self.insert(Kind::Family, family, expires_at, now, None);
        ready(())
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        _now: u64,
    ) -> StoreFuture<'a, ()> {
        let mut users = lock(&self.inner.users);
        let entry = users
            .entry(user_id.to_owned())
            .or_insert((instant, keep_until));
        entry.0 = entry.0.max(instant);
        entry.1 = entry.1.max(keep_until);
        ready(())
    }

    fn is_revoked<'a>(&'a self, q: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        ready(self.revoked(q))
    }

    fn is_revoked_now(&self, q: RevocationQuery<'_>) -> Option<bool> {
        Some(self.revoked(q))
    }

    fn record_outstanding(&self, token: OutstandingToken, now: u64) -> StoreFuture<'_, ()> {
        let mut all = lock(&self.inner.outstanding);
        let (tokens, prune_at) = all
            .entry(token.user_id.clone())
            .or_insert_with(|| (HashMap::new(), 64));
        // Prune when the map has doubled since the last prune: amortised O(1).
        if tokens.len() >= *prune_at {
            tokens.retain(|_, t| t.expires_at >= now);
            *prune_at = (tokens.len() * 2).max(64);
        }
        // Keyed by `jti`: recording a token again changes nothing.
        tokens.entry(token.jti.clone()).or_insert(token);
        ready(())
    }

    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        let list = lock(&self.inner.outstanding)
            .get(user_id)
            .map(|(tokens, _)| {
                tokens
                    .values()
                    .filter(|t| t.expires_at >= now)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        ready(list)
    }

    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        let (key, ends) = crate::store::attempt_window(key, window, now);
        let mut attempts = lock(&self.inner.attempts);
        if attempts.len() >= 10_000 {
            attempts.retain(|_, (_, end)| *end > now);
        }
        let entry = attempts.entry(key).or_insert((0, ends));
        entry.0 += 1;
        let count = entry.0;
        Box::pin(async move { Ok(count) })
    }

    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        let (key, _) = crate::store::attempt_window(key, window, now);
        lock(&self.inner.attempts).remove(&key);
        Box::pin(async { Ok(()) })
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        let mut removed = 0u64;
        lock(&self.inner.attempts).retain(|_, (_, end)| *end > now);
        for shard in self.inner.jtis.iter().chain(&self.inner.families) {
            let mut map = lock(shard);
            let before = map.len();
            map.retain(|_, (exp, _)| *exp >= now);
            removed += (before - map.len()) as u64;
        }
        {
            let mut users = lock(&self.inner.users);
            let before = users.len();
            users.retain(|_, (_, keep)| *keep >= now);
            removed += (before - users.len()) as u64;
        }
        {
            let mut all = lock(&self.inner.outstanding);
            for (tokens, _) in all.values_mut() {
                let before = tokens.len();
                tokens.retain(|_, t| t.expires_at >= now);
                removed += (before - tokens.len()) as u64;
            }
            all.retain(|_, (l, _)| !l.is_empty());
        }
        ready(removed)
    }
}
