//! The three kinds of Simple JWT token: a leaf every module may use.

use std::fmt;

/// The kinds of token Simple JWT issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// Short-lived token sent on every request.
    Access,
    /// Long-lived token exchanged for new access tokens.
    Refresh,
    /// One token that is both, renewed within its `refresh_exp`.
    Sliding,
}

impl TokenType {
    /// The `token_type` claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Sliding => "sliding",
        }
    }

    /// Simple JWT's class name, used in error `messages`.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Access => "AccessToken",
            Self::Refresh => "RefreshToken",
            Self::Sliding => "SlidingToken",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "access" => Some(Self::Access),
            "refresh" => Some(Self::Refresh),
            "sliding" => Some(Self::Sliding),
            _ => None,
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
