//! `POST /api/token/blacklist/`: logout.

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::auth::{Credentials, credentials};
use crate::endpoints::error::ApiError;
use crate::endpoints::request::fields;
use crate::endpoints::revoked::{OnRevoked, reject_revoked};
use crate::endpoints::{Shared, token_response};
use crate::settings::SimpleJwt;
use crate::token::{TokenError, TokenType};

pub(crate) async fn blacklist(
    shared: &Shared,
    parts: &Parts,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let [raw] = fields(&data, ["refresh"])?;
    let token = jwt.validate(&raw, TokenType::Refresh)?;
    reject_revoked(jwt, &token, OnRevoked::DetectReuse).await?;
    let store = jwt.store().ok_or(ApiError::Unavailable)?;
    match store
        .blacklist(token.jti(), SimpleJwt::blacklist_until(&token))
        .await
    {
        Ok(true) => {}
        Ok(false) => return Err(TokenError::Blacklisted.into()),
        Err(_) => return Err(ApiError::Unavailable),
    }
    if jwt.inner.tracks_families() {
        // Every access token minted from this login dies with it.
        let until = jwt.now() + jwt.longest_lifetime();
        store
            .revoke_family(token.family_or_jti(), until)
            .await
            .map_err(|_| ApiError::Unavailable)?;
    }
    if jwt.settings().check_access_revocation {
        // The access token sent along, if valid and the same user's, goes too.
        if let Credentials::Token(raw) = credentials(&jwt.inner, &parts.headers) {
            if let Ok(access) = jwt.validate_access_bytes(raw) {
                if access.user_id() == token.user_id() {
                    store
                        .blacklist(access.jti(), SimpleJwt::blacklist_until(&access))
                        .await
                        .map_err(|_| ApiError::Unavailable)?;
                }
            }
        }
    }
    Ok(token_response(StatusCode::OK, &json!({})))
}
