//! Extractors for axum (through `axum-core`): [`Claims<T>`],
//! `Option<Claims<T>>`, [`CurrentUser<U>`] and [`VerifiedToken`].
//!
//! They read what [`JwtAuthLayer`](crate::JwtAuthLayer) put into the request.
//! Used on a route without the layer they answer 500 with a message naming
//! the fix, so the mistake shows up at the first request in development.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_simplejwt::{Claims, SimpleJwt};
//!
//! #[derive(serde::Deserialize)]
//! struct Me { user_id: String }
//!
//! let jwt = SimpleJwt::builder().with_secret([3u8; 32]).build().unwrap();
//! let app = Router::new()
//!     .route("/me", get(|Claims(me): Claims<Me>| async move { me.user_id }))
//!     .route("/hi", get(|me: Option<Claims<Me>>| async move { me.map_or("stranger".into(), |c| c.0.user_id) }))
//!     .layer(jwt.layer());
//!
//! let anonymous = app.clone().oneshot(Request::get("/me").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
//! let optional = app.clone().oneshot(Request::get("/hi").body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(optional.status(), StatusCode::OK);
//!
//! let token = jwt.for_user(9).access().unwrap();
//! let req = Request::get("/me").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
//! assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::OK);
//! # });
//! ```

use std::ops::{Deref, DerefMut};

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::auth::AuthContext;
use crate::response::{json, with_challenge};
use crate::token::VerifiedToken;

/// The validated token's claims, decoded as `T`.
///
/// `T` sees the whole payload: declare the registered claims you need
/// (`user_id`, `exp`...) next to your own. Unknown claims are ignored.
/// Without credentials the extractor answers 401 "Authentication
/// credentials were not provided."; use `Option<Claims<T>>` on routes that
/// also serve anonymous users.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claims<T>(pub T);

impl<T> Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Claims<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

pub use crate::user::CurrentUser;

/// Why an extractor could not produce its value: an opaque error with a
/// [`kind`](Self::kind); its response is the contract's body.
#[derive(Debug)]
pub struct ClaimsRejection {
    kind: ClaimsRejectionKind,
    /// `WWW-Authenticate` to send with a 401.
    challenge: Option<HeaderValue>,
    /// Why the claims did not fit the requested type.
    reason: Option<String>,
}

/// What kind of [`ClaimsRejection`] this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsRejectionKind {
    /// The request is anonymous (401).
    MissingCredentials,
    /// The token's claims do not fit the requested type (401).
    InvalidClaims,
    /// The route has no `JwtAuthLayer` (500).
    MissingLayer,
    /// The layer has no user resolver (500).
    MissingUserResolver,
}

impl ClaimsRejection {
    fn new(kind: ClaimsRejectionKind) -> Self {
        Self {
            kind,
            challenge: None,
            reason: None,
        }
    }

    fn missing_credentials(challenge: HeaderValue) -> Self {
        Self {
            challenge: Some(challenge),
            ..Self::new(ClaimsRejectionKind::MissingCredentials)
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ClaimsRejectionKind {
        self.kind
    }

    /// For [`InvalidClaims`](ClaimsRejectionKind::InvalidClaims): why the
    /// claims did not fit the requested type.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

impl std::fmt::Display for ClaimsRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            ClaimsRejectionKind::MissingCredentials => {
                "Authentication credentials were not provided."
            }
            ClaimsRejectionKind::InvalidClaims => "Token is invalid",
            ClaimsRejectionKind::MissingLayer => {
                "Missing request extension: the JWT claims were not found. \
                 Is `JwtAuthLayer` applied to this route (`.layer(jwt.layer())`)?"
            }
            ClaimsRejectionKind::MissingUserResolver => {
                "Missing request extension: no user was resolved. \
                 Add `.with_user_resolver(...)` to the `JwtAuthLayer` of this route."
            }
        })
    }
}

impl std::error::Error for ClaimsRejection {}

