//! Extra fields in the obtain and refresh bodies (what Simple JWT users get
//! by overriding `TokenObtainPairSerializer.validate`).

use std::future::Future;

use serde_json::{Map, Value};

use crate::user::{BoxFuture, LookupError};

/// Which route issued the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenRoute {
    /// `POST /api/token/`.
    ObtainPair,
    /// `POST /api/token/refresh/`.
    Refresh,
    /// `POST /api/token/sliding/`.
    ObtainSliding,
    /// `POST /api/token/sliding/refresh/`.
    RefreshSliding,
}

/// What was just issued, for [`ResponseFields`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct IssuedTokens<'a> {
    /// The route.
    pub route: TokenRoute,
    /// The user the tokens are for.
    pub user_id: &'a str,
    /// When the access token (or the sliding token) expires, Unix seconds.
    pub expires_at: u64,
    /// When the new refresh token expires, if one was issued.
    pub refresh_expires_at: Option<u64>,
}

/// Adds fields to the bodies of the obtain and refresh routes: a user
/// profile, expiry instants, anything the frontend wants with its tokens.
/// The token fields themselves cannot be replaced (a 500 says so).
///
/// ```
/// use serde_json::{Map, Value, json};
/// use tower_simplejwt::LookupError;
/// use tower_simplejwt::endpoints::{IssuedTokens, ResponseFields};
///
/// struct Expiry;
///
/// impl ResponseFields for Expiry {
///     async fn fields(&self, issued: &IssuedTokens<'_>) -> Result<Map<String, Value>, LookupError> {
///         let mut fields = Map::new();
///         fields.insert("access_expires_at".into(), json!(issued.expires_at));
///         fields.insert("user".into(), json!({ "id": issued.user_id }));
///         Ok(fields)
///     }
/// }
/// ```
pub trait ResponseFields: Send + Sync + 'static {
    /// The fields to add; `Err` answers 503 (nothing is issued).
    fn fields(
        &self,
        issued: &IssuedTokens<'_>,
    ) -> impl Future<Output = Result<Map<String, Value>, LookupError>> + Send;
}

pub(crate) trait DynFields: Send + Sync {
    fn fields<'a>(
        &'a self,
        issued: &'a IssuedTokens<'a>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, LookupError>>;
}

impl<F: ResponseFields> DynFields for F {
    fn fields<'a>(
        &'a self,
        issued: &'a IssuedTokens<'a>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, LookupError>> {
        Box::pin(ResponseFields::fields(self, issued))
    }
}
