//! Finding the token in a request: the configured header, else a cookie.

use http::HeaderMap;

use crate::auth::{AuthRejection, CredentialSource};
use crate::cookies::cookie_value;
use crate::settings::Settings;

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// Nothing usable: no header, an empty one, or an unknown scheme.
    Anonymous,
    /// A token to validate (raw header bytes; validation rejects non-ASCII),
    /// and where it was found.
    Token(&'a [u8], CredentialSource),
    /// A malformed header.
    Bad(AuthRejection),
}

/// Whitespace as Python's `bytes.split()` sees it (Simple JWT splits that way).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub(crate) fn credentials<'a>(settings: &Settings, headers: &'a HeaderMap) -> Credentials<'a> {
    let mut values = headers.get_all(&settings.auth_header_name).iter();
    let Some(value) = values.next() else {
        return from_cookie(settings, headers);
    };
    if values.next().is_some() {
        return Credentials::Bad(AuthRejection::DuplicateAuthorizationHeader);
    }
    // A header value cannot hold CR, LF, VT or FF, so the whitespace Simple
    // JWT splits on reduces to spaces and tabs here.
    let bytes = trim_start(value.as_bytes());
    let (scheme, rest) = match memchr::memchr2(b' ', b'\t', bytes) {
        Some(at) => (&bytes[..at], trim_start(&bytes[at..])),
        None => (bytes, &bytes[bytes.len()..]),
    };
    if scheme.is_empty() {
        return Credentials::Anonymous;
    }
    // RFC 9110 11.1: the scheme is case-insensitive.
    if !settings
        .auth_header_types
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(scheme))
    {
        return Credentials::Anonymous;
    }
    let (token, after) = match memchr::memchr2(b' ', b'\t', rest) {
        Some(at) => (&rest[..at], trim_start(&rest[at..])),
        None => (rest, &rest[rest.len()..]),
    };
    if token.is_empty() || !after.is_empty() {
        return Credentials::Bad(AuthRejection::BadAuthorizationHeader);
    }
    Credentials::Token(token, CredentialSource::Header)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| is_space(**c)).count();
    &b[n..]
}

fn from_cookie<'a>(settings: &Settings, headers: &'a HeaderMap) -> Credentials<'a> {
    let Some(name) = &settings.auth_cookie else {
        return Credentials::Anonymous;
    };
    match cookie_value(headers, name) {
        Err(_) => Credentials::Bad(AuthRejection::DuplicateAuthorizationHeader),
        Ok(Some(v)) if !v.is_empty() => Credentials::Token(v.as_bytes(), CredentialSource::Cookie),
        Ok(_) => Credentials::Anonymous,
    }
}
