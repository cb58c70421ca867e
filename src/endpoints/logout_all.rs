//! `POST /api/token/logout_all/`: with a bearer access token, revokes every
//! token of its user issued up to now.

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::json;

use crate::auth::{AuthRejection, CredentialSource, Credentials, check_csrf, credentials};
use crate::endpoints::cookie_mode;
use crate::endpoints::error::ApiError;
use crate::endpoints::{Shared, token_response};
use crate::revocation::Use;
use crate::token::Expect;

pub(crate) async fn logout_all(
    shared: &Shared,
    parts: &Parts,
) -> Result<Response<Bytes>, ApiError> {
    let jwt = &shared.jwt;
    let token = match credentials(jwt.settings(), &parts.headers) {
        Credentials::Anonymous => return Err(ApiError::Auth(AuthRejection::MissingCredentials)),
        Credentials::Bad(r) => return Err(ApiError::Auth(r)),
        Credentials::Token(raw, from) => {
            if from == CredentialSource::Cookie {
                check_csrf(jwt.settings(), &parts.method, &parts.uri, &parts.headers)?;
            }
            jwt.validate_waiting(raw, Expect::OneOf(&jwt.settings().auth_token_types))
                .await
                .map_err(|e| ApiError::Auth(AuthRejection::refused(e.into())))?
        }
    };
    jwt.verdict(&token, Use::Authenticate)
        .await
        .map_err(|refusal| ApiError::Auth(AuthRejection::refused(refusal)))?;
    let user_id = token
        .user_id()
        .ok_or(ApiError::Auth(AuthRejection::NoUserId))?;
    jwt.logout_everywhere(user_id)
        .await
        .map_err(ApiError::store("revoke_user_before"))?;
    let mut res = token_response(StatusCode::OK, &json!({}));
    cookie_mode::clear(jwt.settings(), &mut res);
    Ok(res)
}
