//! Validation: one pass over the token, strict by default.
//!
//! Order of checks, mirroring PyJWT then Simple JWT so the same token gets
//! the same message: length cap, structure, header (`alg` bound to the key
//! picked by `kid`, no `crit`), signature, then claims (`iat`, `nbf`, `exp`,
//! `aud`, `iss`, then the presence of `exp`, `jti` and `token_type`).

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::jwt::{Inner, SimpleJwt};
use crate::keys::VerifyingKey;
use crate::token::{TokenError, TokenType, VerifiedToken};

/// Which token types a caller accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect<'a> {
    /// Any type, and a missing type too (Simple JWT's `UntypedToken`).
    Any,
    /// One of these types.
    OneOf(&'a [TokenType]),
}

impl SimpleJwt {
    /// Validates `token` as a token of type `expected`, without any store lookup.
    ///
    /// Store-backed checks (blacklist, revoked families, "log out everywhere")
    /// are done by the auth layer and the endpoints; see
    /// [`SimpleJwt::is_revoked`].
    ///
    /// With remote keys, a token whose `kid` its provider's set does not
    /// have yet is refused here while the set is fetched again in the
    /// background (the auth layer and the verify endpoint wait for that
    /// fetch instead), and a token of a provider whose keys cannot be had
    /// gets [`TokenError::KeysUnavailable`].
    pub fn validate(&self, token: &str, expected: TokenType) -> Result<VerifiedToken, TokenError> {
        self.inner
            .decode(token.as_bytes(), Expect::OneOf(&[expected]))
    }

    /// Validates a token the way the auth layer does: any of the configured
    /// `auth_token_types` (access only by default). Takes the text or the
    /// raw bytes of a header.
    pub fn validate_access(&self, token: impl AsRef<[u8]>) -> Result<VerifiedToken, TokenError> {
        self.inner.decode(
            token.as_ref(),
            Expect::OneOf(&self.inner.settings.auth_token_types),
        )
    }

    /// [`validate_access`](Self::validate_access), or `Pending` when the
    /// token's key is being fetched from its key server (the auth layer).
    pub(crate) fn try_validate_access(&self, token: &[u8]) -> Result<VerifiedToken, Undecoded> {
        self.inner
            .try_decode(token, Expect::OneOf(&self.inner.settings.auth_token_types))
    }

    /// Validates a token of any type (the verify endpoint).
    pub fn validate_untyped(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        self.inner.decode(token.as_bytes(), Expect::Any)
    }
}

/// Header fields this crate reads. Any other field sends the header through
/// `jsonwebtoken::Header` so that exactly the same headers are accepted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FastHeader<'a> {
    alg: Algorithm,
    #[serde(borrow, default)]
    typ: Option<Text<'a>>,
    #[serde(borrow, default)]
    kid: Option<Text<'a>>,
}

/// A token that could not be judged yet, or was refused.
pub(crate) enum Undecoded {
    /// Refused, for this reason.
    Refused(TokenError),
    /// Its issuer's keys are being fetched: wait for the fetch, then decode
    /// again.
    #[cfg(feature = "remote-keys")]
    Pending(crate::remote::Wait),
}

impl From<TokenError> for Undecoded {
    fn from(e: TokenError) -> Self {
        Self::Refused(e)
    }
}

impl Undecoded {
    /// The refusal of a caller that cannot wait: a token whose key is being
    /// fetched is invalid for now.
    pub(crate) fn into_error(self) -> TokenError {
        match self {
            Self::Refused(e) => e,
            #[cfg(feature = "remote-keys")]
            Self::Pending(_) => TokenError::Invalid,
        }
    }
}

/// The key a token is verified with, and the issuer and audience its
/// claims must then name (a remote key set's own, or the configuration's).
struct Chosen<'a> {
    key: KeyRef<'a>,
    issuer: Option<&'a str>,
    audience: &'a [String],
}

enum KeyRef<'a> {
    Local(&'a VerifyingKey),
    #[cfg(feature = "remote-keys")]
    Remote {
        set: &'a crate::remote::RemoteKeySet,
        snapshot: std::sync::Arc<crate::remote::Snapshot>,
        index: usize,
        /// Selected by a header the snapshot learned before.
        known: bool,
    },
}

impl KeyRef<'_> {
    fn get(&self) -> &VerifyingKey {
        match self {
            Self::Local(key) => key,
            #[cfg(feature = "remote-keys")]
            Self::Remote {
                snapshot, index, ..
            } => &snapshot.keys[*index],
        }
    }
}

