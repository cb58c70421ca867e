//! Minting: pairs and sliding tokens for a user, from app code or endpoints.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use crate::jwt::{Inner, SimpleJwt};
use crate::settings::Settings;
use crate::store::{OutstandingToken, StoreError};
use crate::token::{TokenType, VerifiedToken};

/// A refresh and an access token, serialised as Simple JWT's
/// `{"refresh": ..., "access": ...}`. `Debug` does not print the tokens.
#[derive(Clone, Serialize)]
pub struct TokenPair {
    /// The refresh token.
    pub refresh: String,
    /// The access token.
    pub access: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("refresh", &"[redacted]")
            .field("access", &"[redacted]")
            .finish()
    }
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The configuration has verifying keys only.
    #[error("no signing key is configured: add one with `with_secret` or `with_signing_key`")]
    NoSigningKey,
    /// Custom claims must serialise to a JSON object.
    #[error("custom claims must serialize to a JSON object: {0}")]
    InvalidClaims(String),
    /// A custom claim would overwrite a registered one.
    #[error("custom claim {0:?} is reserved for the token itself")]
    ReservedClaim(String),
    /// The crypto backend refused to sign.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The store could not record the token; nothing was issued.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The claims of a token about to be signed.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSet {
    pub(crate) token_type: TokenType,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) jti: String,
    pub(crate) user_id: Option<String>,
    pub(crate) refresh_exp: Option<u64>,
    pub(crate) family: Option<String>,
    pub(crate) auth_time: Option<u64>,
    pub(crate) revoke: Option<String>,
    /// Every other claim, written after the registered ones.
    pub(crate) extra: Map<String, Value>,
}

impl ClaimSet {
    /// The token these claims describe, as validation would see it (without
    /// its payload): enough to ask the store about it.
    pub(crate) fn as_verified(&self) -> VerifiedToken {
        VerifiedToken {
            token_type: self.token_type,
            jti: self.jti.clone(),
            user_id: self.user_id.clone(),
            exp: self.exp,
            iat: Some(self.iat),
            refresh_exp: self.refresh_exp,
            family: self.family.clone(),
            auth_time: self.auth_time,
            revoke_claim: self.revoke.clone(),
            payload: bytes::Bytes::new(),
        }
    }

    pub(crate) fn outstanding(&self) -> OutstandingToken {
        OutstandingToken {
            jti: self.jti.clone(),
            user_id: self.user_id.clone().unwrap_or_default(),
            family: self.family.clone(),
            issued_at: self.iat,
            expires_at: self.exp,
        }
    }
}

struct ClaimsWriter<'a> {
    settings: &'a Settings,
    claims: &'a ClaimSet,
}

impl Serialize for ClaimsWriter<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (s, c) = (self.settings, self.claims);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(&s.token_type_claim, c.token_type.as_str())?;
        map.serialize_entry("exp", &c.exp)?;
        map.serialize_entry("iat", &c.iat)?;
        map.serialize_entry(&s.jti_claim, &c.jti)?;
        if let Some(user_id) = &c.user_id {
            map.serialize_entry(&s.user_id_claim, user_id)?;
        }
        if let Some(v) = c.refresh_exp {
            map.serialize_entry(&s.sliding_refresh_exp_claim, &v)?;
        }
        if let Some(v) = &c.family {
            map.serialize_entry(&s.family_claim, v)?;
        }
        if let Some(v) = c.auth_time {
            map.serialize_entry(&s.auth_time_claim, &v)?;
        }
        if let Some(v) = &c.revoke {
            map.serialize_entry(&s.revoke_token_claim, v)?;
        }
        match s.audience.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        if let Some(iss) = &s.issuer {
            map.serialize_entry("iss", iss)?;
        }
        for (k, v) in &c.extra {
            if !is_written_above(s, k) {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

fn is_written_above(s: &Settings, k: &str) -> bool {
    ["exp", "iat", "aud", "iss"].contains(&k)
        || k == s.token_type_claim
        || k == s.jti_claim
        || k == s.user_id_claim
        || k == s.sliding_refresh_exp_claim
        || (k == s.family_claim && s.tracks_families())
        || k == s.auth_time_claim
        || k == s.revoke_token_claim
}

/// The `jti` of the token of type `t` that a rotation spending `spent`
/// issues: 128 bits of SHA-256 over both, as 32 lowercase hex characters.
/// Only used when the spent token can be spent once (blacklist after
/// rotation), so that the one successor is the same however often the
/// rotation is retried.
pub(crate) fn successor_jti(spent: &str, t: TokenType) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"tower-simplejwt successor\0")
        .chain_update(t.as_str())
        .chain_update(b"\0")
        .chain_update(spent)
        .finalize();
    hex(&digest[..16])
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    out
}

