//! A kit for testing apps that use the crate (feature `testing`): tokens
//! without a login, a clock the test moves, requests that carry a token or
//! come already authenticated, a store that fails on demand and, with
//! `remote-keys`, a JWK Set server in the test's own process.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use axum::{Router, routing::get};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_simplejwt::Claims;
//! use tower_simplejwt::testing::{RequestExt, TestJwt};
//!
//! async fn me(claims: Claims<serde_json::Value>) -> String {
//!     claims.0["user_id"].to_string()
//! }
//!
//! let test = TestJwt::new();
//! let app = Router::new().route("/me", get(me)).layer(test.jwt().layer());
//!
//! // A token for user 7, no login needed.
//! let req = Request::get("/me").bearer(&test.access(7)).body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);
//!
//! // The same token once the clock has moved past its lifetime.
//! let token = test.access(7);
//! test.advance(Duration::from_secs(301));
//! let req = Request::get("/me").bearer(&token).body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::UNAUTHORIZED);
//! # });
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::{HeaderValue, Request, header};
use serde::Serialize;

use crate::auth::{AuthContext, CredentialSource};
use crate::clock::ManualClock;
use crate::store::{
    BlacklistEntry, Blacklisted, MemoryStore, OutstandingToken, RevocationQuery, RevocationStore,
    StoreError, StoreErrorKind, StoreFuture,
};
use crate::token::{TokenBuilder, TokenPair, TokenType};
use crate::user::CurrentUser;
use crate::{SimpleJwt, SimpleJwtBuilder};

/// A test configuration: a fixed HS256 secret (or the app's own builder),
/// a memory store and a frozen clock that only the test moves.
#[derive(Clone)]
pub struct TestJwt {
    jwt: SimpleJwt,
    clock: ManualClock,
}

impl fmt::Debug for TestJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestJwt")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Default for TestJwt {
    fn default() -> Self {
        Self::new()
    }
}

impl TestJwt {
    /// The secret of [`new`](Self::new): for tests only.
    pub const SECRET: &'static [u8] = b"tower-simplejwt testing secret: never use it in production";

    /// [`SECRET`](Self::SECRET), a [`MemoryStore`] and a clock frozen at
    /// the current time; every other setting at its default.
    pub fn new() -> Self {
        Self::from_builder(
            SimpleJwt::builder()
                .with_secret(Self::SECRET)
                .with_store(MemoryStore::new()),
        )
    }

    /// The app's own configuration, with the test's frozen clock.
    ///
    /// # Panics
    /// When the configuration does not build: a test wants to fail there,
    /// with the message that says what to fix.
    pub fn from_builder(builder: SimpleJwtBuilder) -> Self {
        let clock = ManualClock::starting_now();
        let jwt = builder
            .with_clock(clock.clone())
            .build()
            .unwrap_or_else(|e| panic!("the test configuration does not build: {e}"));
        Self { jwt, clock }
    }

    /// The configuration to hand to the app under test (its layer, its
    /// endpoints).
    pub fn jwt(&self) -> SimpleJwt {
        self.jwt.clone()
    }