impl SimpleJwt {
    /// Validates like [`Inner::decode`], but when the token's key is being
    /// fetched from its key server, waits for that fetch and tries again.
    pub(crate) async fn validate_waiting(
        &self,
        token: &[u8],
        expect: Expect<'_>,
    ) -> Result<VerifiedToken, TokenError> {
        match self.inner.try_decode(token, expect) {
            #[cfg(feature = "remote-keys")]
            Err(Undecoded::Pending(wait)) => {
                wait.finished().await;
                self.inner.decode(token, expect)
            }
            other => other.map_err(Undecoded::into_error),
        }
    }
}

impl Inner {
    /// Validates a token given as raw bytes (as found in a header).
    pub(crate) fn decode(
        &self,
        token: &[u8],
        expect: Expect<'_>,
    ) -> Result<VerifiedToken, TokenError> {
        self.try_decode(token, expect)
            .map_err(Undecoded::into_error)
    }

    /// Validates a token, or says that its key is being fetched.
    pub(crate) fn try_decode(
        &self,
        token: &[u8],
        expect: Expect<'_>,
    ) -> Result<VerifiedToken, Undecoded> {
        let settings = &self.settings;
        if token.len() > settings.max_token_length {
            return Err(TokenError::Invalid.into());
        }
        // Same split as jsonwebtoken: signature after the last dot, payload
        // after the one before; a dot left in the header fails base64.
        let (message, signature) = rsplit_dot(token).ok_or(TokenError::Invalid)?;
        let (header_b64, payload_b64) = rsplit_dot(message).ok_or(TokenError::Invalid)?;

        let chosen = match self.keys.known_header(header_b64) {
            Some(key) if key.verify(message, signature) => self.local(key),
            // A header like ours may still be a key server's token.
            Some(_) if !self.has_remote_keys() => return Err(TokenError::Invalid.into()),
            _ => {
                let known = self.remote_known_header(header_b64);
                match known {
                    Some(chosen) if chosen.key.get().verify(message, signature) => chosen,
                    // Unknown, or maybe another provider's token with the
                    // same header: routed in full, and verified again only
                    // if that picks another key.
                    _ => {
                        let chosen = self.choose(header_b64, payload_b64)?;
                        let tried =
                            known.is_some_and(|k| std::ptr::eq(k.key.get(), chosen.key.get()));
                        if tried || !chosen.key.get().verify(message, signature) {
                            return Err(TokenError::Invalid.into());
                        }
                        chosen
                    }
                }
            }
        };

        // Decode into a buffer of the exact size, so handing it to `Bytes`
        // needs no second allocation.
        let mut payload = vec![0u8; payload_b64.len() * 3 / 4];
        let n = URL_SAFE_NO_PAD
            .decode_slice(payload_b64, &mut payload)
            .map_err(|_| TokenError::Invalid)?;
        payload.truncate(n);
        // The payload must be JSON, which is UTF-8 throughout: serde_json
        // does not look inside the strings it skips (unknown claims).
        if std::str::from_utf8(&payload).is_err() {
            return Err(TokenError::Invalid.into());
        }
        let mut token = {
            // The visitor fills `raw` in place: no large struct is moved.
            let mut raw = Raw::default();
            let mut de = serde_json::Deserializer::from_slice(&payload);
            ClaimsSeed {
                inner: self,
                raw: &mut raw,
            }
            .deserialize(&mut de)
            .map_err(|_| TokenError::Invalid)?;
            de.end().map_err(|_| TokenError::Invalid)?;
            self.check_claims(&mut raw, expect, &chosen)?
        };
        #[cfg(feature = "remote-keys")]
        if let KeyRef::Remote {
            set,
            snapshot,
            index,
            known: false,
        } = &chosen.key
        {
            set.learn(snapshot, header_b64, *index);
        }
        token.payload = Bytes::from(payload);
        Ok(token)
    }