/// A fresh `jti`: 128 random bits as 32 lowercase hex characters.
pub(crate) fn new_jti() -> String {
    hex(&rand::random::<[u8; 16]>())
}

impl Inner {
    /// Signs a claim set into a compact JWS.
    pub(crate) fn encode(&self, claims: &ClaimSet) -> Result<String, MintError> {
        let key = self.keys.signing.as_ref().ok_or(MintError::NoSigningKey)?;
        let json = serde_json::to_vec(&ClaimsWriter {
            settings: &self.settings,
            claims,
        })
        .map_err(|e| MintError::InvalidClaims(e.to_string()))?;
        let mut token = String::with_capacity(key.encoded_header.len() + json.len() * 4 / 3 + 100);
        token.push_str(&key.encoded_header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let signature = key
            .sign(token.as_bytes())
            .map_err(|e| MintError::Signing(e.to_string()))?;
        token.push('.');
        token.push_str(&signature);
        crate::observe::issued(claims.token_type.as_str());
        Ok(token)
    }

    fn lifetime(&self, t: TokenType) -> u64 {
        let s = &self.settings;
        match t {
            TokenType::Access => s.access_token_lifetime,
            TokenType::Refresh => s.refresh_token_lifetime,
            TokenType::Sliding => s.sliding_token_lifetime,
        }
        .as_secs()
    }

    /// A brand-new token of type `t` for a login happening now.
    pub(crate) fn fresh(
        &self,
        t: TokenType,
        user_id: String,
        extra: Map<String, Value>,
        revoke: Option<String>,
    ) -> ClaimSet {
        let now = self.clock.now();
        ClaimSet {
            token_type: t,
            exp: now + self.lifetime(t),
            iat: now,
            jti: new_jti(),
            user_id: Some(user_id),
            refresh_exp: (t == TokenType::Sliding)
                .then(|| now + self.settings.sliding_token_refresh_lifetime.as_secs()),
            // A first token is its own family: its `jti` serves as the id.
            family: None,
            auth_time: self.settings.max_session_lifetime.map(|_| now),
            revoke,
            extra,
        }
    }

    /// The claims of `token`, re-stamped as a new token of type `t`: every
    /// claim is copied but type, `exp`, `jti` and `iat` (Simple JWT's
    /// `access_token` property and rotation).
    pub(crate) fn derive(&self, token: &VerifiedToken, t: TokenType) -> ClaimSet {
        self.derive_with(token, t, self.copied_claims(token))
    }

    /// The claims of `token` that a derived token copies (all but type,
    /// `exp`, `jti` and `iat`), parsed once for several derived tokens.
    pub(crate) fn copied_claims(&self, token: &VerifiedToken) -> Map<String, Value> {
        let mut extra: Map<String, Value> =
            serde_json::from_slice(&token.payload).unwrap_or_default();
        let s = &self.settings;
        for k in [
            s.token_type_claim.as_str(),
            "exp",
            "iat",
            s.jti_claim.as_str(),
        ] {
            extra.remove(k);
        }
        extra
    }

    /// [`derive`](Self::derive) with the copied claims already parsed.
    pub(crate) fn derive_with(
        &self,
        token: &VerifiedToken,
        t: TokenType,
        extra: Map<String, Value>,
    ) -> ClaimSet {
        self.derive_at(token, t, extra, self.clock.now(), new_jti())
    }

    /// A derived token issued at `at` with the given `jti`: a rotation's
    /// successor, which a retry within the grace window must get back
    /// identical.
    pub(crate) fn derive_at(
        &self,
        token: &VerifiedToken,
        t: TokenType,
        extra: Map<String, Value>,
        at: u64,
        jti: String,
    ) -> ClaimSet {
        ClaimSet {
            token_type: t,
            exp: at + self.lifetime(t),
            iat: at,
            jti,
            user_id: token.user_id.clone(),
            refresh_exp: None,
            family: self
                .tracks_families()
                .then(|| token.family_or_jti().to_owned()),
            auth_time: token.auth_time,
            revoke: token.revoke_claim.clone(),
            extra,
        }
    }

    pub(crate) fn tracks_families(&self) -> bool {
        self.settings.tracks_families()
    }

    /// Records a refresh or sliding token as outstanding, when a store is
    /// configured.
    pub(crate) async fn record(&self, claims: &ClaimSet) -> Result<(), StoreError> {
        if let Some(store) = &self.store {
            store
                .record_outstanding(claims.outstanding(), self.clock.now())
                .await?;
        }
        Ok(())
    }
}

impl SimpleJwt {
    /// Starts minting tokens for `user_id` without any password: the building
    /// block of OTP, magic-link and social logins (Simple JWT's `for_user`).
    ///
    /// ```
    /// # tokio_test_block(async {
    /// use tower_simplejwt::{SimpleJwt, TokenType};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Extra { role: &'static str }
    ///
    /// let jwt = SimpleJwt::builder().with_secret([7u8; 32]).build().unwrap();
    /// let pair = jwt.for_user("42").with_claims(&Extra { role: "admin" }).pair().await.unwrap();
    /// let access = jwt.validate(&pair.access, TokenType::Access).unwrap();
    /// let role: serde_json::Value = access.claims().unwrap();
    /// assert_eq!(role["role"], "admin");
    /// # });
    /// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub fn for_user(&self, user_id: impl fmt::Display) -> TokenBuilder<'_> {
        TokenBuilder {
            jwt: self,
            user_id: user_id.to_string(),
            extra: Map::new(),
            revoke: None,
            error: None,
        }
    }

