use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use tower_layer::Layer;

use crate::auth::JwtAuth;
use crate::jwt::SimpleJwt;
use crate::response::challenge;
use crate::user::{SharedResolver, UserResolver};

/// Applies [`JwtAuth`] to a service. Build it with [`SimpleJwt::layer`];
/// cloning it is a couple of reference-count bumps.
#[derive(Clone)]
#[must_use]
pub struct JwtAuthLayer {
    pub(crate) jwt: SimpleJwt,
    pub(crate) required: bool,
    pub(crate) resolver: Option<SharedResolver>,
    /// `WWW-Authenticate` for "no credentials", computed once.
    pub(crate) challenge: HeaderValue,
    /// The public token routes this configuration mounts: left alone.
    pub(crate) public_paths: Arc<[String]>,
}

impl fmt::Debug for JwtAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthLayer")
            .field("required", &self.required)
            .field("resolves_users", &self.resolver.is_some())
            .finish_non_exhaustive()
    }
}

impl SimpleJwt {
    /// The auth layer. Anonymous requests pass through without claims
    /// (handlers decide with `Option<Claims<T>>`); call
    /// [`required`](JwtAuthLayer::required) to refuse them instead.
    pub fn layer(&self) -> JwtAuthLayer {
        let s = self.settings();
        let scheme = s.challenge_scheme();
        JwtAuthLayer {
            jwt: self.clone(),
            required: false,
            resolver: None,
            challenge: challenge(scheme, &s.realm, None),
            public_paths: s
                .token_paths
                .public(self.can_sign(), self.store().is_some())
                .into(),
        }
    }
}

impl JwtAuthLayer {
    /// Refuse requests without credentials (401 "Authentication credentials
    /// were not provided.").
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Load the user for every authenticated request and put it into the
    /// extensions as [`CurrentUser<U>`](crate::CurrentUser). Unknown,
    /// inactive and password-changed users get the contract's 401s.
    pub fn with_user_resolver<R: UserResolver>(mut self, resolver: R) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }
}

impl<S> Layer<S> for JwtAuthLayer {
    type Service = JwtAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtAuth {
            inner,
            layer: self.clone(),
        }
    }
}
