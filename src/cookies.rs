//! Cookie mode for browser apps, with dj-rest-auth's `JWT_AUTH_*` meaning:
//! the token routes set HttpOnly cookies, and the layer reads the access
//! token from its cookie (under the CSRF check of [`auth`](crate::auth)).
//!
//! | dj-rest-auth | here | default |
//! |---|---|---|
//! | `JWT_AUTH_COOKIE` | [`Cookies::with_access_name`] | `access_token` |
//! | `JWT_AUTH_REFRESH_COOKIE` | [`Cookies::with_refresh_name`] | `refresh_token` |
//! | `JWT_AUTH_REFRESH_COOKIE_PATH` | [`Cookies::with_refresh_path`] | the longest path prefix of the refresh and blacklist routes |
//! | `JWT_AUTH_COOKIE_DOMAIN` | [`Cookies::with_domain`] | none (host only) |
//! | `JWT_AUTH_SECURE` | [`Cookies::insecure_allow_http`] turns it off | `Secure` on |
//! | `JWT_AUTH_HTTPONLY` | [`Cookies::with_http_only`] and [`Cookies::with_refresh_in_body`] (its opposite) | HttpOnly cookies, refresh token left out of bodies |
//! | `JWT_AUTH_SAMESITE` | [`Cookies::with_same_site`] | `Lax` |
//! | `JWT_AUTH_RETURN_EXPIRATION` | [`Cookies::with_expiration_in_body`] | off |
//! | `JWT_AUTH_COOKIE_USE_CSRF` | [`Cookies::with_csrf_token`] | off (the origin check is always on) |
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use axum::{Router, body::Body, routing::post};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_simplejwt::{Cookies, SimpleJwt, endpoints::TokenEndpoints};
//!
//! let jwt = SimpleJwt::builder()
//!     .with_secret("a secret of at least thirty-two bytes!")
//!     .with_cookies(Cookies::new())
//!     .build()
//!     .unwrap();
//! let app = Router::new()
//!     .route("/api/orders/", post(|| async { "ordered" }))
//!     .layer(jwt.layer().required())
//!     .merge(TokenEndpoints::builder(jwt.clone()).stateless().build().unwrap().router());
//!
//! // Refresh sets the access cookie; the body still answers as Simple JWT's.
//! let pair = jwt.for_user(7).pair().await.unwrap();
//! let refresh = Request::post("/api/token/refresh/")
//!     .header("content-type", "application/json")
//!     .body(Body::from(format!(r#"{{"refresh": "{}"}}"#, pair.refresh)))
//!     .unwrap();
//! let res = app.clone().oneshot(refresh).await.unwrap();
//! assert_eq!(res.status(), StatusCode::OK);
//! let set = res.headers()["set-cookie"].to_str().unwrap();
//! assert!(set.starts_with("access_token=") && set.contains("; HttpOnly"));
//! let cookie = set.split(';').next().unwrap().to_owned();
//!
//! // The cookie authenticates the app's own pages...
//! let order = |site: &str| {
//!     Request::post("/api/orders/")
//!         .header("cookie", &cookie)
//!         .header("sec-fetch-site", site)
//!         .body(Body::empty())
//!         .unwrap()
//! };
//! assert_eq!(app.clone().oneshot(order("same-origin")).await.unwrap().status(), StatusCode::OK);
//! // ...and never another site's request (CSRF).
//! assert_eq!(app.oneshot(order("cross-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
//! # });
//! ```

use std::fmt::Write;

use http::HeaderMap;
use http::header::COOKIE;

/// The `SameSite` attribute of the token cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// Sent on same-site requests and top-level navigations.
    Lax,
    /// Sent on same-site requests only.
    Strict,
    /// Sent on every request (needs `Secure`).
    None,
}

/// The double-submit CSRF token: a cookie scripts can read, echoed in a
/// header on unsafe requests (Django's `csrftoken` and `X-CSRFToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsrfToken {
    pub(crate) cookie: String,
    pub(crate) header: String,
}

