//! Keys: every algorithm family, one algorithm per key, rotation by `kid`,
//! the JWK Set, and configuration errors that say what to fix.

use tower_simplejwt::{Algorithm, ConfigErrorKind, Key, SimpleJwt, TokenError, TokenType};

const ES256: &str = include_str!("keys/es256.pem");
const ES256_PUB: &str = include_str!("keys/es256.pub.pem");
const ES384: &str = include_str!("keys/es384.pem");
const ED: &str = include_str!("keys/ed25519.pem");
const ED_PUB: &str = include_str!("keys/ed25519.pub.pem");
const RSA: &str = include_str!("keys/rsa.pem");
const RSA_PUB: &str = include_str!("keys/rsa.pub.pem");

fn roundtrip(key: Key) {
    let alg = key.algorithm();
    let jwt = SimpleJwt::builder().with_signing_key(key).build().unwrap();
    let token = jwt.for_user("u1").access().unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, alg);
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap().user_id(),
        Some("u1")
    );
}

#[test]
fn every_supported_algorithm_signs_and_verifies() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        roundtrip(Key::hmac(alg, [9u8; 64]));
    }
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        roundtrip(Key::private_pem(alg, RSA));
    }
    roundtrip(Key::private_pem(Algorithm::ES256, ES256));
    roundtrip(Key::private_pem(Algorithm::ES384, ES384));
    roundtrip(Key::private_pem(Algorithm::EdDSA, ED));
}

#[test]
fn short_hmac_secrets_are_refused_at_build_time() {
    for (alg, len) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let err = SimpleJwt::builder()
            .with_signing_key(Key::hmac(alg, vec![1u8; len - 1]))
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ConfigErrorKind::Key);
        assert!(
            err.to_string().contains(&format!("at least {len} bytes")),
            "{err}"
        );
        assert!(
            SimpleJwt::builder()
                .with_signing_key(Key::hmac(alg, vec![1u8; len]))
                .build()
                .is_ok()
        );
    }
}

#[test]
fn verifying_key_of_the_wrong_family_is_refused() {
    let err = SimpleJwt::builder()
        .with_verifying_key(Key::public_pem(Algorithm::RS256, ES256_PUB))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::Key);
    assert!(err.to_string().contains("RS256"), "{err}");
    let err = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::ES256, ES256))
        .with_verifying_key(Key::public_pem(Algorithm::EdDSA, ED_PUB))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    let err = SimpleJwt::builder()
        .with_signing_key(Key::hmac(Algorithm::ES256, [0u8; 64]))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let err = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::HS256, RSA))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("Key::hmac"), "{err}");
}

#[test]
fn mismatched_key_pair_is_refused() {
    // ES384 key used as ES256: the self-test catches it.
    let err = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::ES256, ES384))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::Key);
}

#[test]
fn no_key_at_all_is_refused() {
    let err = SimpleJwt::builder().build().unwrap_err();
    assert!(err.to_string().contains("with_secret"), "{err}");
}

#[test]
fn one_algorithm_per_key_even_within_a_family() {
    let rs256 = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::RS256, RSA))
        .build()
        .unwrap();
    let ps256 = SimpleJwt::builder()
        .with_verifying_key(Key::public_pem(Algorithm::PS256, RSA_PUB))
        .build()
        .unwrap();
    let token = rs256.for_user(1).access().unwrap();
    assert_eq!(
        ps256.validate_access(&token).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn public_key_only_service_validates_but_cannot_mint() {
    let issuer = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::EdDSA, ED))
        .build()
        .unwrap();
    let verifier = SimpleJwt::builder()
        .with_verifying_key(Key::public_pem(Algorithm::EdDSA, ED_PUB))
        .build()
        .unwrap();
    let token = issuer.for_user(5).access().unwrap();
    assert_eq!(
        verifier.validate_access(&token).unwrap().user_id(),
        Some("5")
    );
    assert!(matches!(
        verifier.for_user(5).access(),
        Err(tower_simplejwt::MintError::NoSigningKey)
    ));
}

