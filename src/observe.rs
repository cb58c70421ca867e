//! What the crate reports to `tracing` and `metrics` (features `tracing` and
//! `metrics`, both off by default). With a feature off, its calls compile to
//! nothing.
//!
//! No field or label ever holds a token, a secret, a password or a password
//! fingerprint: only the fixed reason codes below, token types, route
//! names, operation names and the user id of an accepted token.
//!
//! # Traces (feature `tracing`)
//!
//! | name | level | kind | fields |
//! |---|---|---|---|
//! | `simplejwt.auth` | debug | span, one per layer decision | `outcome` (`accepted`, `anonymous`, `refused`), `error.type` (the reason code of a refusal), `simplejwt.token_type`, `user.id` |
//! | `simplejwt.endpoint` | debug | span, one per token route call | `simplejwt.route`, `http.response.status_code`, `outcome` (`ok`, `refused`) |
//! | refusal | debug | event in `simplejwt.auth` | `error.type` |
//! | store failure | warn | event | `simplejwt.operation`, `error.type` (`unavailable`, `timed_out`, `backend`), `error.message` (the error and its causes) |
//! | key fetch failure | warn | event | `url.full` (the JWK Set URL, or the issuer for discovery), `error.type` (`network`, `status`, `malformed`, ...), `error.message` |
//!
//! Refusals are debug events, never info: a flood of bad tokens does not
//! flood the logs. Field names follow OpenTelemetry's semantic conventions
//! where one exists (`user.id`, `error.type`, `http.response.status_code`,
//! `url.full`).
//!
//! # Metrics (feature `metrics`, through the `metrics` facade)
//!
//! These names and labels are part of the public API.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `simplejwt_auth_requests_total` | counter | `outcome` (`accepted`, `anonymous`, `refused`), `reason` (the reason code; `none` when accepted) |
//! | `simplejwt_tokens_issued_total` | counter | `token_type` (`access`, `refresh`, `sliding`) |
//! | `simplejwt_tokens_refreshed_total` | counter | `token_type` (`refresh`, `sliding`) |
//! | `simplejwt_tokens_blacklisted_total` | counter | |
//! | `simplejwt_refresh_reuse_detected_total` | counter | |
//! | `simplejwt_families_revoked_total` | counter | |
//! | `simplejwt_store_errors_total` | counter | `operation`, `kind` (`unavailable`, `timed_out`, `backend`) |
//! | `simplejwt_store_duration_seconds` | histogram | `operation` (`is_revoked`) |
//! | `simplejwt_key_fetch_errors_total` | counter | `kind` |
//!
//! The reason codes are [`AuthRejection::reason`](crate::auth::AuthRejection::reason)'s.

// With one feature or none, some arguments and helpers serve nothing.
#![cfg_attr(
    not(all(feature = "tracing", feature = "metrics")),
    allow(unused_variables, dead_code)
)]

use std::time::Duration;

use crate::auth::AuthRejection;
use crate::store::{StoreError, StoreErrorKind};
use crate::token::VerifiedToken;

fn kind_code(kind: StoreErrorKind) -> &'static str {
    match kind {
        StoreErrorKind::Unavailable => "unavailable",
        StoreErrorKind::Timeout => "timed_out",
        _ => "backend",
    }
}

/// The error and its causes, as one line.
#[cfg(feature = "tracing")]
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The layer let a request through, with `token` or anonymously.
#[inline]
pub(crate) fn accepted(token: Option<&VerifiedToken>) {
    #[cfg(feature = "tracing")]
    {
        let outcome = if token.is_some() {
            "accepted"
        } else {
            "anonymous"
        };
        let _span = tracing::debug_span!(
            "simplejwt.auth",
            outcome,
            "simplejwt.token_type" = token.map(|t| t.token_type().as_str()),
            "user.id" = token.and_then(|t| t.user_id()),
        )
        .entered();
    }
    // Literal labels: the metric's key is built at compile time.
    #[cfg(feature = "metrics")]
    if token.is_some() {
        metrics::counter!("simplejwt_auth_requests_total", "outcome" => "accepted", "reason" => "none")
            .increment(1);
    } else {
        metrics::counter!("simplejwt_auth_requests_total", "outcome" => "anonymous", "reason" => "none")
            .increment(1);
    }
}