    /// A key server's key selected by a header one of its tokens had before.
    fn remote_known_header(&self, header_b64: &[u8]) -> Option<Chosen<'_>> {
        #[cfg(feature = "remote-keys")]
        for set in &self.remote {
            if let Some((snapshot, index)) = set.known_header(header_b64) {
                return Some(self.remote_chosen(
                    set,
                    KeyRef::Remote {
                        set,
                        snapshot,
                        index,
                        known: true,
                    },
                ));
            }
        }
        #[cfg(not(feature = "remote-keys"))]
        let _ = header_b64;
        None
    }

    fn local<'a>(&'a self, key: &'a VerifyingKey) -> Chosen<'a> {
        Chosen {
            key: KeyRef::Local(key),
            issuer: self.settings.issuer.as_deref(),
            audience: &self.settings.audience,
        }
    }

    /// Whether `iss` is the issuer of a remote key set.
    fn is_remote_issuer(&self, iss: Option<&str>) -> bool {
        #[cfg(feature = "remote-keys")]
        return iss.is_some() && self.remote.iter().any(|set| set.issuer() == iss);
        #[cfg(not(feature = "remote-keys"))]
        {
            let _ = iss;
            false
        }
    }

    fn has_remote_keys(&self) -> bool {
        #[cfg(feature = "remote-keys")]
        return !self.remote.is_empty();
        #[cfg(not(feature = "remote-keys"))]
        false
    }

    /// Picks the key for an unfamiliar header: a key server's when the
    /// token is one of its issuer's, else a local one. The header's `alg`
    /// must be the key's one algorithm.
    fn choose(&self, header_b64: &[u8], payload_b64: &[u8]) -> Result<Chosen<'_>, Undecoded> {
        let (alg, kid) = parse_header(header_b64)?;
        #[cfg(feature = "remote-keys")]
        if let Some(chosen) = self.choose_remote(kid.as_deref(), payload_b64)? {
            if chosen.key.get().alg != alg {
                return Err(TokenError::Invalid.into());
            }
            return Ok(chosen);
        }
        #[cfg(not(feature = "remote-keys"))]
        let _ = payload_b64;
        let key = self
            .keys
            .select(kid.as_deref())
            .ok_or(TokenError::Invalid)?;
        if key.alg != alg {
            return Err(TokenError::Invalid.into());
        }
        Ok(self.local(key))
    }

    /// The remote key set a token belongs to: the one of its `iss`; else,
    /// unless a local key has its exact `kid`, the one without an issuer.
    /// `None`: a local token.
    #[cfg(feature = "remote-keys")]
    fn choose_remote(
        &self,
        kid: Option<&str>,
        payload_b64: &[u8],
    ) -> Result<Option<Chosen<'_>>, Undecoded> {
        use crate::remote::Lookup;
        if self.remote.is_empty() {
            return Ok(None);
        }
        let iss = peek_issuer(payload_b64);
        let by_issuer = self
            .remote
            .iter()
            .find(|set| set.issuer().is_some() && set.issuer() == iss.as_deref());
        let set = match by_issuer {
            Some(set) => set,
            None if self.keys.select_exact(kid).is_some() => return Ok(None),
            None => match self.remote.iter().find(|set| set.issuer().is_none()) {
                Some(set) => set,
                None => return Ok(None),
            },
        };
        let key = match set.lookup(kid) {
            Lookup::Found(snapshot, index) => KeyRef::Remote {
                set,
                snapshot,
                index,
                known: false,
            },
            Lookup::Unknown => return Err(TokenError::Invalid.into()),
            Lookup::Pending(wait) => return Err(Undecoded::Pending(wait)),
            Lookup::Unavailable => return Err(TokenError::KeysUnavailable.into()),
        };
        Ok(Some(self.remote_chosen(set, key)))
    }

    /// A remote key, with the issuer and audience its tokens must name.
    #[cfg(feature = "remote-keys")]
    fn remote_chosen<'a>(
        &'a self,
        set: &'a crate::remote::RemoteKeySet,
        key: KeyRef<'a>,
    ) -> Chosen<'a> {
        Chosen {
            key,
            issuer: set.issuer().or(self.settings.issuer.as_deref()),
            audience: match set.audience() {
                [] => &self.settings.audience,
                own => own,
            },
        }
    }

    /// Checks the registered claims; the returned token still lacks its payload.
    fn check_claims(
        &self,
        c: &mut Raw<'_>,
        expect: Expect<'_>,
        chosen: &Chosen<'_>,
    ) -> Result<VerifiedToken, TokenError> {
        let s = &self.settings;
        let (exp, iat, nbf) = (c.exp.get()?, c.iat.get()?, c.nbf.get()?);
        let (refresh_exp, auth_time) = (c.refresh_exp.get()?, c.auth_time.get()?);
        let now = i128::from(self.clock.now());
        let leeway = i128::from(s.leeway.as_secs());
        if matches!(iat, Some(iat) if i128::from(iat) > now + leeway) {
            return Err(TokenError::Invalid);
        }
        if matches!(nbf, Some(nbf) if i128::from(nbf) > now + leeway) {
            return Err(TokenError::Invalid);
        }
        if matches!(exp, Some(exp) if i128::from(exp) <= now - leeway) {
            return Err(TokenError::Expired);
        }
        let audience = chosen.audience;
        match (c.aud.get()?, audience.is_empty()) {
            // RFC 7519 4.1.3: a token naming audiences must name us.
            (Some(_), true) | (None, false) => return Err(TokenError::Invalid),
            (Some(aud), false) if !aud.iter().any(|a| audience.contains(a)) => {
                return Err(TokenError::Invalid);
            }
            _ => {}
        }
        let iss = c.iss.get()?;
        if let Some(expected) = chosen.issuer {
            if iss.as_deref() != Some(expected) {
                return Err(TokenError::Invalid);
            }
        }
        // A token naming a key server's issuer is verified with its keys
        // only, never with a local key.
        if matches!(chosen.key, KeyRef::Local(_)) && self.is_remote_issuer(iss.as_deref()) {
            return Err(TokenError::Invalid);
        }
        let jti = c.jti.get()?;
        if matches!(&jti, Some(j) if j.is_empty() || j.len() > 255) {
            return Err(TokenError::Invalid);
        }
        let token_type = c.token_type.get()?;
        let family = c.family.get()?;
        let exp = exp.ok_or(TokenError::NoExp)?;
        let jti = jti.ok_or(TokenError::NoId)?;
        let token_type = match (token_type, expect) {
            (None, Expect::Any) => TokenType::Access,
            (None, Expect::OneOf(_)) => return Err(TokenError::NoType),
            (Some(t), Expect::Any) => TokenType::parse(&t).unwrap_or(TokenType::Access),
            (Some(t), Expect::OneOf(types)) => match TokenType::parse(&t) {
                Some(t) if types.contains(&t) => t,
                _ => return Err(TokenError::WrongType),
            },
        };
        let unsigned = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(VerifiedToken {
            token_type,
            jti: jti.into_owned(),
            user_id: c.user_id.take(),
            exp: unsigned(exp),
            iat: iat.map(unsigned),
            refresh_exp: refresh_exp.map(unsigned),
            family: family.map(Cow::into_owned),
            auth_time: auth_time.map(unsigned),
            revoke_claim: c.revoke.take(),
            payload: Bytes::new(),
        })
    }
}

