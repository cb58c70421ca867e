//! The crate verifies HS* tokens itself (pre-keyed HMAC, one parse). This
//! suite shows it accepts and rejects exactly what `jsonwebtoken::decode`
//! does with the same settings, on valid and mangled tokens.
//!
//! Claims in this suite always satisfy the crate's extra rules (`jti`
//! present, `iat` in the past, no `crit`), which `jsonwebtoken` does not
//! check; those rules have their own tests in `validation.rs`.

mod common;

use common::{SECRET, sign_raw};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tower_simplejwt::clock::{Clock, ManualClock};
use tower_simplejwt::{Key, SimpleJwt};

fn setup(alg: Algorithm) -> (SimpleJwt, Validation, u64, Vec<u8>) {
    let secret: Vec<u8> = SECRET.iter().cycle().take(64).copied().collect();
    let clock = ManualClock::starting_now();
    let now = clock.now();
    let jwt = SimpleJwt::builder()
        .with_signing_key(Key::hmac(alg, &secret))
        .with_clock(clock)
        .build()
        .unwrap();
    let mut v = Validation::new(alg);
    v.leeway = 0;
    v.validate_nbf = true;
    (jwt, v, now, secret)
}

fn claims(now: u64) -> Value {
    json!({
        "token_type": "access",
        "exp": now + 3600,
        "iat": now - 10,
        "jti": "0123456789abcdef0123456789abcdef",
        "user_id": "42",
        "name": "Zoë",
    })
}

fn sign(alg: Algorithm, header: &[u8], payload: &[u8], secret: &[u8]) -> String {
    if alg == Algorithm::HS256 {
        return sign_raw(header, payload, secret);
    }
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = jsonwebtoken::crypto::sign(
        msg.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        alg,
    )
    .unwrap();
    format!("{msg}.{sig}")
}

fn mangled(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'_', b'-', b'.', b'=', b'+', b'/', b' '] {
            if bytes[i] != replacement {
                let mut b = bytes.to_vec();
                b[i] = replacement;
                out.push(String::from_utf8(b).unwrap());
            }
        }
        let mut deleted = bytes.to_vec();
        deleted.remove(i);
        out.push(String::from_utf8(deleted).unwrap());
        out.push(token[..i].to_owned());
    }
    out.push(format!("{token}."));
    out.push(format!(".{token}"));
    out.push(format!("{token}A"));
    out.push(format!("{token}=="));
    out
}

fn agree(jwt: &SimpleJwt, v: &Validation, secret: &[u8], token: &str) -> bool {
    let ours = jwt.validate_untyped(token).is_ok();
    let theirs = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret), v).is_ok();
    if ours != theirs {
        eprintln!("disagreement (ours={ours}, jsonwebtoken={theirs}) on {token:?}");
    }
    ours == theirs
}

#[test]
fn fast_hmac_path_agrees_with_jsonwebtoken_on_mangled_tokens() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let (jwt, v, now, secret) = setup(alg);
        let header = serde_json::to_vec(&json!({"alg": format!("{alg:?}"), "typ": "JWT"})).unwrap();
        let token = sign(
            alg,
            &header,
            &serde_json::to_vec(&claims(now)).unwrap(),
            &secret,
        );
        assert!(agree(&jwt, &v, &secret, &token));
        assert!(
            jwt.validate_untyped(&token).is_ok(),
            "the valid token must pass"
        );
        let variants = mangled(&token);
        let disagreements = variants
            .iter()
            .filter(|t| !agree(&jwt, &v, &secret, t))
            .count();
        assert_eq!(
            disagreements,
            0,
            "{alg:?}: {disagreements} of {} mangled tokens judged differently",
            variants.len()
        );
    }
}

