//! Tokens: the three Simple JWT token types, validation and minting.
//!
//! Claims follow Simple JWT exactly: `token_type`, integer `exp`/`iat`, a
//! 32-character lowercase hex `jti`, `user_id` written as a string (an
//! integer is accepted on input) and `refresh_exp` on sliding tokens.
//!
//! ```
//! use std::time::Duration;
//! use tower_simplejwt::clock::ManualClock;
//! use tower_simplejwt::{SimpleJwt, TokenError, TokenType};
//!
//! let clock = ManualClock::new(1_800_000_000);
//! let jwt = SimpleJwt::builder().with_secret([1u8; 32]).with_clock(clock.clone()).build().unwrap();
//! let access = jwt.for_user(42).access().unwrap();
//! assert_eq!(jwt.validate(&access, TokenType::Access).unwrap().user_id(), Some("42"));
//! assert_eq!(jwt.validate(&access, TokenType::Refresh).unwrap_err(), TokenError::WrongType);
//! clock.advance(Duration::from_secs(300)); // exp == now is expired
//! assert_eq!(jwt.validate(&access, TokenType::Access).unwrap_err().to_string(), "Token is expired");
//! ```

mod decode;
pub(crate) use decode::{Expect, Undecoded};
mod error;
mod mint;

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

pub use crate::token_type::TokenType;
pub use error::TokenError;
pub use mint::{MintError, TokenBuilder, TokenPair};

/// A token whose signature and claims passed validation.
///
/// Holds the registered claims typed, and the decoded JSON payload from which
/// any custom claims type is read with [`VerifiedToken::claims`].
#[derive(Clone)]
pub struct VerifiedToken {
    pub(crate) token_type: TokenType,
    pub(crate) jti: String,
    pub(crate) user_id: Option<String>,
    pub(crate) exp: u64,
    pub(crate) iat: Option<u64>,
    pub(crate) refresh_exp: Option<u64>,
    pub(crate) family: Option<String>,
    pub(crate) auth_time: Option<u64>,
    pub(crate) revoke_claim: Option<String>,
    pub(crate) payload: Bytes,
}

impl fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload is not secret but may hold personal data: keep it out of logs.
        f.debug_struct("VerifiedToken")
            .field("token_type", &self.token_type)
            .field("jti", &self.jti)
            .field("user_id", &self.user_id)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .finish_non_exhaustive()
    }
}

impl VerifiedToken {
    /// `token_type`.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
    /// `jti`, the token id.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// The user id claim, as text; `None` when the token has none.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    /// `exp`, Unix seconds.
    pub fn exp(&self) -> u64 {
        self.exp
    }
    /// `iat`, Unix seconds, when present.
    pub fn iat(&self) -> Option<u64> {
        self.iat
    }
    /// `refresh_exp` of a sliding token.
    pub fn refresh_exp(&self) -> Option<u64> {
        self.refresh_exp
    }
    /// Family id shared by every refresh token of one login.
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }
    /// When the login that started this token's family happened.
    pub fn auth_time(&self) -> Option<u64> {
        self.auth_time
    }
    /// The revoke claim (`hash_password` by default), when present.
    pub fn revoke_claim(&self) -> Option<&str> {
        self.revoke_claim.as_deref()
    }
    /// The decoded JSON payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
    /// Reads the payload as `T` (custom claims). Unknown fields are ignored
    /// unless `T` denies them.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }
    /// The family this token belongs to: its `family` claim, or its own `jti`
    /// for tokens minted before families existed (for example by Simple JWT).
    pub fn family_or_jti(&self) -> &str {
        self.family.as_deref().unwrap_or(&self.jti)
    }
}
