//! The auth middleware: [`JwtAuthLayer`] -> [`JwtAuth`] -> [`ResponseFuture`].
//!
//! For every request it reads the bearer token (configured header, else an
//! optional cookie), validates it, and inserts an [`AuthContext`] into the
//! request extensions; handlers read it through the extractors. Requests
//! without credentials pass through anonymous, unless the layer is
//! [`required`](JwtAuthLayer::required). Every refusal is a response with the
//! contract's JSON body and `WWW-Authenticate` header; the inner service never
//! sees the request.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use http::{Request, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_simplejwt::SimpleJwt;
//!
//! let jwt = SimpleJwt::builder().with_secret([1u8; 32]).build().unwrap();
//! let svc = ServiceBuilder::new()
//!     .layer(jwt.layer().required())
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hello")))
//!     }));
//!
//! let anonymous = svc.clone().oneshot(Request::new(String::new())).await.unwrap();
//! assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
//!
//! let token = jwt.for_user(7).access().unwrap();
//! let req = Request::builder()
//!     .header("authorization", format!("Bearer {token}"))
//!     .body(String::new())
//!     .unwrap();
//! assert_eq!(svc.oneshot(req).await.unwrap().status(), StatusCode::OK);
//! # });
//! ```

mod body;
mod csrf;
mod future;
mod header;
mod layer;
mod rejection;
mod service;

use http::HeaderValue;

pub use body::AuthBody;
pub use csrf::CsrfFailure;
pub use future::ResponseFuture;
pub use layer::JwtAuthLayer;
pub use rejection::AuthRejection;
pub use service::JwtAuth;

pub(crate) use csrf::{check as check_csrf, check_login as check_login_csrf};
pub(crate) use header::{Credentials, credentials};

use crate::token::VerifiedToken;

/// Put into the request extensions by the layer for every request it lets
/// through: the validated token, or none for an anonymous request.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub(crate) token: Option<VerifiedToken>,
    pub(crate) source: Option<CredentialSource>,
    pub(crate) challenge: HeaderValue,
    /// The layer recognised a public token route and left it alone.
    pub(crate) token_route: bool,
}

impl AuthContext {
    /// The validated token, `None` for anonymous requests.
    pub fn token(&self) -> Option<&VerifiedToken> {
        self.token.as_ref()
    }

    /// Whether the request carried a valid token.
    pub fn is_authenticated(&self) -> bool {
        self.token.is_some()
    }

    /// Where the valid token was found: the `Authorization` header or the
    /// access cookie. `None` for anonymous requests.
    pub fn credential_source(&self) -> Option<CredentialSource> {
        self.source
    }
}

/// Where a request's credential was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// The `Authorization` header (or the configured header).
    Header,
    /// The access cookie: unsafe methods passed the CSRF check.
    Cookie,
}
