//! The app's password check, plugged into the obtain endpoints.

use std::future::Future;

use serde_json::{Map, Value};

use crate::user::LookupError;

/// A user whose credentials checked out. `Debug` does not print the
/// password fingerprint.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoginUser {
    /// Written into the user id claim.
    pub user_id: String,
    /// Inactive users are refused with the same 401 as a wrong password
    /// (when `check_user_is_active` is on).
    pub is_active: bool,
    /// Custom claims added to both tokens.
    pub claims: Map<String, Value>,
    /// Password fingerprint for the revoke claim (`check_revoke_token`).
    pub password_fingerprint: Option<String>,
}

impl std::fmt::Debug for LoginUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginUser")
            .field("user_id", &self.user_id)
            .field("is_active", &self.is_active)
            .field("claims", &self.claims)
            .field(
                "password_fingerprint",
                &self.password_fingerprint.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl LoginUser {
    /// An active user with no custom claims.
    pub fn active(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            is_active: true,
            claims: Map::new(),
            password_fingerprint: None,
        }
    }

    /// A user whose account is disabled: refused with the same 401 as a
    /// wrong password when `check_user_is_active` is on.
    pub fn inactive(user_id: impl Into<String>) -> Self {
        Self {
            is_active: false,
            ..Self::active(user_id)
        }
    }

    /// The user's current password fingerprint, written into the revoke
    /// claim (`check_revoke_token`).
    #[must_use]
    pub fn with_password_fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.password_fingerprint = Some(fingerprint.into());
        self
    }

    /// Adds custom claims (a `Serialize` value that is a JSON object).
    pub fn with_claims<T: serde::Serialize>(mut self, claims: &T) -> Self {
        if let Ok(Value::Object(map)) = serde_json::to_value(claims) {
            self.claims.extend(map);
        }
        self
    }
}

/// Checks a username (or email, per `username_field`) and password.
///
/// Return `Ok(None)` for an unknown user *and* for a wrong password: the
/// endpoint answers both (and inactive users) with the same 401. To keep
/// timing from telling them apart too, verify a dummy hash when the user
/// does not exist, so every attempt costs one password hash.
/// Return `Err` only when the lookup itself failed (503).
pub trait CredentialChecker: Send + Sync + 'static {
    /// Verifies the credentials.
    fn check(
        &self,
        username: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<LoginUser>, LookupError>> + Send;

    /// `UPDATE_LAST_LOGIN`: called after a successful login when the setting is on.
    fn update_last_login(&self, _user: &LoginUser) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// `ON_LOGIN_SUCCESS`.
    fn on_login_success(&self, _user: &LoginUser) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// `ON_LOGIN_FAILED`, with the (trimmed) username that was tried.
    fn on_login_failed(&self, _username: &str) -> impl Future<Output = ()> + Send {
        async {}
    }
}

use crate::user::BoxFuture;

/// Object-safe form of [`CredentialChecker`].
pub(crate) trait DynChecker: Send + Sync {
    fn check<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<LoginUser>, LookupError>>;
    fn update_last_login<'a>(&'a self, user: &'a LoginUser) -> BoxFuture<'a, ()>;
    fn on_login_success<'a>(&'a self, user: &'a LoginUser) -> BoxFuture<'a, ()>;
    fn on_login_failed<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ()>;
}

impl<C: CredentialChecker> DynChecker for C {
    fn check<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<LoginUser>, LookupError>> {
        Box::pin(CredentialChecker::check(self, username, password))
    }
    fn update_last_login<'a>(&'a self, user: &'a LoginUser) -> BoxFuture<'a, ()> {
        Box::pin(CredentialChecker::update_last_login(self, user))
    }
    fn on_login_success<'a>(&'a self, user: &'a LoginUser) -> BoxFuture<'a, ()> {
        Box::pin(CredentialChecker::on_login_success(self, user))
    }
    fn on_login_failed<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(CredentialChecker::on_login_failed(self, username))
    }
}
