//! `GET /.well-known/jwks.json`: the public JWK Set.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, HeaderValue};
use http::{Method, Response, StatusCode};

use crate::endpoints::Shared;
use crate::endpoints::error::ApiError;
use crate::response::json;

/// `GET /.well-known/jwks.json`.
pub(crate) fn jwks(shared: &Shared, method: &Method) -> Result<Response<Bytes>, ApiError> {
    match *method {
        Method::GET | Method::HEAD => {
            let mut res = json(StatusCode::OK, &shared.jwt.jwks());
            res.headers_mut().insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            Ok(res)
        }
        ref m => Err(ApiError::MethodNotAllowed(m.clone(), "GET, HEAD")),
    }
}
