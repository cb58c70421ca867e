//! Signing and verifying keys, one algorithm per key, selected by `kid`.
//!
//! A [`Key`] is raw key material plus the single algorithm it may be used
//! with. HMAC keys are pre-keyed once when the configuration is built, so
//! validating a token never repeats the key schedule. Asymmetric keys go
//! through `jsonwebtoken`'s crypto backend (`aws-lc-rs` or `rust-crypto`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::{Sha256, Sha384, Sha512};

/// Why a key was refused. `build()` reports it as a
/// [`ConfigError`](crate::ConfigError) of kind [`Key`](crate::ConfigErrorKind::Key).
#[derive(Debug)]
pub(crate) struct KeyError(pub(crate) String);

impl KeyError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Key material together with the one algorithm it is allowed to use.
///
/// `Debug` never prints the material.
///
/// ```
/// use tower_simplejwt::{Algorithm, Key};
///
/// let key = Key::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").with_kid("2026-11");
/// assert!(format!("{key:?}").contains("[redacted]"));
/// ```
#[derive(Clone)]
pub struct Key {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) material: Material,
}

#[derive(Clone)]
pub(crate) enum Material {
    Secret(Vec<u8>),
    PrivatePem(Vec<u8>),
    PublicPem(Vec<u8>),
    PublicJwk(Box<Jwk>),
}

impl Drop for Material {
    /// Secret material is wiped from memory when the key is dropped.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            Self::Secret(bytes) | Self::PrivatePem(bytes) => bytes.zeroize(),
            Self::PublicPem(_) | Self::PublicJwk(_) => {}
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("material", &"[redacted]")
            .finish()
    }
}

impl Key {
    /// A shared secret for HS256, HS384 or HS512. The secret must be at least
    /// as long as the hash output (32, 48 or 64 bytes); `build()` says so otherwise.
    pub fn hmac(alg: Algorithm, secret: impl AsRef<[u8]>) -> Self {
        Self {
            alg,
            kid: None,
            material: Material::Secret(secret.as_ref().to_vec()),
        }
    }

    /// A PEM private key (PKCS#1/PKCS#8 RSA, SEC1/PKCS#8 EC, PKCS#8 Ed25519).
    /// Used for signing; its public half is derived for verifying and the JWK Set.
    pub fn private_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Self {
        Self {
            alg,
            kid: None,
            material: Material::PrivatePem(pem.as_ref().to_vec()),
        }
    }

    /// A PEM public key, for services that only verify.
    pub fn public_pem(alg: Algorithm, pem: impl AsRef<[u8]>) -> Self {
        Self {
            alg,
            kid: None,
            material: Material::PublicPem(pem.as_ref().to_vec()),
        }
    }

    /// A public key taken from a JWK (for example one entry of another
    /// service's `/.well-known/jwks.json`). Its `kid` is kept. A symmetric
    /// (`oct`) JWK is taken as the HMAC secret it is: it gets the same length
    /// check as [`Key::hmac`] and is never published in the JWK Set.
    pub fn public_jwk(alg: Algorithm, jwk: Jwk) -> Self {
        let kid = jwk.common.key_id.clone();
        let material = match &jwk.algorithm {
            AlgorithmParameters::OctetKey(oct) => match URL_SAFE_NO_PAD.decode(&oct.value) {
                Ok(secret) => Material::Secret(secret),
                Err(_) => Material::PublicJwk(Box::new(jwk)),
            },
            _ => Material::PublicJwk(Box::new(jwk)),
        };
        Self { alg, kid, material }
    }

