//! Remote keys: verifying tokens signed by an identity provider (Keycloak,
//! Auth0, Okta, Cognito, another service) with the keys it publishes as a
//! JWK Set, Simple JWT's `JWK_URL`. Feature `remote-keys`.
//!
//! [`RemoteKeys`] says where the set lives (a URL, or an issuer whose
//! OpenID Connect discovery document names it) and how to cache it;
//! [`RemoteKeys::load`] (fail fast) or [`RemoteKeys::start`] (start
//! degraded) turns it into a [`RemoteKeySet`], which
//! [`SimpleJwtBuilder::with_remote_keys`](crate::SimpleJwtBuilder::with_remote_keys)
//! adds to a configuration. The auth layer, the verify endpoint and the
//! extractors then accept the provider's tokens as they accept local ones.
//!
//! How the cache behaves:
//!
//! - The set is one immutable snapshot, swapped atomically by a background
//!   task. A request never waits on the network when its key is known, and
//!   never takes a lock a fetch holds.
//! - The task refreshes the set ahead of its expiry, which comes from the
//!   response's `Cache-Control: max-age`, clamped between
//!   [`with_ttl_bounds`](RemoteKeys::with_ttl_bounds).
//! - A token whose `kid` is unknown starts one refetch, shared by every
//!   request that waits for it, and run by the task so that a cancelled
//!   request cannot waste it. Within the
//!   [cooldown](RemoteKeys::with_cooldown) that follows, tokens with unknown
//!   `kid`s are refused at once: forged `kid`s cannot make the app hammer
//!   the provider, and a key the provider rotated in is accepted by the
//!   first request after the cooldown at the latest.
//! - A failed fetch keeps the last good set for
//!   [`with_stale_for`](RemoteKeys::with_stale_for) past its expiry. When
//!   no usable set is left, tokens of that issuer get `503` with
//!   `Retry-After`, as for a store outage: never a 401 that logs users out.
//! - Keys are taken one by one: encryption keys, symmetric keys and key
//!   types this crate cannot verify with are skipped (the fetch event says
//!   why), and each key is bound to one algorithm.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tower_simplejwt::{RemoteKeys, SimpleJwt};
//!
//! // Fail fast: an error here if the provider cannot be reached.
//! let idp = RemoteKeys::discover("https://login.example.com/realms/main")
//!     .with_audience("my-api")
//!     .load()
//!     .await?;
//! let jwt = SimpleJwt::builder()
//!     .with_secret("our own tokens' secret, 32 bytes at least")
//!     .with_remote_keys(idp.clone())
//!     .build()?;
//! assert!(idp.health().ready);
//! # let _ = jwt; Ok(()) }
//! ```

mod cache;
mod fetch;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;

pub use cache::RemoteKeySet;
pub(crate) use cache::{Lookup, Snapshot, Wait};

/// Where a JWK Set lives and how it is cached; see the [module docs](self).
///
/// Every setting has a default suited to a production identity provider;
/// tests shorten the durations.
#[must_use]
#[derive(Clone)]
pub struct RemoteKeys {
    pub(crate) location: Location,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) algorithm: Option<Algorithm>,
    pub(crate) default_ttl: Duration,
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) stale_for: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_size: usize,
    pub(crate) initial: Option<JwkSet>,
    pub(crate) insecure_http: bool,
    pub(crate) on_fetch: Option<FetchHook>,
}

/// The app's hook, called after every fetch.
pub(crate) type FetchHook = Arc<dyn Fn(&FetchEvent) + Send + Sync>;

#[derive(Clone, Debug)]
pub(crate) enum Location {
    /// The JWK Set's own URL.
    JwksUrl(String),
    /// The issuer, whose discovery document names the set's URL.
    Discovery(String),
}

impl fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("location", &self.location)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("algorithm", &self.algorithm)
            .field("default_ttl", &self.default_ttl)
            .field("min_ttl", &self.min_ttl)
            .field("max_ttl", &self.max_ttl)
            .field("cooldown", &self.cooldown)
            .field("stale_for", &self.stale_for)
            .field("timeout", &self.timeout)
            .field("max_size", &self.max_size)
            .field("insecure_http", &self.insecure_http)
            .finish_non_exhaustive()
    }
}