/// Decodes an unfamiliar header: its `alg` and `kid`. A `crit` is refused.
fn parse_header(header_b64: &[u8]) -> Result<(Algorithm, Option<String>), TokenError> {
    // Only unfamiliar headers get here, so a heap buffer is fine, and a
    // long one (a certificate chain in `x5c`) is judged like any other.
    let header_json = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| TokenError::Invalid)?;
    let header_json = header_json.as_slice();
    // Derived structs also accept JSON arrays; a header must be an object.
    let is_object = header_json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    match serde_json::from_slice::<FastHeader<'_>>(header_json)
        .ok()
        .filter(|_| is_object)
    {
        Some(h) => {
            let _ = h.typ;
            Ok((h.alg, h.kid.map(|k| k.0.into_owned())))
        }
        None => {
            let h: jsonwebtoken::Header =
                serde_json::from_slice(header_json).map_err(|_| TokenError::Invalid)?;
            // RFC 7515 4.1.11: we understand no extension, so any `crit`
            // fails, whatever its value (`null` included).
            if h.crit.is_some() || has_crit(header_json) {
                return Err(TokenError::Invalid);
            }
            Ok((h.alg, h.kid))
        }
    }
}

/// The `iss` of a payload not yet verified, to route the token to its
/// issuer's keys. Nothing else is read, and nothing is trusted: the claims
/// are checked after the signature.
#[cfg(feature = "remote-keys")]
fn peek_issuer(payload_b64: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Issuer<'a> {
        #[serde(borrow, default)]
        iss: Option<Text<'a>>,
    }
    let json = URL_SAFE_NO_PAD.decode(payload_b64).ok()?;
    serde_json::from_slice::<Issuer<'_>>(&json)
        .ok()?
        .iss
        .map(|t| t.0.into_owned())
}

/// Whether a header (already known to be valid JSON) names `crit` at its
/// top level.
fn has_crit(header_json: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Crit {
        #[serde(default, deserialize_with = "present")]
        crit: bool,
    }
    fn present<'de, D: de::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        IgnoredAny::deserialize(d).map(|_| true)
    }
    serde_json::from_slice::<Crit>(header_json).map_or(true, |h| h.crit)
}

#[inline]
fn rsplit_dot(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = memchr::memrchr(b'.', input)?;
    Some((&input[..at], &input[at + 1..]))
}

