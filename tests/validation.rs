//! Strict validation: every rule is a test, every failure one of the
//! contract's messages.

mod common;

use common::*;
use serde_json::json;
use tower_simplejwt::{SimpleJwt, TokenError, TokenType};

/// `claims` under the default header, signed with a secret that is not ours.
fn signed_with_another_secret(claims: &serde_json::Value) -> String {
    sign_raw(
        &serde_json::to_vec(&default_header()).unwrap(),
        &serde_json::to_vec(claims).unwrap(),
        b"another-secret-that-is-32-bytes-long!!",
    )
}

fn check(claims: serde_json::Value) -> Result<tower_simplejwt::VerifiedToken, TokenError> {
    let (jwt, _) = jwt();
    jwt.validate(&hs256(&default_header(), &claims), TokenType::Access)
}

#[test]
fn simplejwt_style_access_token_is_accepted() {
    let token = check(simplejwt_claims("access", NOW)).unwrap();
    assert_eq!(token.user_id(), Some("42"));
    assert_eq!(token.jti(), "0123456789abcdef0123456789abcdef");
    assert_eq!(token.exp(), NOW + 300);
    assert_eq!(token.token_type(), TokenType::Access);
}

#[test]
fn integer_user_id_is_accepted_as_text() {
    let mut c = simplejwt_claims("access", NOW);
    c["user_id"] = json!(42);
    assert_eq!(check(c).unwrap().user_id(), Some("42"));
}

#[test]
fn exp_equal_to_now_is_expired() {
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!(NOW);
    assert_eq!(check(c).unwrap_err(), TokenError::Expired);
}

#[test]
fn exp_one_second_ahead_is_valid_and_expires_when_the_clock_moves() {
    let (jwt, clock) = jwt();
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!(NOW + 1);
    let token = hs256(&default_header(), &c);
    assert!(jwt.validate(&token, TokenType::Access).is_ok());
    clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Expired
    );
}

#[test]
fn leeway_is_zero_by_default_and_configurable() {
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!(NOW - 5);
    let token = hs256(&default_header(), &c);
    let (jwt, _) = jwt();
    assert_eq!(jwt.settings().leeway.as_secs(), 0);
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Expired
    );
    let (b, _) = builder();
    let lenient = b
        .with_leeway(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(lenient.validate(&token, TokenType::Access).is_ok());
}

#[test]
fn missing_exp_is_reported_as_no_exp_claim() {
    let mut c = simplejwt_claims("access", NOW);
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(check(c).unwrap_err(), TokenError::NoExp);
    assert_eq!(TokenError::NoExp.to_string(), "Token has no 'exp' claim");
}

#[test]
fn numeric_string_exp_is_invalid_not_a_crash() {
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!(format!("{}", NOW + 300));
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
}

#[test]
fn float_exp_is_invalid() {
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!((NOW + 300) as f64 + 0.5);
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
}

#[test]
fn future_nbf_is_rejected() {
    let mut c = simplejwt_claims("access", NOW);
    c["nbf"] = json!(NOW + 1);
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
    let mut c = simplejwt_claims("access", NOW);
    c["nbf"] = json!(NOW);
    assert!(check(c).is_ok());
}

#[test]
fn future_iat_is_rejected() {
    let mut c = simplejwt_claims("access", NOW);
    c["iat"] = json!(NOW + 1);
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
}

#[test]
fn missing_jti_is_no_id() {
    let mut c = simplejwt_claims("access", NOW);
    c.as_object_mut().unwrap().remove("jti");
    assert_eq!(check(c).unwrap_err(), TokenError::NoId);
    assert_eq!(TokenError::NoId.to_string(), "Token has no id");
}

#[test]
fn non_string_jti_is_invalid() {
    let mut c = simplejwt_claims("access", NOW);
    c["jti"] = json!(12);
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
}

#[test]
fn refresh_token_never_passes_as_access() {
    assert_eq!(
        check(simplejwt_claims("refresh", NOW)).unwrap_err(),
        TokenError::WrongType
    );
    assert_eq!(
        check(simplejwt_claims("sliding", NOW)).unwrap_err(),
        TokenError::WrongType
    );
    assert_eq!(TokenError::WrongType.to_string(), "Token has wrong type");
}

#[test]
fn missing_token_type_is_no_type() {
    let mut c = simplejwt_claims("access", NOW);
    c.as_object_mut().unwrap().remove("token_type");
    assert_eq!(check(c).unwrap_err(), TokenError::NoType);
}