impl IntoResponse for ClaimsRejection {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        let body = match self.kind {
            ClaimsRejectionKind::MissingCredentials => json!({ "detail": detail }),
            ClaimsRejectionKind::InvalidClaims => {
                json!({ "detail": detail, "code": "token_not_valid" })
            }
            ClaimsRejectionKind::MissingLayer | ClaimsRejectionKind::MissingUserResolver => {
                json!({ "detail": detail })
            }
        };
        let res = match self.challenge {
            Some(challenge) => with_challenge(json(StatusCode::UNAUTHORIZED, &body), challenge),
            None => json(StatusCode::INTERNAL_SERVER_ERROR, &body),
        };
        res.map(axum_core::body::Body::from)
    }
}

fn context(parts: &Parts) -> Result<&AuthContext, ClaimsRejection> {
    parts
        .extensions
        .get::<AuthContext>()
        .ok_or_else(|| ClaimsRejection::new(ClaimsRejectionKind::MissingLayer))
}

/// The three extractors, once: `Ok(None)` for an anonymous request. The
/// required forms turn `None` into "credentials were not provided".
trait Extract: Sized {
    fn extract(
        parts: &Parts,
        ctx: &AuthContext,
        token: &VerifiedToken,
    ) -> Result<Self, ClaimsRejection>;
}

fn optional<E: Extract>(parts: &Parts) -> Result<Option<E>, ClaimsRejection> {
    let ctx = context(parts)?;
    ctx.token
        .as_ref()
        .map(|token| E::extract(parts, ctx, token))
        .transpose()
}

fn required<E: Extract>(parts: &Parts) -> Result<E, ClaimsRejection> {
    let ctx = context(parts)?;
    match &ctx.token {
        Some(token) => E::extract(parts, ctx, token),
        None => Err(ClaimsRejection::missing_credentials(ctx.challenge.clone())),
    }
}

impl<T: DeserializeOwned> Extract for Claims<T> {
    fn extract(
        _: &Parts,
        ctx: &AuthContext,
        token: &VerifiedToken,
    ) -> Result<Self, ClaimsRejection> {
        token.claims().map(Claims).map_err(|e| ClaimsRejection {
            challenge: Some(ctx.challenge.clone()),
            reason: Some(e.to_string()),
            ..ClaimsRejection::new(ClaimsRejectionKind::InvalidClaims)
        })
    }
}

impl Extract for VerifiedToken {
    fn extract(_: &Parts, _: &AuthContext, token: &VerifiedToken) -> Result<Self, ClaimsRejection> {
        Ok(token.clone())
    }
}

impl<U: Clone + Send + Sync + 'static> Extract for CurrentUser<U> {
    fn extract(parts: &Parts, _: &AuthContext, _: &VerifiedToken) -> Result<Self, ClaimsRejection> {
        parts
            .extensions
            .get::<CurrentUser<U>>()
            .cloned()
            .ok_or_else(|| ClaimsRejection::new(ClaimsRejectionKind::MissingUserResolver))
    }
}

/// `FromRequestParts` and `OptionalFromRequestParts` for each extractor.
macro_rules! extractor {
    (impl<$($g:ident),*> $ty:ty where $($bounds:tt)*) => {
        impl<$($g,)* S> FromRequestParts<S> for $ty
        where
            S: Send + Sync,
            $($bounds)*
        {
            type Rejection = ClaimsRejection;

            async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
                required(parts)
            }
        }

        impl<$($g,)* S> OptionalFromRequestParts<S> for $ty
        where
            S: Send + Sync,
            $($bounds)*
        {
            type Rejection = ClaimsRejection;

            async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
                optional(parts)
            }
        }
    };
}

extractor!(impl<T> Claims<T> where T: DeserializeOwned + Send,);
extractor!(impl<> VerifiedToken where);
extractor!(impl<U> CurrentUser<U> where U: Clone + Send + Sync + 'static,);
