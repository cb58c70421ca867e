//! `POST /api/token/verify/`: any token type; the store is always consulted.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::endpoints::error::ApiError;
use crate::endpoints::request::fields;
use crate::endpoints::revoked::{OnRevoked, reject_revoked};
use crate::endpoints::{Shared, token_response};

pub(crate) async fn verify(
    shared: &Shared,
    data: Map<String, Value>,
) -> Result<Response<Bytes>, ApiError> {
    let [raw] = fields(&data, ["token"])?;
    let token = shared.jwt.validate_untyped(&raw)?;
    reject_revoked(&shared.jwt, &token, OnRevoked::Report).await?;
    Ok(token_response(StatusCode::OK, &json!({})))
}
