//! Revocation: blacklisting, families, "log out everywhere", and the one
//! verdict on a validated token that the auth layer, the verify endpoint and
//! the refresh endpoints all ask for, so that they never disagree.

use crate::jwt::SimpleJwt;
use crate::store::{
    BlacklistEntry, Blacklisted, OutstandingToken, RevocationQuery, RevocationStore, StoreError,
    StoreErrorKind,
};
use crate::token::{TokenError, TokenType, VerifiedToken};

/// One login of a user, as [`SimpleJwt::sessions`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The login's family id: pass it to [`SimpleJwt::end_session`].
    pub family: String,
    /// When its newest refresh token was issued (Unix seconds).
    pub issued_at: u64,
    /// When that token expires (Unix seconds).
    pub expires_at: u64,
}

/// What a validated token is about to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Authenticating a request (the layer; verify for access and sliding tokens).
    Authenticate,
    /// Exchanging it for new tokens (refresh; verify for refresh tokens).
    Refresh,
}

impl Use {
    /// The use verify judges a token for: what the layer would do with an
    /// access or sliding token, what refresh would do with a refresh token.
    pub(crate) fn of(token: &VerifiedToken) -> Self {
        match token.token_type() {
            TokenType::Refresh => Self::Refresh,
            TokenType::Access | TokenType::Sliding => Self::Authenticate,
        }
    }
}

/// Why a validated token is refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The token may not be used: revoked, session over, no user id.
    Token(TokenError),
    /// The store could not answer: nothing is accepted.
    Unavailable,
}

impl From<TokenError> for Refusal {
    fn from(e: TokenError) -> Self {
        Self::Token(e)
    }
}

fn answer(revoked: bool) -> Result<(), Refusal> {
    if revoked {
        Err(TokenError::Blacklisted.into())
    } else {
        Ok(())
    }
}