    /// Sets the key id written into the token header and used to pick this
    /// key when validating.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm this key is bound to.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// A pre-keyed HMAC. Cloning the keyed state is much cheaper than keying again.
#[derive(Clone)]
pub(crate) enum HmacKey {
    S256(Hmac<Sha256>),
    S384(Hmac<Sha384>),
    S512(Hmac<Sha512>),
}

impl HmacKey {
    fn new(alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        let (min, key) = match alg {
            Algorithm::HS256 => (32, Hmac::<Sha256>::new_from_slice(secret).map(Self::S256)),
            Algorithm::HS384 => (48, Hmac::<Sha384>::new_from_slice(secret).map(Self::S384)),
            Algorithm::HS512 => (64, Hmac::<Sha512>::new_from_slice(secret).map(Self::S512)),
            other => {
                return Err(KeyError::new(format!(
                    "a shared secret can only be used with HS256, HS384 or HS512, not {other:?}; \
                     use Key::private_pem / Key::public_pem for asymmetric algorithms"
                )));
            }
        };
        if secret.len() < min {
            return Err(KeyError::new(format!(
                "the {alg:?} secret is {} bytes long; it must be at least {min} bytes \
                 (the hash output size, RFC 7518 section 3.2). Generate one with \
                 `openssl rand -base64 {min}`",
                secret.len()
            )));
        }
        key.map_err(|_| KeyError::new("the HMAC secret was rejected"))
    }

    /// Signs `message`, returning the base64url signature.
    pub(crate) fn sign(&self, message: &[u8]) -> String {
        match self {
            Self::S256(k) => URL_SAFE_NO_PAD.encode(mac(k, message)),
            Self::S384(k) => URL_SAFE_NO_PAD.encode(mac(k, message)),
            Self::S512(k) => URL_SAFE_NO_PAD.encode(mac(k, message)),
        }
    }

    /// Checks a raw (already base64-decoded) signature in constant time.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::S256(k) => verify(k, message, signature),
            Self::S384(k) => verify(k, message, signature),
            Self::S512(k) => verify(k, message, signature),
        }
    }

    /// Size of the raw signature in bytes.
    pub(crate) fn output_len(&self) -> usize {
        match self {
            Self::S256(_) => 32,
            Self::S384(_) => 48,
            Self::S512(_) => 64,
        }
    }
}

fn mac<M: Mac + Clone>(key: &M, message: &[u8]) -> Vec<u8> {
    let mut m = key.clone();
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

fn verify<M: Mac + Clone>(key: &M, message: &[u8], signature: &[u8]) -> bool {
    let mut m = key.clone();
    m.update(message);
    m.verify_slice(signature).is_ok()
}

/// A key ready to sign.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    /// `base64url(header JSON)`, computed once.
    pub(crate) encoded_header: String,
    pub(crate) signer: Signer,
}

// The keyed HMAC state is kept inline: it is cloned on every token.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Signer {
    Hmac(HmacKey),
    Asymmetric(EncodingKey),
}

impl SigningKey {
    pub(crate) fn sign(&self, message: &[u8]) -> Result<String, jsonwebtoken::errors::Error> {
        match &self.signer {
            Signer::Hmac(k) => Ok(k.sign(message)),
            Signer::Asymmetric(k) => jsonwebtoken::crypto::sign(message, k, self.alg),
        }
    }
}

/// A key ready to verify.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) verifier: Verifier,
    /// The public JWK, for asymmetric keys.
    pub(crate) jwk: Option<Jwk>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Verifier {
    Hmac(HmacKey),
    Asymmetric(DecodingKey),
}

impl VerifyingKey {
    /// Checks an asymmetric key against a wrong signature: it must answer
    /// `false` (an error for a malformed key), never reach an uninstalled
    /// crypto provider. HMAC keys were checked when keyed.
    fn probe(&self) -> Result<(), jsonwebtoken::errors::Error> {
        match &self.verifier {
            Verifier::Asymmetric(dk) => {
                let probe = b"eyJhbGciOiJub25lIn0.eyJzZWxmLXRlc3QiOnRydWV9";
                jsonwebtoken::crypto::verify("AAAA", probe, dk, self.alg).map(|_| ())
            }
            Verifier::Hmac(_) => Ok(()),
        }
    }