    /// The frozen clock.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// Moves the clock forward (whole seconds, as tokens count).
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// A token builder for `user_id` (extra claims, then `access()`,
    /// `pair()` or `sliding()`).
    pub fn token(&self, user_id: impl fmt::Display) -> TokenBuilder<'_> {
        self.jwt.for_user(user_id)
    }

    /// An access token for `user_id`.
    ///
    /// # Panics
    /// When the configuration cannot sign (a verify-only configuration).
    pub fn access(&self, user_id: impl fmt::Display) -> String {
        self.jwt
            .for_user(user_id)
            .access()
            .unwrap_or_else(|e| panic!("cannot mint an access token: {e}"))
    }

    /// A refresh and access pair for `user_id`, recorded in the store like a
    /// login's.
    ///
    /// # Panics
    /// When the configuration cannot sign, or the store fails.
    pub async fn pair(&self, user_id: impl fmt::Display) -> TokenPair {
        self.jwt
            .for_user(user_id)
            .pair()
            .await
            .unwrap_or_else(|e| panic!("cannot mint a token pair: {e}"))
    }

    /// Authenticates `req` as the layer would for an access token of
    /// `user_id`: handlers' extractors (`Claims<T>`, `VerifiedToken`) then
    /// work without the layer, for handler unit tests.
    pub fn authenticate<B>(&self, req: &mut Request<B>, user_id: impl fmt::Display) {
        let token = self.access(user_id);
        self.authenticate_with_token(req, &token);
    }

    /// Like [`authenticate`](Self::authenticate), with extra claims in the
    /// token.
    pub fn authenticate_with_claims<B, T: Serialize + ?Sized>(
        &self,
        req: &mut Request<B>,
        user_id: impl fmt::Display,
        claims: &T,
    ) {
        let token = self
            .jwt
            .for_user(user_id)
            .with_claims(claims)
            .access()
            .unwrap_or_else(|e| panic!("cannot mint an access token: {e}"));
        self.authenticate_with_token(req, &token);
    }

    /// Authenticates `req` as `user_id` and puts `user` where a
    /// [`UserResolver`](crate::UserResolver) would have (the
    /// `CurrentUser<U>` extractor reads it).
    pub fn authenticate_as<B, U: Clone + Send + Sync + 'static>(
        &self,
        req: &mut Request<B>,
        user_id: impl fmt::Display,
        user: U,
    ) {
        self.authenticate(req, user_id);
        req.extensions_mut().insert(CurrentUser(user));
    }

    fn authenticate_with_token<B>(&self, req: &mut Request<B>, token: &str) {
        let verified = self
            .jwt
            .validate(token, TokenType::Access)
            .unwrap_or_else(|e| panic!("the test token does not validate: {e}"));
        let settings = self.jwt.settings();
        req.extensions_mut().insert(AuthContext {
            token: Some(verified),
            source: Some(CredentialSource::Header),
            challenge: crate::response::challenge(
                settings.challenge_scheme(),
                &settings.realm,
                None,
            ),
            token_route: false,
        });
    }
}

/// Adds credentials to a request or a request builder.
pub trait RequestExt: Sized {
    /// Adds `Authorization: Bearer <token>`.
    fn bearer(self, token: &str) -> Self;

    /// Adds the cookie `name=value` (after any cookies already there).
    fn cookie(self, name: &str, value: &str) -> Self;
}

fn header_value(value: String) -> HeaderValue {
    HeaderValue::try_from(value).unwrap_or_else(|e| {
        panic!("not a valid header value ({e}): tokens and cookie values are ASCII")
    })
}

fn with_cookie(existing: Option<&HeaderValue>, name: &str, value: &str) -> HeaderValue {
    match existing.and_then(|v| v.to_str().ok()) {
        Some(cookies) if !cookies.is_empty() => header_value(format!("{cookies}; {name}={value}")),
        _ => header_value(format!("{name}={value}")),
    }
}

impl RequestExt for http::request::Builder {
    fn bearer(self, token: &str) -> Self {
        self.header(
            header::AUTHORIZATION,
            header_value(format!("Bearer {token}")),
        )
    }

    fn cookie(mut self, name: &str, value: &str) -> Self {
        let combined = with_cookie(
            self.headers_ref().and_then(|h| h.get(header::COOKIE)),
            name,
            value,
        );
        if let Some(headers) = self.headers_mut() {
            headers.insert(header::COOKIE, combined);
        }
        self
    }
}

impl<B> RequestExt for Request<B> {
    fn bearer(mut self, token: &str) -> Self {
        self.headers_mut().insert(
            header::AUTHORIZATION,
            header_value(format!("Bearer {token}")),
        );
        self
    }

    fn cookie(mut self, name: &str, value: &str) -> Self {
        let combined = with_cookie(self.headers().get(header::COOKIE), name, value);
        self.headers_mut().insert(header::COOKIE, combined);
        self
    }
}

/// A store that works like the one it wraps until the test says it is down:
/// then every call fails with [`StoreErrorKind::Unavailable`], and the app
/// answers 503 (its outage path).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tower_simplejwt::MemoryStore;
/// use tower_simplejwt::store::{RevocationQuery, RevocationStore};
/// use tower_simplejwt::testing::FailingStore;
///
/// let (store, switch) = FailingStore::new(MemoryStore::new());
/// assert!(store.is_revoked(RevocationQuery::new("a")).await.is_ok());
/// switch.fail();
/// assert!(store.is_revoked(RevocationQuery::new("a")).await.is_err());
/// switch.recover();
/// assert!(store.is_revoked(RevocationQuery::new("a")).await.is_ok());
/// # });
/// ```
#[derive(Debug)]
pub struct FailingStore<S> {
    inner: S,
    failing: Arc<AtomicBool>,
}

