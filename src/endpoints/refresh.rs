//! `POST /api/token/refresh/` (with race-free rotation and reuse detection)
//! and `POST /api/token/sliding/refresh/`.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::auth::AuthRejection;
use crate::endpoints::error::ApiError;
use crate::endpoints::obtain::mint_error;
use crate::endpoints::request::fields;
use crate::endpoints::revoked::{OnRevoked, reject_revoked, revoke_family_on_reuse};
use crate::endpoints::{Shared, token_response};
use crate::settings::SimpleJwt;
use crate::token::{TokenError, TokenType, VerifiedToken};

/// The app's user re-check on refresh: deleted, inactive or
/// password-changed users get "No active account found for the given token.".
async fn recheck_user(shared: &Shared, token: &VerifiedToken) -> Result<(), ApiError> {
    let Some(resolver) = &shared.resolver else {
        return Ok(());
    };
    match resolver.resolve(shared.jwt.settings(), token).await {
        Ok(_) => Ok(()),
        Err(AuthRejection::Unavailable) => Err(ApiError::Unavailable),
        Err(AuthRejection::NoUserId) => Err(TokenError::NoUserId.into()),
        Err(_) => Err(ApiError::NoActiveAccountForToken),
    }
}

fn check_session_age(jwt: &SimpleJwt, token: &VerifiedToken) -> Result<(), ApiError> {
    if let (Some(max), Some(start)) = (jwt.settings().max_session_lifetime, token.auth_time()) {
        if start.saturating_add(max.as_secs()) <= jwt.now() {
            return Err(TokenError::Expired.into());
        }
    }
    Ok(())
}

/// `{"access": ...}`, plus `"refresh"` with rotation (Simple JWT's order).
#[derive(serde::Serialize)]
struct Refreshed<'a> {
    access: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<&'a str>,
}

pub(crate) async fn refresh(
    shared: &Shared,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let settings = jwt.settings();
    let [raw] = fields(&data, ["refresh"])?;
    let token = jwt.validate(&raw, TokenType::Refresh)?;
    reject_revoked(jwt, &token, OnRevoked::DetectReuse).await?;
    check_session_age(jwt, &token)?;
    recheck_user(shared, &token).await?;

    let inner = &jwt.inner;
    let copied = inner.copied_claims(&token);
    if !settings.rotate_refresh_tokens {
        let access = inner.derive_with(&token, TokenType::Access, copied);
        let access = inner.encode(&access).map_err(mint_error)?;
        return Ok(token_response(
            StatusCode::OK,
            &Refreshed {
                access: &access,
                refresh: None,
            },
        ));
    }
    if settings.blacklist_after_rotation {
        // Consume the old token before minting anything: of many concurrent
        // refreshes exactly one wins this insert.
        let store = jwt.store().ok_or(ApiError::Unavailable)?;
        match store
            .blacklist(token.jti(), SimpleJwt::blacklist_until(&token))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                revoke_family_on_reuse(jwt, &token).await?;
                return Err(TokenError::Blacklisted.into());
            }
            Err(_) => return Err(ApiError::Unavailable),
        }
    }
    let access = inner.derive_with(&token, TokenType::Access, copied.clone());
    let refresh = inner.derive_with(&token, TokenType::Refresh, copied);
    if let Some(store) = jwt.store() {
        store
            .record_outstanding(refresh.outstanding())
            .await
            .map_err(|_| ApiError::Unavailable)?;
    }
    let (access, refresh) = (
        inner.encode(&access).map_err(mint_error)?,
        inner.encode(&refresh).map_err(mint_error)?,
    );
    Ok(token_response(
        StatusCode::OK,
        &Refreshed {
            access: &access,
            refresh: Some(&refresh),
        },
    ))
}

pub(crate) async fn refresh_sliding(
    shared: &Shared,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let [raw] = fields(&data, ["token"])?;
    let token = jwt.validate(&raw, TokenType::Sliding)?;
    reject_revoked(jwt, &token, OnRevoked::DetectReuse).await?;
    let refresh_exp = token.refresh_exp().ok_or(TokenError::NoRefreshExp)?;
    if refresh_exp <= jwt.now() {
        return Err(TokenError::RefreshExpired.into());
    }
    check_session_age(jwt, &token)?;
    recheck_user(shared, &token).await?;
    // Simple JWT keeps the `jti` and `refresh_exp`, renewing `exp` and `iat`.
    let inner = &jwt.inner;
    let mut claims = inner.derive(&token, TokenType::Sliding);
    claims.jti = token.jti().to_owned();
    claims.refresh_exp = Some(refresh_exp);
    claims.family = token.family().map(str::to_owned);
    let renewed = inner.encode(&claims).map_err(mint_error)?;
    Ok(token_response(StatusCode::OK, &json!({ "token": renewed })))
}
