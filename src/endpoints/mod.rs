//! The token endpoints, wire compatible with Simple JWT: obtain pair,
//! refresh (with race-free rotation), verify, blacklist (logout), sliding
//! tokens, "log out everywhere", and the JWK Set.
//!
//! Each endpoint is a [`TokenEndpoint`]: a tower `Service` for
//! `http::Request<B>` with any body type, so plain hyper apps can mount it.
//! With the `axum` feature, [`TokenEndpoints::router`] returns all of them
//! at Simple JWT's paths.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_simplejwt::endpoints::TokenEndpoints;
//! use tower_simplejwt::{MemoryStore, SimpleJwt};
//!
//! let jwt = SimpleJwt::builder()
//!     .with_secret([5u8; 32])
//!     .with_store(MemoryStore::new())
//!     .build()
//!     .unwrap();
//! let pair = jwt.for_user(1).pair().await.unwrap();
//! let endpoints = TokenEndpoints::builder(jwt).stateless().build().unwrap();
//!
//! let logout = |token: &str| {
//!     Request::post("/api/token/blacklist/")
//!         .header("content-type", "application/json")
//!         .body(format!(r#"{{"refresh": "{token}"}}"#))
//!         .unwrap()
//! };
//! let res = endpoints.blacklist().oneshot(logout(&pair.refresh)).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! let again = endpoints.blacklist().oneshot(logout(&pair.refresh)).await.unwrap();
//! assert_eq!(again.status(), StatusCode::UNAUTHORIZED); // "Token is blacklisted"
//! # });
//! ```

mod blacklist;
mod cookie_mode;
mod credentials;
mod error;
mod fields;
mod jwks;
mod logout_all;
mod obtain;
#[cfg(feature = "openapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "openapi")))]
pub mod openapi;
mod refresh;
mod request;
mod revoked;
#[cfg(feature = "axum")]
mod router;
mod throttle;
mod verify;

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ALLOW, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use serde::Serialize;
use serde_json::json;
use tower_service::Service;

pub use crate::paths::TokenPaths;
pub use credentials::{CredentialChecker, LoginUser};
pub use fields::{IssuedTokens, ResponseFields, TokenRoute};
pub use throttle::LoginThrottle;

use crate::endpoints::credentials::DynChecker;
use crate::endpoints::error::ApiError;
use crate::endpoints::obtain::Issue;
use crate::endpoints::request::{check_method, read_data};
use crate::jwt::SimpleJwt;
use crate::response::{json, no_store};
use crate::settings::{ConfigError, ConfigErrorKind};
use crate::user::{SharedResolver, UserResolver};

/// Everything the endpoints share.
pub(crate) struct Shared {
    pub(crate) jwt: SimpleJwt,
    pub(crate) checker: Option<Arc<dyn DynChecker>>,
    pub(crate) resolver: Option<SharedResolver>,
    pub(crate) throttle: Option<LoginThrottle>,
    pub(crate) fields: Option<Arc<dyn fields::DynFields>>,
}

/// The token endpoints of one configuration; build them with
/// [`TokenEndpoints::builder`].
#[derive(Clone)]
pub struct TokenEndpoints {
    shared: Arc<Shared>,
}

impl fmt::Debug for TokenEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoints")
            .field("jwt", &self.shared.jwt)
            .field("has_credentials", &self.shared.checker.is_some())
            .field("rechecks_users", &self.shared.resolver.is_some())
            .finish()
    }
}

/// Builder for [`TokenEndpoints`]; [`build`](Self::build) checks that the
/// endpoints can keep every promise of the configuration.
#[must_use]
pub struct TokenEndpointsBuilder {
    shared: Shared,
    stateless: bool,
}

impl fmt::Debug for TokenEndpointsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpointsBuilder")
            .field("has_credentials", &self.shared.checker.is_some())
            .field("rechecks_users", &self.shared.resolver.is_some())
            .field("stateless", &self.stateless)
            .finish_non_exhaustive()
    }
}

