//! Validation through a remote key set versus through the same public key
//! configured statically, and the cost of a forged `kid` (refused within the
//! cooldown, without a fetch) versus a bad signature.
//!
//! `cargo bench --bench remote_keys`
//!
//! Instruction counts (repeatable on a noisy machine): with
//! `REMOTE_KEYS_COUNT="<es256|rs256> <variant> <n>"` the binary runs `n`
//! validations of one variant and exits; `scripts/remote_keys_instructions.sh`
//! runs it under callgrind for n = 0 and n = 1000 and prints the difference
//! per call.

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, criterion_group};
use tower_simplejwt::{Algorithm, Key, RemoteKeys, SimpleJwt, TokenType};

const ISSUER: &str = "https://idp.example.com";

struct Case {
    name: &'static str,
    alg: Algorithm,
    private: &'static str,
    public: &'static str,
}

const CASES: [Case; 2] = [
    Case {
        name: "es256",
        alg: Algorithm::ES256,
        private: include_str!("../tests/keys/es256.pem"),
        public: include_str!("../tests/keys/es256.pub.pem"),
    },
    Case {
        name: "rs256",
        alg: Algorithm::RS256,
        private: include_str!("../tests/keys/rsa.pem"),
        public: include_str!("../tests/keys/rsa.pub.pem"),
    },
];

fn provider(case: &Case, kid: &str) -> SimpleJwt {
    SimpleJwt::builder()
        .with_signing_key(Key::private_pem(case.alg, case.private).with_kid(kid))
        .with_issuer(ISSUER)
        .build()
        .unwrap()
}

/// Serves `set` at `/jwks.json` on loopback; returns its URL.
async fn serve(set: serde_json::Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let app = Router::new().route("/jwks.json", get(move || async move { axum::Json(set) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Everything one case measures.
struct Setup {
    fixed: SimpleJwt,
    remote: SimpleJwt,
    token: String,
    forged: String,
    bad_signature: String,
}

fn setup(rt: &tokio::runtime::Runtime, case: &Case) -> Setup {
    let idp = provider(case, "k1");
    let token = idp.for_user(42).access().unwrap();
    let set = serde_json::to_value(idp.jwks()).unwrap();
    let fixed = SimpleJwt::builder()
        .with_verifying_key(Key::public_pem(case.alg, case.public).with_kid("k1"))
        .with_issuer(ISSUER)
        .build()
        .unwrap();
    let remote = rt.block_on(async {
        let keys = RemoteKeys::jwks_url(serve(set).await)
            .with_issuer(ISSUER)
            // The flood below stays within one cooldown: no fetch is measured.
            .with_cooldown(Duration::from_secs(3600))
            .load()
            .await
            .unwrap();
        SimpleJwt::builder().with_remote_keys(keys).build().unwrap()
    });
    let forged = provider(case, "forged").for_user(42).access().unwrap();
    let bad_signature = {
        let (message, signature) = token.rsplit_once('.').unwrap();
        let mut signature = signature.as_bytes().to_vec();
        signature[4] = if signature[4] == b'A' { b'B' } else { b'A' };
        format!("{message}.{}", String::from_utf8(signature).unwrap())
    };
    let _guard = rt.enter();
    assert!(remote.validate(&token, TokenType::Access).is_ok());
    assert!(fixed.validate(&token, TokenType::Access).is_ok());
    // The first forged `kid` starts the one fetch of the cooldown.
    assert!(remote.validate(&forged, TokenType::Access).is_err());
    assert!(remote.validate(&bad_signature, TokenType::Access).is_err());
    Setup {
        fixed,
        remote,
        token,
        forged,
        bad_signature,
    }
}

/// The variants measured, by name.
fn variant<'a>(s: &'a Setup, name: &str) -> (&'a SimpleJwt, &'a str) {
    match name {
        "static_key" => (&s.fixed, &s.token),
        "remote_key_set" => (&s.remote, &s.token),
        "remote_bad_signature" => (&s.remote, &s.bad_signature),
        "remote_unknown_kid" => (&s.remote, &s.forged),
        other => panic!("unknown variant {other}"),
    }
}

const VARIANTS: [&str; 4] = [
    "static_key",
    "remote_key_set",
    "remote_bad_signature",
    "remote_unknown_kid",
];

fn remote_keys(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for case in &CASES {
        let s = setup(&rt, case);
        let _guard = rt.enter();
        let mut g = c.benchmark_group(format!("remote_keys_{}", case.name));
        for name in VARIANTS {
            let (jwt, token) = variant(&s, name);
            g.bench_function(name, |b| {
                b.iter(|| black_box(jwt.validate(black_box(token), TokenType::Access)))
            });
        }
        g.finish();
    }
}

/// `REMOTE_KEYS_COUNT="<case> <variant> <n>"`: `n` validations, nothing else.
fn count(spec: &str) {
    let mut parts = spec.split_whitespace();
    let (case, name, n) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let case = CASES.iter().find(|c| c.name == case).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = setup(&rt, case);
    let _guard = rt.enter();
    let (jwt, token) = variant(&s, name);
    for _ in 0..n {
        let _ = black_box(jwt.validate(black_box(token), TokenType::Access));
    }
}

criterion_group!(benches, remote_keys);

fn main() {
    if let Ok(spec) = std::env::var("REMOTE_KEYS_COUNT") {
        return count(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
