//! Django REST framework Simple JWT for tower and axum.
//!
//! - [`JwtAuthLayer`]: a tower layer that validates the bearer token of every
//!   request and hands typed claims to handlers ([`Claims<T>`],
//!   `Option<Claims<T>>`, [`CurrentUser<U>`]).
//! - [`SimpleJwt::for_user`]: mint pairs and sliding tokens from app code,
//!   without a password (OTP, magic links).
//! - [`store`]: revocation stores (memory by default; SQL and Redis behind features).
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
//! | `conformance` | no | the store conformance suite, for custom stores |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod clock;
pub mod endpoints;
pub mod extract;
mod keys;
mod response;
mod revocation;
mod settings;
pub mod store;
pub mod token;
mod user;

pub use auth::{AuthContext, AuthRejection, JwtAuth, JwtAuthLayer};
pub use extract::{Claims, ClaimsRejection, CurrentUser};
pub use jsonwebtoken::Algorithm;
pub use keys::Key;
pub use settings::{ConfigError, ConfigErrorKind, Settings, SimpleJwt, SimpleJwtBuilder};
pub use store::{MemoryStore, RevocationStore};
pub use token::{MintError, TokenError, TokenPair, TokenType, VerifiedToken};
pub use user::{UserRecord, UserResolver};

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