#[test]
fn keys_rotate_by_kid_without_logging_anyone_out() {
    let old = Key::hmac(Algorithm::HS256, [1u8; 32]).with_kid("2026-10");
    let new = Key::hmac(Algorithm::HS256, [2u8; 32]).with_kid("2026-11");
    let before = SimpleJwt::builder()
        .with_signing_key(old.clone())
        .build()
        .unwrap();
    let old_token = before.for_user(1).access().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&old_token)
            .unwrap()
            .kid
            .as_deref(),
        Some("2026-10")
    );

    let after = SimpleJwt::builder()
        .with_signing_key(new)
        .with_verifying_key(old)
        .build()
        .unwrap();
    let new_token = after.for_user(1).access().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some("2026-11")
    );
    assert!(after.validate_access(&old_token).is_ok());
    assert!(after.validate_access(&new_token).is_ok());
    // The old deployment does not know the new key.
    assert_eq!(
        before.validate_access(&new_token).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn unknown_kid_is_invalid() {
    let a = Key::hmac(Algorithm::HS256, [1u8; 32]).with_kid("a");
    let b = Key::hmac(Algorithm::HS256, [2u8; 32]).with_kid("b");
    let jwt = SimpleJwt::builder()
        .with_signing_key(a)
        .with_verifying_key(b)
        .build()
        .unwrap();
    let other = SimpleJwt::builder()
        .with_signing_key(Key::hmac(Algorithm::HS256, [1u8; 32]).with_kid("zzz"))
        .build()
        .unwrap();
    let token = other.for_user(1).access().unwrap();
    assert_eq!(
        jwt.validate_access(&token).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn jwks_lists_public_keys_only() {
    let jwt = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::ES256, ES256).with_kid("es-1"))
        .with_verifying_key(Key::public_pem(Algorithm::EdDSA, ED_PUB).with_kid("ed-1"))
        .build()
        .unwrap();
    let jwks = serde_json::to_value(jwt.jwks()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["kid"], "es-1");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["alg"], "ES256");
    assert_eq!(keys[0]["use"], "sig");
    assert!(keys[0].get("d").is_none(), "private part leaked");
    assert_eq!(keys[1]["kty"], "OKP");

    // Another service can verify with the JWK alone.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys[0].clone()).unwrap();
    let verifier = SimpleJwt::builder()
        .with_verifying_key(Key::public_jwk(Algorithm::ES256, jwk))
        .build()
        .unwrap();
    let token = jwt.for_user(3).access().unwrap();
    assert!(verifier.validate_access(&token).is_ok());

    let hmac_only = SimpleJwt::builder().with_secret([3u8; 32]).build().unwrap();
    assert!(
        hmac_only.jwks().keys.is_empty(),
        "HMAC secrets never appear in the JWK Set"
    );
}

#[test]
fn key_material_is_redacted_in_debug() {
    let secret = "super-secret-value-that-must-not-leak!!";
    let jwt = SimpleJwt::builder().with_secret(secret).build().unwrap();
    let shown = format!(
        "{jwt:?} {:?} {:?}",
        Key::hmac(Algorithm::HS256, secret),
        SimpleJwt::builder().with_secret(secret)
    );
    assert!(!shown.contains(secret));
    assert!(!shown.contains("115, 117, 112"), "secret bytes leaked");
    assert!(shown.contains("[redacted]"));
    let pair = tower_simplejwt::TokenPair {
        refresh: "r.r.r".into(),
        access: "a.a.a".into(),
    };
    assert!(!format!("{pair:?}").contains("r.r.r"));
}

#[test]
fn a_published_jwk_set_configures_a_verifier_by_kid() {
    let a = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::ES256, ES256).with_kid("a"))
        .build()
        .unwrap();
    let b = SimpleJwt::builder()
        .with_signing_key(Key::private_pem(Algorithm::EdDSA, ED).with_kid("b"))
        .build()
        .unwrap();
    let mut set = a.jwks();
    set.keys.extend(b.jwks().keys);
    // An encryption key in the set is ignored.
    let mut enc = set.keys[0].clone();
    enc.common.key_id = Some("enc".into());
    enc.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Encryption);
    set.keys.push(enc);
    let verifier = SimpleJwt::builder()
        .with_jwk_set(&set, Algorithm::ES256)
        .build()
        .unwrap();
    assert!(
        verifier
            .validate_access(a.for_user(1).access().unwrap())
            .is_ok()
    );
    assert!(
        verifier
            .validate_access(b.for_user(2).access().unwrap())
            .is_ok()
    );
    assert_eq!(verifier.jwks().keys.len(), 2);
}

#[test]
fn symmetric_jwks_are_hmac_secrets_checked_and_never_published() {
    let oct = |k: &[u8]| -> jsonwebtoken::jwk::JwkSet {
        use base64::Engine;
        let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k);
        serde_json::from_value(serde_json::json!({
            "keys": [{"kty": "oct", "k": k, "alg": "HS256", "kid": "shared"}]
        }))
        .unwrap()
    };
    let err = SimpleJwt::builder()
        .with_jwk_set(&oct(b"too-short"), Algorithm::HS256)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("at least 32 bytes"), "{err}");

    let secret = [9u8; 32];
    let verifier = SimpleJwt::builder()
        .with_jwk_set(&oct(&secret), Algorithm::HS256)
        .build()
        .unwrap();
    assert!(
        verifier.jwks().keys.is_empty(),
        "a shared secret was published"
    );
    let issuer = SimpleJwt::builder()
        .with_signing_key(Key::hmac(Algorithm::HS256, secret).with_kid("shared"))
        .build()
        .unwrap();
    assert!(
        verifier
            .validate_access(issuer.for_user(1).access().unwrap())
            .is_ok()
    );
}