impl SimpleJwt {
    fn require_store(&self) -> Result<&dyn RevocationStore, StoreError> {
        self.inner.store.as_deref().ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                "no revocation store is configured: add one with `SimpleJwtBuilder::with_store`",
                None,
            )
        })
    }

    /// The longest any token can live: revocation entries are kept this long.
    pub(crate) fn longest_lifetime(&self) -> u64 {
        let s = self.settings();
        [
            s.access_token_lifetime,
            s.refresh_token_lifetime,
            s.sliding_token_lifetime,
            s.sliding_token_refresh_lifetime,
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
        .as_secs()
    }

    fn leeway(&self) -> u64 {
        self.settings().leeway.as_secs()
    }

    /// The last instant any instance could still accept `token`: its `exp`
    /// (its `refresh_exp` for a sliding token that can still be renewed),
    /// plus the leeway. Its blacklist entry lives until then.
    pub(crate) fn accepted_until(&self, token: &VerifiedToken) -> u64 {
        let leeway = self.leeway();
        let last_exp = match token.refresh_exp {
            // A sliding token renewed at the last moment (`refresh_exp` plus
            // the leeway) keeps its `jti` and lives one more lifetime.
            Some(refresh_exp) => refresh_exp
                .saturating_add(leeway)
                .saturating_add(self.settings().sliding_token_lifetime.as_secs())
                .max(token.exp),
            None => token.exp,
        };
        last_exp.saturating_add(leeway)
    }

    /// Until when a revocation made now must be kept: every token it covers
    /// was issued by now, so none outlives this.
    fn revoked_until(&self, now: u64) -> u64 {
        now.saturating_add(self.longest_lifetime())
            .saturating_add(self.leeway())
    }

    /// The store key of `token`'s family, scoped to its user: a family claim
    /// is only trusted within the user who holds the token, so one user's
    /// token can never revoke another user's family.
    pub(crate) fn family_key(token: &VerifiedToken) -> String {
        Self::scoped_family(
            token.user_id.as_deref().unwrap_or(""),
            token.family_or_jti(),
        )
    }

    fn scoped_family(user: &str, family: &str) -> String {
        use std::fmt::Write;
        let mut key = String::with_capacity(user.len() + family.len() + 8);
        // Writing to a `String` cannot fail.
        let _ = write!(key, "{}:", user.len());
        key.push_str(user);
        key.push(':');
        key.push_str(family);
        key
    }

    fn query<'a>(token: &'a VerifiedToken, family: &'a str) -> RevocationQuery<'a> {
        RevocationQuery {
            jti: &token.jti,
            family: Some(family),
            user_id: token.user_id.as_deref(),
            issued_at: token.iat,
        }
    }

    /// Whether the store must be asked about tokens of type `t`: refresh and
    /// sliding tokens whenever a store is configured (they can be
    /// blacklisted), access tokens when access revocation is on.
    pub(crate) fn checks_store(&self, t: TokenType) -> bool {
        self.inner.store.is_some()
            && match t {
                TokenType::Access => self.settings().check_access_revocation,
                TokenType::Refresh | TokenType::Sliding => true,
            }
    }

    /// The checks that need no store.
    fn check_claims(&self, token: &VerifiedToken, purpose: Use) -> Result<(), TokenError> {
        match purpose {
            Use::Authenticate if token.user_id.is_none() => Err(TokenError::NoUserId),
            Use::Authenticate => Ok(()),
            Use::Refresh => match (self.settings().max_session_lifetime, token.auth_time) {
                (Some(max), Some(start)) if start.saturating_add(max.as_secs()) <= self.now() => {
                    Err(TokenError::Expired)
                }
                _ => Ok(()),
            },
        }
    }

    /// The checks that need no store; `Ok(true)` when the store must then
    /// be asked about `token`.
    fn needs_store(&self, token: &VerifiedToken, purpose: Use) -> Result<bool, Refusal> {
        self.check_claims(token, purpose)?;
        Ok(self.checks_store(token.token_type))
    }

    /// The verdict on a validated token, when it can be given without
    /// waiting (no store needed, or an in-process store); `None` when the
    /// store must be asked with [`verdict`](Self::verdict).
    pub(crate) fn verdict_now(
        &self,
        token: &VerifiedToken,
        purpose: Use,
    ) -> Option<Result<(), Refusal>> {
        match self.needs_store(token, purpose) {
            Err(refusal) => Some(Err(refusal)),
            Ok(false) => Some(Ok(())),
            Ok(true) => {
                let family = Self::family_key(token);
                let store = self.inner.store.as_deref()?;
                store
                    .is_revoked_now(Self::query(token, &family))
                    .map(answer)
            }
        }
    }

    /// The verdict on a validated token: the one function the auth layer,
    /// verify and refresh all decide with. The store is asked once, at once
    /// when it can answer without waiting.
    pub(crate) async fn verdict(&self, token: &VerifiedToken, purpose: Use) -> Result<(), Refusal> {
        if !self.needs_store(token, purpose)? {
            return Ok(());
        }
        let family = Self::family_key(token);
        let query = Self::query(token, &family);
        let store = self.inner.store.as_deref().ok_or(Refusal::Unavailable)?;
        if let Some(revoked) = store.is_revoked_now(query) {
            return answer(revoked);
        }
        let started = std::time::Instant::now();
        let result = store.is_revoked(query).await;
        crate::observe::store_latency("is_revoked", started.elapsed());
        match result {
            Ok(revoked) => answer(revoked),
            Err(e) => {
                crate::observe::store_failed("is_revoked", &e);
                Err(Refusal::Unavailable)
            }
        }
    }

    /// Spends `token`'s `jti`: blacklists it, recording the instant when a
    /// rotation spends it. Atomic; see [`RevocationStore::blacklist`].
    pub(crate) async fn spend(
        &self,
        token: &VerifiedToken,
        rotation: bool,
    ) -> Result<Blacklisted, StoreError> {
        self.spend_at(token, rotation, self.now()).await
    }

    /// [`spend`](Self::spend) as of `now`, the instant a rotation then
    /// issues its successor at.
    pub(crate) async fn spend_at(
        &self,
        token: &VerifiedToken,
        rotation: bool,
        now: u64,
    ) -> Result<Blacklisted, StoreError> {
        let outcome = self
            .require_store()?
            .blacklist(BlacklistEntry {
                jti: &token.jti,
                expires_at: self.accepted_until(token),
                now,
                rotation,
            })
            .await?;
        if outcome.inserted() {
            crate::observe::blacklisted();
        }
        Ok(outcome)
    }

    /// Revokes every token of `token`'s family (within its user).
    pub(crate) async fn revoke_family(&self, token: &VerifiedToken) -> Result<(), StoreError> {
        let now = self.now();
        self.require_store()?
            .revoke_family(&Self::family_key(token), self.revoked_until(now), now)
            .await?;
        crate::observe::family_revoked();
        Ok(())
    }

    /// Blacklists one token until no instance could still accept it.
    /// Returns `true` if this call blacklisted it and `false` if it already was.
    pub async fn blacklist(&self, token: &VerifiedToken) -> Result<bool, StoreError> {
        self.spend(token, false).await.map(Blacklisted::inserted)
    }

    /// "Log out everywhere": revokes every token of `user_id` issued up to
    /// now (tokens minted in this same second included). The auth layer
    /// (with access revocation on, and always for sliding tokens) and the
    /// refresh endpoints honour it.
    pub async fn logout_everywhere(&self, user_id: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.require_store()?
            .revoke_user_before(user_id, now, self.revoked_until(now), now)
            .await
    }

    /// The user's sessions: one per login whose refresh tokens are still
    /// live, newest first, as recorded when they were issued ("where am I
    /// logged in"). Needs a store. A login is followed through its rotations
    /// when families are tracked (reuse detection or access revocation);
    /// otherwise each refresh token is its own session.
    pub async fn sessions(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        let store = self.require_store()?;
        let now = self.now();
        let mut latest: Vec<OutstandingToken> = Vec::new();
        for token in store.outstanding_for_user(user_id, now).await? {
            let family = token.family.clone().unwrap_or_else(|| token.jti.clone());
            match latest
                .iter_mut()
                .find(|t| t.family.as_deref().unwrap_or(&t.jti) == family)
            {
                Some(known) if known.issued_at >= token.issued_at => {}
                Some(known) => *known = token,
                None => latest.push(token),
            }
        }
        let mut sessions = Vec::with_capacity(latest.len());
        for token in latest {
            let family = token.family.clone().unwrap_or_else(|| token.jti.clone());
            let key = Self::scoped_family(user_id, &family);
            // The login ended if its family or its user was revoked; its
            // newest token may itself be spent by a rotation in the same
            // second, so its own `jti` is not asked about (no token has an
            // empty one).
            let query = RevocationQuery {
                jti: "",
                family: Some(&key),
                user_id: Some(user_id),
                issued_at: Some(token.issued_at),
            };
            if !store.is_revoked(query).await? {
                sessions.push(Session {
                    family,
                    issued_at: token.issued_at,
                    expires_at: token.expires_at,
                });
            }
        }
        sessions.sort_by_key(|s| std::cmp::Reverse(s.issued_at));
        Ok(sessions)
    }

    /// Logs one session out ("log out that device"): every token of its
    /// family is revoked, refresh tokens at once and access tokens where
    /// access revocation is on. `family` is a [`Session::family`].
    pub async fn end_session(&self, user_id: &str, family: &str) -> Result<(), StoreError> {
        let now = self.now();
        self.require_store()?
            .revoke_family(
                &Self::scoped_family(user_id, family),
                self.revoked_until(now),
                now,
            )
            .await
    }

    /// Whether `token` is revoked: blacklisted `jti`, revoked family, or
    /// issued before its user's "log out everywhere".
    pub async fn is_revoked(&self, token: &VerifiedToken) -> Result<bool, StoreError> {
        let family = Self::family_key(token);
        self.require_store()?
            .is_revoked(Self::query(token, &family))
            .await
    }
}
