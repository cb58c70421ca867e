//! The store checks shared by refresh, verify and blacklist: refusing
//! revoked tokens, and revoking a family when a rotated token comes back.

use crate::endpoints::error::ApiError;
use crate::settings::SimpleJwt;
use crate::token::{TokenError, TokenType, VerifiedToken};

/// What presenting a revoked refresh token means at this endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnRevoked {
    /// Refresh and logout: a rotated token coming back is reuse, and with
    /// reuse detection on its whole family is revoked (RFC 9700 4.14.2).
    DetectReuse,
    /// Verify only reports; checking an old token is not using it.
    Report,
}

/// Refuses a token that is blacklisted, belongs to a revoked family or
/// predates its user's "log out everywhere".
pub(crate) async fn reject_revoked(
    jwt: &SimpleJwt,
    token: &VerifiedToken,
    on_revoked: OnRevoked,
) -> Result<(), ApiError> {
    if jwt.store().is_none() {
        return Ok(());
    }
    match jwt.is_revoked(token).await {
        Ok(false) => Ok(()),
        Ok(true) => {
            if token.token_type() == TokenType::Refresh && on_revoked == OnRevoked::DetectReuse {
                revoke_family_on_reuse(jwt, token).await?;
            }
            Err(TokenError::Blacklisted.into())
        }
        Err(_) => Err(ApiError::Unavailable),
    }
}

pub(crate) async fn revoke_family_on_reuse(
    jwt: &SimpleJwt,
    token: &VerifiedToken,
) -> Result<(), ApiError> {
    if !jwt.settings().reuse_detection {
        return Ok(());
    }
    let Some(store) = jwt.store() else {
        return Ok(());
    };
    let until = jwt.now() + jwt.longest_lifetime();
    store
        .revoke_family(token.family_or_jti(), until)
        .await
        .map_err(|_| ApiError::Unavailable)
}
