//! The one-call axum router.

use axum::Router;

use crate::endpoints::TokenEndpoints;

/// Where each endpoint is mounted. Defaults to Simple JWT's paths.
#[derive(Debug, Clone)]
#[must_use]
pub struct TokenPaths {
    /// Defaults to `/api/token/`.
    pub obtain_pair: String,
    /// Defaults to `/api/token/refresh/`.
    pub refresh: String,
    /// Defaults to `/api/token/verify/`.
    pub verify: String,
    /// Defaults to `/api/token/blacklist/`.
    pub blacklist: String,
    /// Defaults to `/api/token/sliding/`.
    pub obtain_sliding: String,
    /// Defaults to `/api/token/sliding/refresh/`.
    pub refresh_sliding: String,
    /// Defaults to `/api/token/logout_all/`.
    pub logout_all: String,
    /// Defaults to `/.well-known/jwks.json`.
    pub jwks: String,
}

impl Default for TokenPaths {
    fn default() -> Self {
        Self::with_prefix("/api/token")
    }
}

impl TokenPaths {
    /// Simple JWT's paths under another prefix (`"/auth"` gives `/auth/`,
    /// `/auth/refresh/`, ...). The JWK Set stays at `/.well-known/jwks.json`.
    pub fn with_prefix(prefix: &str) -> Self {
        let p = prefix.trim_end_matches('/');
        Self {
            obtain_pair: format!("{p}/"),
            refresh: format!("{p}/refresh/"),
            verify: format!("{p}/verify/"),
            blacklist: format!("{p}/blacklist/"),
            obtain_sliding: format!("{p}/sliding/"),
            refresh_sliding: format!("{p}/sliding/refresh/"),
            logout_all: format!("{p}/logout_all/"),
            jwks: "/.well-known/jwks.json".to_owned(),
        }
    }
}

impl TokenEndpoints {
    /// Every endpoint at Simple JWT's paths, ready to `merge` into an app.
    ///
    /// ```
    /// use tower_simplejwt::SimpleJwt;
    /// use tower_simplejwt::endpoints::TokenEndpoints;
    ///
    /// let jwt = SimpleJwt::builder().with_secret([5u8; 32]).build().unwrap();
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(TokenEndpoints::new(jwt.clone()).router())
    ///     .layer(jwt.layer());
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        self.router_at(&TokenPaths::default())
    }

    /// Every endpoint at the given paths. Without a revocation store there
    /// is nothing to blacklist into, so the blacklist and log-out-everywhere
    /// routes are left out rather than mounted to fail on every request.
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router_at<S: Clone + Send + Sync + 'static>(&self, paths: &TokenPaths) -> Router<S> {
        let router = Router::new()
            .route_service(&paths.obtain_pair, self.obtain_pair())
            .route_service(&paths.refresh, self.refresh())
            .route_service(&paths.verify, self.verify())
            .route_service(&paths.obtain_sliding, self.obtain_sliding())
            .route_service(&paths.refresh_sliding, self.refresh_sliding())
            .route_service(&paths.jwks, self.jwks());
        if self.shared.jwt.store().is_none() {
            return router;
        }
        router
            .route_service(&paths.blacklist, self.blacklist())
            .route_service(&paths.logout_all, self.logout_all())
    }
}
