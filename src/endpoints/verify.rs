//! `POST /api/token/verify/`: any token type, judged by the same verdict
//! the auth layer (access and sliding tokens) or refresh (refresh tokens)
//! would give it.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::endpoints::error::ApiError;
use crate::endpoints::request::fields;
use crate::endpoints::{Shared, token_response};
use crate::revocation::Use;
use crate::token::Expect;

pub(crate) async fn verify(
    shared: &Shared,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let [raw] = fields(&data, ["token"])?;
    // A token of a key server whose new key is being fetched waits for it.
    let token = shared
        .jwt
        .validate_waiting(raw.as_bytes(), Expect::Any)
        .await?;
    // Checking a token is not using it: a spent refresh token is reported,
    // never treated as reuse.
    shared
        .jwt
        .verdict(&token, Use::of(&token))
        .await
        .map_err(ApiError::refused)?;
    Ok(token_response(StatusCode::OK, &json!({})))
}
