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
//! let endpoints = TokenEndpoints::new(jwt);
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
mod credentials;
mod error;
mod jwks;
mod logout_all;
mod obtain;
mod refresh;
mod request;
mod revoked;
#[cfg(feature = "axum")]
mod router;
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

pub use credentials::{CredentialChecker, LoginUser};
#[cfg(feature = "axum")]
pub use router::TokenPaths;

use crate::endpoints::credentials::DynChecker;
use crate::endpoints::error::ApiError;
use crate::endpoints::obtain::Issue;
use crate::endpoints::request::{check_method, read_data};
use crate::response::{json, no_store};
use crate::settings::SimpleJwt;
use crate::user::{SharedResolver, UserResolver};

/// Everything the endpoints share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) jwt: SimpleJwt,
    pub(crate) checker: Option<Arc<dyn DynChecker>>,
    pub(crate) resolver: Option<SharedResolver>,
}

/// Builds the token endpoints for one configuration.
#[derive(Clone)]
#[must_use]
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

impl TokenEndpoints {
    /// Endpoints without a password check: refresh, verify, blacklist,
    /// sliding refresh, log out everywhere and JWKS work; obtain answers 401
    /// until [`with_credentials`](Self::with_credentials) is given
    /// (passwordless apps mint with [`SimpleJwt::for_user`] instead).
    pub fn new(jwt: SimpleJwt) -> Self {
        Self {
            shared: Arc::new(Shared {
                jwt,
                checker: None,
                resolver: None,
            }),
        }
    }

    fn map(self, f: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = Shared::clone(&self.shared);
        f(&mut shared);
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The app's credential check for the obtain endpoints.
    pub fn with_credentials(self, checker: impl CredentialChecker) -> Self {
        self.map(|s| s.checker = Some(Arc::new(checker)))
    }

    /// Re-check the user on refresh (deleted, inactive, password changed).
    pub fn with_user_resolver(self, resolver: impl UserResolver) -> Self {
        self.map(|s| s.resolver = Some(Arc::new(resolver)))
    }

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
        Post::ObtainPair => obtain::obtain(shared, data, Issue::Pair).await,
        Post::ObtainSliding => obtain::obtain(shared, data, Issue::Sliding).await,
        Post::Refresh => refresh::refresh(shared, data).await,
        Post::RefreshSliding => refresh::refresh_sliding(shared, data).await,
        Post::Verify => verify::verify(shared, data).await,
        Post::Blacklist => blacklist::blacklist(shared, &parts, data).await,
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