    /// Verifies `signature_b64` (still base64url) over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature_b64: &[u8]) -> bool {
        match &self.verifier {
            Verifier::Hmac(k) => {
                // Decode into a stack buffer: no allocation on the hot path.
                let mut buf = [0u8; 64];
                if signature_b64.len() > 88 {
                    return false;
                }
                match URL_SAFE_NO_PAD.decode_slice(signature_b64, &mut buf) {
                    Ok(n) if n == k.output_len() => k.verify(message, &buf[..n]),
                    _ => false,
                }
            }
            Verifier::Asymmetric(k) => std::str::from_utf8(signature_b64)
                .ok()
                .and_then(|sig| jsonwebtoken::crypto::verify(sig, message, k, self.alg).ok())
                .unwrap_or(false),
        }
    }
}

/// All keys of one configuration.
#[derive(Clone)]
pub(crate) struct KeySet {
    pub(crate) signing: Option<SigningKey>,
    pub(crate) verifying: Vec<VerifyingKey>,
    /// Encoded headers this set writes or Simple JWT writes, with the index of
    /// the verifying key they select. A token whose header is byte-for-byte
    /// one of these needs no header decoding.
    known_headers: Vec<(String, usize)>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verifying: Vec<_> = self
            .verifying
            .iter()
            .map(|k| (k.alg, k.kid.as_deref()))
            .collect();
        f.debug_struct("KeySet")
            .field(
                "signing",
                &self
                    .signing
                    .as_ref()
                    .map(|k| (k.alg, k.kid.as_deref(), "[redacted]")),
            )
            .field("verifying", &verifying)
            .finish()
    }
}

impl KeySet {
    /// Builds the local keys. `remote` says that keys are also fetched from
    /// a key server, so a configuration may have no local key at all.
    pub(crate) fn build(
        signing: Option<Key>,
        verifying: Vec<Key>,
        remote: bool,
    ) -> Result<Self, KeyError> {
        install_crypto_provider();
        let mut set = KeySet {
            signing: None,
            verifying: Vec::new(),
            known_headers: Vec::new(),
        };
        if let Some(key) = &signing {
            set.signing = Some(signing_key(key)?);
            // The signing key verifies its own tokens unless verifying keys are listed.
            if !verifying.iter().any(|v| v.kid == key.kid) {
                set.verifying.push(verifying_key_from_signing(key)?);
            }
        }
        for key in &verifying {
            let vk = verifying_key(key)?;
            if set.verifying.iter().any(|existing| existing.kid == vk.kid) {
                return Err(KeyError::new(format!(
                    "two verifying keys share the key id {:?}; every key needs its own `kid`",
                    vk.kid
                )));
            }
            set.verifying.push(vk);
        }
        if set.verifying.is_empty() && !remote {
            return Err(KeyError::new(
                "no key configured: call `with_secret`, `with_signing_key`, `with_verifying_key` \
                 or `with_remote_keys`",
            ));
        }
        if set.verifying.len() > 1 && set.verifying.iter().any(|k| k.kid.is_none()) {
            // One kid-less key is allowed (tokens without `kid`, such as Simple JWT's);
            // more than one would make the choice ambiguous.
            let kidless = set.verifying.iter().filter(|k| k.kid.is_none()).count();
            if kidless > 1 {
                return Err(KeyError::new(
                    "several verifying keys without a `kid`: give each key an id with `Key::with_kid`",
                ));
            }
        }
        set.self_test()?;
        set.known_headers = set
            .verifying
            .iter()
            .enumerate()
            .flat_map(|(i, k)| {
                let header = |alg: Algorithm, kid: Option<&str>| {
                    [sorted_header_for(alg, kid), header_for(alg, kid)]
                };
                let mut all = header(k.alg, k.kid.as_deref()).to_vec();
                if k.kid.is_some() && set.select(None).is_some_and(|d| std::ptr::eq(d, k)) {
                    all.extend(header(k.alg, None));
                }
                all.into_iter().map(move |h| (h, i))
            })
            .collect();
        Ok(set)
    }

    /// The verifying key for an encoded header seen before, if any.
    #[inline]
    pub(crate) fn known_header(&self, encoded: &[u8]) -> Option<&VerifyingKey> {
        self.known_headers
            .iter()
            .find(|(h, _)| h.as_bytes() == encoded)
            .map(|(_, i)| &self.verifying[*i])
    }

