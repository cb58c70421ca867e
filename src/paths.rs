//! Where the token routes live. Part of the configuration, so that the
//! router mounts them and the auth layer leaves them alone from one source.

/// The paths of the token routes. Defaults to Simple JWT's.
///
/// The auth layer never authenticates the obtain, refresh, verify,
/// blacklist, sliding and JWK Set routes (Simple JWT's token views have no
/// authentication classes): a stale or garbage `Authorization` header sent to
/// them is ignored, so a client holding an expired access token can still
/// refresh or log in. Log-out-everywhere is the one token route that
/// authenticates its caller.
///
/// ```
/// use tower_simplejwt::{SimpleJwt, TokenPaths};
///
/// let jwt = SimpleJwt::builder()
///     .with_secret([5u8; 32])
///     .with_token_paths(TokenPaths::with_prefix("/auth"))
///     .build()
///     .unwrap();
/// assert_eq!(jwt.settings().token_paths.refresh, "/auth/refresh/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    /// The token routes that do not authenticate their caller (every one
    /// but log-out-everywhere), among those that are mounted: routes that
    /// mint only with a signing key, blacklisting only with a store.
    pub(crate) fn public(&self, can_sign: bool, has_store: bool) -> Vec<String> {
        let mut paths = vec![self.verify.clone(), self.jwks.clone()];
        if can_sign {
            paths.extend([
                self.obtain_pair.clone(),
                self.refresh.clone(),
                self.obtain_sliding.clone(),
                self.refresh_sliding.clone(),
            ]);
        }
        if has_store {
            paths.push(self.blacklist.clone());
        }
        paths
    }

    /// Every path, with its name, for configuration checks.
    pub(crate) fn all(&self) -> [(&'static str, &str); 8] {
        [
            ("obtain_pair", &self.obtain_pair),
            ("refresh", &self.refresh),
            ("verify", &self.verify),
            ("blacklist", &self.blacklist),
            ("obtain_sliding", &self.obtain_sliding),
            ("refresh_sliding", &self.refresh_sliding),
            ("logout_all", &self.logout_all),
            ("jwks", &self.jwks),
        ]
    }
}
