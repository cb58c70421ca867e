//! The configuration: every Simple JWT setting that is not Django-specific,
//! with the same defaults, built once and shared behind one `Arc`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use jsonwebtoken::Algorithm;

use crate::clock::{Clock, SystemClock};
use crate::keys::{Key, KeySet};
use crate::paths::TokenPaths;
use crate::store::RevocationStore;
use crate::token_type::TokenType;

/// The longest lifetime, leeway or window a configuration accepts: 100
/// years, far from where `now + lifetime` could overflow.
const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Why a configuration was refused by `build()`. The message says what to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid tower-simplejwt configuration: {message}")]
pub struct ConfigError {
    kind: ConfigErrorKind,
    message: String,
}

/// The part of the configuration a [`ConfigError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A key is missing, too short, of the wrong family or unusable.
    Key,
    /// A feature needs a revocation store and none was given.
    StoreRequired,
    /// The endpoints must check users and have no user resolver.
    UserResolverRequired,
    /// A value is out of range or contradicts another one.
    InvalidValue,
    /// An environment variable could not be read or parsed.
    Environment,
}

impl From<crate::keys::KeyError> for ConfigError {
    fn from(e: crate::keys::KeyError) -> Self {
        Self::key(e.0)
    }
}

impl ConfigError {
    pub(crate) fn key(message: impl Into<String>) -> Self {
        Self::new(ConfigErrorKind::Key, message)
    }

    pub(crate) fn new(kind: ConfigErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of mistake this is.
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }
}