/// Cookie mode; see the [module docs](self). Turn it on with
/// [`SimpleJwtBuilder::with_cookies`](crate::SimpleJwtBuilder::with_cookies).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Cookies {
    pub(crate) access: String,
    pub(crate) refresh: String,
    pub(crate) refresh_path: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) refresh_in_body: bool,
    pub(crate) same_site: SameSite,
    pub(crate) expiration_in_body: bool,
    pub(crate) csrf: Option<CsrfToken>,
}

impl Default for Cookies {
    fn default() -> Self {
        Self::new()
    }
}

impl Cookies {
    /// Cookie mode with the defaults of the table above.
    pub fn new() -> Self {
        Self {
            access: "access_token".to_owned(),
            refresh: "refresh_token".to_owned(),
            refresh_path: None,
            domain: None,
            secure: true,
            http_only: true,
            refresh_in_body: false,
            same_site: SameSite::Lax,
            expiration_in_body: false,
            csrf: None,
        }
    }

    /// The access token's cookie (`JWT_AUTH_COOKIE`).
    pub fn with_access_name(mut self, name: impl Into<String>) -> Self {
        self.access = name.into();
        self
    }

    /// The refresh token's cookie (`JWT_AUTH_REFRESH_COOKIE`).
    pub fn with_refresh_name(mut self, name: impl Into<String>) -> Self {
        self.refresh = name.into();
        self
    }

    /// The refresh cookie's `Path` (`JWT_AUTH_REFRESH_COOKIE_PATH`).
    /// Defaults to the longest common prefix of the refresh and blacklist
    /// routes, so the refresh token is sent nowhere else.
    pub fn with_refresh_path(mut self, path: impl Into<String>) -> Self {
        self.refresh_path = Some(path.into());
        self
    }

    /// The cookies' `Domain` (`JWT_AUTH_COOKIE_DOMAIN`). Defaults to none:
    /// host-only cookies.
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Leaves out `Secure` (`JWT_AUTH_SECURE = False`), so that the cookies
    /// also travel over plain HTTP: only for local development.
    pub fn insecure_allow_http(mut self) -> Self {
        self.secure = false;
        self
    }

    /// `JWT_AUTH_HTTPONLY`'s cookie half: the token cookies are `HttpOnly`,
    /// out of reach of scripts (and of an XSS). Defaults to on.
    pub fn with_http_only(mut self, on: bool) -> Self {
        self.http_only = on;
        self
    }

    /// Whether bodies still carry the refresh token, for clients that do not
    /// use cookies (a CLI beside the browser app). Defaults to off, as
    /// dj-rest-auth with `JWT_AUTH_HTTPONLY`: obtain answers `"refresh": ""`
    /// and refresh leaves the key out, so scripts never see it.
    pub fn with_refresh_in_body(mut self, on: bool) -> Self {
        self.refresh_in_body = on;
        self
    }

    /// `JWT_AUTH_SAMESITE`. Defaults to `Lax`.
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// `JWT_AUTH_RETURN_EXPIRATION`: obtain and refresh bodies carry
    /// `access_expiration` and `refresh_expiration` (ISO 8601, UTC), so a
    /// script knows when to refresh without reading the cookies.
    pub fn with_expiration_in_body(mut self, on: bool) -> Self {
        self.expiration_in_body = on;
        self
    }

    /// `JWT_AUTH_COOKIE_USE_CSRF`: a double-submit token for old browsers on
    /// top of the origin check. Obtain and refresh set a random token in
    /// cookie `cookie` (readable by scripts); unsafe cookie-authenticated
    /// requests must echo it in header `header`. Django's names are
    /// `csrftoken` and `X-CSRFToken`.
    pub fn with_csrf_token(mut self, cookie: impl Into<String>, header: impl Into<String>) -> Self {
        self.csrf = Some(CsrfToken {
            cookie: cookie.into(),
            header: header.into(),
        });
        self
    }

