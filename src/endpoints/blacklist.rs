//! `POST /api/token/blacklist/`: logout.

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::auth::{Credentials, credentials};
use crate::endpoints::cookie_mode::{self, Fallback, token_field};
use crate::endpoints::error::ApiError;
use crate::endpoints::revoked::reuse;
use crate::endpoints::{Shared, token_response};
use crate::revocation::{Refusal, Use};
use crate::store::Blacklisted;
use crate::token::{TokenError, TokenType};

pub(crate) async fn blacklist(
    shared: &Shared,
    parts: &Parts,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let raw = token_field(jwt.settings(), parts, &data, "refresh", Fallback::Refresh)?;
    let token = jwt.validate(&raw, TokenType::Refresh)?;
    match jwt.verdict(&token, Use::Refresh).await {
        Ok(()) => {}
        Err(Refusal::Token(TokenError::Blacklisted)) => return Err(reuse(jwt, &token).await),
        Err(refusal) => return Err(ApiError::refused(refusal)),
    }
    // Losing a race to a rotation of the same token is reuse too: the
    // rotated branch must not outlive the logout.
    match jwt.spend(&token, false).await {
        Ok(Blacklisted::Inserted) => {}
        Ok(Blacklisted::Existing { .. }) => return Err(reuse(jwt, &token).await),
        Err(e) => return Err(ApiError::store("blacklist")(e)),
    }
    if jwt.settings().tracks_families() {
        // Every access token minted from this login dies with it.
        jwt.revoke_family(&token)
            .await
            .map_err(ApiError::store("revoke_family"))?;
    }
    if jwt.settings().check_access_revocation {
        // The access token sent along, if valid and the same user's, goes too.
        if let Credentials::Token(raw, _) = credentials(jwt.settings(), &parts.headers) {
            if let Ok(access) = jwt.validate_access(raw) {
                if access.user_id() == token.user_id() {
                    jwt.blacklist(&access)
                        .await
                        .map_err(ApiError::store("blacklist"))?;
                }
            }
        }
    }
    let mut res = token_response(StatusCode::OK, &json!({}));
    cookie_mode::clear(jwt.settings(), &mut res);
    Ok(res)
}
