//! Token validation: this crate versus raw `jsonwebtoken::decode` of the same
//! token with the same checks, and versus the floor (a pre-keyed HMAC over
//! the signing input plus base64url and serde decoding of the claims).
//!
//! `cargo bench --bench validation`

use std::hint::black_box;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tower_simplejwt::{Key, SimpleJwt, TokenType};

const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret!!";

#[derive(Deserialize)]
#[allow(dead_code)]
struct Claims {
    token_type: String,
    exp: u64,
    iat: u64,
    jti: String,
    user_id: String,
}

fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = 0;
    v.validate_nbf = true;
    v
}

fn hs256(c: &mut Criterion) {
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let token = jwt.for_user(42).access().unwrap();
    let key = DecodingKey::from_secret(SECRET);
    let v = validation(Algorithm::HS256);
    let prekeyed = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();

    let mut g = c.benchmark_group("validate_hs256");
    g.bench_function("floor_prekeyed_hmac_plus_decode", |b| {
        b.iter(|| {
            let t = black_box(token.as_str());
            let (msg, sig) = t.rsplit_once('.').unwrap();
            let payload = msg.split_once('.').unwrap().1;
            let mut m = prekeyed.clone();
            m.update(msg.as_bytes());
            let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            m.verify_slice(&sig).unwrap();
            let json = URL_SAFE_NO_PAD.decode(payload).unwrap();
            black_box(serde_json::from_slice::<Claims>(&json).unwrap())
        })
    });
    g.bench_function("tower_simplejwt", |b| {
        b.iter(|| black_box(jwt.validate(black_box(&token), TokenType::Access).unwrap()))
    });
    g.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| black_box(jsonwebtoken::decode::<Claims>(black_box(&token), &key, &v).unwrap()))
    });
    g.finish();
}

fn asymmetric(c: &mut Criterion) {
    for (name, alg, private, public) in [
        (
            "es256",
            Algorithm::ES256,
            &include_bytes!("../tests/keys/es256.pem")[..],
            &include_bytes!("../tests/keys/es256.pub.pem")[..],
        ),
        (
            "eddsa",
            Algorithm::EdDSA,
            &include_bytes!("../tests/keys/ed25519.pem")[..],
            &include_bytes!("../tests/keys/ed25519.pub.pem")[..],
        ),
    ] {
        let jwt = SimpleJwt::builder()
            .with_signing_key(Key::private_pem(alg, private))
            .build()
            .unwrap();
        let token = jwt.for_user(42).access().unwrap();
        let key = match alg {
            Algorithm::ES256 => DecodingKey::from_ec_pem(public).unwrap(),
            _ => DecodingKey::from_ed_pem(public).unwrap(),
        };
        let v = validation(alg);
        let mut g = c.benchmark_group(format!("validate_{name}"));
        g.bench_function("tower_simplejwt", |b| {
            b.iter(|| black_box(jwt.validate(black_box(&token), TokenType::Access).unwrap()))
        });
        g.bench_function("jsonwebtoken_decode", |b| {
            b.iter(|| {
                black_box(jsonwebtoken::decode::<Claims>(black_box(&token), &key, &v).unwrap())
            })
        });
        g.finish();
    }
}

fn minting(c: &mut Criterion) {
    let jwt = SimpleJwt::builder().with_secret(SECRET).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function("mint_pair_hs256", |b| {
        b.iter(|| rt.block_on(async { black_box(jwt.for_user(42).pair().await.unwrap()) }))
    });
}

criterion_group!(benches, hs256, asymmetric, minting);
criterion_main!(benches);