    /// Picks the verifying key for a token header's `kid`; see [`select_key`].
    #[inline]
    pub(crate) fn select(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        select_key(&self.verifying, kid).map(|i| &self.verifying[i])
    }

    /// The verifying key whose `kid` is exactly `kid` (for `None`, the key
    /// without an id): whether a token is one of this set's own.
    #[cfg(feature = "remote-keys")]
    pub(crate) fn select_exact(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid.as_deref() == kid)
    }

    /// Signs and verifies a probe message with every key so that a broken key
    /// or a missing crypto backend fails here, never while serving requests.
    fn self_test(&self) -> Result<(), KeyError> {
        let probe = b"eyJhbGciOiJub25lIn0.eyJzZWxmLXRlc3QiOnRydWV9";
        if let Some(signing) = &self.signing {
            let sig = signing.sign(probe).map_err(|e| {
                KeyError::new(format!(
                    "the signing key cannot sign with {:?}: {e}",
                    signing.alg
                ))
            })?;
            let verifier = self
                .verifying
                .iter()
                .find(|k| k.kid == signing.kid)
                .ok_or_else(|| KeyError::new("no verifying key matches the signing key's kid"))?;
            if !verifier.verify(probe, sig.as_bytes()) {
                return Err(KeyError::new(format!(
                    "the verifying key with kid {:?} does not verify what the signing key signs; \
                     check that both halves belong to the same key pair and algorithm",
                    signing.kid
                )));
            }
        }
        for key in &self.verifying {
            key.probe().map_err(|e| {
                KeyError::new(format!(
                    "the verifying key {:?} cannot be used with {:?}: {e}",
                    key.kid, key.alg
                ))
            })?;
        }
        Ok(())
    }

    /// The public JWK Set of every asymmetric verifying key.
    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .verifying
                .iter()
                .filter_map(|k| k.jwk.clone())
                .collect(),
        }
    }
}

/// Builds a verifying key from one JWK of a key set fetched from a key
/// server: a public signature key, bound to [`jwk_algorithm`]'s one
/// algorithm. `Err` says why the key is skipped; the rest of the set is
/// still used.
#[cfg(feature = "remote-keys")]
pub(crate) fn remote_verifying_key(
    jwk: Jwk,
    default_alg: Option<Algorithm>,
) -> Result<VerifyingKey, KeyError> {
    // Key sets may be loaded before any configuration is built.
    install_crypto_provider();
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err(KeyError::new(
            "a symmetric (oct) key: shared secrets are never taken from a key server",
        ));
    }
    let alg = jwk_algorithm(&jwk, default_alg)?;
    check_public_parameters(&jwk)?;
    let key = Key::public_jwk(alg, jwk);
    let vk = verifying_key(&key)?;
    // A malformed key fails here, once, and not on every request.
    vk.probe()
        .map_err(|e| KeyError::new(format!("unusable with {alg:?}: {e}")))?;
    Ok(vk)
}

/// Checks the sizes of a public key's parameters, which the crypto backend
/// only looks at when a token is verified: EC coordinates and Ed25519 keys
/// of their curve's size, RSA moduli of at least 2048 bits (RFC 7518
/// section 3.3).
#[cfg(feature = "remote-keys")]
fn check_public_parameters(jwk: &Jwk) -> Result<(), KeyError> {
    use jsonwebtoken::jwk::EllipticCurve;
    let bytes = |name: &str, b64: &str| {
        URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| KeyError::new(format!("its `{name}` is not base64url")))
    };
    let size = |curve: &EllipticCurve| match curve {
        EllipticCurve::P256 | EllipticCurve::Ed25519 => Some(32),
        EllipticCurve::P384 => Some(48),
        EllipticCurve::P521 => Some(66),
        _ => None,
    };
    match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => {
            let n = size(&ec.curve).ok_or_else(|| KeyError::new("an unsupported curve"))?;
            if bytes("x", &ec.x)?.len() != n || bytes("y", &ec.y)?.len() != n {
                return Err(KeyError::new(format!(
                    "its coordinates are not {n} bytes long, as its curve needs"
                )));
            }
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            if Some(bytes("x", &okp.x)?.len()) != size(&okp.curve) {
                return Err(KeyError::new("its `x` is not a 32-byte Ed25519 key"));
            }
        }
        AlgorithmParameters::RSA(rsa) => {
            let n = bytes("n", &rsa.n)?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 || bytes("e", &rsa.e)?.is_empty() {
                return Err(KeyError::new(
                    "its RSA modulus is shorter than 2048 bits (or its exponent is empty)",
                ));
            }
        }
        _ => {
            return Err(KeyError::new("not a public signature key"));
        }
    }
    Ok(())
}

