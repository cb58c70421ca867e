/// Why a token was refused. `Display` is the exact Simple JWT message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Malformed, badly signed, wrong algorithm, wrong audience or issuer,
    /// not yet valid, too long, or any claim of the wrong type.
    #[error("Token is invalid")]
    Invalid,
    /// `exp` is now or in the past.
    #[error("Token is expired")]
    Expired,
    /// `token_type` is another type.
    #[error("Token has wrong type")]
    WrongType,
    /// No `token_type` claim.
    #[error("Token has no type")]
    NoType,
    /// No `jti` claim.
    #[error("Token has no id")]
    NoId,
    /// No `exp` claim.
    #[error("Token has no 'exp' claim")]
    NoExp,
    /// The `jti` (or the token's family, or every token of its user) was revoked.
    #[error("Token is blacklisted")]
    Blacklisted,
    /// A sliding token past its `refresh_exp`.
    #[error("Token 'refresh_exp' claim has expired")]
    RefreshExpired,
    /// A sliding token without `refresh_exp`.
    #[error("Token has no 'refresh_exp' claim")]
    NoRefreshExp,
    /// The user id claim is missing or neither a string nor an integer.
    #[error("Token contained no recognizable user identification")]
    NoUserId,
    /// No verdict: the keys of the token's issuer could not be fetched
    /// (remote keys). The auth layer and the endpoints answer `503` with
    /// `Retry-After`, never `401`.
    #[error("Signing keys are unavailable")]
    KeysUnavailable,
}

impl TokenError {
    /// A fixed code for this error, for logs and metrics. Stable.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Invalid => "token_invalid",
            Self::Expired => "token_expired",
            Self::WrongType => "token_wrong_type",
            Self::NoType => "token_no_type",
            Self::NoId => "token_no_id",
            Self::NoExp => "token_no_exp",
            Self::Blacklisted => "token_blacklisted",
            Self::RefreshExpired => "token_refresh_expired",
            Self::NoRefreshExp => "token_no_refresh_exp",
            Self::NoUserId => "no_user_id",
            Self::KeysUnavailable => "keys_unavailable",
        }
    }
}