impl RemoteKeys {
    fn new(location: Location, issuer: Option<String>) -> Self {
        Self {
            location,
            issuer,
            audience: Vec::new(),
            algorithm: None,
            default_ttl: Duration::from_secs(15 * 60),
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 3600),
            cooldown: Duration::from_secs(30),
            stale_for: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            max_size: 512 * 1024,
            initial: None,
            insecure_http: false,
            on_fetch: None,
        }
    }

    /// `JWK_URL`: the URL of a JWK Set (`{"keys": [...]}`). HTTPS, unless the
    /// host is a loopback address (see
    /// [`insecure_allow_http`](Self::insecure_allow_http)).
    ///
    /// Tokens verified with these keys are held to the configuration's
    /// issuer and audience unless [`with_issuer`](Self::with_issuer) and
    /// [`with_audience`](Self::with_audience) name this provider's own.
    pub fn jwks_url(url: impl Into<String>) -> Self {
        Self::new(Location::JwksUrl(url.into()), None)
    }

    /// OpenID Connect discovery: the set's URL is the `jwks_uri` of
    /// `<issuer>/.well-known/openid-configuration`. The document's `issuer`
    /// must equal `issuer` exactly, and tokens verified with these keys must
    /// carry it as their `iss`.
    pub fn discover(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self::new(Location::Discovery(issuer.clone()), Some(issuer))
    }

    /// The `iss` tokens signed with these keys carry. Tokens are routed to
    /// this key set by it, so an app can accept its own tokens and several
    /// providers' at once. Set by [`discover`](Self::discover).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An audience tokens of this provider must name (repeat for several).
    /// Defaults to the configuration's audience.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// The algorithm a key without `alg` is bound to. Defaults to none: such
    /// an elliptic-curve key is bound to its curve's one algorithm, and such
    /// an RSA key is skipped (RS256 and PS256 would both fit it).
    pub fn with_algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = Some(alg);
        self
    }

    /// How long a fetched set is fresh when the response has no
    /// `Cache-Control: max-age`. Defaults to 15 minutes.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// The bounds a response's `max-age` is clamped to. Defaults to 1 minute
    /// and 24 hours.
    pub fn with_ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_ttl = min;
        self.max_ttl = max;
        self
    }

    /// After a token with an unknown `kid` made the set be fetched again,
    /// how long further unknown `kid`s are refused without a fetch.
    /// Defaults to 30 seconds.
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Stale-if-error: how long past its expiry the last good set keeps
    /// serving while fetches fail. Defaults to 1 hour.
    pub fn with_stale_for(mut self, bound: Duration) -> Self {
        self.stale_for = bound;
        self
    }

    /// The time limit of one fetch, connecting included. Defaults to 10 seconds.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest response accepted, in bytes. Defaults to 512 KiB.
    pub fn with_max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Keys to serve until the first fetch succeeds (for example a copy
    /// shipped with the app), so that it can start while the provider is
    /// down. They are fresh for the default TTL; a fetch starts at once.
    pub fn with_initial_set(mut self, set: JwkSet) -> Self {
        self.initial = Some(set);
        self
    }

    /// Allows plain `http://` URLs on hosts other than loopback addresses.
    /// Anyone on the network path could then substitute their own keys and
    /// sign any token: only for networks where that cannot happen.
    pub fn insecure_allow_http(mut self) -> Self {
        self.insecure_http = true;
        self
    }

    /// Calls `hook` after every fetch, with its trigger and outcome (keys
    /// taken and skipped, or the error), for logs and metrics.
    pub fn on_fetch(mut self, hook: impl Fn(&FetchEvent) + Send + Sync + 'static) -> Self {
        self.on_fetch = Some(Arc::new(hook));
        self
    }

    /// Fails fast: fetches the set now and returns an error if that fails
    /// (or if the configuration is wrong). The set is then refreshed in the
    /// background on the current tokio runtime.
    pub async fn load(self) -> Result<RemoteKeySet, KeyFetchError> {
        RemoteKeySet::load(self).await
    }

    /// Starts degraded: returns at once and fetches in the background.
    /// Until a fetch succeeds, tokens of this provider get `503` (unless an
    /// [initial set](Self::with_initial_set) serves them). Fails only when
    /// the configuration is wrong or no tokio runtime is running.
    pub fn start(self) -> Result<RemoteKeySet, KeyFetchError> {
        RemoteKeySet::start(self)
    }

    fn check(&self) -> Result<(), KeyFetchError> {
        let invalid = |m: &str| Err(KeyFetchError::new(KeyFetchErrorKind::Config, m));
        if self.min_ttl.is_zero() || self.cooldown.is_zero() || self.timeout.is_zero() {
            return invalid("the minimum TTL, the cooldown and the timeout must be above zero");
        }
        if self.min_ttl > self.max_ttl {
            return invalid("the minimum TTL is above the maximum TTL");
        }
        if self.max_size < 64 {
            return invalid("a maximum size below 64 bytes refuses every key set");
        }
        if self.issuer.as_deref() == Some("") {
            return invalid("the issuer is empty");
        }
        Ok(())
    }
}