/// The resolved settings, readable from [`SimpleJwt::settings`](crate::SimpleJwt::settings).
///
/// Names follow Simple JWT's `SIMPLE_JWT` dictionary in snake case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// `ACCESS_TOKEN_LIFETIME`. Defaults to 5 minutes.
    pub access_token_lifetime: Duration,
    /// `REFRESH_TOKEN_LIFETIME`. Defaults to 1 day.
    pub refresh_token_lifetime: Duration,
    /// `SLIDING_TOKEN_LIFETIME`. Defaults to 5 minutes.
    pub sliding_token_lifetime: Duration,
    /// `SLIDING_TOKEN_REFRESH_LIFETIME`. Defaults to 1 day.
    pub sliding_token_refresh_lifetime: Duration,
    /// `ROTATE_REFRESH_TOKENS`. Defaults to `false`.
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION`. Defaults to `false`; needs a store.
    pub blacklist_after_rotation: bool,
    /// Revoke the whole token family when a rotated refresh token comes back
    /// (RFC 9700 section 4.14.2). Defaults to on when rotation and
    /// blacklist-after-rotation are both on.
    pub reuse_detection: bool,
    /// Reuse grace window: within this long after a rotation, presenting the
    /// rotated refresh token again (two tabs refreshing at once, a retry
    /// after a lost answer) returns the same successor instead of revoking
    /// the family (RFC 9700 section 4.14.2 allows it). Applies with reuse
    /// detection. Defaults to 5 seconds; zero turns it off.
    pub reuse_grace: Duration,
    /// Absolute session lifetime: refreshing fails once this long has passed
    /// since the login, however often the token was rotated. Defaults to none.
    pub max_session_lifetime: Option<Duration>,
    /// `UPDATE_LAST_LOGIN`: call the credential checker's last-login hook after
    /// a successful login. Defaults to `false`.
    pub update_last_login: bool,
    /// `AUDIENCE`: added to minted tokens and required on input. Defaults to none.
    pub audience: Vec<String>,
    /// `ISSUER`: added to minted tokens and required on input. Defaults to none.
    pub issuer: Option<String>,
    /// `LEEWAY` for `exp`, `nbf` and `iat`. Defaults to 0.
    pub leeway: Duration,
    /// `AUTH_HEADER_NAME`. Defaults to `Authorization`.
    pub auth_header_name: HeaderName,
    /// `AUTH_HEADER_TYPES`. Defaults to `["Bearer"]`; matched case-insensitively.
    pub auth_header_types: Vec<String>,
    /// A cookie holding the access token, for browser apps. Defaults to none.
    pub auth_cookie: Option<String>,
    /// Cookie mode of the token routes ([`with_cookies`](SimpleJwtBuilder::with_cookies)).
    /// Defaults to off.
    pub cookies: Option<crate::cookies::Cookies>,
    /// Origins (`scheme://host[:port]`) whose cross-origin requests may use
    /// cookie credentials (Django's `CSRF_TRUSTED_ORIGINS`). Defaults to none.
    pub csrf_trusted_origins: Vec<String>,
    /// `AUTH_TOKEN_CLASSES`: token types accepted by the auth layer.
    /// Defaults to access tokens only.
    pub auth_token_types: Vec<TokenType>,
    /// `USER_ID_CLAIM`. Defaults to `user_id`.
    pub user_id_claim: String,
    /// `TOKEN_TYPE_CLAIM`. Defaults to `token_type`.
    pub token_type_claim: String,
    /// `JTI_CLAIM`. Defaults to `jti`.
    pub jti_claim: String,
    /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`. Defaults to `refresh_exp`.
    pub sliding_refresh_exp_claim: String,
    /// Claim carrying the refresh-token family id through rotations. Defaults
    /// to `family_id`, the name of Simple JWT's own token-family feature.
    pub family_claim: String,
    /// Claim carrying the login instant through rotations. Defaults to `auth_time`.
    pub auth_time_claim: String,
    /// `CHECK_USER_IS_ACTIVE`. Defaults to `true`.
    pub check_user_is_active: bool,
    /// `CHECK_REVOKE_TOKEN`: reject tokens whose revoke claim no longer matches
    /// the user's current password fingerprint. Defaults to `false`.
    pub check_revoke_token: bool,
    /// `REVOKE_TOKEN_CLAIM`. Defaults to `hash_password`.
    pub revoke_token_claim: String,
    /// Check access tokens against the store: blacklisted `jti`, revoked family
    /// and "log out everywhere". Defaults to `false`; needs a store.
    pub check_access_revocation: bool,
    /// Tokens longer than this are rejected before any decoding. Defaults to 8 KiB.
    pub max_token_length: usize,
    /// Name of the login field (Django's `USERNAME_FIELD`). Defaults to `username`.
    pub username_field: String,
    /// Realm in `WWW-Authenticate`. Defaults to `api`.
    pub realm: String,
    /// Largest accepted request body on the token endpoints. Defaults to 16 KiB.
    pub max_body_size: usize,
    /// Where the token routes are mounted; the auth layer leaves the public
    /// ones alone. Defaults to Simple JWT's paths ([`TokenPaths::default`]).
    pub token_paths: TokenPaths,
}

impl Settings {
    /// The scheme named in `WWW-Authenticate`: the first accepted one.
    pub(crate) fn challenge_scheme(&self) -> &str {
        self.auth_header_types
            .first()
            .map_or("Bearer", String::as_str)
    }

    /// Family ids are only read and written when something uses them, so
    /// that by default tokens carry exactly Simple JWT's claims.
    pub(crate) fn tracks_families(&self) -> bool {
        self.reuse_detection || self.check_access_revocation
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(5 * 60),
            refresh_token_lifetime: Duration::from_secs(24 * 3600),
            sliding_token_lifetime: Duration::from_secs(5 * 60),
            sliding_token_refresh_lifetime: Duration::from_secs(24 * 3600),
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            reuse_detection: false,
            reuse_grace: Duration::from_secs(5),
            max_session_lifetime: None,
            update_last_login: false,
            audience: Vec::new(),
            issuer: None,
            leeway: Duration::ZERO,
            auth_header_name: http::header::AUTHORIZATION,
            auth_header_types: vec!["Bearer".to_owned()],
            auth_cookie: None,
            cookies: None,
            csrf_trusted_origins: Vec::new(),
            auth_token_types: vec![TokenType::Access],
            user_id_claim: "user_id".to_owned(),
            token_type_claim: "token_type".to_owned(),
            jti_claim: "jti".to_owned(),
            sliding_refresh_exp_claim: "refresh_exp".to_owned(),
            family_claim: "family_id".to_owned(),
            auth_time_claim: "auth_time".to_owned(),
            check_user_is_active: true,
            check_revoke_token: false,
            revoke_token_claim: "hash_password".to_owned(),
            check_access_revocation: false,
            max_token_length: 8 * 1024,
            username_field: "username".to_owned(),
            realm: "api".to_owned(),
            max_body_size: 16 * 1024,
            token_paths: TokenPaths::default(),
        }
    }
}

/// Builder for [`SimpleJwt`](crate::SimpleJwt); see [`Settings`] for every default.
#[must_use]
#[derive(Default)]
pub struct SimpleJwtBuilder {
    settings: Settings,
    reuse_detection: Option<bool>,
    signing: Option<Key>,
    verifying: Vec<Key>,
    store: Option<Arc<dyn RevocationStore>>,
    clock: Option<Arc<dyn Clock>>,
    #[cfg(feature = "remote-keys")]
    remote: Vec<crate::remote::RemoteKeySet>,
}

impl fmt::Debug for SimpleJwtBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleJwtBuilder")
            .field("settings", &self.settings)
            .field("signing", &self.signing)
            .field("verifying", &self.verifying)
            .field("store", &self.store.as_ref().map(|s| s.name()))
            .finish_non_exhaustive()
    }
}

macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident : $field:ident : $ty:ty ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.settings.$field = value.into();
                self
            }
        )*
    };
}

/// Setters of names (claims, fields, realm): any string type.
macro_rules! name_setters {
    ($( $(#[$doc:meta])* $name:ident : $field:ident ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.settings.$field = value.into();
                self
            }
        )*
    };
}

impl SimpleJwtBuilder {
    /// `SIGNING_KEY` for HS256: the shared secret (at least 32 bytes).
    pub fn with_secret(self, secret: impl AsRef<[u8]>) -> Self {
        self.with_signing_key(Key::hmac(Algorithm::HS256, secret))
    }

    /// `SIGNING_KEY` and `ALGORITHM`: the key new tokens are signed with. For
    /// asymmetric keys its public half verifies too.
    pub fn with_signing_key(mut self, key: Key) -> Self {
        self.signing = Some(key);
        self
    }

    /// `VERIFYING_KEY`: adds a key accepted when validating. Give each key a
    /// `kid` to keep old keys valid while rotating to a new signing key.
    pub fn with_verifying_key(mut self, key: Key) -> Self {
        self.verifying.push(key);
        self
    }

    /// `JWK_URL`'s equivalent: adds every key of a JWK Set (for example the
    /// one another service publishes at `/.well-known/jwks.json`, fetched with
    /// the app's HTTP client) as a verifying key, each bound to the algorithm
    /// its `alg` names, or to `default_alg` when it names none. Encryption
    /// keys (`"use": "enc"` or an encryption `alg`) are skipped.
    pub fn with_jwk_set(mut self, set: &jsonwebtoken::jwk::JwkSet, default_alg: Algorithm) -> Self {
        for jwk in &set.keys {
            if let Ok(alg) = crate::keys::jwk_algorithm(jwk, Some(default_alg)) {
                self.verifying.push(Key::public_jwk(alg, jwk.clone()));
            }
        }
        self
    }

    /// `JWK_URL`: accepts tokens signed with the keys of a key server
    /// (see [`RemoteKeys`](crate::RemoteKeys)), beside this configuration's
    /// own keys. Add several to accept several providers; tokens are routed
    /// to a provider's keys by their `iss`. A configuration with remote keys
    /// only verifies: it mints nothing without a signing key.
    #[cfg(feature = "remote-keys")]
    #[cfg_attr(docsrs, doc(cfg(feature = "remote-keys")))]
    pub fn with_remote_keys(mut self, keys: crate::remote::RemoteKeySet) -> Self {
        self.remote.push(keys);
        self
    }

    fn has_remote_keys(&self) -> bool {
        #[cfg(feature = "remote-keys")]
        return !self.remote.is_empty();
        #[cfg(not(feature = "remote-keys"))]
        false
    }

    /// Remote key sets must be told apart by their issuer: at most one
    /// without an issuer, no two with the same, none with the issuer of
    /// this configuration's own tokens.
    #[cfg(feature = "remote-keys")]
    fn check_remote(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::new(ConfigErrorKind::InvalidValue, m));
        for (i, set) in self.remote.iter().enumerate() {
            let issuer = set.issuer();
            if self.remote[i + 1..]
                .iter()
                .any(|other| other.issuer() == issuer)
            {
                return invalid(match issuer {
                    Some(iss) => format!("two remote key sets have the issuer {iss:?}"),
                    None => "two remote key sets have no issuer: tokens cannot be routed \
                             between them; give each one with `RemoteKeys::with_issuer`"
                        .to_owned(),
                });
            }
            if issuer.is_some() && issuer == self.settings.issuer.as_deref() {
                return invalid(format!(
                    "a remote key set has this configuration's own issuer {issuer:?}: \
                     its own tokens would be checked with the remote keys"
                ));
            }
        }
        Ok(())
    }

    /// The revocation store used for blacklisting, rotation and revocation.
    pub fn with_store(mut self, store: impl RevocationStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Same as [`with_store`](Self::with_store) for an already shared store.
    pub fn with_shared_store(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (tests use [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The reuse grace window (see [`Settings::reuse_grace`]).
    pub fn with_reuse_grace(mut self, window: Duration) -> Self {
        self.settings.reuse_grace = window;
        self
    }

    /// Reuse detection on or off (see [`Settings::reuse_detection`]).
    pub fn with_reuse_detection(mut self, on: bool) -> Self {
        self.reuse_detection = Some(on);
        self
    }

    /// `AUDIENCE`: one accepted audience (call again to accept several).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.settings.audience.push(audience.into());
        self
    }

    /// `ISSUER`.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.issuer = Some(issuer.into());
        self
    }

    /// `AUTH_HEADER_TYPES`.
    pub fn with_auth_header_types<I, T>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.settings.auth_header_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// `AUTH_TOKEN_CLASSES`: the token types the auth layer accepts.
    pub fn with_auth_token_types(mut self, types: impl IntoIterator<Item = TokenType>) -> Self {
        self.settings.auth_token_types = types.into_iter().collect();
        self
    }

    /// Absolute session lifetime (see [`Settings::max_session_lifetime`]).
    pub fn with_max_session_lifetime(mut self, lifetime: Duration) -> Self {
        self.settings.max_session_lifetime = Some(lifetime);
        self
    }

    /// Where the token routes live (defaults to Simple JWT's paths). The
    /// router mounts them there and the auth layer leaves the public ones
    /// alone, so both always agree.
    pub fn with_token_paths(mut self, paths: TokenPaths) -> Self {
        self.settings.token_paths = paths;
        self
    }

    /// Cookie mode for browser apps ([`Cookies`](crate::Cookies),
    /// dj-rest-auth's `JWT_AUTH_*`): obtain and refresh set HttpOnly
    /// cookies, refresh and blacklist read the refresh token from the body
    /// or else its cookie, blacklist and log-out-everywhere clear them, and
    /// the layer reads the access token from its cookie when no header is
    /// sent. Unsafe requests authenticated by a cookie must pass the CSRF
    /// check (see [`CsrfFailure`](crate::auth::CsrfFailure)).
    pub fn with_cookies(mut self, cookies: crate::cookies::Cookies) -> Self {
        self.settings.cookies = Some(cookies);
        self
    }

    /// Adds an origin (`https://app.example.com`) whose cross-origin
    /// requests may be authenticated by cookie (Django's
    /// `CSRF_TRUSTED_ORIGINS`): a frontend served from another origin than
    /// the API.
    pub fn with_csrf_trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.settings.csrf_trusted_origins.push(origin.into());
        self
    }

    /// Reads the access token from this cookie when no header is sent
    /// (without cookie mode on the token routes). Unsafe requests
    /// authenticated by it must pass the CSRF check.
    pub fn with_auth_cookie(mut self, name: impl Into<String>) -> Self {
        self.settings.auth_cookie = Some(name.into());
        self
    }

    setters! {
        /// `ACCESS_TOKEN_LIFETIME`.
        with_access_token_lifetime: access_token_lifetime: Duration,
        /// `REFRESH_TOKEN_LIFETIME`.
        with_refresh_token_lifetime: refresh_token_lifetime: Duration,
        /// `SLIDING_TOKEN_LIFETIME`.
        with_sliding_token_lifetime: sliding_token_lifetime: Duration,
        /// `SLIDING_TOKEN_REFRESH_LIFETIME`.
        with_sliding_token_refresh_lifetime: sliding_token_refresh_lifetime: Duration,
        /// `ROTATE_REFRESH_TOKENS`.
        with_rotate_refresh_tokens: rotate_refresh_tokens: bool,
        /// `BLACKLIST_AFTER_ROTATION` (needs a store).
        with_blacklist_after_rotation: blacklist_after_rotation: bool,
        /// `UPDATE_LAST_LOGIN`.
        with_update_last_login: update_last_login: bool,
        /// `LEEWAY`. Any value above zero weakens expiry checks.
        with_leeway: leeway: Duration,
        /// `AUTH_HEADER_NAME`.
        with_auth_header_name: auth_header_name: HeaderName,
        /// `CHECK_USER_IS_ACTIVE`.
        with_check_user_is_active: check_user_is_active: bool,
        /// `CHECK_REVOKE_TOKEN`.
        with_check_revoke_token: check_revoke_token: bool,
        /// Check access tokens against the store (needs a store).
        with_access_revocation: check_access_revocation: bool,
        /// Token length cap, checked before decoding.
        with_max_token_length: max_token_length: usize,
        /// Request body limit of the token endpoints (larger bodies get 413).
        with_max_body_size: max_body_size: usize,
    }

    name_setters! {
        /// `USER_ID_CLAIM`.
        with_user_id_claim: user_id_claim,
        /// `TOKEN_TYPE_CLAIM`.
        with_token_type_claim: token_type_claim,
        /// `JTI_CLAIM`.
        with_jti_claim: jti_claim,
        /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`.
        with_sliding_refresh_exp_claim: sliding_refresh_exp_claim,
        /// Family id claim name.
        with_family_claim: family_claim,
        /// `REVOKE_TOKEN_CLAIM`.
        with_revoke_token_claim: revoke_token_claim,
        /// The login field name (`USERNAME_FIELD`), for example `email`.
        with_username_field: username_field,
        /// Realm sent in `WWW-Authenticate`.
        with_realm: realm,
    }

    /// Reads the configuration from `SIMPLE_JWT_*` environment variables on
    /// top of the defaults. See [`SimpleJwtBuilder::from_lookup`] for the names.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (an environment).
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SIMPLE_JWT_SIGNING_KEY` | HMAC secret (or set `SIMPLE_JWT_SIGNING_KEY_FILE` to a PEM file) |
    /// | `SIMPLE_JWT_VERIFYING_KEY_FILE` | public PEM file, for verify-only services |
    /// | `SIMPLE_JWT_ALGORITHM` | `HS256` (default) ... `EdDSA` |
    /// | `SIMPLE_JWT_KEY_ID` | `kid` of the signing key |
    /// | `SIMPLE_JWT_ACCESS_TOKEN_LIFETIME`, `SIMPLE_JWT_REFRESH_TOKEN_LIFETIME`, `SIMPLE_JWT_SLIDING_TOKEN_LIFETIME`, `SIMPLE_JWT_SLIDING_TOKEN_REFRESH_LIFETIME`, `SIMPLE_JWT_LEEWAY`, `SIMPLE_JWT_MAX_SESSION_LIFETIME` | seconds |
    /// | `SIMPLE_JWT_ROTATE_REFRESH_TOKENS`, `SIMPLE_JWT_BLACKLIST_AFTER_ROTATION`, `SIMPLE_JWT_CHECK_USER_IS_ACTIVE`, `SIMPLE_JWT_ACCESS_REVOCATION`, `SIMPLE_JWT_UPDATE_LAST_LOGIN` | `true`/`false` |
    /// | `SIMPLE_JWT_AUDIENCE` | comma-separated list |
    /// | `SIMPLE_JWT_ISSUER`, `SIMPLE_JWT_USER_ID_CLAIM`, `SIMPLE_JWT_AUTH_HEADER_NAME`, `SIMPLE_JWT_USERNAME_FIELD` | text |
    /// | `SIMPLE_JWT_AUTH_HEADER_TYPES` | comma-separated list |
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env_err = |name: &str, why: &str| {
            ConfigError::new(ConfigErrorKind::Environment, format!("{name}: {why}"))
        };
        let secs = |name: &str| -> Result<Option<Duration>, ConfigError> {
            lookup(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map(Duration::from_secs)
                        .map_err(|_| env_err(name, "expected a whole number of seconds"))
                })
                .transpose()
        };
        let flag = |name: &str| -> Result<Option<bool>, ConfigError> {
            lookup(name)
                .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(env_err(name, "expected true or false")),
                })
                .transpose()
        };
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let read_file = |name: &str| -> Result<Option<Vec<u8>>, ConfigError> {
            lookup(name)
                .map(|path| {
                    std::fs::read(&path)
                        .map_err(|e| env_err(name, &format!("cannot read {path}: {e}")))
                })
                .transpose()
        };

        let mut b = Self::default();
        let alg = match lookup("SIMPLE_JWT_ALGORITHM") {
            Some(a) => a.trim().parse::<Algorithm>().map_err(|_| {
                env_err(
                    "SIMPLE_JWT_ALGORITHM",
                    "unknown algorithm (HS256, RS256, ES256, EdDSA, ...)",
                )
            })?,
            None => Algorithm::HS256,
        };
        let kid = lookup("SIMPLE_JWT_KEY_ID");
        let with_kid = |k: Key| match &kid {
            Some(kid) => k.with_kid(kid.clone()),
            None => k,
        };
        if let Some(secret) = lookup("SIMPLE_JWT_SIGNING_KEY") {
            b = b.with_signing_key(with_kid(Key::hmac(alg, secret)));
        } else if let Some(pem) = read_file("SIMPLE_JWT_SIGNING_KEY_FILE")? {
            b = b.with_signing_key(with_kid(Key::private_pem(alg, pem)));
        }
        if let Some(pem) = read_file("SIMPLE_JWT_VERIFYING_KEY_FILE")? {
            b = b.with_verifying_key(with_kid(Key::public_pem(alg, pem)));
        }
        let s = &mut b.settings;
        if let Some(v) = secs("SIMPLE_JWT_ACCESS_TOKEN_LIFETIME")? {
            s.access_token_lifetime = v;
        }
        if let Some(v) = secs("SIMPLE_JWT_REFRESH_TOKEN_LIFETIME")? {
            s.refresh_token_lifetime = v;
        }
        if let Some(v) = secs("SIMPLE_JWT_SLIDING_TOKEN_LIFETIME")? {
            s.sliding_token_lifetime = v;
        }
        if let Some(v) = secs("SIMPLE_JWT_SLIDING_TOKEN_REFRESH_LIFETIME")? {
            s.sliding_token_refresh_lifetime = v;
        }
        if let Some(v) = secs("SIMPLE_JWT_LEEWAY")? {
            s.leeway = v;
        }
        s.max_session_lifetime =
            secs("SIMPLE_JWT_MAX_SESSION_LIFETIME")?.or(s.max_session_lifetime);
        if let Some(v) = flag("SIMPLE_JWT_ROTATE_REFRESH_TOKENS")? {
            s.rotate_refresh_tokens = v;
        }
        if let Some(v) = flag("SIMPLE_JWT_BLACKLIST_AFTER_ROTATION")? {
            s.blacklist_after_rotation = v;
        }
        if let Some(v) = flag("SIMPLE_JWT_CHECK_USER_IS_ACTIVE")? {
            s.check_user_is_active = v;
        }
        if let Some(v) = flag("SIMPLE_JWT_ACCESS_REVOCATION")? {
            s.check_access_revocation = v;
        }
        if let Some(v) = flag("SIMPLE_JWT_UPDATE_LAST_LOGIN")? {
            s.update_last_login = v;
        }
        if let Some(v) = lookup("SIMPLE_JWT_AUDIENCE") {
            s.audience = list(v);
        }
        if let Some(v) = lookup("SIMPLE_JWT_ISSUER") {
            s.issuer = Some(v);
        }
        if let Some(v) = lookup("SIMPLE_JWT_USER_ID_CLAIM") {
            s.user_id_claim = v;
        }
        if let Some(v) = lookup("SIMPLE_JWT_USERNAME_FIELD") {
            s.username_field = v;
        }
        if let Some(v) = lookup("SIMPLE_JWT_AUTH_HEADER_TYPES") {
            s.auth_header_types = list(v);
        }
        if let Some(v) = lookup("SIMPLE_JWT_AUTH_HEADER_NAME") {
            s.auth_header_name = HeaderName::try_from(v.trim())
                .map_err(|_| env_err("SIMPLE_JWT_AUTH_HEADER_NAME", "not a valid header name"))?;
        }
        Ok(b)
    }

    /// Checks everything; [`build`](Self::build) turns the result into the
    /// shared handle.
    pub(crate) fn check(self) -> Result<Checked, ConfigError> {
        #[cfg(feature = "remote-keys")]
        self.check_remote()?;
        let remote = self.has_remote_keys();
        let mut settings = self.settings;
        let invalid = |m: String| Err(ConfigError::new(ConfigErrorKind::InvalidValue, m));
        let keys = KeySet::build(self.signing, self.verifying, remote)?;

        settings.reuse_detection = self
            .reuse_detection
            .unwrap_or(settings.rotate_refresh_tokens && settings.blacklist_after_rotation);
        let needs_store = [
            (
                settings.blacklist_after_rotation,
                "`with_blacklist_after_rotation(true)`",
            ),
            (
                settings.check_access_revocation,
                "`with_access_revocation(true)`",
            ),
            (settings.reuse_detection, "reuse detection"),
        ];
        if self.store.is_none() {
            if let Some((_, what)) = needs_store.iter().find(|(on, _)| *on) {
                return Err(ConfigError::new(
                    ConfigErrorKind::StoreRequired,
                    format!(
                        "{what} needs a revocation store: add `.with_store(MemoryStore::new())` \
                         (or a SQL/Redis store shared by every instance)"
                    ),
                ));
            }
        }
        if settings.reuse_detection
            && !(settings.rotate_refresh_tokens && settings.blacklist_after_rotation)
        {
            return invalid(
                "reuse detection needs `with_rotate_refresh_tokens(true)` and `with_blacklist_after_rotation(true)`"
                    .into(),
            );
        }
        for (name, d) in [
            ("access_token_lifetime", settings.access_token_lifetime),
            ("refresh_token_lifetime", settings.refresh_token_lifetime),
            ("sliding_token_lifetime", settings.sliding_token_lifetime),
            (
                "sliding_token_refresh_lifetime",
                settings.sliding_token_refresh_lifetime,
            ),
        ] {
            if d.as_secs() == 0 {
                return invalid(format!("{name} must be at least one second"));
            }
        }
        for (name, d) in [
            ("access_token_lifetime", settings.access_token_lifetime),
            ("refresh_token_lifetime", settings.refresh_token_lifetime),
            ("sliding_token_lifetime", settings.sliding_token_lifetime),
            (
                "sliding_token_refresh_lifetime",
                settings.sliding_token_refresh_lifetime,
            ),
            ("leeway", settings.leeway),
            ("reuse_grace", settings.reuse_grace),
            (
                "max_session_lifetime",
                settings.max_session_lifetime.unwrap_or_default(),
            ),
        ] {
            if d > MAX_DURATION {
                return invalid(format!(
                    "{name} of {} seconds is beyond 100 years: no token can live that long",
                    d.as_secs()
                ));
            }
        }
        if settings.auth_header_types.is_empty()
            || settings
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || t.contains(char::is_whitespace))
        {
            return invalid(
                "auth_header_types needs at least one scheme, each a single word like \"Bearer\""
                    .into(),
            );
        }
        if settings.auth_token_types.is_empty()
            || settings.auth_token_types.contains(&TokenType::Refresh)
        {
            return invalid(
                "auth_token_types must list access and/or sliding tokens (never refresh)".into(),
            );
        }
        let names = [
            &settings.user_id_claim,
            &settings.token_type_claim,
            &settings.jti_claim,
            &settings.sliding_refresh_exp_claim,
            &settings.family_claim,
            &settings.auth_time_claim,
            &settings.revoke_token_claim,
        ];
        for (i, a) in names.iter().enumerate() {
            if a.is_empty() || ["exp", "iat", "nbf", "aud", "iss"].contains(&a.as_str()) {
                return invalid(format!("claim name {a:?} is empty or reserved"));
            }
            if names[i + 1..].contains(a) {
                return invalid(format!("claim name {a:?} is used for two purposes"));
            }
        }
        let paths = settings.token_paths.all();
        for (i, (name, path)) in paths.iter().enumerate() {
            if !path.starts_with('/') || *path == "/" {
                return invalid(format!(
                    "token path {name} ({path:?}) must start with '/' and name a route, not the root"
                ));
            }
            if let Some((other, _)) = paths[i + 1..].iter().find(|(_, p)| p == path) {
                return invalid(format!(
                    "token paths {name} and {other} are both {path:?}: each route needs its own path"
                ));
            }
        }
        if let Some(cookies) = &settings.cookies {
            if let Err(why) = cookies.check() {
                return invalid(format!("cookie mode: {why}"));
            }
            match &settings.auth_cookie {
                Some(name) if *name != cookies.access => {
                    return invalid(format!(
                        "the auth cookie {name:?} differs from cookie mode's access cookie {:?}",
                        cookies.access
                    ));
                }
                _ => settings.auth_cookie = Some(cookies.access.clone()),
            }
        }
        for origin in &settings.csrf_trusted_origins {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if !rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '?', '#', ' '])) {
                return invalid(format!(
                    "the trusted origin {origin:?} must be a scheme and a host, \
                     like \"https://app.example.com\" (no path, no trailing slash)"
                ));
            }
        }
        if settings.max_token_length < 64 {
            return invalid("max_token_length below 64 bytes rejects every token".into());
        }
        Ok(Checked {
            settings,
            keys,
            store: self.store,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            #[cfg(feature = "remote-keys")]
            remote: self.remote,
        })
    }
}

/// A configuration that passed every check.
pub(crate) struct Checked {
    pub(crate) settings: Settings,
    pub(crate) keys: KeySet,
    pub(crate) store: Option<Arc<dyn RevocationStore>>,
    pub(crate) clock: Arc<dyn Clock>,
    #[cfg(feature = "remote-keys")]
    pub(crate) remote: Vec<crate::remote::RemoteKeySet>,
}
