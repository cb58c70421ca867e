//! Taking over from a Django app (feature `django`): its users and their
//! password hashes, and Simple JWT's revoke claim, so a Rust service can
//! log in the same users beside the Django app, on the same database.
//!
//! - [`hashers`]: Django's password hash formats, verified (and
//!   `pbkdf2_sha256` made) exactly as Django does.
//! - [`DjangoUsers`]: a credential checker and user resolver over Django's
//!   user table (`auth_user`, or a custom model's).
//!
//! ```
//! use tower_simplejwt::django::hashers::{check_password, make_password, revoke_claim};
//!
//! // Django's default format (fewer iterations than Django's, for a quick example).
//! let stored = make_password("correct horse", 1_000);
//! assert!(stored.starts_with("pbkdf2_sha256$1000$"));
//! assert!(check_password("correct horse", &stored));
//! assert!(!check_password("wrong", &stored));
//! assert!(!check_password("correct horse", "!unusable"));
//! assert_eq!(revoke_claim(&stored).len(), 32);
//! ```

pub mod hashers;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod users;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres"))))]
pub use users::{DjangoUser, DjangoUsers, IdKind};