#[test]
fn fast_hmac_path_agrees_with_jsonwebtoken_on_unusual_headers() {
    let (jwt, v, now, secret) = setup(Algorithm::HS256);
    let payload = serde_json::to_vec(&claims(now)).unwrap();
    let headers = [
        r#"{"alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"typ":"JWT","alg":"HS256"}"#,
        r#" { "alg" : "HS256" } "#,
        r#"{"alg":"HS256","typ":null}"#,
        r#"{"alg":"HS256","typ":5}"#,
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        r#"{"alg":"HS256","kid":null}"#,
        r#"{"alg":"HS256","cty":"JWT"}"#,
        r#"{"alg":"HS256","x5c":"not-a-list"}"#,
        r#"{"alg":"HS256","x5c":["AAAA"]}"#,
        r#"{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}}"#,
        r#"{"alg":"HS256","jwk":"bad"}"#,
        r#"{"alg":"HS256","custom":{"a":[1,2,3]}}"#,
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        r#"{"alg":"hs256"}"#,
        r#"{"alg":"HS256"} x"#,
        r#"{"alg":"HS256"}}"#,
        r#"{"alg":"HS\u0032\u0035\u0036"}"#,
        r#"{"alg":"HS256","typ":"J\u0057T"}"#,
        r#"["HS256"]"#,
        r#"{}"#,
        "\u{feff}{\"alg\":\"HS256\"}",
    ];
    let long_chain = format!(r#"{{"alg":"HS256","x5c":["{}"]}}"#, "A".repeat(900));
    let headers = headers.iter().copied().chain([long_chain.as_str()]);
    for header in headers {
        let token = sign(Algorithm::HS256, header.as_bytes(), &payload, &secret);
        assert!(agree(&jwt, &v, &secret, &token), "header {header}");
    }
}

#[test]
fn fast_hmac_path_agrees_with_jsonwebtoken_on_unusual_payloads() {
    let (jwt, v, now, secret) = setup(Algorithm::HS256);
    let base = format!(
        r#""token_type":"access","exp":{},"iat":{},"jti":"0123456789abcdef0123456789abcdef","user_id":"42""#,
        now + 3600,
        now - 10
    );
    let payloads = [
        format!("{{{base}}}"),
        format!(" {{ {base} }} \n"),
        format!("{{{base},\"extra\":[1,{{\"a\":null}}]}}"),
        format!("{{{base},\"extra\":1,\"extra\":2}}"),
        format!("{{{base},\"aud\":\"x\"}}"),
        format!("{{{base},\"nbf\":{}}}", now + 100),
        format!("{{{base},\"nbf\":{}}}", now - 100),
        format!("{{{base}}} trailing"),
        format!("{{{base}}}}}"),
        format!("[{{{base}}}]"),
        format!("{{{base},}}"),
        format!(
            "{{{}}}",
            base.replace(&format!("{}", now + 3600), &format!("{}", now - 3600))
        ),
        format!(
            "{{{}}}",
            base.replace(
                &format!("\"exp\":{}", now + 3600),
                &format!("\"exp\":\"{}\"", now + 3600)
            )
        ),
        format!(
            "{{{}}}",
            base.replace(&format!("\"exp\":{}", now + 3600), "\"exp\":null")
        ),
        "null".to_owned(),
        "{}".to_owned(),
    ];
    for payload in &payloads {
        let token = sign(
            Algorithm::HS256,
            br#"{"alg":"HS256","typ":"JWT"}"#,
            payload.as_bytes(),
            &secret,
        );
        assert!(agree(&jwt, &v, &secret, &token), "payload {payload}");
    }
}

#[test]
fn fast_hmac_path_agrees_with_jsonwebtoken_on_payloads_that_are_not_utf8() {
    let (jwt, v, now, secret) = setup(Algorithm::HS256);
    let base = format!(
        r#""token_type":"access","exp":{},"iat":{},"jti":"0123456789abcdef0123456789abcdef","user_id":"42""#,
        now + 3600,
        now - 10
    );
    let open = format!("{{{base},").into_bytes();
    let bad: [&[u8]; 9] = [
        b"\"note\":\"\\ud800\"}",
        b"\"big\":1e400}",
        b"\"nested\":[{\"a\":\"\\udc00x\"}]}",
        b"\"extra\":\"\xff\"}",
        b"\"extra\":\"ab\xc3\"}",
        b"\"extra\":{\"k\":\"\xed\xa0\x80\"}}",
        b"\"extra\":[\"\xc0\xaf\"]}",
        b"\"\xff\":1}",
        b"\"extra\":\"fine\"}",
    ];
    for tail in bad {
        let payload = [open.as_slice(), tail].concat();
        let token = sign(
            Algorithm::HS256,
            br#"{"alg":"HS256","typ":"JWT"}"#,
            &payload,
            &secret,
        );
        assert!(
            agree(&jwt, &v, &secret, &token),
            "payload {}",
            String::from_utf8_lossy(&payload)
        );
    }
}
