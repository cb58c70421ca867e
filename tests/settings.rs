//! Settings: Simple JWT's defaults, build-time errors, environment loading.

use std::collections::HashMap;
use std::time::Duration;

use tower_simplejwt::{ConfigErrorKind, MemoryStore, SimpleJwt, SimpleJwtBuilder, TokenType};

const SECRET: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn defaults_match_simplejwt() {
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let s = jwt.settings();
    assert_eq!(s.access_token_lifetime, Duration::from_secs(300));
    assert_eq!(s.refresh_token_lifetime, Duration::from_secs(86400));
    assert_eq!(s.sliding_token_lifetime, Duration::from_secs(300));
    assert_eq!(s.sliding_token_refresh_lifetime, Duration::from_secs(86400));
    assert!(!s.rotate_refresh_tokens);
    assert!(!s.blacklist_after_rotation);
    assert!(!s.update_last_login);
    assert_eq!(s.leeway, Duration::ZERO);
    assert_eq!(s.auth_header_name, http::header::AUTHORIZATION);
    assert_eq!(s.auth_header_types, vec!["Bearer".to_owned()]);
    assert_eq!(s.user_id_claim, "user_id");
    assert_eq!(s.token_type_claim, "token_type");
    assert_eq!(s.jti_claim, "jti");
    assert_eq!(s.sliding_refresh_exp_claim, "refresh_exp");
    assert_eq!(s.auth_token_types, vec![TokenType::Access]);
    assert!(s.check_user_is_active);
    assert!(!s.check_revoke_token);
    assert_eq!(s.revoke_token_claim, "hash_password");
    assert_eq!(s.max_token_length, 8192);
    assert!(jwt.store().is_none());
}

#[test]
fn blacklisting_without_a_store_fails_at_build_time() {
    let err = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::StoreRequired);
    assert!(err.to_string().contains("with_store"), "{err}");
    let err = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_access_revocation(true)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::StoreRequired);
}

#[test]
fn reuse_detection_defaults_on_with_rotation_and_blacklist() {
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap();
    assert!(jwt.settings().reuse_detection);
    let off = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .with_reuse_detection(false)
        .build()
        .unwrap();
    assert!(!off.settings().reuse_detection);
    let err = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_reuse_detection(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("rotate"), "{err}");
}

#[test]
fn nonsensical_values_are_refused() {
    let b = || SimpleJwt::builder().with_secret(SECRET);
    assert!(
        b().with_access_token_lifetime(Duration::ZERO)
            .build()
            .is_err()
    );
    assert!(
        b().with_auth_header_types(Vec::<String>::new())
            .build()
            .is_err()
    );
    assert!(
        b().with_auth_header_types(["Bearer token"])
            .build()
            .is_err()
    );
    assert!(
        b().with_auth_token_types([TokenType::Refresh])
            .build()
            .is_err()
    );
    assert!(b().with_user_id_claim("jti").build().is_err());
    assert!(b().with_user_id_claim("exp").build().is_err());
    assert!(b().with_max_token_length(10).build().is_err());
}

fn env(vars: &[(&str, &str)]) -> Result<SimpleJwtBuilder, tower_simplejwt::ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SimpleJwtBuilder::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn settings_load_from_environment_variables() {
    let jwt = env(&[
        ("SIMPLE_JWT_SIGNING_KEY", SECRET),
        ("SIMPLE_JWT_ACCESS_TOKEN_LIFETIME", "60"),
        ("SIMPLE_JWT_REFRESH_TOKEN_LIFETIME", "3600"),
        ("SIMPLE_JWT_ROTATE_REFRESH_TOKENS", "true"),
        ("SIMPLE_JWT_AUDIENCE", "a, b"),
        ("SIMPLE_JWT_ISSUER", "me"),
        ("SIMPLE_JWT_AUTH_HEADER_TYPES", "Bearer,JWT"),
        ("SIMPLE_JWT_USER_ID_CLAIM", "uid"),
        ("SIMPLE_JWT_KEY_ID", "k1"),
    ])
    .unwrap()
    .build()
    .unwrap();
    let s = jwt.settings();
    assert_eq!(s.access_token_lifetime, Duration::from_secs(60));
    assert_eq!(s.refresh_token_lifetime, Duration::from_secs(3600));
    assert!(s.rotate_refresh_tokens);
    assert_eq!(s.audience, vec!["a".to_owned(), "b".to_owned()]);
    assert_eq!(s.issuer.as_deref(), Some("me"));
    assert_eq!(
        s.auth_header_types,
        vec!["Bearer".to_owned(), "JWT".to_owned()]
    );
    assert_eq!(s.user_id_claim, "uid");
    let token = jwt.for_user(1).access().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
        Some("k1")
    );
}