/// Turns a [`FailingStore`] down and up again. Cloneable.
#[derive(Debug, Clone)]
pub struct FailSwitch(Arc<AtomicBool>);

impl FailSwitch {
    /// Every store call fails from now on.
    pub fn fail(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Store calls work again.
    pub fn recover(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// Whether the store is failing now.
    pub fn is_failing(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl<S: RevocationStore> FailingStore<S> {
    /// Wraps `inner`, working; the switch turns it down.
    pub fn new(inner: S) -> (Self, FailSwitch) {
        let failing = Arc::new(AtomicBool::new(false));
        (
            Self {
                inner,
                failing: failing.clone(),
            },
            FailSwitch(failing),
        )
    }

    fn outage(&self) -> Option<StoreError> {
        self.failing.load(Ordering::SeqCst).then(|| {
            // A cause, as a real backend's error has: what traces show.
            let cause = std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused (testing::FailingStore)",
            );
            StoreError::new(
                StoreErrorKind::Unavailable,
                "failing on purpose",
                Some(Box::new(cause)),
            )
        })
    }

    /// A store that is down from the start, and stays down (for tests of
    /// the outage path alone).
    pub fn down(inner: S) -> Self {
        let (store, switch) = Self::new(inner);
        switch.fail();
        store
    }
}

/// `inner`'s call, unless the store is down.
macro_rules! unless_down {
    ($self:ident, $call:expr) => {
        match $self.outage() {
            Some(e) => Box::pin(async move { Err(e) }),
            None => $call,
        }
    };
}

impl<S: RevocationStore> RevocationStore for FailingStore<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn blacklist<'a>(&'a self, entry: BlacklistEntry<'a>) -> StoreFuture<'a, Blacklisted> {
        unless_down!(self, self.inner.blacklist(entry))
    }

    fn revoke_family<'a>(
        &'a self,
        family: &'a str,
        expires_at: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        unless_down!(self, self.inner.revoke_family(family, expires_at, now))
    }

    fn revoke_user_before<'a>(
        &'a self,
        user_id: &'a str,
        instant: u64,
        keep_until: u64,
        now: u64,
    ) -> StoreFuture<'a, ()> {
        unless_down!(
            self,
            self.inner
                .revoke_user_before(user_id, instant, keep_until, now)
        )
    }

    fn is_revoked<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, bool> {
        unless_down!(self, self.inner.is_revoked(query))
    }

    fn is_revoked_now(&self, query: RevocationQuery<'_>) -> Option<bool> {
        // Down: no answer without waiting, so the failing call is made.
        match self.failing.load(Ordering::SeqCst) {
            true => None,
            false => self.inner.is_revoked_now(query),
        }
    }

    fn record_outstanding(&self, token: OutstandingToken, now: u64) -> StoreFuture<'_, ()> {
        unless_down!(self, self.inner.record_outstanding(token, now))
    }

    fn outstanding_for_user<'a>(
        &'a self,
        user_id: &'a str,
        now: u64,
    ) -> StoreFuture<'a, Vec<OutstandingToken>> {
        unless_down!(self, self.inner.outstanding_for_user(user_id, now))
    }

    fn flush_expired(&self, now: u64) -> StoreFuture<'_, u64> {
        unless_down!(self, self.inner.flush_expired(now))
    }

    fn count_attempt<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, u64> {
        unless_down!(self, self.inner.count_attempt(key, window, now))
    }

    fn clear_attempts<'a>(&'a self, key: &'a str, window: u64, now: u64) -> StoreFuture<'a, ()> {
        unless_down!(self, self.inner.clear_attempts(key, window, now))
    }
}

#[cfg(feature = "remote-keys")]
pub use jwks_server::JwksServer;

/// A JWK Set server on loopback, in the test's process.
#[cfg(feature = "remote-keys")]
mod jwks_server {
    use std::fmt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use crate::SimpleJwt;

    struct State {
        issuer: String,
        jwks: Mutex<String>,
        fetches: AtomicU64,
    }

