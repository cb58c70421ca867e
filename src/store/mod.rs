//! Revocation stores: where blacklisted token ids, revoked families, per-user
//! "revoked before" instants and outstanding tokens live.
//!
//! Every backend implements [`RevocationStore`] and passes the same
//! conformance suite (`store::conformance`, feature `conformance`), so
//! blacklisting, rotation and revocation behave the same everywhere.
//! The contract every backend keeps:
//!
//! - [`blacklist`](RevocationStore::blacklist) is an atomic insert-if-absent:
//!   of many concurrent calls for one `jti`, exactly one returns `true`.
//!   Refresh-token rotation relies on this.
//! - Entries live at least until the `expires_at` they were given; flushing
//!   never removes an entry whose token could still be used.
//! - A "revoked before" instant only ever moves forward.
//! - No raw token is ever stored, only ids and instants.
//!
//! Why the methods return boxed futures ([`StoreFuture`]) while the app
//! callbacks ([`UserResolver`](crate::UserResolver),
//! [`CredentialChecker`](crate::endpoints::CredentialChecker)) are written
//! with `async fn`: apps hold stores as trait objects themselves (a store
//! picked at startup from a flag, shared by `SimpleJwt` and a flush task as
//! `Arc<dyn RevocationStore>`), so object safety is part of this trait's
//! contract. Callbacks are handed to a builder once and never used as
//! trait objects by the app, so they keep `async fn` and the crate boxes
//! them privately.

mod cache;
#[cfg(any(test, feature = "conformance"))]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod feed;
mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub mod sql;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use cache::RevokedCache;
pub use feed::{FeedSender, InvalidationFeed};
pub use memory::MemoryStore;

/// The boxed future returned by store methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A token recorded at issue time (Simple JWT's `OutstandingToken`, without the raw token).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutstandingToken {
    /// The token id.
    pub jti: String,
    /// The user it was issued to.
    pub user_id: String,
    /// The refresh-token family.
    pub family: Option<String>,
    /// `iat`, Unix seconds.
    pub issued_at: u64,
    /// `exp`, Unix seconds.
    pub expires_at: u64,
}

/// One `jti` to blacklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlacklistEntry<'a> {
    /// The token id.
    pub jti: &'a str,
    /// Keep the entry at least until then (Unix seconds of the app's clock).
    pub expires_at: u64,
    /// The app's current time. Stores that expire entries by a time to live
    /// count it from here, so the store's own clock never matters.
    pub now: u64,
    /// The token is being spent by a rotation at `now`: the store records
    /// that instant, so a retry of the same rotation can be recognised.
    pub rotation: bool,
}

impl<'a> BlacklistEntry<'a> {
    /// A plain entry (a logout): `jti` kept until `expires_at`, as of `now`
    /// (both Unix seconds of the app's clock).
    pub fn new(jti: &'a str, expires_at: u64, now: u64) -> Self {
        Self {
            jti,
            expires_at,
            now,
            rotation: false,
        }
    }

    /// Marks the entry as spent by a rotation at `now`.
    #[must_use]
    pub fn by_rotation(mut self) -> Self {
        self.rotation = true;
        self
    }
}

/// What [`RevocationStore::blacklist`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blacklisted {
    /// This call inserted the entry.
    Inserted,
    /// The `jti` was already blacklisted: by a rotation at `rotated_at`, or
    /// otherwise (a logout) when `None`.
    Existing {
        /// When a rotation spent the token, if one did.
        rotated_at: Option<u64>,
    },
}

impl Blacklisted {
    /// Whether this call inserted the entry.
    pub fn inserted(self) -> bool {
        self == Self::Inserted
    }
}

impl OutstandingToken {
    /// The token `jti` of `user_id`, issued and expiring at the given Unix seconds.
    pub fn new(
        jti: impl Into<String>,
        user_id: impl Into<String>,
        issued_at: u64,
        expires_at: u64,
    ) -> Self {
        Self {
            jti: jti.into(),
            user_id: user_id.into(),
            family: None,
            issued_at,
            expires_at,
        }
    }

    /// Sets the refresh-token family.
    #[must_use]
    pub fn with_family(mut self, family: impl Into<String>) -> Self {
        self.family = Some(family.into());
        self
    }
}

/// What the auth layer asks the store about one token, in one round trip.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RevocationQuery<'a> {
    /// The token id: is it blacklisted?
    pub jti: &'a str,
    /// The token's family: was it revoked (refresh token reuse)?
    pub family: Option<&'a str>,
    /// The user: were their tokens revoked at or after `issued_at`?
    pub user_id: Option<&'a str>,
    /// The token's `iat`.
    pub issued_at: Option<u64>,
}

impl<'a> RevocationQuery<'a> {
    /// A question about `jti` alone.
    pub fn new(jti: &'a str) -> Self {
        Self {
            jti,
            family: None,
            user_id: None,
            issued_at: None,
        }
    }