#[test]
fn bad_environment_values_name_the_variable() {
    let err = env(&[("SIMPLE_JWT_ACCESS_TOKEN_LIFETIME", "5m")]).unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::Environment);
    assert!(
        err.to_string().contains("SIMPLE_JWT_ACCESS_TOKEN_LIFETIME"),
        "{err}"
    );
    let err = env(&[("SIMPLE_JWT_ALGORITHM", "HS999")]).unwrap_err();
    assert!(err.to_string().contains("SIMPLE_JWT_ALGORITHM"), "{err}");
    let err = env(&[("SIMPLE_JWT_SIGNING_KEY_FILE", "/does/not/exist.pem")]).unwrap_err();
    assert!(err.to_string().contains("/does/not/exist.pem"), "{err}");
}

#[test]
fn refresh_without_a_user_check_is_a_config_error_unless_stateless() {
    use tower_simplejwt::endpoints::TokenEndpoints;
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let err = TokenEndpoints::builder(jwt.clone()).build().unwrap_err();
    assert_eq!(err.kind(), ConfigErrorKind::UserResolverRequired);
    let message = err.to_string();
    assert!(message.contains("check_user_is_active"), "{message}");
    assert!(message.contains(".with_user_resolver("), "{message}");
    assert!(message.contains(".stateless()"), "{message}");
    assert!(TokenEndpoints::builder(jwt).stateless().build().is_ok());

    // With the check off nothing is promised, so nothing is missing.
    let off = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_check_user_is_active(false)
        .build()
        .unwrap();
    assert!(TokenEndpoints::builder(off).build().is_ok());

    // The password check cannot be waived: it needs the user.
    let revoke = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_check_revoke_token(true)
        .build()
        .unwrap();
    let err = TokenEndpoints::builder(revoke)
        .stateless()
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("check_revoke_token"), "{err}");
}

#[test]
fn lifetimes_too_large_to_add_to_now_are_refused() {
    let century = Duration::from_secs(101 * 365 * 24 * 3600);
    for b in [
        SimpleJwt::builder().with_refresh_token_lifetime(century),
        SimpleJwt::builder().with_access_token_lifetime(Duration::MAX),
        SimpleJwt::builder().with_leeway(century),
        SimpleJwt::builder().with_max_session_lifetime(Duration::from_secs(u64::MAX)),
    ] {
        let err = b.with_secret(SECRET).build().unwrap_err();
        assert_eq!(err.kind(), ConfigErrorKind::InvalidValue);
        assert!(err.to_string().contains("beyond 100 years"), "{err}");
    }
}

#[test]
fn the_family_claim_is_named_family_id() {
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .unwrap();
    assert_eq!(jwt.settings().family_claim, "family_id");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pair = rt.block_on(jwt.for_user(1).pair()).unwrap();
    let access: serde_json::Value = jwt
        .validate(&pair.access, TokenType::Access)
        .unwrap()
        .claims()
        .unwrap();
    let refresh = jwt.validate(&pair.refresh, TokenType::Refresh).unwrap();
    assert_eq!(access["family_id"], refresh.jti(), "the login's family");
}