    /// An identity provider's key server for tests, on `127.0.0.1` (plain
    /// HTTP, which remote keys accept on loopback): the JWK Set at
    /// `/.well-known/jwks.json` and an OpenID Connect discovery document at
    /// `/.well-known/openid-configuration` whose issuer is the server's own
    /// URL. Stops when dropped.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use tower_simplejwt::{Algorithm, Key, RemoteKeys, SimpleJwt, TokenType};
    /// use tower_simplejwt::testing::JwksServer;
    ///
    /// // The provider's side: a signing key, and its public keys served.
    /// let pem = include_str!("../tests/keys/es256.pem");
    /// let server = JwksServer::start_empty().await;
    /// let provider = SimpleJwt::builder()
    ///     .with_signing_key(Key::private_pem(Algorithm::ES256, pem).with_kid("k1"))
    ///     .with_issuer(server.issuer())
    ///     .build()
    ///     .unwrap();
    /// server.serve_keys_of(&provider);
    ///
    /// // The app under test trusts it through discovery.
    /// let keys = RemoteKeys::discover(server.issuer()).load().await.unwrap();
    /// let app = SimpleJwt::builder().with_remote_keys(keys).build().unwrap();
    /// let token = provider.for_user(7).access().unwrap();
    /// assert!(app.validate(&token, TokenType::Access).is_ok());
    /// assert_eq!(server.fetches(), 1);
    /// # });
    /// ```
    pub struct JwksServer {
        state: Arc<State>,
        task: tokio::task::JoinHandle<()>,
    }

    impl fmt::Debug for JwksServer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("JwksServer")
                .field("issuer", &self.state.issuer)
                .finish_non_exhaustive()
        }
    }

    impl Drop for JwksServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl JwksServer {
        /// Serves the public keys of `provider`.
        pub async fn start(provider: &SimpleJwt) -> Self {
            let server = Self::start_empty().await;
            server.serve_keys_of(provider);
            server
        }

        /// Serves an empty set, until [`serve_keys_of`](Self::serve_keys_of)
        /// or [`serve_json`](Self::serve_json).
        ///
        /// # Panics
        /// When no loopback port can be bound, or outside a tokio runtime.
        pub async fn start_empty() -> Self {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
            let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
            let state = Arc::new(State {
                issuer: format!("http://{addr}"),
                jwks: Mutex::new(r#"{"keys":[]}"#.to_owned()),
                fetches: AtomicU64::new(0),
            });
            let serving = state.clone();
            let task = tokio::spawn(async move {
                while let Ok((mut conn, _)) = listener.accept().await {
                    let state = serving.clone();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 8192];
                        let mut read = 0;
                        while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                            match conn.read(&mut buf[read..]).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => read += n,
                            }
                            if read == buf.len() {
                                return;
                            }
                        }
                        let head = String::from_utf8_lossy(&buf[..read]);
                        let path = head.split_whitespace().nth(1).unwrap_or("");
                        let (status, body) = match path {
                            "/.well-known/jwks.json" => {
                                state.fetches.fetch_add(1, Ordering::SeqCst);
                                let jwks =
                                    state.jwks.lock().unwrap_or_else(PoisonError::into_inner);
                                ("200 OK", jwks.clone())
                            }
                            "/.well-known/openid-configuration" => (
                                "200 OK",
                                serde_json::json!({
                                    "issuer": state.issuer,
                                    "jwks_uri": format!("{}/.well-known/jwks.json", state.issuer),
                                })
                                .to_string(),
                            ),
                            _ => ("404 Not Found", "{}".to_owned()),
                        };
                        let response = format!(
                            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = conn.write_all(response.as_bytes()).await;
                        let _ = conn.shutdown().await;
                    });
                }
            });
            Self { state, task }
        }

        /// The server's URL, which is also the issuer its discovery
        /// document names (`http://127.0.0.1:<port>`).
        pub fn issuer(&self) -> &str {
            &self.state.issuer
        }

        /// The JWK Set's URL (Simple JWT's `JWK_URL`).
        pub fn jwks_url(&self) -> String {
            format!("{}/.well-known/jwks.json", self.state.issuer)
        }

        /// From now on, serves the public keys of `provider` (a rotation).
        pub fn serve_keys_of(&self, provider: &SimpleJwt) {
            let json = serde_json::to_string(&provider.jwks())
                .unwrap_or_else(|e| panic!("a JWK Set serializes: {e}"));
            self.serve_json(json);
        }

        /// From now on, serves `json` as the JWK Set, whatever it holds.
        pub fn serve_json(&self, json: impl Into<String>) {
            *self
                .state
                .jwks
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = json.into();
        }

        /// How many times the JWK Set was fetched.
        pub fn fetches(&self) -> u64 {
            self.state.fetches.load(Ordering::SeqCst)
        }
    }
}
