//! Invalidation feeds: the store's server telling every instance which
//! revocation entries changed, so a [`RevokedCache`](crate::store::RevokedCache)
//! can answer "not revoked" from memory and still see another instance's
//! logout within a stated bound.
//!
//! A feed is live while its source confirms, at least once per bound, that it
//! is still listening: a heartbeat sent at instant `t` and answered on the
//! same ordered channel as the invalidations proves that every change made
//! before `t` has been applied. When the confirmations stop (a silent
//! network, a stalled server), the cache stops answering from memory once
//! the bound has passed since the last confirmed heartbeat was sent; when
//! the connection is lost, it forgets everything at once, and comes back
//! empty once the source confirms again.
//!
//! The crate's stores have feeds
//! ([`RedisStore::invalidation_feed`](crate::store::redis::RedisStore::invalidation_feed),
//! [`SqlStore::invalidation_feed`](crate::store::sql::SqlStore::invalidation_feed));
//! a custom store builds one with [`InvalidationFeed::new`] and drives it
//! through the [`FeedSender`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::cache::ClearMap;

/// What a feed and the caches that use it share.
struct FeedState {
    bound: Duration,
    epoch: Instant,
    /// Nanoseconds from `epoch` to the sending of the last confirmed
    /// heartbeat, plus one; 0 while the feed is down.
    confirmed: AtomicU64,
    clear: ClearMap,
    invalidations: AtomicU64,
    losses: AtomicU64,
}

impl FeedState {
    fn is_live_at(&self, now: Instant) -> bool {
        let confirmed = self.confirmed.load(Ordering::Acquire);
        confirmed != 0 && self.epoch + Duration::from_nanos(confirmed - 1) + self.bound > now
    }
}

/// A source of invalidations for a [`RevokedCache`](crate::store::RevokedCache)
/// (see [`with_invalidations`](crate::store::RevokedCache::with_invalidations)).
/// Dropping it stops the background work that feeds it.
pub struct InvalidationFeed {
    state: Arc<FeedState>,
    on_drop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl fmt::Debug for InvalidationFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidationFeed")
            .field("bound", &self.state.bound)
            .field("live", &self.is_live())
            .finish_non_exhaustive()
    }
}

impl Drop for InvalidationFeed {
    fn drop(&mut self) {
        if let Some(stop) = self.on_drop.take() {
            stop();
        }
    }
}

impl InvalidationFeed {
    /// A feed whose staleness bound is `bound`, down until its sender first
    /// [confirms](FeedSender::confirm), and the sender that drives it.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tower_simplejwt::store::InvalidationFeed;
    ///
    /// let (feed, sender) = InvalidationFeed::new(Duration::from_secs(1));
    /// assert!(!feed.is_live());
    /// // A heartbeat sent now came back on the channel that carries the
    /// // invalidations: everything before it has been applied.
    /// sender.confirm(Instant::now());
    /// assert!(feed.is_live());
    /// sender.invalidate_jti("abc"); // another instance blacklisted "abc"
    /// sender.lost(); // the connection broke: the cache forgets everything
    /// assert!(!feed.is_live());
    /// ```
    pub fn new(bound: Duration) -> (Self, FeedSender) {
        let state = Arc::new(FeedState {
            bound,
            epoch: Instant::now(),
            confirmed: AtomicU64::new(0),
            clear: ClearMap::default(),
            invalidations: AtomicU64::new(0),
            losses: AtomicU64::new(0),
        });
        let sender = FeedSender {
            state: Arc::clone(&state),
        };
        (
            Self {
                state,
                on_drop: None,
            },
            sender,
        )
    }

    /// Runs `stop` when the feed is dropped (to end the task feeding it).
    #[must_use]
    pub fn on_drop(mut self, stop: impl FnOnce() + Send + Sync + 'static) -> Self {
        self.on_drop = Some(Box::new(stop));
        self
    }

    /// Whether a heartbeat sent within the bound has been confirmed: cached
    /// "not revoked" answers may be served.
    pub fn is_live(&self) -> bool {
        self.state.is_live_at(Instant::now())
    }

    pub(crate) fn is_live_at(&self, now: Instant) -> bool {
        self.state.is_live_at(now)
    }

    /// The staleness bound.
    pub fn bound(&self) -> Duration {
        self.state.bound
    }

    /// Invalidations received so far.
    pub fn invalidations(&self) -> u64 {
        self.state.invalidations.load(Ordering::Relaxed)
    }

    /// How many times the feed was lost (each time the cache was emptied).
    pub fn losses(&self) -> u64 {
        self.state.losses.load(Ordering::Relaxed)
    }

    pub(crate) fn clear_map(&self) -> &ClearMap {
        &self.state.clear
    }
}

/// The end of an [`InvalidationFeed`] that its source drives. Cloneable.
#[derive(Clone)]
pub struct FeedSender {
    state: Arc<FeedState>,
}

impl fmt::Debug for FeedSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedSender").finish_non_exhaustive()
    }
}

impl FeedSender {
    fn invalidate(&self, component: &str) {
        self.state.invalidations.fetch_add(1, Ordering::Relaxed);
        self.state.clear.invalidate(component);
    }

    /// Token `jti` was blacklisted somewhere.
    pub fn invalidate_jti(&self, jti: &str) {
        self.invalidate(&format!("j:{jti}"));
    }

    /// Refresh-token family `family` was revoked somewhere.
    pub fn invalidate_family(&self, family: &str) {
        self.invalidate(&format!("f:{family}"));
    }

    /// User `user_id`'s tokens were revoked somewhere ("log out everywhere").
    pub fn invalidate_user(&self, user_id: &str) {
        self.invalidate(&format!("u:{user_id}"));
    }

    /// Something changed that the source cannot name (a flushed database, an
    /// overlong id): every cached answer is dropped.
    pub fn invalidate_all(&self) {
        self.state.invalidations.fetch_add(1, Ordering::Relaxed);
        self.state.clear.invalidate_all();
    }

    /// A heartbeat sent at `sent` came back on the channel that carries the
    /// invalidations: every change made before `sent` has been applied, so
    /// cached answers may be served until `sent` plus the bound. The first
    /// confirmation after the feed was down starts from an empty cache.
    pub fn confirm(&self, sent: Instant) {
        let state = &self.state;
        let nanos = sent.saturating_duration_since(state.epoch).as_nanos();
        let new = u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1;
        let mut current = state.confirmed.load(Ordering::Acquire);
        loop {
            if current == 0 {
                // Answers read while the feed was down may have missed an
                // invalidation.
                state.clear.invalidate_all();
            }
            match state.confirmed.compare_exchange(
                current,
                current.max(new),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// The connection to the source was lost: invalidations may have been
    /// missed, so every cached answer is dropped and none is served until
    /// the source [confirms](Self::confirm) again.
    pub fn lost(&self) {
        self.state.confirmed.store(0, Ordering::Release);
        self.state.losses.fetch_add(1, Ordering::Relaxed);
        self.state.clear.invalidate_all();
    }

    /// How often a source should send a heartbeat: a quarter of the bound,
    /// so a few may be lost before answers stop.
    pub fn heartbeat_every(&self) -> Duration {
        (self.state.bound / 4).max(Duration::from_millis(1))
    }
}
