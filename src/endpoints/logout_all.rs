//! `POST /api/token/logout_all/`: with a bearer access token, revokes every
//! token of its user issued up to now.

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::json;

use crate::auth::{AuthRejection, Credentials, credentials};
use crate::endpoints::error::ApiError;
use crate::endpoints::{Shared, token_response};
use crate::token::TokenError;

pub(crate) async fn logout_all(
    shared: &Shared,
    parts: &Parts,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let token = match credentials(&jwt.inner, &parts.headers) {
        Credentials::Anonymous => return Err(ApiError::Auth(AuthRejection::MissingCredentials)),
        Credentials::Bad(r) => return Err(ApiError::Auth(r)),
        Credentials::Token(raw) => jwt
            .validate_access_bytes(raw)
            .map_err(|e| ApiError::Auth(AuthRejection::InvalidToken(e)))?,
    };
    let user_id = token
        .user_id()
        .ok_or(ApiError::Auth(AuthRejection::NoUserId))?;
    match jwt.is_revoked(&token).await {
        Ok(false) => {}
        Ok(true) => {
            return Err(ApiError::Auth(AuthRejection::InvalidToken(
                TokenError::Blacklisted,
            )));
        }
        Err(_) => return Err(ApiError::Unavailable),
    }
    jwt.logout_everywhere(user_id)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(token_response(StatusCode::OK, &json!({})))
}