#[test]
fn crit_header_is_rejected() {
    let (jwt, _) = jwt();
    let header = json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"], "exp": 1});
    let token = hs256(&header, &simplejwt_claims("access", NOW));
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn only_the_keys_algorithm_is_accepted() {
    let (jwt, _) = jwt();
    for alg in ["HS384", "HS512", "none", "RS256", "ES256"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        let token = hs256(&header, &simplejwt_claims("access", NOW));
        assert_eq!(
            jwt.validate(&token, TokenType::Access).unwrap_err(),
            TokenError::Invalid,
            "{alg}"
        );
    }
    // An unsigned token is refused too.
    let unsigned = {
        let t = hs256(&json!({"alg": "none"}), &simplejwt_claims("access", NOW));
        format!("{}.", t.rsplit_once('.').unwrap().0)
    };
    assert_eq!(
        jwt.validate(&unsigned, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn token_length_is_capped_before_decoding() {
    let mut c = simplejwt_claims("access", NOW);
    c["padding"] = json!("x".repeat(9000));
    let token = hs256(&default_header(), &c);
    assert!(token.len() > 8192);
    assert_eq!(check(c.clone()).unwrap_err(), TokenError::Invalid);
    let (b, _) = builder();
    let big = b.with_max_token_length(64 * 1024).build().unwrap();
    assert!(big.validate(&token, TokenType::Access).is_ok());
}

#[test]
fn wrong_secret_is_invalid() {
    let c = simplejwt_claims("access", NOW);
    let token = signed_with_another_secret(&c);
    let (jwt, _) = jwt();
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn expired_and_badly_signed_reports_invalid_first() {
    let mut c = simplejwt_claims("access", NOW);
    c["exp"] = json!(NOW - 100);
    let token = signed_with_another_secret(&c);
    let (jwt, _) = jwt();
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn audience_and_issuer_are_required_and_checked_when_configured() {
    let (b, _) = builder();
    let jwt = b
        .with_audience("api://orders")
        .with_issuer("https://auth.example")
        .build()
        .unwrap();
    let mut c = simplejwt_claims("access", NOW);
    let sign = |c: &serde_json::Value| hs256(&default_header(), c);
    assert_eq!(
        jwt.validate(&sign(&c), TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
    c["aud"] = json!("api://orders");
    assert_eq!(
        jwt.validate(&sign(&c), TokenType::Access).unwrap_err(),
        TokenError::Invalid,
        "iss missing"
    );
    c["iss"] = json!("https://auth.example");
    assert!(jwt.validate(&sign(&c), TokenType::Access).is_ok());
    c["aud"] = json!(["other", "api://orders"]);
    assert!(jwt.validate(&sign(&c), TokenType::Access).is_ok());
    c["aud"] = json!("api://billing");
    assert_eq!(
        jwt.validate(&sign(&c), TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
    c["aud"] = json!("api://orders");
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        jwt.validate(&sign(&c), TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
    // Minted tokens carry both.
    let minted = jwt.for_user(1).access().unwrap();
    let token = jwt.validate_access(&minted).unwrap();
    let claims: serde_json::Value = token.claims().unwrap();
    assert_eq!(claims["aud"], "api://orders");
    assert_eq!(claims["iss"], "https://auth.example");
}

#[test]
fn token_with_audience_is_refused_when_none_is_configured() {
    let mut c = simplejwt_claims("access", NOW);
    c["aud"] = json!("someone-else");
    assert_eq!(check(c).unwrap_err(), TokenError::Invalid);
}

#[test]
fn garbage_never_panics_and_is_invalid() {
    let (jwt, _) = jwt();
    let valid = hs256(&default_header(), &simplejwt_claims("access", NOW));
    let mut inputs: Vec<String> = vec![
        "".into(),
        ".".into(),
        "..".into(),
        "a.b.c".into(),
        "a.b.c.d".into(),
        "!!!.???.***".into(),
        "eyJhbGciOiJIUzI1NiJ9".into(),
        format!("{valid}.extra"),
        format!("{valid}="),
        valid.replace('.', ".."),
        "\u{0}\u{1}.\u{2}.\u{3}".into(),
        "é.é.é".into(),
    ];
    for header in [
        "null",
        "[]",
        "1",
        "\"x\"",
        "{}",
        "{\"alg\":1}",
        "{\"alg\":\"HS256\",\"kid\":5}",
        "{\"alg\":\"HS256\",\"typ\":{}}",
    ] {
        inputs.push(sign_raw(header.as_bytes(), br#"{"exp":1}"#, SECRET));
    }
    for payload in [
        "null",
        "[]",
        "1",
        "\"x\"",
        "{",
        "{\"exp\":1e400}",
        "{\"exp\":-1}",
        "{\"exp\":18446744073709551616}",
    ] {
        inputs.push(sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), SECRET));
    }
    for (i, input) in inputs.iter().enumerate() {
        let err = jwt.validate(input, TokenType::Access).unwrap_err();
        assert!(
            matches!(err, TokenError::Invalid | TokenError::Expired),
            "input {i}: {err:?}"
        );
    }
}

#[test]
fn duplicate_registered_claims_are_invalid() {
    let (jwt, _) = jwt();
    let payload = format!(
        r#"{{"token_type":"access","exp":{},"exp":{},"iat":{NOW},"jti":"a","user_id":"1"}}"#,
        NOW - 10,
        NOW + 300
    );
    let token = sign_raw(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        payload.as_bytes(),
        SECRET,
    );
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn escaped_strings_in_claims_are_decoded() {
    let (jwt, _) = jwt();
    let payload = format!(
        r#"{{"token_type":"acc\u0065ss","exp":{},"iat":{NOW},"jti":"j\u00e9","user_id":"\u0034\u0032"}}"#,
        NOW + 300
    );
    let token = sign_raw(
        br#"{"alg":"HS256","typ":"J\u0057T"}"#,
        payload.as_bytes(),
        SECRET,
    );
    let t = jwt.validate(&token, TokenType::Access).unwrap();
    assert_eq!(t.user_id(), Some("42"));
    assert_eq!(t.jti(), "jé");
}

#[test]
fn sliding_tokens_pass_the_layer_only_when_configured() {
    let (b, _) = builder();
    let jwt: SimpleJwt = b.build().unwrap();
    let sliding = hs256(&default_header(), &{
        let mut c = simplejwt_claims("sliding", NOW);
        c["refresh_exp"] = json!(NOW + 86400);
        c
    });
    assert_eq!(
        jwt.validate_access(&sliding).unwrap_err(),
        TokenError::WrongType
    );
    let (b, _) = builder();
    let jwt = b
        .with_auth_token_types([TokenType::Access, TokenType::Sliding])
        .build()
        .unwrap();
    assert_eq!(
        jwt.validate_access(&sliding).unwrap().refresh_exp(),
        Some(NOW + 86400)
    );
}

#[test]
fn invalid_utf8_inside_an_unknown_claim_is_invalid() {
    let (jwt, _) = jwt();
    let mut payload = serde_json::to_vec(&simplejwt_claims("access", NOW)).unwrap();
    payload.pop(); // the closing brace
    payload.extend_from_slice(b",\"note\":\"caf\xe9\"}");
    let token = sign_raw(
        &serde_json::to_vec(&default_header()).unwrap(),
        &payload,
        SECRET,
    );
    assert_eq!(
        jwt.validate(&token, TokenType::Access).unwrap_err(),
        TokenError::Invalid
    );
}

#[test]
fn any_crit_header_is_refused_even_null() {
    let (jwt, _) = jwt();
    for crit in [json!(null), json!([]), json!(["exp"])] {
        let header = json!({"alg": "HS256", "typ": "JWT", "crit": crit});
        let token = hs256(&header, &simplejwt_claims("access", NOW));
        assert_eq!(
            jwt.validate(&token, TokenType::Access).unwrap_err(),
            TokenError::Invalid,
            "crit: {crit}"
        );
    }
}

#[test]
fn a_family_claim_of_any_type_is_someone_elses_when_families_are_not_tracked() {
    let (jwt, _) = jwt();
    let mut c = simplejwt_claims("access", NOW);
    c["family_id"] = json!(12345);
    let token = jwt
        .validate(&hs256(&default_header(), &c), TokenType::Access)
        .expect("an interop token with a numeric family_id is valid");
    assert_eq!(token.family(), None);

    // With reuse detection on, the claim is ours and must be text.
    let (b, _) = builder();
    let tracking = b
        .with_store(tower_simplejwt::MemoryStore::new())
        .with_access_revocation(true)
        .build()
        .unwrap();
    assert_eq!(
        tracking
            .validate(&hs256(&default_header(), &c), TokenType::Access)
            .unwrap_err(),
        TokenError::Invalid
    );
    c["family_id"] = json!("f-1");
    let token = tracking
        .validate(&hs256(&default_header(), &c), TokenType::Access)
        .unwrap();
    assert_eq!(token.family(), Some("f-1"));
}