/// The one algorithm a JWK of a set is bound to: its `alg`, else
/// `default_alg`, else the only one its curve allows (ES256, ES384, EdDSA).
/// Encryption keys (`"use": "enc"`, `key_ops` without `verify`, or an
/// encryption `alg`) are refused with the reason.
pub(crate) fn jwk_algorithm(
    jwk: &Jwk,
    default_alg: Option<Algorithm>,
) -> Result<Algorithm, KeyError> {
    use jsonwebtoken::jwk::{EllipticCurve, KeyOperations};
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err(KeyError::new("an encryption key (\"use\": \"enc\")"));
    }
    if let Some(ops) = &jwk.common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return Err(KeyError::new("its `key_ops` do not include \"verify\""));
        }
    }
    if let Some(alg) = &jwk.common.key_algorithm {
        return alg
            .to_string()
            .parse::<Algorithm>()
            .map_err(|_| KeyError::new(format!("{alg} is not a signature algorithm")));
    }
    if let Some(alg) = default_alg {
        return Ok(alg);
    }
    let curve = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => Some(&ec.curve),
        AlgorithmParameters::OctetKeyPair(okp) => Some(&okp.curve),
        _ => None,
    };
    match curve {
        Some(EllipticCurve::P256) => Ok(Algorithm::ES256),
        Some(EllipticCurve::P384) => Ok(Algorithm::ES384),
        Some(EllipticCurve::Ed25519) => Ok(Algorithm::EdDSA),
        _ => Err(KeyError::new(
            "no `alg` and no default algorithm configured (`RemoteKeys::with_algorithm`)",
        )),
    }
}

/// The index of the key for a token header's `kid`. A single key, or the
/// one key without an id, serves tokens that carry no `kid`.
#[inline]
pub(crate) fn select_key(keys: &[VerifyingKey], kid: Option<&str>) -> Option<usize> {
    let single = match keys {
        [only] => Some(0).filter(|_| kid.is_none() || only.kid.is_none()),
        _ => None,
    };
    match kid {
        Some(kid) => keys
            .iter()
            .position(|k| k.kid.as_deref() == Some(kid))
            .or(single),
        None => single.or_else(|| keys.iter().position(|k| k.kid.is_none())),
    }
}

/// Installs the crypto backend selected by this crate's features as
/// `jsonwebtoken`'s process default, so that enabling both backends (for
/// example with `--all-features`) can never hit its "no provider" panic.
pub(crate) fn install_crypto_provider() {
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "tower-simplejwt needs a crypto backend: enable the `aws-lc-rs` (default) or the `rust-crypto` feature"
);

fn header_for(alg: Algorithm, kid: Option<&str>) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let json = serde_json::to_vec(&header).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The header as PyJWT (Simple JWT) writes it: keys sorted, no spaces.
fn sorted_header_for(alg: Algorithm, kid: Option<&str>) -> String {
    let mut map = std::collections::BTreeMap::new();
    map.insert("alg", serde_json::to_value(alg).unwrap_or_default());
    map.insert("typ", "JWT".into());
    if let Some(kid) = kid {
        map.insert("kid", kid.into());
    }
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&map).unwrap_or_default())
}