impl TokenEndpoints {
    /// Starts the endpoints of `jwt`. Refresh re-checks the user
    /// (`check_user_is_active` is on by default), so give it a
    /// [`with_user_resolver`](TokenEndpointsBuilder::with_user_resolver), or
    /// say [`stateless`](TokenEndpointsBuilder::stateless).
    pub fn builder(jwt: SimpleJwt) -> TokenEndpointsBuilder {
        TokenEndpointsBuilder {
            shared: Shared {
                jwt,
                checker: None,
                resolver: None,
                throttle: None,
                fields: None,
            },
            stateless: false,
        }
    }
}

impl TokenEndpointsBuilder {
    /// The app's credential check for the obtain endpoints. Without it,
    /// obtain answers 401 (passwordless apps mint with
    /// [`SimpleJwt::for_user`] instead).
    pub fn with_credentials(mut self, checker: impl CredentialChecker) -> Self {
        self.shared.checker = Some(Arc::new(checker));
        self
    }

    /// Re-check the user on refresh (deleted, inactive, password changed),
    /// as Simple JWT's refresh view does.
    pub fn with_user_resolver(mut self, resolver: impl UserResolver) -> Self {
        self.shared.resolver = Some(Arc::new(resolver));
        self
    }

    /// Limits login attempts per username and per client address (see
    /// [`LoginThrottle`]); the counts live in the revocation store, shared
    /// by every instance. Needs a store.
    pub fn with_login_throttle(mut self, throttle: LoginThrottle) -> Self {
        self.shared.throttle = Some(throttle);
        self
    }

    /// Adds the app's fields to the obtain and refresh bodies (a user
    /// profile, expiry instants; see [`ResponseFields`]).
    pub fn with_response_fields(mut self, fields: impl ResponseFields) -> Self {
        self.shared.fields = Some(Arc::new(fields));
        self
    }

    /// Refresh without looking users up: a deleted or deactivated user keeps
    /// refreshing until the refresh token expires (revoke their tokens with
    /// [`SimpleJwt::logout_everywhere`] instead). Without a resolver this must
    /// be said explicitly, so that `check_user_is_active` never silently does
    /// nothing.
    pub fn stateless(mut self) -> Self {
        self.stateless = true;
        self
    }

    /// Checks the endpoints against the configuration.
    pub fn build(mut self) -> Result<TokenEndpoints, ConfigError> {
        let settings = self.shared.jwt.settings();
        let missing = |what: &str| {
            Err(ConfigError::new(
                ConfigErrorKind::UserResolverRequired,
                format!(
                    "{what}: add `.with_user_resolver(...)` to `TokenEndpoints::builder`{}",
                    if what.starts_with("check_revoke_token") {
                        ""
                    } else {
                        ", or call `.stateless()` to refresh without looking users up"
                    }
                ),
            ))
        };
        if self.shared.resolver.is_none() {
            if settings.check_revoke_token {
                return missing(
                    "check_revoke_token is on, but refresh has no user to compare the password fingerprint with",
                );
            }
            if settings.check_user_is_active && !self.stateless {
                return missing(
                    "check_user_is_active is on (the default), but refresh has no way to look the user up",
                );
            }
        }
        if let Some(throttle) = self.shared.throttle.take() {
            if self.shared.jwt.store().is_none() {
                return Err(ConfigError::new(
                    ConfigErrorKind::StoreRequired,
                    "the login throttle counts attempts in the revocation store, so that every \
                     instance shares the counts: add `with_store` to the configuration",
                ));
            }
            self.shared.throttle = Some(throttle.checked()?);
        }
        if self.shared.checker.is_some() && !self.shared.jwt.can_sign() {
            return Err(ConfigError::key(
                "the obtain endpoints need a signing key, but this configuration only verifies: \
                 add `with_secret` or `with_signing_key`, or drop `with_credentials`",
            ));
        }
        Ok(TokenEndpoints {
            shared: Arc::new(self.shared),
        })
    }
}