    /// Asks about the token's family too.
    #[must_use]
    pub fn with_family(mut self, family: &'a str) -> Self {
        self.family = Some(family);
        self
    }

    /// Asks about its user's "log out everywhere" too, for a token issued
    /// at `issued_at` (`None`: of unknown age, always covered).
    #[must_use]
    pub fn with_user(mut self, user_id: &'a str, issued_at: Option<u64>) -> Self {
        self.user_id = Some(user_id);
        self.issued_at = issued_at;
        self
    }

    /// Whether a "revoked at or before" instant of this token's user covers
    /// it: issued at or before the instant, or of unknown age. The one rule
    /// every store applies to "log out everywhere".
    pub fn is_covered_by(&self, revoked_before: Option<u64>) -> bool {
        match (self.user_id, revoked_before) {
            (Some(_), Some(before)) => self.issued_at.is_none_or(|iat| iat <= before),
            _ => false,
        }
    }
}

/// A revocation store. See the [module docs](self) for the contract.
pub trait RevocationStore: Send + Sync + 'static {
    /// A short name for logs and `Debug` ("memory", "postgres", ...).
    fn name(&self) -> &'static str;

    /// Blacklists `entry.jti` until `entry.expires_at` (never shortening an
    /// existing entry's life). Atomic: of many concurrent calls for one
    /// `jti`, exactly one gets [`Blacklisted::Inserted`]; the others learn
    /// whether a rotation spent the token, and when.
    fn blacklist<'a>(&'a self, entry: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted>;

    /// Revokes every token of a refresh-token family until `expires_at`
    /// (`now` is the app's current time, as in [`BlacklistEntry::now`]).
    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, ()>;

    /// Revokes every token of `user_id` issued at or before `instant`
    /// ("log out everywhere", password change). The entry is kept until
    /// `keep_until`, when every such token has expired (`now` is the app's
    /// current time). The instant never moves backwards.
    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        now: u64,
    ) -> StoreFuture<'a, ()>;

    /// Whether the token described by `query` is revoked in any way.
    fn is_revoked<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, bool>;

    /// The same answer as [`is_revoked`](Self::is_revoked) when the store
    /// can give it without waiting (an in-process store), else `None`. The
    /// auth layer then stays on its synchronous path. Defaults to `None`.
    fn is_revoked_now(&self, query: RevocationQuery<'_>) -> Option<bool> {
        let _ = query;
        None
    }

    /// Records a token at issue time (`now` is the app's current time; the
    /// store may prune the user's expired tokens as of then). Idempotent:
    /// recording the same `jti` again changes nothing.
    fn record_outstanding(&self, token: OutstandingToken, now: u64) -> StoreFuture<'_, ()>;

    /// The unexpired outstanding tokens of `user_id`: what
    /// [`SimpleJwt::sessions`](crate::SimpleJwt::sessions) lists.
    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>>;

    /// Removes entries whose `expires_at`/`keep_until` is before `now`;
    /// returns how many were removed.
    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64>;

    /// Counts one attempt under `key` in the fixed window of `window`
    /// seconds that holds `now`, and returns how many were counted in that
    /// window, this one included. Atomic and shared by every instance:
    /// login throttling counts here. The count lives at least until the
    /// window ends. Defaults to an error ("keeps no counters"), which a
    /// throttled endpoint answers with 503; the crate's stores all count.
    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        let _ = (key, window, now);
        Box::pin(async { Err(no_counters()) })
    }

    /// Forgets the attempts counted under `key` in the window that holds
    /// `now` (a successful login resets its username's count).
    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        let _ = (key, window, now);
        Box::pin(async { Err(no_counters()) })
    }
}

fn no_counters() -> StoreError {
    StoreError::new(
        StoreErrorKind::Backend,
        "this store keeps no attempt counters (RevocationStore::count_attempt)",
        None,
    )
}

/// The key of `key`'s counter in the window of `window` seconds holding
/// `now`, and the Unix second that window ends.
pub fn attempt_window(key: &str, window: u64, now: u64) -> (String, u64) {
    let window = window.max(1);
    let start = now - now % window;
    (format!("{key}@{start}"), start + window)
}

/// A store failure. The layer and endpoints answer 503 and accept nothing.
#[derive(Debug, thiserror::Error)]
#[error("revocation store {kind}: {message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What went wrong with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The backend could not be reached.
    Unavailable,
    /// The call took longer than the configured timeout.
    Timeout,
    /// The backend answered with an error.
    Backend,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unavailable => "unavailable",
            Self::Timeout => "timed out",
            Self::Backend => "error",
        })
    }
}

impl StoreError {
    /// A new error with an optional source.
    pub fn new(
        kind: StoreErrorKind,
        message: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            source,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}
