use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::json;

use crate::auth::CsrfFailure;
use crate::response::{challenge, json, with_challenge};
use crate::revocation::Refusal;
use crate::settings::Settings;
use crate::token::TokenError;
use crate::user::UserRefusal;

/// Why the auth layer refused a request.
///
/// The layer answers with the contract's JSON body and puts this value into
/// the response extensions, so logging and metrics layers can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No credentials on a route that requires them.
    #[error("Authentication credentials were not provided.")]
    MissingCredentials,
    /// Right scheme, but not exactly two space-delimited values.
    #[error("Authorization header must contain two space-delimited values")]
    BadAuthorizationHeader,
    /// More than one header carrying credentials.
    #[error("Only one Authorization header is allowed")]
    DuplicateAuthorizationHeader,
    /// The token failed validation or was revoked.
    #[error("{0}")]
    InvalidToken(TokenError),
    /// Valid token without a usable user id claim.
    #[error("Token contained no recognizable user identification")]
    NoUserId,
    /// The user resolver found no such user.
    #[error("User not found")]
    UserNotFound,
    /// The user is inactive.
    #[error("User is inactive")]
    UserInactive,
    /// The token predates a password change.
    #[error("The user's password has been changed.")]
    PasswordChanged,
    /// The credential came from a cookie and the request failed the CSRF
    /// check (403 `csrf_failed`).
    #[error("{0}")]
    Csrf(CsrfFailure),
    /// The store, the user lookup or the key server failed: nothing was accepted.
    #[error("Service temporarily unavailable.")]
    Unavailable,
}

impl AuthRejection {
    /// A fixed code for this reason, for logs and metrics (the `error.type`
    /// field and the `reason` label; see the `observe` table in the crate
    /// docs). Stable: part of the public API.
    pub fn reason(self) -> &'static str {
        match self {
            Self::MissingCredentials => "missing_credentials",
            Self::BadAuthorizationHeader => "bad_authorization_header",
            Self::DuplicateAuthorizationHeader => "duplicate_authorization_header",
            Self::InvalidToken(e) => e.reason(),
            Self::NoUserId => "no_user_id",
            Self::UserNotFound => "user_not_found",
            Self::UserInactive => "user_inactive",
            Self::PasswordChanged => "password_changed",
            Self::Csrf(_) => "csrf_failed",
            Self::Unavailable => "unavailable",
        }
    }

    /// The layer's answer to a refused user.
    pub(crate) fn user_refused(refusal: UserRefusal) -> Self {
        match refusal {
            UserRefusal::NoUserId => Self::NoUserId,
            UserRefusal::NotFound => Self::UserNotFound,
            UserRefusal::Inactive => Self::UserInactive,
            UserRefusal::PasswordChanged => Self::PasswordChanged,
            UserRefusal::Unavailable => Self::Unavailable,
        }
    }

    /// The layer's answer to a refused token.
    pub(crate) fn refused(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Token(TokenError::NoUserId) => Self::NoUserId,
            Refusal::Token(TokenError::KeysUnavailable) => Self::Unavailable,
            Refusal::Token(e) => Self::InvalidToken(e),
            Refusal::Unavailable => Self::Unavailable,
        }
    }

    /// The HTTP status: 401, 403 for a CSRF failure, or 503 when the
    /// store or the key server is down.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Csrf(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The contract's response for this rejection, with the rejection itself
    /// in its extensions (for logging and metrics layers).
    pub(crate) fn to_response(self, settings: &Settings) -> Response<Bytes> {
        let mut response = self.build_response(settings);
        response.extensions_mut().insert(self);
        response
    }

    fn build_response(self, settings: &Settings) -> Response<Bytes> {
        let scheme = settings.challenge_scheme();
        let realm = settings.realm.as_str();
        let detail = self.to_string();
        let (body, error) = match self {
            Self::MissingCredentials => (json!({ "detail": detail }), None),
            Self::BadAuthorizationHeader | Self::DuplicateAuthorizationHeader => (
                json!({ "detail": detail, "code": "bad_authorization_header" }),
                Some("invalid_request"),
            ),
            Self::InvalidToken(e) => {
                let messages: Vec<_> = settings
                    .auth_token_types
                    .iter()
                    .map(|t| {
                        json!({
                            "token_class": t.class_name(),
                            "token_type": t.as_str(),
                            "message": e.to_string(),
                        })
                    })
                    .collect();
                (
                    json!({
                        "detail": "Given token not valid for any token type",
                        "code": "token_not_valid",
                        "messages": messages,
                    }),
                    Some("invalid_token"),
                )
            }
            Self::NoUserId => (
                json!({ "detail": detail, "code": "token_not_valid" }),
                Some("invalid_token"),
            ),
            Self::UserNotFound => (
                json!({ "detail": detail, "code": "user_not_found" }),
                Some("invalid_token"),
            ),
            Self::UserInactive => (
                json!({ "detail": detail, "code": "user_inactive" }),
                Some("invalid_token"),
            ),
            Self::PasswordChanged => (
                json!({ "detail": detail, "code": "password_changed" }),
                Some("invalid_token"),
            ),
            Self::Csrf(_) => {
                return json(
                    StatusCode::FORBIDDEN,
                    &json!({ "detail": detail, "code": "csrf_failed" }),
                );
            }
            Self::Unavailable => {
                let mut res = json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &json!({ "detail": detail, "code": "service_unavailable" }),
                );
                res.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("1"),
                );
                return res;
            }
        };
        let description = match self {
            Self::InvalidToken(e) => e.to_string(),
            _ => detail,
        };
        let value = challenge(scheme, realm, error.map(|e| (e, description.as_str())));
        with_challenge(json(self.status(), &body), value)
    }
}