impl TokenEndpoints {
    fn endpoint(&self, kind: Kind) -> TokenEndpoint {
        TokenEndpoint {
            shared: self.shared.clone(),
            kind,
        }
    }

    /// `POST /api/token/`: `{"<username_field>", "password"}` -> `{"refresh", "access"}`.
    pub fn obtain_pair(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::ObtainPair))
    }
    /// `POST /api/token/refresh/`: `{"refresh"}` -> `{"access"}` (+ `"refresh"` with rotation).
    pub fn refresh(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::Refresh))
    }
    /// `POST /api/token/verify/`: `{"token"}` -> `{}`.
    pub fn verify(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::Verify))
    }
    /// `POST /api/token/blacklist/`: `{"refresh"}` -> `{}` (logout). Needs a
    /// store: without one it answers 503 (and `router()` does not mount it).
    pub fn blacklist(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::Blacklist))
    }
    /// `POST /api/token/sliding/`: credentials -> `{"token"}`.
    pub fn obtain_sliding(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::ObtainSliding))
    }
    /// `POST /api/token/sliding/refresh/`: `{"token"}` -> `{"token"}`.
    pub fn refresh_sliding(&self) -> TokenEndpoint {
        self.endpoint(Kind::Post(Post::RefreshSliding))
    }
    /// `POST /api/token/logout_all/` with a bearer access token: revokes
    /// every token of the caller issued up to now. Needs a store, like
    /// [`blacklist`](Self::blacklist).
    pub fn logout_all(&self) -> TokenEndpoint {
        self.endpoint(Kind::LogoutAll)
    }
    /// `GET /.well-known/jwks.json`: the public JWK Set.
    pub fn jwks(&self) -> TokenEndpoint {
        self.endpoint(Kind::Jwks)
    }

    /// The routes that are mounted, at their configured paths: `router()`
    /// mounts them and the OpenAPI document describes them, from this one
    /// list. Routes that could only fail are left out: without a store the
    /// blacklist and log-out-everywhere routes, without a signing key every
    /// route that mints.
    #[cfg(any(feature = "axum", feature = "openapi"))]
    fn mounted(&self) -> Vec<(&str, TokenEndpoint)> {
        let paths = &self.shared.jwt.settings().token_paths;
        let mut routes = vec![
            (paths.verify.as_str(), self.verify()),
            (paths.jwks.as_str(), self.jwks()),
        ];
        if self.shared.jwt.can_sign() {
            routes.extend([
                (paths.obtain_pair.as_str(), self.obtain_pair()),
                (paths.refresh.as_str(), self.refresh()),
                (paths.obtain_sliding.as_str(), self.obtain_sliding()),
                (paths.refresh_sliding.as_str(), self.refresh_sliding()),
            ]);
        }
        if self.shared.jwt.store().is_some() {
            routes.extend([
                (paths.blacklist.as_str(), self.blacklist()),
                (paths.logout_all.as_str(), self.logout_all()),
            ]);
        }
        routes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `POST` with a JSON or form body.
    Post(Post),
    /// `POST` authenticated by its bearer token; the body is never read.
    LogoutAll,
    /// `GET` of the public keys.
    Jwks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Post {
    ObtainPair,
    Refresh,
    Verify,
    Blacklist,
    ObtainSliding,
    RefreshSliding,
}

impl Kind {
    /// The route's name in traces.
    fn route(self) -> &'static str {
        match self {
            Self::Post(Post::ObtainPair) => "obtain_pair",
            Self::Post(Post::Refresh) => "refresh",
            Self::Post(Post::Verify) => "verify",
            Self::Post(Post::Blacklist) => "blacklist",
            Self::Post(Post::ObtainSliding) => "obtain_sliding",
            Self::Post(Post::RefreshSliding) => "refresh_sliding",
            Self::LogoutAll => "logout_all",
            Self::Jwks => "jwks",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Post(Post::ObtainPair) => "Token Obtain Pair",
            Self::Post(Post::Refresh) => "Token Refresh",
            Self::Post(Post::Verify) => "Token Verify",
            Self::Post(Post::Blacklist) => "Token Blacklist",
            Self::Post(Post::ObtainSliding) => "Token Obtain Sliding",
            Self::Post(Post::RefreshSliding) => "Token Refresh Sliding",
            Self::LogoutAll => "Token Logout All",
            Self::Jwks => "JWK Set",
        }
    }
}

