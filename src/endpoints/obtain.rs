//! `POST /api/token/` and `POST /api/token/sliding/`: credentials in, tokens out.

use bytes::Bytes;
use http::Response;
use http::request::Parts;
use serde_json::{Map, Value};

use crate::auth::check_login_csrf;
use crate::endpoints::Shared;
use crate::endpoints::TokenRoute;
use crate::endpoints::cookie_mode::{Issued, issued_for};
use crate::endpoints::error::ApiError;
use crate::endpoints::request::fields;
use crate::token::MintError;

/// What the obtain endpoint issues.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Issue {
    Pair,
    Sliding,
}

pub(crate) async fn obtain(
    shared: &Shared,
    parts: &Parts,
    data: Map<String, Value>,
    issue: Issue,
) -> Result<Response<Bytes>, ApiError> {
    let settings = shared.jwt.settings();
    if settings.cookies.is_some() {
        // The answer sets cookies: another site must not log the browser
        // into an account of its choosing.
        check_login_csrf(settings, &parts.uri, &parts.headers)?;
    }
    let [username, password] = fields(&data, [settings.username_field.as_str(), "password"])?;
    let checker = shared.checker.as_ref().ok_or(ApiError::NoActiveAccount)?;
    let throttle = shared
        .throttle
        .as_ref()
        .zip(shared.jwt.store())
        .map(|(t, store)| (t, store.as_ref(), shared.jwt.now()));
    if let Some((t, store, now)) = throttle {
        t.attempt(store, &parts.extensions, &parts.headers, &username, now)
            .await?;
    }
    let user = match checker.check(&username, &password).await {
        Ok(Some(user)) if user.is_active || !settings.check_user_is_active => user,
        Ok(_) => {
            checker.on_login_failed(&username).await;
            return Err(ApiError::NoActiveAccount);
        }
        Err(_) => return Err(ApiError::Unavailable),
    };
    let mut builder = shared.jwt.for_user(&user.user_id).with_claims(&user.claims);
    if let Some(fp) = &user.password_fingerprint {
        builder = builder.with_password_fingerprint(fp.clone());
    }
    let response = match issue {
        Issue::Pair => {
            let pair = builder.pair().await.map_err(mint_error)?;
            issued_for(
                shared,
                Issued::Pair {
                    access: &pair.access,
                    refresh: &pair.refresh,
                },
                TokenRoute::ObtainPair,
                &user.user_id,
            )
            .await?
        }
        Issue::Sliding => {
            let token = builder.sliding().await.map_err(mint_error)?;
            issued_for(
                shared,
                Issued::Sliding(&token),
                TokenRoute::ObtainSliding,
                &user.user_id,
            )
            .await?
        }
    };
    if settings.update_last_login {
        checker.update_last_login(&user).await;
    }
    if let Some((t, store, now)) = throttle {
        t.succeeded(store, &username, now).await;
    }
    checker.on_login_success(&user).await;
    Ok(response)
}

/// Nothing was issued. The checker's custom claims cannot go into a token:
/// the app's mistake, a 500 naming the fix. Anything else (the store, the
/// signer): 503.
pub(crate) fn mint_error(e: MintError) -> ApiError {
    match e {
        MintError::ReservedClaim(_) | MintError::InvalidClaims(_) => {
            ApiError::Misconfigured(format!(
                "the credential checker's custom claims cannot go into a token ({e}): \
                 rename the claim in `LoginUser::claims`"
            ))
        }
        _ => ApiError::Unavailable,
    }
}