/// The layer refused a request.
#[inline]
pub(crate) fn refused(rejection: AuthRejection) {
    #[cfg(feature = "tracing")]
    {
        let _span = tracing::debug_span!(
            "simplejwt.auth",
            outcome = "refused",
            "error.type" = rejection.reason(),
        )
        .entered();
        tracing::debug!("error.type" = rejection.reason(), "request refused");
    }
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "simplejwt_auth_requests_total",
        "outcome" => "refused",
        "reason" => rejection.reason()
    )
    .increment(1);
}

/// A store call failed; the request gets 503.
#[inline]
pub(crate) fn store_failed(operation: &'static str, error: &StoreError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        "simplejwt.operation" = operation,
        "error.type" = kind_code(error.kind()),
        "error.message" = chain(error),
        "revocation store call failed"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "simplejwt_store_errors_total",
        "operation" => operation,
        "kind" => kind_code(error.kind())
    )
    .increment(1);
}

/// A revocation check took `elapsed` (successful or not).
#[inline]
pub(crate) fn store_latency(operation: &'static str, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    metrics::histogram!("simplejwt_store_duration_seconds", "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// A token of `token_type` was issued.
#[inline]
pub(crate) fn issued(token_type: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_tokens_issued_total", "token_type" => token_type).increment(1);
}

/// A refresh (`refresh`) or sliding (`sliding`) token was refreshed.
#[inline]
pub(crate) fn refreshed(token_type: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_tokens_refreshed_total", "token_type" => token_type).increment(1);
}

/// A token was blacklisted (logout, or spent by a rotation).
#[inline]
pub(crate) fn blacklisted() {
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_tokens_blacklisted_total").increment(1);
}

/// A spent refresh token was presented again.
#[inline]
pub(crate) fn reuse_detected() {
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_refresh_reuse_detected_total").increment(1);
}

/// A refresh-token family was revoked.
#[inline]
pub(crate) fn family_revoked() {
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_families_revoked_total").increment(1);
}

/// A token route answered `status`.
#[inline]
pub(crate) fn endpoint(route: &'static str, status: http::StatusCode) {
    #[cfg(feature = "tracing")]
    {
        let outcome = if status.is_success() { "ok" } else { "refused" };
        let _span = tracing::debug_span!(
            "simplejwt.endpoint",
            "simplejwt.route" = route,
            "http.response.status_code" = status.as_u16(),
            outcome,
        )
        .entered();
    }
}

/// A key server's JWK Set could not be fetched.
#[cfg(feature = "remote-keys")]
#[inline]
pub(crate) fn key_fetch_failed(
    url: &str,
    kind: crate::remote::KeyFetchErrorKind,
    error: &dyn std::error::Error,
) {
    #[cfg(any(feature = "tracing", feature = "metrics"))]
    let kind = {
        use crate::remote::KeyFetchErrorKind as K;
        match kind {
            K::Config => "config",
            K::Url => "url",
            K::Network => "network",
            K::Status => "status",
            K::Redirect => "redirect",
            K::TooLarge => "too_large",
            K::Malformed => "malformed",
            K::IssuerMismatch => "issuer_mismatch",
            K::NoUsableKey => "no_usable_key",
        }
    };
    #[cfg(feature = "tracing")]
    tracing::warn!(
        "url.full" = url,
        "error.type" = kind,
        "error.message" = chain(error),
        "key fetch failed"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!("simplejwt_key_fetch_errors_total", "kind" => kind).increment(1);
}