/// One token endpoint as a tower `Service`; never answers 500.
#[derive(Clone)]
pub struct TokenEndpoint {
    shared: Arc<Shared>,
    kind: Kind,
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("kind", &self.kind)
            .finish()
    }
}

/// The future returned by [`TokenEndpoint`].
pub type EndpointFuture =
    Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

impl<B> Service<Request<B>> for TokenEndpoint
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = EndpointFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        let kind = self.kind;
        Box::pin(async move {
            let res = match handle(&shared, kind, req).await {
                Ok(res) => res,
                Err(e) => no_store(e.into_response(shared.jwt.settings())),
            };
            crate::observe::endpoint(kind.route(), res.status());
            Ok(res.map(Full::new))
        })
    }
}

async fn handle<B>(
    shared: &Shared,
    kind: Kind,
    req: Request<B>,
) -> Result<Response<Bytes>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    if kind != Kind::LogoutAll {
        check_composition(&parts.extensions)?;
    }
    let post = match kind {
        Kind::Jwks => return jwks::jwks(shared, &parts.method),
        Kind::LogoutAll | Kind::Post(_) if parts.method == http::Method::OPTIONS => {
            return Ok(options(kind));
        }
        Kind::LogoutAll => {
            check_method(&parts.method)?;
            return logout_all::logout_all(shared, &parts).await;
        }
        Kind::Post(post) => {
            check_method(&parts.method)?;
            post
        }
    };
    let data = read_data(&parts.headers, body, shared.jwt.settings().max_body_size).await?;
    match post {
        Post::ObtainPair => obtain::obtain(shared, &parts, data, Issue::Pair).await,
        Post::ObtainSliding => obtain::obtain(shared, &parts, data, Issue::Sliding).await,
        Post::Refresh => refresh::refresh(shared, &parts, data).await,
        Post::RefreshSliding => refresh::refresh_sliding(shared, &parts, data).await,
        Post::Verify => verify::verify(shared, data).await,
        Post::Blacklist => blacklist::blacklist(shared, &parts, data).await,
    }
}

/// A public token route behind the auth layer at a path the layer does not
/// know would refuse clients that send a stale access token: that mistake
/// fails on the first request, whatever it carries, with the fix.
fn check_composition(extensions: &http::Extensions) -> Result<(), ApiError> {
    match extensions.get::<crate::auth::AuthContext>() {
        Some(ctx) if !ctx.token_route => Err(ApiError::Misconfigured(
            "this token route sits behind `JwtAuthLayer` at a path the layer does not know as a token \
             route, so clients sending an expired access token could not refresh: mount \
             `TokenEndpoints::router()` at the root (`SimpleJwtBuilder::with_token_paths` moves the \
             routes), or mount the endpoints outside the layer"
                .to_owned(),
        )),
        _ => Ok(()),
    }
}

/// DRF's answer to `OPTIONS`: the view's name and media types.
fn options(kind: Kind) -> Response<Bytes> {
    let mut res = json(
        StatusCode::OK,
        &json!({
            "name": kind.name(),
            "renders": ["application/json"],
            "parses": ["application/json", "application/x-www-form-urlencoded"],
        }),
    );
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST, OPTIONS"));
    res
}

/// A successful token response: JSON with `Cache-Control: no-store`.
pub(crate) fn token_response<T: Serialize + ?Sized>(
    status: StatusCode,
    body: &T,
) -> Response<Bytes> {
    no_store(json(status, body))
}
