//! Revocation from app code: blacklisting one token, "log out everywhere",
//! and the checks the layer and endpoints run against the store.

use crate::auth::AuthRejection;
use crate::settings::SimpleJwt;
use crate::store::{RevocationQuery, StoreError, StoreErrorKind};
use crate::token::{TokenError, VerifiedToken};

fn query(token: &VerifiedToken) -> RevocationQuery<'_> {
    RevocationQuery {
        jti: &token.jti,
        family: Some(token.family_or_jti()),
        user_id: token.user_id.as_deref(),
        issued_at: token.iat,
    }
}

/// A store's answer as the layer sees it: revoked is a 401, a failure a 503.
fn verdict(answer: Result<bool, StoreError>) -> Result<(), AuthRejection> {
    match answer {
        Ok(false) => Ok(()),
        Ok(true) => Err(AuthRejection::InvalidToken(TokenError::Blacklisted)),
        Err(_) => Err(AuthRejection::Unavailable),
    }
}

impl SimpleJwt {
    fn require_store(&self) -> Result<&dyn crate::store::RevocationStore, StoreError> {
        self.inner.store.as_deref().ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                "no revocation store is configured: add one with `SimpleJwtBuilder::with_store`",
                None,
            )
        })
    }

    /// The longest any token can live: revocation entries are kept this long.
    pub(crate) fn longest_lifetime(&self) -> u64 {
        let s = self.settings();
        [
            s.access_token_lifetime,
            s.refresh_token_lifetime,
            s.sliding_token_lifetime,
            s.sliding_token_refresh_lifetime,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
        .as_secs()
    }

    /// When the blacklist entry of `token` may be dropped: its `exp`, or its
    /// `refresh_exp` for a sliding token that can still be renewed.
    pub(crate) fn blacklist_until(token: &VerifiedToken) -> u64 {
        token.exp.max(token.refresh_exp.unwrap_or(0))
    }

    /// Blacklists one token. Returns `true` if this call blacklisted it and
    /// `false` if it already was.
    pub async fn blacklist(&self, token: &VerifiedToken) -> Result<bool, StoreError> {
        self.require_store()?
            .blacklist(&token.jti, Self::blacklist_until(token))
            .await
    }

    /// "Log out everywhere": revokes every token of `user_id` issued up to
    /// now (tokens minted in this same second included). The auth layer
    /// (with access revocation on) and the refresh endpoints honour it.
    pub async fn logout_everywhere(&self, user_id: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.require_store()?
            .revoke_user_before(user_id, now, now + self.longest_lifetime())
            .await
    }

    /// Whether `token` is revoked: blacklisted `jti`, revoked family, or
    /// issued before its user's "log out everywhere".
    pub async fn is_revoked(&self, token: &VerifiedToken) -> Result<bool, StoreError> {
        self.require_store()?.is_revoked(query(token)).await
    }

    /// The layer's synchronous check, for stores that answer without waiting.
    pub(crate) fn check_revocation_now(
        &self,
        token: &VerifiedToken,
    ) -> Option<Result<(), AuthRejection>> {
        let revoked = self.inner.store.as_deref()?.is_revoked_now(query(token))?;
        Some(verdict(Ok(revoked)))
    }

    /// [`is_revoked`](Self::is_revoked) as the layer needs it: revoked is a
    /// 401, a store failure a 503.
    pub(crate) async fn check_revocation(
        &self,
        token: &VerifiedToken,
    ) -> Result<(), AuthRejection> {
        verdict(self.is_revoked(token).await)
    }
}
