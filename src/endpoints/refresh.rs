//! `POST /api/token/refresh/` (with race-free rotation, reuse detection and
//! its grace window) and `POST /api/token/sliding/refresh/`.

use bytes::Bytes;
use http::Response;
use http::request::Parts;
use serde_json::{Map, Value};

use crate::endpoints::Shared;
use crate::endpoints::TokenRoute;
use crate::endpoints::cookie_mode::{Fallback, Issued, issued_for, token_field};
use crate::endpoints::error::ApiError;
use crate::endpoints::obtain::mint_error;
use crate::endpoints::revoked::{reuse, rotated_within_grace};
use crate::revocation::{Refusal, Use};
use crate::store::Blacklisted;
use crate::token::{TokenError, TokenType, VerifiedToken};
use crate::user::UserRefusal;

/// The app's user re-check on refresh: deleted, inactive or
/// password-changed users get "No active account found for the given token.".
async fn recheck_user(shared: &Shared, token: &VerifiedToken) -> Result<(), ApiError> {
    let Some(resolver) = &shared.resolver else {
        return Ok(());
    };
    match resolver.resolve(shared.jwt.settings(), token).await {
        Ok(_) => Ok(()),
        Err(UserRefusal::Unavailable) => Err(ApiError::Unavailable),
        Err(UserRefusal::NoUserId) => Err(TokenError::NoUserId.into()),
        Err(UserRefusal::NotFound | UserRefusal::Inactive | UserRefusal::PasswordChanged) => {
            Err(ApiError::NoActiveAccountForToken)
        }
    }
}

pub(crate) async fn refresh(
    shared: &Shared,
    parts: &Parts,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let settings = jwt.settings();
    let raw = token_field(settings, parts, &data, "refresh", Fallback::Refresh)?;
    let token = jwt.validate(&raw, TokenType::Refresh)?;
    let spent_before = match jwt.verdict(&token, Use::Refresh).await {
        Ok(()) => None,
        Err(Refusal::Token(TokenError::Blacklisted)) => {
            match rotated_within_grace(jwt, &token, None).await? {
                Some(at) => Some(at),
                None => return Err(reuse(jwt, &token).await),
            }
        }
        Err(refusal) => return Err(ApiError::refused(refusal)),
    };
    recheck_user(shared, &token).await?;

    if !settings.rotate_refresh_tokens {
        let access = jwt.access_from_refresh(&token).map_err(mint_error)?;
        return issued_for(
            shared,
            Issued::Refreshed {
                access: &access,
                refresh: None,
            },
            TokenRoute::Refresh,
            token.user_id().unwrap_or_default(),
        )
        .await;
    }
    let rotation = if settings.blacklist_after_rotation {
        // Spend the old token before minting anything: of many concurrent
        // refreshes exactly one inserts. The successor is the same for every
        // retry of this rotation (same `jti`, same instants), so a retry
        // within the grace window gets it back instead of a second branch.
        let now = jwt.now();
        let (at, retry) = match spent_before {
            Some(at) => (at, true),
            None => match jwt.spend_at(&token, true, now).await {
                Ok(Blacklisted::Inserted) => (now, false),
                Ok(found) => match rotated_within_grace(jwt, &token, Some(found)).await? {
                    Some(at) => (at, true),
                    None => return Err(reuse(jwt, &token).await),
                },
                Err(e) => return Err(ApiError::store("blacklist")(e)),
            },
        };
        let rotation = jwt.successors(&token, Some(at));
        // The successor must be the family's live branch: not yet rotated
        // itself, nor revoked. For a first rotation this also closes the
        // race with a logout (of the family, or everywhere) that landed
        // between the verdict above and the spend: the successor is asked
        // about as if issued when the old token was.
        let mut probe = rotation.refresh.as_verified();
        if !retry {
            probe.iat = token.iat();
        }
        if jwt
            .is_revoked(&probe)
            .await
            .map_err(ApiError::store("is_revoked"))?
        {
            return Err(if retry {
                reuse(jwt, &token).await
            } else {
                TokenError::Blacklisted.into()
            });
        }
        rotation
    } else {
        jwt.successors(&token, None)
    };
    // Recorded on a retry too (recording is idempotent): the first answer
    // may have failed before its record.
    rotation
        .record(jwt)
        .await
        .map_err(ApiError::store("record_outstanding"))?;
    let (access, refresh) = rotation.sign(jwt).map_err(mint_error)?;
    issued_for(
        shared,
        Issued::Refreshed {
            access: &access,
            refresh: Some(&refresh),
        },
        TokenRoute::Refresh,
        token.user_id().unwrap_or_default(),
    )
    .await
}

pub(crate) async fn refresh_sliding(
    shared: &Shared,
    parts: &Parts,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let raw = token_field(jwt.settings(), parts, &data, "token", Fallback::Access)?;
    let token = jwt.validate(&raw, TokenType::Sliding)?;
    jwt.verdict(&token, Use::Refresh)
        .await
        .map_err(ApiError::refused)?;
    let refresh_exp = token.refresh_exp().ok_or(TokenError::NoRefreshExp)?;
    // The same leeway as `exp` gets.
    if refresh_exp.saturating_add(jwt.settings().leeway.as_secs()) <= jwt.now() {
        return Err(TokenError::RefreshExpired.into());
    }
    recheck_user(shared, &token).await?;
    let renewed = jwt.renew_sliding(&token, refresh_exp).map_err(mint_error)?;
    issued_for(
        shared,
        Issued::Sliding(&renewed),
        TokenRoute::RefreshSliding,
        token.user_id().unwrap_or_default(),
    )
    .await
}
