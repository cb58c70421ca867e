//! Cross-site request forgery protection for credentials taken from a
//! cookie: a browser attaches cookies to requests another site makes it
//! send, so a cookie alone never authorises an unsafe request.
//!
//! The check is the Fetch Metadata and `Origin` algorithm of Go's
//! `CrossOriginProtection` (also ASP.NET Core's and Rails'):
//!
//! 1. Safe methods (`GET`, `HEAD`, `OPTIONS`) pass.
//! 2. `Sec-Fetch-Site: same-origin` or `none` passes; any other value passes
//!    only with an `Origin` among the trusted origins.
//! 3. Without `Sec-Fetch-Site` (older browsers), an `Origin` must name the
//!    request's own host or a trusted origin; a request with neither header
//!    is not from a browser and passes.
//!
//! Then, when the double-submit token is on, the CSRF header must equal the
//! CSRF cookie (compared in constant time), as Django's CSRF check that
//! dj-rest-auth relies on does. Requests authenticated by the
//! `Authorization` header are never checked: a browser does not add that
//! header to a cross-site request.

use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, Uri};
use subtle::ConstantTimeEq;

use crate::cookies::cookie_value;
use crate::settings::Settings;

/// Why a cookie-authenticated request was refused as cross-site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfFailure {
    /// The browser says another site made the request, or its `Origin` is
    /// neither this host nor a trusted origin.
    #[error("CSRF Failed: Origin checking failed - the request comes from an untrusted origin.")]
    UntrustedOrigin,
    /// Double submit is on and the CSRF header or cookie is missing.
    #[error("CSRF Failed: CSRF token missing.")]
    TokenMissing,
    /// Double submit is on and the CSRF header differs from the cookie.
    #[error("CSRF Failed: CSRF token incorrect.")]
    TokenIncorrect,
}

/// Checks an unsafe request whose credential came from a cookie.
pub(crate) fn check(
    settings: &Settings,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CsrfFailure> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    check_origin(settings, uri, headers)?;
    check_double_submit(settings, headers)
}

/// Checks a login that will set cookies (login CSRF: another site must not
/// log the browser into an account of its choosing). The origin check
/// only: no CSRF cookie exists before the first login.
pub(crate) fn check_login(
    settings: &Settings,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CsrfFailure> {
    check_origin(settings, uri, headers)
}

fn check_origin(settings: &Settings, uri: &Uri, headers: &HeaderMap) -> Result<(), CsrfFailure> {
    let origin = one(headers, &ORIGIN);
    let trusted = || {
        origin.is_some_and(|o| {
            settings
                .csrf_trusted_origins
                .iter()
                .any(|t| t.as_bytes().eq_ignore_ascii_case(o))
        })
    };
    match one(headers, "sec-fetch-site") {
        Some(b"same-origin" | b"none") => return Ok(()),
        Some(_) if trusted() => return Ok(()),
        Some(_) => return Err(CsrfFailure::UntrustedOrigin),
        None => {}
    }
    let Some(origin) = origin else {
        // Neither header: not a browser (or one too old to send either on a
        // same-origin request). A cross-site browser request carries `Origin`.
        return Ok(());
    };
    let host = one(headers, &HOST).or_else(|| uri.authority().map(|a| a.as_str().as_bytes()));
    let origin_host = origin
        .split(|b| *b == b'/')
        .nth(2)
        .filter(|_| origin.starts_with(b"http://") || origin.starts_with(b"https://"));
    if host.is_some_and(|h| origin_host.is_some_and(|o| o.eq_ignore_ascii_case(h))) || trusted() {
        Ok(())
    } else {
        Err(CsrfFailure::UntrustedOrigin)
    }
}

fn check_double_submit(settings: &Settings, headers: &HeaderMap) -> Result<(), CsrfFailure> {
    let Some(cookies) = &settings.cookies else {
        return Ok(());
    };
    let Some(csrf) = &cookies.csrf else {
        return Ok(());
    };
    let sent = one(headers, csrf.header.as_str()).filter(|v| !v.is_empty());
    let expected = match cookie_value(headers, &csrf.cookie) {
        Ok(Some(v)) if !v.is_empty() => Some(v.as_bytes()),
        _ => None,
    };
    match (sent, expected) {
        (Some(sent), Some(expected)) if bool::from(sent.ct_eq(expected)) => Ok(()),
        (Some(_), Some(_)) => Err(CsrfFailure::TokenIncorrect),
        _ => Err(CsrfFailure::TokenMissing),
    }
}

/// The value of a header sent exactly once; a repeated header counts as
/// absent, which the checks above treat as the stricter case.
fn one<K: http::header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&[u8]> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    match values.next() {
        None => Some(value.as_bytes()),
        Some(_) => Some(b"\0repeated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn verdict(
        settings: &Settings,
        method: Method,
        pairs: &[(&str, &str)],
    ) -> Result<(), CsrfFailure> {
        check(
            settings,
            &method,
            &Uri::from_static("/api/me/"),
            &request(pairs),
        )
    }

    #[test]
    fn the_fetch_metadata_and_origin_algorithm() {
        let s = Settings {
            csrf_trusted_origins: vec!["https://app.example.com".into()],
            ..Settings::default()
        };
        let deny = Err(CsrfFailure::UntrustedOrigin);
        let host = ("host", "api.example.com");
        // Safe methods always pass.
        assert_eq!(
            verdict(&s, Method::GET, &[("sec-fetch-site", "cross-site")]),
            Ok(())
        );
        // Fetch Metadata.
        assert_eq!(
            verdict(&s, Method::POST, &[("sec-fetch-site", "same-origin")]),
            Ok(())
        );
        assert_eq!(
            verdict(&s, Method::POST, &[("sec-fetch-site", "none")]),
            Ok(())
        );
        assert_eq!(
            verdict(&s, Method::DELETE, &[("sec-fetch-site", "cross-site")]),
            deny
        );
        assert_eq!(
            verdict(&s, Method::POST, &[("sec-fetch-site", "same-site")]),
            deny
        );
        let trusted = [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://app.example.com"),
        ];
        assert_eq!(verdict(&s, Method::POST, &trusted), Ok(()));
        let untrusted = [
            ("sec-fetch-site", "same-site"),
            ("origin", "https://evil.example.com"),
        ];
        assert_eq!(verdict(&s, Method::POST, &untrusted), deny);
        // Old browsers: Origin against the host.
        assert_eq!(
            verdict(
                &s,
                Method::POST,
                &[host, ("origin", "https://api.example.com")]
            ),
            Ok(())
        );
        assert_eq!(
            verdict(
                &s,
                Method::POST,
                &[host, ("origin", "https://evil.example.com")]
            ),
            deny
        );
        assert_eq!(verdict(&s, Method::POST, &[host, ("origin", "null")]), deny);
        assert_eq!(
            verdict(
                &s,
                Method::POST,
                &[host, ("origin", "https://app.example.com")]
            ),
            Ok(())
        );
        // Neither header: not a browser.
        assert_eq!(verdict(&s, Method::POST, &[host]), Ok(()));
        // A repeated header never passes.
        let twice = [
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(verdict(&s, Method::POST, &twice), deny);
    }
}