fn signing_key(key: &Key) -> Result<SigningKey, KeyError> {
    let signer = match (&key.material, key.alg.family()) {
        (Material::Secret(secret), AlgorithmFamily::Hmac) => {
            Signer::Hmac(HmacKey::new(key.alg, secret)?)
        }
        (Material::Secret(_), _) => {
            return Err(KeyError::new(format!(
                "{:?} needs a private key (`Key::private_pem`), not a shared secret",
                key.alg
            )));
        }
        (Material::PrivatePem(pem), family) => {
            Signer::Asymmetric(encoding_key_from_pem(key.alg, family, pem)?)
        }
        (Material::PublicPem(_) | Material::PublicJwk(_), _) => {
            return Err(KeyError::new(
                "a public key cannot sign: pass the private key as the signing key \
                 and the public key as a verifying key",
            ));
        }
    };
    Ok(SigningKey {
        alg: key.alg,
        kid: key.kid.clone(),
        // Written as PyJWT writes it, so tokens match Simple JWT's byte for byte.
        encoded_header: sorted_header_for(key.alg, key.kid.as_deref()),
        signer,
    })
}

fn encoding_key_from_pem(
    alg: Algorithm,
    family: AlgorithmFamily,
    pem: &[u8],
) -> Result<EncodingKey, KeyError> {
    let result = match family {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
        AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
        AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
        AlgorithmFamily::Hmac => {
            return Err(KeyError::new(format!(
                "{alg:?} is an HMAC algorithm: use `Key::hmac` with a shared secret"
            )));
        }
    };
    result.map_err(|e| {
        KeyError::new(format!(
            "the private key is not a {family:?} PEM key usable with {alg:?}: {e}"
        ))
    })
}

fn verifying_key_from_signing(key: &Key) -> Result<VerifyingKey, KeyError> {
    match &key.material {
        Material::Secret(secret) => Ok(VerifyingKey {
            alg: key.alg,
            kid: key.kid.clone(),
            verifier: Verifier::Hmac(HmacKey::new(key.alg, secret)?),
            jwk: None,
        }),
        Material::PrivatePem(pem) => {
            let ek = encoding_key_from_pem(key.alg, key.alg.family(), pem)?;
            let jwk = Jwk::from_encoding_key(&ek, key.alg)
                .map_err(|e| KeyError::new(format!("cannot derive the public key: {e}")))?;
            public_from_jwk(key, jwk)
        }
        Material::PublicPem(_) | Material::PublicJwk(_) => verifying_key(key),
    }
}

fn verifying_key(key: &Key) -> Result<VerifyingKey, KeyError> {
    let family = key.alg.family();
    match &key.material {
        Material::Secret(_) | Material::PrivatePem(_) => verifying_key_from_signing(key),
        Material::PublicJwk(jwk) => public_from_jwk(key, (**jwk).clone()),
        Material::PublicPem(pem) => {
            let dk = match family {
                AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
                AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
                AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
                AlgorithmFamily::Hmac => {
                    return Err(KeyError::new(format!(
                        "{:?} is an HMAC algorithm: use `Key::hmac` with a shared secret",
                        key.alg
                    )));
                }
            }
            .map_err(|e| {
                KeyError::new(format!(
                    "the verifying key is not a {family:?} public PEM key usable with {:?}: {e}",
                    key.alg
                ))
            })?;
            let jwk = Jwk::from_decoding_key(&dk, Some(key.alg)).map_err(|e| {
                KeyError::new(format!("cannot describe the public key as a JWK: {e}"))
            })?;
            public_from_jwk(key, jwk)
        }
    }
}

fn public_from_jwk(key: &Key, mut jwk: Jwk) -> Result<VerifyingKey, KeyError> {
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err(KeyError::new(
            "a symmetric (oct) JWK is an HMAC secret, not a public key: its `k` is not valid base64url",
        ));
    }
    let dk = DecodingKey::from_jwk(&jwk)
        .map_err(|e| KeyError::new(format!("unusable public key: {e}")))?;
    if dk.family() != key.alg.family() {
        return Err(KeyError::new(format!(
            "the verifying key is a {:?} key but the algorithm is {:?}; one algorithm per key",
            dk.family(),
            key.alg
        )));
    }
    jwk.common.key_id = key.kid.clone();
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm = Some(key.alg.into());
    Ok(VerifyingKey {
        alg: key.alg,
        kid: key.kid.clone(),
        verifier: Verifier::Asymmetric(dk),
        jwk: Some(jwk),
    })
}
