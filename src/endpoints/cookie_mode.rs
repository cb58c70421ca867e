//! Cookie mode on the token routes (dj-rest-auth's `JWT_AUTH_*`): tokens
//! read from the body or else their cookie (under the CSRF check), issued
//! tokens set as cookies, and cookies cleared on logout.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::header::SET_COOKIE;
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Map, Value};

use crate::auth::{AuthRejection, check_csrf};
use crate::cookies::{Cookies, cookie_value, iso8601};
use crate::endpoints::error::ApiError;
use crate::endpoints::request::fields;
use crate::endpoints::{Shared, token_response};
use crate::settings::Settings;

/// Which cookie a body field falls back to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fallback {
    /// The refresh token's cookie (refresh, blacklist).
    Refresh,
    /// The access cookie, which holds the sliding token (sliding refresh).
    Access,
}

/// The token in body field `name`; in cookie mode, when the body has no
/// such field, the token in its cookie, after the CSRF check (a cookie
/// alone never authorises a cross-site request).
pub(crate) fn token_field(
    settings: &Settings,
    parts: &Parts,
    data: &Map<String, Value>,
    name: &str,
    fallback: Fallback,
) -> Result<String, ApiError> {
    let Some(cookies) = settings
        .cookies
        .as_ref()
        .filter(|_| !data.contains_key(name))
    else {
        let [value] = fields(data, [name])?;
        return Ok(value);
    };
    let cookie = match fallback {
        Fallback::Refresh => &cookies.refresh,
        Fallback::Access => &cookies.access,
    };
    match cookie_value(&parts.headers, cookie) {
        Ok(Some(value)) if !value.is_empty() => {
            check_csrf(settings, &parts.method, &parts.uri, &parts.headers)?;
            Ok(value.to_owned())
        }
        // Two cookies of one name: which one is meant cannot be told.
        Err(_) => Err(ApiError::Auth(AuthRejection::DuplicateAuthorizationHeader)),
        Ok(_) => fields(data, [name]).map(|[value]| value),
    }
}

/// What a token route issued.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Issued<'a> {
    /// Obtain: `{"refresh", "access"}`.
    Pair { access: &'a str, refresh: &'a str },
    /// Refresh: `{"access"}`, plus `"refresh"` with rotation.
    Refreshed {
        access: &'a str,
        refresh: Option<&'a str>,
    },
    /// Sliding obtain and refresh: `{"token"}`.
    Sliding(&'a str),
}

impl Issued<'_> {
    /// The body Simple JWT answers with, in its order.
    fn body(self) -> Map<String, Value> {
        let mut body = Map::new();
        let mut put = |k: &str, v: &str| {
            body.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        match self {
            Self::Pair { access, refresh } => {
                put("refresh", refresh);
                put("access", access);
            }
            Self::Refreshed { access, refresh } => {
                put("access", access);
                if let Some(refresh) = refresh {
                    put("refresh", refresh);
                }
            }
            Self::Sliding(token) => put("token", token),
        }
        body
    }
}

/// The `200` answer of a route that issued tokens: Simple JWT's body and,
/// in cookie mode, the cookies (and dj-rest-auth's body changes).
/// The token response, with the app's [`ResponseFields`](crate::endpoints::ResponseFields)
/// for `route` and `user_id` when it has some.
pub(crate) async fn issued_for(
    shared: &Shared,
    issued: Issued<'_>,
    route: crate::endpoints::TokenRoute,
    user_id: &str,
) -> Result<Response<Bytes>, ApiError> {
    let extra = match &shared.fields {
        Some(hook) => extra_fields(shared, hook.as_ref(), &issued, route, user_id).await?,
        None => Map::new(),
    };
    match route {
        crate::endpoints::TokenRoute::Refresh => crate::observe::refreshed("refresh"),
        crate::endpoints::TokenRoute::RefreshSliding => crate::observe::refreshed("sliding"),
        _ => {}
    }
    Ok(self::issued(shared, issued, extra))
}

/// The app's fields for what was issued; they may not replace a token field.
async fn extra_fields(
    shared: &Shared,
    hook: &dyn crate::endpoints::fields::DynFields,
    issued: &Issued<'_>,
    route: crate::endpoints::TokenRoute,
    user_id: &str,
) -> Result<Map<String, Value>, ApiError> {
    let settings = shared.jwt.settings();
    let now = shared.jwt.now();
    let (expires_at, refresh_expires_at) = match issued {
        Issued::Pair { .. }
        | Issued::Refreshed {
            refresh: Some(_), ..
        } => (
            now + settings.access_token_lifetime.as_secs(),
            Some(now + settings.refresh_token_lifetime.as_secs()),
        ),
        Issued::Refreshed { refresh: None, .. } => {
            (now + settings.access_token_lifetime.as_secs(), None)
        }
        Issued::Sliding(_) => (now + settings.sliding_token_lifetime.as_secs(), None),
    };
    let tokens = crate::endpoints::IssuedTokens {
        route,
        user_id,
        expires_at,
        refresh_expires_at,
    };
    let extra = hook
        .fields(&tokens)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let body = issued.body();
    if let Some(taken) = extra.keys().find(|k| body.contains_key(k.as_str())) {
        return Err(ApiError::Misconfigured(format!(
            "the response fields hook returned `{taken}`, a field of the token response: rename it"
        )));
    }
    Ok(extra)
}