/// What started a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchTrigger {
    /// The first fetch.
    Startup,
    /// The set was about to expire.
    Scheduled,
    /// The last fetch failed; this one retries.
    Retry,
    /// A token named a `kid` the set does not have.
    UnknownKey,
}

/// One fetch of a key set, as [`RemoteKeys::on_fetch`] reports it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchEvent {
    /// The URL fetched last (the key set's; the discovery document's if
    /// discovery failed).
    pub url: String,
    /// What started the fetch.
    pub trigger: FetchTrigger,
    /// How long it took.
    pub elapsed: Duration,
    /// The keys taken, or why the fetch failed (the last good set is kept).
    pub outcome: Result<FetchedKeys, KeyFetchError>,
}

/// A successful fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchedKeys {
    /// The `kid`s of the keys taken (`None` for a key without one).
    pub kids: Vec<Option<String>>,
    /// Each key skipped, with the reason.
    pub skipped: Vec<String>,
    /// How long the set is fresh.
    pub ttl: Duration,
}

/// The state of a remote key set, for readiness and health checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeysHealth {
    /// Whether tokens of this provider can be verified now (a usable set,
    /// fresh or within the stale bound).
    pub ready: bool,
    /// Whether the set in use is past its expiry (fetches are failing).
    pub stale: bool,
    /// How many keys the set in use holds.
    pub keys: usize,
    /// When a fetch last succeeded.
    pub last_success: Option<SystemTime>,
    /// When a fetch last failed, and why.
    pub last_failure: Option<(SystemTime, String)>,
    /// Fetches so far, and how many of them failed.
    pub fetches: u64,
    /// Failed fetches so far.
    pub failures: u64,
}

/// Why a key set could not be fetched or used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct KeyFetchError {
    kind: KeyFetchErrorKind,
    message: String,
    #[source]
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// The kind of a [`KeyFetchError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFetchErrorKind {
    /// The configuration is wrong (a setting, no tokio runtime).
    Config,
    /// The URL is malformed, or plain HTTP to a host that is not loopback.
    Url,
    /// The server could not be reached, or did not answer in time.
    Network,
    /// The server answered with an error status.
    Status,
    /// A redirect to another host, or too many redirects.
    Redirect,
    /// The response is larger than the size cap.
    TooLarge,
    /// The response is not a JWK Set (or a discovery document).
    Malformed,
    /// The discovery document names another issuer.
    IssuerMismatch,
    /// The set holds no key this crate can verify with.
    NoUsableKey,
}

impl KeyFetchError {
    pub(crate) fn new(kind: KeyFetchErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> KeyFetchErrorKind {
        self.kind
    }
}
