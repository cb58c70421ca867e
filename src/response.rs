//! JSON responses with the contract's bodies and headers, shared by the
//! layer, the extractors and the endpoints.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde::Serialize;

/// A JSON response with a `Bytes` body; callers wrap the body in their type.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = Response::new(Bytes::from(bytes));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// Adds `Cache-Control: no-store` (RFC 6749 section 5.1) to a token response.
pub(crate) fn no_store(mut res: Response<Bytes>) -> Response<Bytes> {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `WWW-Authenticate` value: `<Scheme> realm="<realm>"` plus, for a bad
/// token, RFC 6750's `error` and `error_description`.
pub(crate) fn challenge(scheme: &str, realm: &str, error: Option<(&str, &str)>) -> HeaderValue {
    let mut v = format!("{scheme} realm=\"{}\"", quote(realm));
    if let Some((error, description)) = error {
        v.push_str(&format!(
            ", error=\"{error}\", error_description=\"{}\"",
            quote(description)
        ));
    }
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// Keeps a quoted-string valid: drops quotes, backslashes and controls.
fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
        .collect()
}

/// Sets `WWW-Authenticate`.
pub(crate) fn with_challenge(mut res: Response<Bytes>, value: HeaderValue) -> Response<Bytes> {
    res.headers_mut().insert(WWW_AUTHENTICATE, value);
    res
}
