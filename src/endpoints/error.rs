//! Endpoint failures and their exact Simple JWT bodies.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::auth::AuthRejection;
use crate::response::{challenge, json, with_challenge};
use crate::revocation::Refusal;
use crate::settings::Settings;
use crate::token::TokenError;

/// Why an endpoint refused a request. Every variant maps to a 4xx or 503,
/// never a 500.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The method, and the `Allow` header of the route.
    MethodNotAllowed(Method, &'static str),
    UnsupportedMediaType(String),
    JsonParse(String),
    NotAnObject(&'static str),
    Fields(Map<String, Value>),
    TooLarge,
    BadBody,
    Token(TokenError),
    /// Obtain: wrong password, unknown or inactive user (one message).
    NoActiveAccount,
    /// Refresh: the token's user was deleted, deactivated or changed password.
    NoActiveAccountForToken,
    /// An authenticated endpoint refused the caller.
    Auth(AuthRejection),
    /// The store or an app hook failed; nothing was issued.
    Unavailable,
    /// Too many login attempts: DRF's 429, with the seconds to wait.
    Throttled(u64),
    /// The app's own code asked for something impossible (500, naming the
    /// fix, like an extractor used without its layer). Never caused by a
    /// request's content.
    Misconfigured(String),
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::KeysUnavailable => Self::Unavailable,
            e => Self::Token(e),
        }
    }
}

impl From<crate::auth::CsrfFailure> for ApiError {
    /// A cookie credential on a cross-site request: the layer's 403.
    fn from(f: crate::auth::CsrfFailure) -> Self {
        Self::Auth(AuthRejection::Csrf(f))
    }
}

impl ApiError {
    /// The answer to a failed store call `operation`: 503, with the cause
    /// reported to traces and metrics (never to the client).
    pub(crate) fn store(operation: &'static str) -> impl FnOnce(crate::store::StoreError) -> Self {
        move |e| {
            crate::observe::store_failed(operation, &e);
            Self::Unavailable
        }
    }

    /// An endpoint's answer to a refused token.
    pub(crate) fn refused(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Token(e) => e.into(),
            Refusal::Unavailable => Self::Unavailable,
        }
    }
}

impl ApiError {
    pub(crate) fn into_response(self, settings: &Settings) -> Response<Bytes> {
        let scheme = settings.challenge_scheme();
        let unauthorized = |body: Value, error: Option<(&str, &str)>| {
            with_challenge(
                json(StatusCode::UNAUTHORIZED, &body),
                challenge(scheme, &settings.realm, error),
            )
        };
        match self {
            Self::MethodNotAllowed(m, allow) => {
                let mut res = json(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({ "detail": format!("Method \"{m}\" not allowed.") }),
                );
                res.headers_mut()
                    .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
                res
            }
            Self::UnsupportedMediaType(t) => json(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &json!({ "detail": format!("Unsupported media type \"{t}\" in request.") }),
            ),
            Self::JsonParse(reason) => json(
                StatusCode::BAD_REQUEST,
                &json!({ "detail": format!("JSON parse error - {reason}") }),
            ),
            Self::NotAnObject(kind) => json(
                StatusCode::BAD_REQUEST,
                &json!({ "non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")] }),
            ),
            Self::Fields(errors) => json(StatusCode::BAD_REQUEST, &errors),
            Self::TooLarge => json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({ "detail": "Request body is too large." }),
            ),
            Self::Throttled(wait) => {
                // DRF's `Throttled`: its message, its header.
                let unit = if wait == 1 { "second" } else { "seconds" };
                let mut res = json(
                    StatusCode::TOO_MANY_REQUESTS,
                    &json!({ "detail": format!("Request was throttled. Expected available in {wait} {unit}.") }),
                );
                res.headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(wait));
                res
            }
            Self::BadBody => json(
                StatusCode::BAD_REQUEST,
                &json!({ "detail": "Malformed request." }),
            ),
            Self::Token(e) => {
                let message = e.to_string();
                unauthorized(
                    json!({ "detail": message, "code": "token_not_valid" }),
                    Some(("invalid_token", &message)),
                )
            }
            Self::NoActiveAccount => unauthorized(
                json!({ "detail": "No active account found with the given credentials" }),
                None,
            ),
            Self::NoActiveAccountForToken => {
                let message = "No active account found for the given token.";
                unauthorized(
                    json!({ "detail": message }),
                    Some(("invalid_token", message)),
                )
            }
            Self::Auth(rejection) => rejection.to_response(settings),
            Self::Unavailable => AuthRejection::Unavailable.to_response(settings),
            Self::Misconfigured(detail) => json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "detail": detail }),
            ),
        }
    }
}
