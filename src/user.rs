//! Resolving the user behind a token: an app-supplied async lookup.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Extensions;

use crate::settings::Settings;
use crate::token::VerifiedToken;

/// What a [`UserResolver`] found. `Debug` does not print the password
/// fingerprint.
#[derive(Clone)]
#[non_exhaustive]
pub struct UserRecord<U> {
    /// The app's user value, handed to handlers as [`CurrentUser<U>`](crate::CurrentUser).
    pub user: U,
    /// Inactive users are refused when `check_user_is_active` is on.
    pub is_active: bool,
    /// The user's current password fingerprint, compared with the token's
    /// revoke claim when `check_revoke_token` is on.
    pub password_fingerprint: Option<String>,
}

impl<U: std::fmt::Debug> std::fmt::Debug for UserRecord<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("user", &self.user)
            .field("is_active", &self.is_active)
            .field(
                "password_fingerprint",
                &self.password_fingerprint.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl<U> UserRecord<U> {
    /// An active user without a password fingerprint.
    pub fn active(user: U) -> Self {
        Self {
            user,
            is_active: true,
            password_fingerprint: None,
        }
    }

    /// A user whose account is disabled (refused when `check_user_is_active` is on).
    pub fn inactive(user: U) -> Self {
        Self {
            is_active: false,
            ..Self::active(user)
        }
    }

    /// The user's current password fingerprint, compared with the token's
    /// revoke claim when `check_revoke_token` is on.
    #[must_use]
    pub fn with_password_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.password_fingerprint = Some(fingerprint.into());
        self
    }
}

/// Why an app's user lookup or credential check failed (the database is
/// down, say): the request gets 503 and nothing is accepted. The cause is
/// kept as the error's `source()`.
#[derive(Debug, thiserror::Error)]
#[error("user lookup failed: {message}")]
pub struct LookupError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl LookupError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A failure caused by `source` (a database error, say).
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// The user the layer's [`UserResolver`] loaded for this request; the
/// extractor of the same name hands it to handlers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CurrentUser<U>(pub U);

impl<U> std::ops::Deref for CurrentUser<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

/// Loads the user for a validated token (Simple JWT's `get_user`).
///
/// Written with `async fn`; the crate boxes it privately (the module docs
/// of [`store`](crate::store) say why stores are boxed and callbacks not).
///
/// Return `Ok(None)` for an unknown user (401 `user_not_found`) and `Err`
/// when the lookup itself failed (503: nothing is accepted).
pub trait UserResolver: Send + Sync + 'static {
    /// The app's user type.
    type User: Clone + Send + Sync + 'static;

    /// Looks up `user_id`.
    fn resolve(
        &self,
        user_id: &str,
        token: &VerifiedToken,
    ) -> impl Future<Output = Result<Option<UserRecord<Self::User>>, LookupError>> + Send;
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A resolved user, ready to be put in the request extensions.
pub(crate) struct Resolved(Box<dyn FnOnce(&mut Extensions) + Send>);

impl Resolved {
    pub(crate) fn insert_into(self, ext: &mut Extensions) {
        (self.0)(ext);
    }
}

/// Why the user behind a valid token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserRefusal {
    /// The token names no user.
    NoUserId,
    /// The resolver knows no such user.
    NotFound,
    /// The user is inactive (`check_user_is_active`).
    Inactive,
    /// The token predates a password change (`check_revoke_token`).
    PasswordChanged,
    /// The lookup failed: nothing is accepted.
    Unavailable,
}

/// Object-safe form of [`UserResolver`].
pub(crate) trait DynResolver: Send + Sync {
    fn resolve<'a>(
        &'a self,
        settings: &'a Settings,
        token: &'a VerifiedToken,
    ) -> BoxFuture<'a, Result<Resolved, UserRefusal>>;
}

impl<R: UserResolver> DynResolver for R {
    fn resolve<'a>(
        &'a self,
        settings: &'a Settings,
        token: &'a VerifiedToken,
    ) -> BoxFuture<'a, Result<Resolved, UserRefusal>> {
        Box::pin(async move {
            let user_id = token.user_id().ok_or(UserRefusal::NoUserId)?;
            let record = UserResolver::resolve(self, user_id, token)
                .await
                .map_err(|_| UserRefusal::Unavailable)?
                .ok_or(UserRefusal::NotFound)?;
            check_record(settings, token, &record)?;
            let user = CurrentUser(record.user);
            Ok(Resolved(Box::new(move |ext: &mut Extensions| {
                ext.insert(user);
            })))
        })
    }
}

/// The active and password checks shared by the layer and refresh.
fn check_record<U>(
    settings: &Settings,
    token: &VerifiedToken,
    record: &UserRecord<U>,
) -> Result<(), UserRefusal> {
    if settings.check_user_is_active && !record.is_active {
        return Err(UserRefusal::Inactive);
    }
    if settings.check_revoke_token && token.revoke_claim() != record.password_fingerprint.as_deref()
    {
        return Err(UserRefusal::PasswordChanged);
    }
    Ok(())
}

pub(crate) type SharedResolver = Arc<dyn DynResolver>;