    /// A new access token from a validated refresh token, copying its claims.
    pub fn access_from_refresh(&self, refresh: &VerifiedToken) -> Result<String, MintError> {
        let claims = self.inner.derive(refresh, TokenType::Access);
        self.inner.encode(&claims)
    }

    /// The access and refresh tokens a rotation of `refresh` issues, not
    /// yet signed. With `spent_at` (blacklist after rotation: the token is
    /// spent once) they are the one successor of `refresh`, issued at that
    /// instant with `jti`s derived from it, the same however often the
    /// rotation is retried; without it, a fresh pair issued now.
    pub(crate) fn successors(&self, refresh: &VerifiedToken, spent_at: Option<u64>) -> Rotation {
        let inner = &self.inner;
        let copied = inner.copied_claims(refresh);
        let make = |t| match spent_at {
            Some(at) => inner.derive_at(
                refresh,
                t,
                copied.clone(),
                at,
                successor_jti(&refresh.jti, t),
            ),
            None => inner.derive_with(refresh, t, copied.clone()),
        };
        Rotation {
            access: make(TokenType::Access),
            refresh: make(TokenType::Refresh),
        }
    }

    /// A sliding token renewed as Simple JWT does: same `jti` and
    /// `refresh_exp`, new `exp` and `iat`.
    pub(crate) fn renew_sliding(
        &self,
        token: &VerifiedToken,
        refresh_exp: u64,
    ) -> Result<String, MintError> {
        let mut claims = self.inner.derive(token, TokenType::Sliding);
        claims.jti = token.jti.clone();
        claims.refresh_exp = Some(refresh_exp);
        claims.family = token.family.clone();
        self.inner.encode(&claims)
    }
}

/// The two tokens of a rotation, not yet signed.
#[derive(Debug)]
pub(crate) struct Rotation {
    pub(crate) access: ClaimSet,
    pub(crate) refresh: ClaimSet,
}

impl Rotation {
    /// Records the new refresh token as outstanding (with a store).
    pub(crate) async fn record(&self, jwt: &SimpleJwt) -> Result<(), StoreError> {
        jwt.inner.record(&self.refresh).await
    }