pub(crate) fn issued(
    shared: &Shared,
    issued: Issued<'_>,
    extra: Map<String, Value>,
) -> Response<Bytes> {
    let settings = shared.jwt.settings();
    let mut body = issued.body();
    body.extend(extra);
    let Some(cookies) = &settings.cookies else {
        return token_response(StatusCode::OK, &body);
    };
    let now = shared.jwt.now();
    let access_life = settings.access_token_lifetime.as_secs();
    let refresh_life = settings.refresh_token_lifetime.as_secs();
    let refresh_path = refresh_path(settings, cookies);
    let mut set = Vec::new();
    match issued {
        Issued::Pair { access, refresh }
        | Issued::Refreshed {
            access,
            refresh: Some(refresh),
        } => {
            set.push(cookies.set_cookie(
                &cookies.access,
                access,
                "/",
                access_life,
                cookies.http_only,
            ));
            set.push(cookies.set_cookie(
                &cookies.refresh,
                refresh,
                &refresh_path,
                refresh_life,
                cookies.http_only,
            ));
            if !cookies.refresh_in_body {
                // dj-rest-auth: login answers an empty refresh, refresh none.
                if matches!(issued, Issued::Pair { .. }) {
                    body.insert("refresh".into(), Value::String(String::new()));
                } else {
                    body.remove("refresh");
                }
            }
            if cookies.expiration_in_body {
                body.insert(
                    "access_expiration".into(),
                    iso8601(now + access_life).into(),
                );
                body.insert(
                    "refresh_expiration".into(),
                    iso8601(now + refresh_life).into(),
                );
            }
        }
        Issued::Refreshed {
            access,
            refresh: None,
        } => {
            set.push(cookies.set_cookie(
                &cookies.access,
                access,
                "/",
                access_life,
                cookies.http_only,
            ));
            if cookies.expiration_in_body {
                body.insert(
                    "access_expiration".into(),
                    iso8601(now + access_life).into(),
                );
            }
        }
        Issued::Sliding(token) => {
            // The sliding token is the access credential, renewable until
            // its refresh expiry: the cookie lives as long.
            let life = settings.sliding_token_refresh_lifetime.as_secs();
            set.push(cookies.set_cookie(&cookies.access, token, "/", life, cookies.http_only));
            if cookies.expiration_in_body {
                let exp = now + settings.sliding_token_lifetime.as_secs();
                body.insert("access_expiration".into(), iso8601(exp).into());
            }
        }
    }
    if let Some(csrf) = &cookies.csrf {
        // Readable by scripts, which echo it in the CSRF header.
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        set.push(cookies.set_cookie(&csrf.cookie, &token, "/", refresh_life, false));
    }
    let mut res = token_response(StatusCode::OK, &body);
    for cookie in set {
        res.headers_mut().append(SET_COOKIE, cookie);
    }
    res
}

/// Clears every cookie of cookie mode (logout, log out everywhere).
pub(crate) fn clear(settings: &Settings, res: &mut Response<Bytes>) {
    let Some(cookies) = &settings.cookies else {
        return;
    };
    let refresh_path = refresh_path(settings, cookies);
    let mut clear = vec![
        cookies.set_cookie(&cookies.access, "", "/", 0, cookies.http_only),
        cookies.set_cookie(&cookies.refresh, "", &refresh_path, 0, cookies.http_only),
    ];
    if let Some(csrf) = &cookies.csrf {
        clear.push(cookies.set_cookie(&csrf.cookie, "", "/", 0, false));
    }
    for cookie in clear {
        res.headers_mut().append(SET_COOKIE, cookie);
    }
}

/// The refresh cookie's path: configured, or the longest common prefix of
/// the refresh and blacklist routes (up to a `/`).
pub(crate) fn refresh_path(settings: &Settings, cookies: &Cookies) -> String {
    if let Some(path) = &cookies.refresh_path {
        return path.clone();
    }
    let paths = &settings.token_paths;
    let common = paths
        .refresh
        .bytes()
        .zip(paths.blacklist.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let prefix = &paths.refresh[..common];
    match prefix.rfind('/') {
        Some(end) => prefix[..=end].to_owned(),
        None => "/".to_owned(),
    }
}
