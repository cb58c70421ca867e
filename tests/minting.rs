//! Minting from app code, and interoperability with Simple JWT's token format.

mod common;

use common::*;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_simplejwt::{MintError, TokenType};

fn payload(token: &str) -> Value {
    // PyJWT-style decode: HS256, signature and exp checked, nothing else required.
    let mut v = Validation::new(Algorithm::HS256);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(SECRET), &v)
        .unwrap()
        .claims
}

fn is_jti(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[tokio::test]
async fn minted_pair_has_exactly_simplejwt_claims() {
    let (jwt, _) = jwt();
    let pair = jwt.for_user(42).pair().await.unwrap();
    let header = jsonwebtoken::decode_header(&pair.access).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.kid, None);

    let access = payload(&pair.access);
    assert_eq!(access["token_type"], "access");
    assert_eq!(access["exp"], json!(NOW + 300));
    assert_eq!(access["iat"], json!(NOW));
    assert!(is_jti(&access["jti"]), "{}", access["jti"]);
    assert_eq!(access["user_id"], json!("42"));

    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&access),
        ["exp", "iat", "jti", "token_type", "user_id"]
    );
    let refresh = payload(&pair.refresh);
    assert_eq!(
        keys(&refresh),
        ["exp", "iat", "jti", "token_type", "user_id"]
    );
    assert_eq!(refresh["token_type"], "refresh");
    assert_eq!(refresh["exp"], json!(NOW + 86400));
    assert!(is_jti(&refresh["jti"]));
    assert_ne!(refresh["jti"], access["jti"]);
    assert_eq!(refresh["user_id"], json!("42"));
}

#[tokio::test]
async fn sliding_token_has_refresh_exp() {
    let (jwt, _) = jwt();
    let token = jwt.for_user("7").sliding().await.unwrap();
    let p = payload(&token);
    assert_eq!(p["token_type"], "sliding");
    assert_eq!(p["exp"], json!(NOW + 300));
    assert_eq!(p["refresh_exp"], json!(NOW + 86400));
    assert_eq!(
        jwt.validate(&token, TokenType::Sliding)
            .unwrap()
            .refresh_exp(),
        Some(NOW + 86400)
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Custom {
    roles: Vec<String>,
    tenant: u32,
}

#[tokio::test]
async fn custom_claims_end_up_in_both_tokens() {
    let (jwt, _) = jwt();
    let custom = Custom {
        roles: vec!["admin".into()],
        tenant: 9,
    };
    let pair = jwt.for_user(1).with_claims(&custom).pair().await.unwrap();
    for token in [&pair.access, &pair.refresh] {
        let p = payload(token);
        assert_eq!(p["roles"], json!(["admin"]));
        assert_eq!(p["tenant"], json!(9));
    }
    let access = jwt.validate(&pair.access, TokenType::Access).unwrap();
    assert_eq!(access.claims::<Custom>().unwrap(), custom);
}

#[tokio::test]
async fn custom_claims_cannot_overwrite_registered_ones() {
    let (jwt, _) = jwt();
    for name in [
        "exp",
        "jti",
        "token_type",
        "user_id",
        "iat",
        "aud",
        "iss",
        "nbf",
    ] {
        let err = jwt.for_user(1).with_claim(name, 1).access().unwrap_err();
        assert!(
            matches!(err, MintError::ReservedClaim(ref n) if n == name),
            "{name}: {err}"
        );
    }
    assert!(matches!(
        jwt.for_user(1).with_claims(&[1, 2]).access(),
        Err(MintError::InvalidClaims(_))
    ));
    // The first mistake is the one reported, by every call that mints.
    assert!(matches!(
        jwt.for_user(1).with_claim("exp", 1).with_claim("scope", "ok").pair().await,
        Err(MintError::ReservedClaim(ref n)) if n == "exp"
    ));
}

#[tokio::test]
async fn access_from_refresh_copies_every_claim_but_type_exp_jti_iat() {
    let (jwt, clock) = jwt();
    let pair = jwt
        .for_user(5)
        .with_claim("scope", "read")
        .pair()
        .await
        .unwrap();
    clock.advance(minutes(10));
    let refresh = jwt.validate(&pair.refresh, TokenType::Refresh).unwrap();
    let access = jwt.access_from_refresh(&refresh).unwrap();
    let (r, a) = (payload(&pair.refresh), payload(&access));
    assert_eq!(a["token_type"], "access");
    assert_eq!(a["iat"], json!(NOW + 600));
    assert_eq!(a["exp"], json!(NOW + 600 + 300));
    assert_ne!(a["jti"], r["jti"]);
    for (k, v) in r.as_object().unwrap() {
        if !["token_type", "exp", "iat", "jti"].contains(&k.as_str()) {
            assert_eq!(&a[k], v, "claim {k} not copied");
        }
    }
}

#[tokio::test]
async fn token_built_by_hand_with_pyjwt_claims_is_accepted() {
    // What Simple JWT 5.5 issues for `RefreshToken.for_user(user).access_token`.
    let (jwt, _) = jwt();
    let claims = json!({
        "token_type": "access",
        "exp": NOW + 300,
        "iat": NOW,
        "jti": "5f1ad0c1a0e24fd9b1ed1a4a7e4a6a0b",
        "user_id": 17,
    });
    let token = hs256(&json!({"alg": "HS256", "typ": "JWT"}), &claims);
    let t = jwt.validate_access(&token).unwrap();
    assert_eq!(t.user_id(), Some("17"));
    // A token without kid/typ in the header, as some PyJWT versions write it.
    let token = hs256(&json!({"typ": "JWT", "alg": "HS256"}), &claims);
    assert!(jwt.validate_access(&token).is_ok());
}

#[tokio::test]
async fn minted_tokens_pass_simplejwt_rules() {
    // Simple JWT's checks: PyJWT decode (HS256, exp), then `exp`, `jti` and
    // `token_type` present; user id under USER_ID_CLAIM.
    let (jwt, _) = jwt();
    let pair = jwt.for_user(99).pair().await.unwrap();
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = false; // the test clock is in the future
    for (token, kind) in [(&pair.access, "access"), (&pair.refresh, "refresh")] {
        let p = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(SECRET), &v)
            .unwrap()
            .claims;
        assert_eq!(p["token_type"], kind);
        assert!(p["exp"].is_u64() && p["iat"].is_u64());
        assert!(p.get("jti").is_some() && p.get("user_id").is_some());
    }
}