    /// Checks names and attributes; `Err` says what to fix.
    pub(crate) fn check(&self) -> Result<(), String> {
        let mut names = vec![("access", &self.access), ("refresh", &self.refresh)];
        if let Some(csrf) = &self.csrf {
            names.push(("CSRF", &csrf.cookie));
            if http::HeaderName::from_bytes(csrf.header.as_bytes()).is_err() {
                return Err(format!(
                    "the CSRF header name {:?} is not a header name",
                    csrf.header
                ));
            }
        }
        for (i, (what, name)) in names.iter().enumerate() {
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(format!(
                    "the {what} cookie name {name:?} is not a cookie name"
                ));
            }
            if names[i + 1..].iter().any(|(_, other)| other == name) {
                return Err(format!("two cookies are named {name:?}"));
            }
        }
        for value in [&self.refresh_path, &self.domain].into_iter().flatten() {
            if value.bytes().any(|b| b == b';' || b.is_ascii_control()) {
                return Err(format!("{value:?} cannot be a cookie attribute"));
            }
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(
                "SameSite=None cookies must be Secure (browsers drop them otherwise)".into(),
            );
        }
        Ok(())
    }

    /// A `Set-Cookie` value: `max_age` seconds, or deletion with 0.
    pub(crate) fn set_cookie(
        &self,
        name: &str,
        value: &str,
        path: &str,
        max_age: u64,
        http_only: bool,
    ) -> http::HeaderValue {
        let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}");
        if let Some(domain) = &self.domain {
            let _ = write!(c, "; Domain={domain}");
        }
        if self.secure {
            c.push_str("; Secure");
        }
        if http_only {
            c.push_str("; HttpOnly");
        }
        c.push_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::Strict => "; SameSite=Strict",
            SameSite::None => "; SameSite=None",
        });
        // Names and attributes were checked at build time, and values are
        // tokens (base64url and dots).
        http::HeaderValue::from_str(&c).unwrap_or_else(|_| http::HeaderValue::from_static(""))
    }
}

/// RFC 6265 cookie-name characters (an RFC 9110 token).
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A cookie sent twice under one name: ambiguous, so refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DuplicateCookie;

/// The value of cookie `name` in the request, `None` if absent. The longest
/// accepted value is the token length cap's business; here a name sent twice
/// is refused, as two `Authorization` headers are.
pub(crate) fn cookie_value<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, DuplicateCookie> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k.trim() == name {
                    if found.is_some() {
                        return Err(DuplicateCookie);
                    }
                    found = Some(v.trim().trim_matches('"'));
                }
            }
        }
    }
    Ok(found)
}

/// `seconds` since the Unix epoch as ISO 8601 in UTC (`2026-12-02T07:50:00Z`),
/// the form of dj-rest-auth's `access_expiration`.
pub(crate) fn iso8601(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rem = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(iso8601(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn set_cookie_carries_every_attribute() {
        let c = Cookies::new().with_domain("example.com");
        let v = c.set_cookie("refresh_token", "a.b.c", "/api/token/", 86_400, true);
        assert_eq!(
            v,
            "refresh_token=a.b.c; Path=/api/token/; Max-Age=86400; Domain=example.com; Secure; HttpOnly; SameSite=Lax"
        );
        let v = Cookies::new()
            .insecure_allow_http()
            .set_cookie("x", "", "/", 0, false);
        assert_eq!(v, "x=; Path=/; Max-Age=0; SameSite=Lax");
    }

    #[test]
    fn names_and_attributes_are_checked() {
        assert!(Cookies::new().check().is_ok());
        assert!(Cookies::new().with_access_name("a b").check().is_err());
        assert!(
            Cookies::new()
                .with_refresh_name("access_token")
                .check()
                .is_err()
        );
        assert!(Cookies::new().with_domain("x; Secure").check().is_err());
        assert!(
            Cookies::new()
                .with_same_site(SameSite::None)
                .insecure_allow_http()
                .check()
                .is_err()
        );
        assert!(
            Cookies::new()
                .with_csrf_token("csrftoken", "X CSRF")
                .check()
                .is_err()
        );
    }

    #[test]
    fn one_cookie_of_a_name() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; refresh_token=\"x.y.z\"".parse().unwrap());
        assert_eq!(cookie_value(&h, "refresh_token"), Ok(Some("x.y.z")));
        assert_eq!(cookie_value(&h, "missing"), Ok(None));
        h.append(COOKIE, "refresh_token=other".parse().unwrap());
        assert_eq!(cookie_value(&h, "refresh_token"), Err(DuplicateCookie));
    }
}
