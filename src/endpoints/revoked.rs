//! What presenting a spent refresh token means: reuse (RFC 9700 section
//! 4.14.2), unless it is a retry of the rotation that spent it, within the
//! grace window.

use crate::endpoints::error::ApiError;
use crate::jwt::SimpleJwt;
use crate::store::Blacklisted;
use crate::token::{TokenError, VerifiedToken};

/// A refresh token came back after being spent. With reuse detection on,
/// its whole family is revoked (thief and victim are both logged out); the
/// answer is "Token is blacklisted" either way.
pub(crate) async fn reuse(jwt: &SimpleJwt, token: &VerifiedToken) -> ApiError {
    crate::observe::reuse_detected();
    if jwt.settings().reuse_detection
        && jwt.store().is_some()
        && jwt.revoke_family(token).await.is_err()
    {
        return ApiError::Unavailable;
    }
    TokenError::Blacklisted.into()
}

/// When a rotation spent `token` less than the grace window ago, the
/// instant it did; `None` when presenting it again is reuse. Looks the
/// rotation up by spending the token again, which only ever extends its
/// entry.
pub(crate) async fn rotated_within_grace(
    jwt: &SimpleJwt,
    token: &VerifiedToken,
    found: Option<Blacklisted>,
) -> Result<Option<u64>, ApiError> {
    let settings = jwt.settings();
    if !settings.reuse_detection || settings.reuse_grace.is_zero() {
        return Ok(None);
    }
    let found = match found {
        Some(found) => found,
        None => jwt
            .spend(token, false)
            .await
            .map_err(ApiError::store("blacklist"))?,
    };
    let Blacklisted::Existing {
        rotated_at: Some(at),
    } = found
    else {
        return Ok(None);
    };
    // Instances' clocks may differ by a little: a retry landing on one a
    // second behind the instance that rotated is still a retry.
    let now = jwt.now();
    let skew = settings.leeway.as_secs().max(1);
    let within =
        now.saturating_add(skew) >= at && now.saturating_sub(at) < settings.reuse_grace.as_secs();
    Ok(within.then_some(at))
}