/// A JSON string, borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Any JSON value, reduced to what claim checks need.
enum Scalar<'a> {
    Int(i64),
    Str(Cow<'a, str>),
    StrList(Vec<String>),
    Other,
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all_strings = true;
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Scalar<'de>>()? {
                    match item {
                        Scalar::Str(s) => out.push(s.into_owned()),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    Scalar::StrList(out)
                } else {
                    Scalar::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Any JSON value, read through and dropped. Unlike `IgnoredAny`, every
/// string is decoded and every number parsed, so a payload that is not
/// valid JSON text (a lone surrogate escape, a number out of range) is
/// refused here, as PyJWT and jsonwebtoken refuse it, instead of failing
/// later when a refresh copies the claims.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// A registered claim as found: absent, usable, or present with a bad type.
#[derive(Default)]
enum Slot<T> {
    #[default]
    Absent,
    Ok(T),
    Bad,
}

impl<T> Slot<T> {
    /// Takes the value out: `Err` for a claim of the wrong type.
    fn get(&mut self) -> Result<Option<T>, TokenError> {
        match std::mem::replace(self, Slot::Absent) {
            Slot::Absent => Ok(None),
            Slot::Ok(v) => Ok(Some(v)),
            Slot::Bad => Err(TokenError::Invalid),
        }
    }
}

#[derive(Default)]
struct Raw<'a> {
    exp: Slot<i64>,
    iat: Slot<i64>,
    nbf: Slot<i64>,
    aud: Slot<Vec<String>>,
    iss: Slot<Cow<'a, str>>,
    jti: Slot<Cow<'a, str>>,
    token_type: Slot<Cow<'a, str>>,
    user_id: Option<String>,
    refresh_exp: Slot<i64>,
    family: Slot<Cow<'a, str>>,
    auth_time: Slot<i64>,
    revoke: Option<String>,
}

struct ClaimsSeed<'i, 'r, 'de> {
    inner: &'i Inner,
    raw: &'r mut Raw<'de>,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let s = &self.inner.settings;
        let raw = self.raw;
        let mut seen_user = false;
        let mut seen_revoke = false;
        fn dup<E: de::Error>() -> E {
            E::custom("duplicate registered claim")
        }
        fn int<'a, E: de::Error>(slot: &mut Slot<i64>, v: Scalar<'a>) -> Result<(), E> {
            if !matches!(slot, Slot::Absent) {
                return Err(dup());
            }
            *slot = match v {
                Scalar::Int(i) => Slot::Ok(i),
                _ => Slot::Bad,
            };
            Ok(())
        }
        fn text<'a, E: de::Error>(slot: &mut Slot<Cow<'a, str>>, v: Scalar<'a>) -> Result<(), E> {
            if !matches!(slot, Slot::Absent) {
                return Err(dup());
            }
            *slot = match v {
                Scalar::Str(t) => Slot::Ok(t),
                _ => Slot::Bad,
            };
            Ok(())
        }
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let key = key.0.as_ref();
            match key {
                "exp" => int(&mut raw.exp, map.next_value()?)?,
                "iat" => int(&mut raw.iat, map.next_value()?)?,
                "nbf" => int(&mut raw.nbf, map.next_value()?)?,
                "iss" => text(&mut raw.iss, map.next_value()?)?,
                "aud" => {
                    if !matches!(raw.aud, Slot::Absent) {
                        return Err(dup());
                    }
                    raw.aud = match map.next_value()? {
                        Scalar::Str(a) => Slot::Ok(vec![a.into_owned()]),
                        Scalar::StrList(list) => Slot::Ok(list),
                        _ => Slot::Bad,
                    };
                }
                k if k == s.jti_claim => text(&mut raw.jti, map.next_value()?)?,
                k if k == s.token_type_claim => text(&mut raw.token_type, map.next_value()?)?,
                k if k == s.user_id_claim => {
                    if std::mem::replace(&mut seen_user, true) {
                        return Err(dup());
                    }
                    raw.user_id = match map.next_value()? {
                        Scalar::Str(t) => Some(t.into_owned()),
                        Scalar::Int(i) => Some(i.to_string()),
                        _ => None,
                    };
                }
                k if k == s.sliding_refresh_exp_claim => {
                    int(&mut raw.refresh_exp, map.next_value()?)?
                }
                // Only read when families are tracked: otherwise the claim is
                // someone else's (a Simple JWT token), whatever its type.
                k if k == s.family_claim && s.tracks_families() => {
                    text(&mut raw.family, map.next_value()?)?
                }
                k if k == s.auth_time_claim => int(&mut raw.auth_time, map.next_value()?)?,
                k if k == s.revoke_token_claim => {
                    if std::mem::replace(&mut seen_revoke, true) {
                        return Err(dup());
                    }
                    raw.revoke = match map.next_value()? {
                        Scalar::Str(t) => Some(t.into_owned()),
                        _ => None,
                    };
                }
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(())
    }
}