    /// Signs both: `(access, refresh)`.
    pub(crate) fn sign(&self, jwt: &SimpleJwt) -> Result<(String, String), MintError> {
        Ok((
            jwt.inner.encode(&self.access)?,
            jwt.inner.encode(&self.refresh)?,
        ))
    }
}

/// Builder returned by [`SimpleJwt::for_user`]. `Debug` leaves out the
/// claims and the password fingerprint.
#[must_use]
pub struct TokenBuilder<'a> {
    jwt: &'a SimpleJwt,
    user_id: String,
    extra: Map<String, Value>,
    revoke: Option<String>,
    error: Option<MintError>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("user_id", &self.user_id)
            .field("claims", &self.extra.keys().collect::<Vec<_>>())
            .field(
                "password_fingerprint",
                &self.revoke.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl TokenBuilder<'_> {
    /// Adds custom claims (any `Serialize` type that is a JSON object); they
    /// end up in both tokens of a pair. A mistake (a reserved name, a value
    /// that is not an object) is reported by the call that mints, so a
    /// chain never breaks in the middle.
    pub fn with_claims<T: Serialize + ?Sized>(mut self, claims: &T) -> Self {
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => {
                for (k, v) in map {
                    self = self.with_claim(k, v);
                }
                self
            }
            Ok(Value::Null) => self,
            Ok(other) => self.fail(MintError::InvalidClaims(format!("got {other}"))),
            Err(e) => self.fail(MintError::InvalidClaims(e.to_string())),
        }
    }

    /// Adds one custom claim (a mistake is reported when minting, as for
    /// [`with_claims`](Self::with_claims)).
    pub fn with_claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        let name = name.into();
        if is_written_above(&self.jwt.inner.settings, &name) || name == "nbf" {
            return self.fail(MintError::ReservedClaim(name));
        }
        match serde_json::to_value(value) {
            Ok(value) => {
                self.extra.insert(name, value);
                self
            }
            Err(e) => self.fail(MintError::InvalidClaims(e.to_string())),
        }
    }

    /// Keeps the first mistake, for the call that mints.
    fn fail(mut self, error: MintError) -> Self {
        self.error.get_or_insert(error);
        self
    }

    fn checked(&mut self) -> Result<(), MintError> {
        self.error.take().map_or(Ok(()), Err)
    }

    /// Sets the revoke claim (`REVOKE_TOKEN_CLAIM`) to a fingerprint of the
    /// user's current password, so changing the password revokes the tokens
    /// when `check_revoke_token` is on.
    pub fn with_password_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.revoke = Some(fingerprint.into());
        self
    }

    /// An access token only (nothing is recorded).
    pub fn access(mut self) -> Result<String, MintError> {
        self.checked()?;
        let inner = &self.jwt.inner;
        let claims = inner.fresh(TokenType::Access, self.user_id, self.extra, self.revoke);
        inner.encode(&claims)
    }

    /// A refresh and an access token. With a store, the refresh token is
    /// recorded as outstanding for the user first; if that fails nothing is issued.
    pub async fn pair(mut self) -> Result<TokenPair, MintError> {
        self.checked()?;
        let inner = &self.jwt.inner;
        let refresh = inner.fresh(TokenType::Refresh, self.user_id, self.extra, self.revoke);
        let mut access = refresh.clone();
        access.token_type = TokenType::Access;
        access.jti = new_jti();
        access.exp = refresh.iat + inner.lifetime(TokenType::Access);
        if inner.tracks_families() {
            access.family = Some(refresh.jti.clone());
        }
        inner.record(&refresh).await?;
        Ok(TokenPair {
            refresh: inner.encode(&refresh)?,
            access: inner.encode(&access)?,
        })
    }

    /// A sliding token, recorded as outstanding when a store is configured.
    pub async fn sliding(mut self) -> Result<String, MintError> {
        self.checked()?;
        let inner = &self.jwt.inner;
        let claims = inner.fresh(TokenType::Sliding, self.user_id, self.extra, self.revoke);
        inner.record(&claims).await?;
        inner.encode(&claims)
    }
}
