//! The one-call axum router.

use axum::Router;

use crate::endpoints::TokenEndpoints;

impl TokenEndpoints {
    /// Every endpoint at the configured [`TokenPaths`](crate::TokenPaths)
    /// (Simple JWT's by default), ready to `merge` into an app. Mount it at
    /// the root: the auth layer recognises the token routes by those paths
    /// and leaves them alone, so the routes work behind `.layer(jwt.layer())`
    /// even when the client sends an expired access token.
    ///
    /// Routes that could only fail are left out rather than mounted: without
    /// a revocation store the blacklist and log-out-everywhere routes (there
    /// is nothing to blacklist into), and without a signing key (a
    /// verify-only configuration) every route that mints.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use axum::body::Body;
    /// use http::{Request, StatusCode};
    /// use tower::ServiceExt;
    /// use tower_simplejwt::SimpleJwt;
    /// use tower_simplejwt::endpoints::TokenEndpoints;
    ///
    /// let jwt = SimpleJwt::builder().with_secret([5u8; 32]).build().unwrap();
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(TokenEndpoints::builder(jwt.clone()).stateless().build().unwrap().router())
    ///     .layer(jwt.layer());
    ///
    /// // A client sends its stale access token along with the refresh token.
    /// let pair = jwt.for_user(1).pair().await.unwrap();
    /// let req = Request::post("/api/token/refresh/")
    ///     .header("authorization", "Bearer expired.or.garbage")
    ///     .header("content-type", "application/json")
    ///     .body(Body::from(format!(r#"{{"refresh": "{}"}}"#, pair.refresh)))
    ///     .unwrap();
    /// assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::OK);
    /// # });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let mut router = Router::new();
        for (path, endpoint) in self.mounted() {
            router = router.route_service(path, endpoint);
        }
        router
    }
}
