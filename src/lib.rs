//! Django REST framework Simple JWT for tower and axum.
//!
//! - [`JwtAuthLayer`]: a tower layer that validates the bearer token of every
//!   request and hands typed claims to handlers ([`Claims<T>`],
//!   `Option<Claims<T>>`, [`CurrentUser<U>`]).
//! - [`SimpleJwt::for_user`]: mint pairs and sliding tokens from app code,
//!   without a password (OTP, magic links).
//! - [`store`]: revocation stores (memory by default; SQL and Redis behind features).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_simplejwt::{Claims, MemoryStore, SimpleJwt, endpoints::TokenEndpoints};
//!
//! #[derive(serde::Deserialize)]
//! struct Me { user_id: String }
//!
//! let jwt = SimpleJwt::builder()
//!     .with_secret("a secret of at least thirty-two bytes!")
//!     .with_store(MemoryStore::new())
//!     .build()
//!     .unwrap();
//! let app = Router::new()
//!     .route("/api/me/", get(|Claims(me): Claims<Me>| async move { me.user_id }))
//!     .merge(TokenEndpoints::builder(jwt.clone()).stateless().build().unwrap().router())
//!     .layer(jwt.layer());
//!
//! // A pair minted from app code (after an OTP check, say).
//! let pair = jwt.for_user(42).pair().await.unwrap();
//! let me = Request::get("/api/me/")
//!     .header("authorization", format!("Bearer {}", pair.access))
//!     .body(Body::empty())
//!     .unwrap();
//! assert_eq!(app.clone().oneshot(me).await.unwrap().status(), StatusCode::OK);
//!
//! // Refresh works even when the client sends its stale access token along.
//! let refresh = Request::post("/api/token/refresh/")
//!     .header("authorization", "Bearer an.expired.token")
//!     .header("content-type", "application/json")
//!     .body(Body::from(format!(r#"{{"refresh": "{}"}}"#, pair.refresh)))
//!     .unwrap();
//! assert_eq!(app.clone().oneshot(refresh).await.unwrap().status(), StatusCode::OK);
//!
//! // Logout, then the refresh token is dead.
//! let logout = |t: &str| {
//!     Request::post("/api/token/blacklist/")
//!         .header("content-type", "application/json")
//!         .body(Body::from(format!(r#"{{"refresh": "{t}"}}"#)))
//!         .unwrap()
//! };
//! assert_eq!(app.clone().oneshot(logout(&pair.refresh)).await.unwrap().status(), StatusCode::OK);
//! assert_eq!(app.oneshot(logout(&pair.refresh)).await.unwrap().status(), StatusCode::UNAUTHORIZED);
//! # });
//! ```
//!
//! Tokens, claims, error bodies and status codes are those of
//! djangorestframework-simplejwt, so frontends and tokens interoperate;
//! validation is stricter (leeway 0, `exp == now` is expired, future `nbf`
//! and `iat` refused, `crit` refused, one algorithm per key, length cap).
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `aws-lc-rs` | yes | crypto backend for RS/PS/ES/EdDSA through aws-lc-rs |
//! | `rust-crypto` | no | pure-Rust crypto backend instead |
//! | `axum` | yes | the one-call axum `Router` of token endpoints |
//! | `sqlite`, `postgres` | no | SQL revocation store (sqlx) |
//! | `redis` | no | Redis revocation store |
//! | `remote-keys` | no | keys fetched from a JWK Set URL or OpenID Connect discovery ([`remote`]) |
//! | `openapi` | no | an OpenAPI 3.1 document of the token routes and the `bearerAuth` scheme (utoipa; [`endpoints::openapi`]) |
//! | `conformance` | no | the store conformance suite, for custom stores |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod clock;
pub mod cookies;
#[cfg(feature = "django")]
#[cfg_attr(docsrs, doc(cfg(feature = "django")))]
pub mod django;
pub mod endpoints;
pub mod extract;
mod jwt;
mod keys;
pub mod observe;
mod paths;
#[cfg(feature = "remote-keys")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-keys")))]
pub mod remote;
mod response;
mod revocation;
mod settings;
pub mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod token;
mod token_type;
mod user;

pub use auth::{AuthContext, AuthRejection, CredentialSource, JwtAuth, JwtAuthLayer};
pub use cookies::Cookies;
pub use extract::{Claims, ClaimsRejection, ClaimsRejectionKind};
pub use jsonwebtoken::Algorithm;
/// JSON Web Keys, as [`SimpleJwtBuilder::with_jwk_set`] takes them and
/// [`SimpleJwt::jwks`] returns them.
pub use jsonwebtoken::jwk;
pub use jwt::SimpleJwt;
pub use keys::Key;
pub use paths::TokenPaths;
#[cfg(feature = "remote-keys")]
pub use remote::{RemoteKeySet, RemoteKeys};
pub use revocation::Session;
pub use settings::{ConfigError, ConfigErrorKind, Settings, SimpleJwtBuilder};
pub use store::{MemoryStore, RevocationStore};
pub use token::{MintError, TokenError, TokenPair, TokenType, VerifiedToken};
pub use user::{CurrentUser, LookupError, UserRecord, UserResolver};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
