//! [`SimpleJwt`], the handle every app holds: one shared configuration
//! (settings, keys, clock, store) behind one `Arc`.
//!
//! Its methods are grouped by role, each in the module of that role:
//!
//! | role | methods | module |
//! |---|---|---|
//! | configuration | `builder`, `settings`, `store`, `now`, `jwks` | here (built in `settings`) |
//! | validating tokens | `validate`, `validate_access`, `validate_untyped` | `token/decode.rs` |
//! | minting tokens | `for_user`, `access_from_refresh` | `token/mint.rs` |
//! | revocation | `blacklist`, `logout_everywhere`, `is_revoked`, and the one verdict | `revocation.rs` |
//! | the auth layer | `layer` | `auth/layer.rs` |

use std::fmt;
use std::sync::Arc;

use crate::clock::Clock;
use crate::keys::KeySet;
use crate::settings::{ConfigError, Settings, SimpleJwtBuilder};
use crate::store::RevocationStore;

/// The shared heart of the crate: settings, keys, clock and store.
///
/// Build it once; clones are one `Arc` bump. It mints tokens
/// ([`SimpleJwt::for_user`]), validates them ([`SimpleJwt::validate`]),
/// and builds the auth layer ([`SimpleJwt::layer`]) and the endpoints.
///
/// ```
/// use tower_simplejwt::SimpleJwt;
///
/// let jwt = SimpleJwt::builder()
///     .with_secret("a secret of at least thirty-two bytes!")
///     .build()
///     .unwrap();
/// let access = jwt.for_user("42").access().unwrap();
/// let token = jwt.validate_access(&access).unwrap();
/// assert_eq!(token.user_id(), Some("42"));
///
/// // Too short for HS256: refused at build time, with the fix in the message.
/// let err = SimpleJwt::builder().with_secret("short").build().unwrap_err();
/// assert!(err.to_string().contains("at least 32 bytes"));
/// ```
#[derive(Clone)]
pub struct SimpleJwt {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) settings: Settings,
    pub(crate) keys: KeySet,
    pub(crate) store: Option<Arc<dyn RevocationStore>>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Key sets fetched from key servers, each serving the tokens of its issuer.
    #[cfg(feature = "remote-keys")]
    pub(crate) remote: Vec<crate::remote::RemoteKeySet>,
}

impl fmt::Debug for SimpleJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("SimpleJwt");
        f.field("settings", &self.inner.settings)
            .field("keys", &self.inner.keys)
            .field("store", &self.inner.store.as_ref().map(|s| s.name()))
            .field("clock", &self.inner.clock);
        #[cfg(feature = "remote-keys")]
        f.field("remote", &self.inner.remote);
        f.finish()
    }
}

impl SimpleJwt {
    /// Starts a configuration with Simple JWT's defaults.
    pub fn builder() -> SimpleJwtBuilder {
        SimpleJwtBuilder::default()
    }

    /// The resolved settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The revocation store, if one is configured.
    pub fn store(&self) -> Option<&Arc<dyn RevocationStore>> {
        self.inner.store.as_ref()
    }

    /// The current time of the configured clock, in Unix seconds.
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// Whether this configuration has a signing key (verify-only
    /// configurations have none and cannot mint).
    pub(crate) fn can_sign(&self) -> bool {
        self.inner.keys.signing.is_some()
    }

    /// The public JWK Set (`{"keys": [...]}`) of every asymmetric verifying
    /// key, to serve at `/.well-known/jwks.json`. HMAC secrets never appear.
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.inner.keys.jwks()
    }
}

impl SimpleJwtBuilder {
    /// Checks everything and builds the shared configuration. (The checks
    /// live with the settings; this builds the handle from them.)
    pub fn build(self) -> Result<SimpleJwt, ConfigError> {
        let checked = self.check()?;
        Ok(SimpleJwt {
            inner: Arc::new(Inner {
                settings: checked.settings,
                keys: checked.keys,
                store: checked.store,
                clock: checked.clock,
                #[cfg(feature = "remote-keys")]
                remote: checked.remote,
            }),
        })
    }
}
