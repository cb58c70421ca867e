//! Django's password hashes, verified with RustCrypto's crates (and the
//! `bcrypt` crate), never with hand-written cryptography.
//!
//! | Django hasher | stored as | here |
//! |---|---|---|
//! | `PBKDF2PasswordHasher` (the default) | `pbkdf2_sha256$<iterations>$<salt>$<base64>` | verified and made |
//! | `PBKDF2SHA1PasswordHasher` | `pbkdf2_sha1$<iterations>$<salt>$<base64>` | verified |
//! | `Argon2PasswordHasher` | `argon2$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>` | verified |
//! | `BCryptSHA256PasswordHasher` | `bcrypt_sha256$$2b$<cost>$<salt and hash>` | verified |
//! | `BCryptPasswordHasher` | `bcrypt$$2b$<cost>$<salt and hash>` | verified |
//! | `ScryptPasswordHasher` | `scrypt$<n>$<salt>$<r>$<p>$<base64>` | verified |
//! | `MD5PasswordHasher` (legacy, still in Django 5.2) | `md5$<salt>$<hex>` | verified |
//!
//! The hashers Django 5.0 removed (`sha1`, unsalted SHA-1 and MD5, `crypt`)
//! are refused, as Django refuses them. A hash starting with `!` is
//! Django's unusable password: it never matches. Derived values are
//! compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::digest::Digest;
use subtle::ConstantTimeEq;

/// The iterations Django 5.2 gives `pbkdf2_sha256`.
pub const DJANGO_PBKDF2_ITERATIONS: u32 = 1_000_000;

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Whether `password` matches Django's `encoded` hash.
pub fn check_password(password: &str, encoded: &str) -> bool {
    if encoded.is_empty() || encoded.starts_with('!') {
        return false;
    }
    let Some((algorithm, rest)) = encoded.split_once('$') else {
        return false;
    };
    match algorithm {
        "pbkdf2_sha256" => pbkdf2(password, rest, 32, pbkdf2::pbkdf2_hmac::<sha2::Sha256>),
        "pbkdf2_sha1" => pbkdf2(password, rest, 20, pbkdf2::pbkdf2_hmac::<sha1::Sha1>),
        "argon2" => argon2_verify(password, rest),
        "bcrypt_sha256" => {
            let prehashed = hex(&sha2::Sha256::digest(password.as_bytes()));
            bcrypt_verify(&prehashed, rest)
        }
        "bcrypt" => bcrypt_verify(password, rest),
        "scrypt" => scrypt_verify(password, rest),
        "md5" => match rest.split_once('$') {
            // An empty salt is the removed unsalted MD5.
            Some((salt, digest)) if !salt.is_empty() => {
                hex_eq(&md5_hex(format!("{salt}{password}").as_bytes()), digest)
            }
            _ => false,
        },
        _ => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn md5_hex(bytes: &[u8]) -> String {
    hex(&md5::Md5::digest(bytes))
}

fn hex_eq(computed: &str, stored: &str) -> bool {
    ct_eq(computed.as_bytes(), stored.to_ascii_lowercase().as_bytes())
}

/// `<iterations>$<salt>$<base64>`, derived with `derive`.
fn pbkdf2(
    password: &str,
    rest: &str,
    len: usize,
    derive: fn(&[u8], &[u8], u32, &mut [u8]),
) -> bool {
    let mut parts = rest.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(stored)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return false;
    };
    let Ok(stored) = STANDARD.decode(stored) else {
        return false;
    };
    if iterations == 0 || stored.len() != len {
        return false;
    }
    let mut derived = vec![0u8; len];
    derive(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut derived,
    );
    ct_eq(&derived, &stored)
}

fn argon2_verify(password: &str, rest: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let phc = format!("${rest}");
    match PasswordHash::new(&phc) {
        Ok(hash) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// `$2b$<cost>$<53 characters>`.
fn bcrypt_verify(password: &str, rest: &str) -> bool {
    // Django stores `<algorithm>$` followed by bcrypt's own `$2b$...`.
    bcrypt::verify(password.as_bytes(), rest).unwrap_or(false)
}

/// `<n>$<salt>$<r>$<p>$<base64 of 64 bytes>`.
fn scrypt_verify(password: &str, rest: &str) -> bool {
    let parts: Vec<&str> = rest.splitn(5, '$').collect();
    let [n, salt, r, p, stored] = parts[..] else {
        return false;
    };
    let (Ok(n), Ok(r), Ok(p)) = (n.parse::<u64>(), r.parse::<u32>(), p.parse::<u32>()) else {
        return false;
    };
    if !n.is_power_of_two() || n < 2 {
        return false;
    }
    let Ok(stored) = STANDARD.decode(stored) else {
        return false;
    };
    let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
    let Ok(params) = scrypt::Params::new(log_n, r, p, stored.len()) else {
        return false;
    };
    let mut derived = vec![0u8; stored.len()];
    if scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut derived).is_err() {
        return false;
    }
    ct_eq(&derived, &stored)
}

/// Django's `make_password` with `PBKDF2PasswordHasher`: a new random
/// salt (22 letters and digits, as Django draws it) and `iterations`.
pub fn make_password(password: &str, iterations: u32) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let salt: String = (0..22)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut derived,
    );
    format!(
        "pbkdf2_sha256${iterations}${salt}${}",
        STANDARD.encode(derived)
    )
}

/// Whether Django would rehash `encoded` on the next login with
/// `pbkdf2_sha256` at `iterations` as its preferred hasher: another
/// algorithm, or fewer iterations.
pub fn must_update(encoded: &str, iterations: u32) -> bool {
    let mut parts = encoded.splitn(3, '$');
    match (parts.next(), parts.next()) {
        (Some("pbkdf2_sha256"), Some(n)) => n.parse::<u32>().is_ok_and(|n| n < iterations),
        _ => true,
    }
}

/// Simple JWT's revoke claim (`CHECK_REVOKE_TOKEN`): the MD5 of the stored
/// hash, in upper-case hex, exactly as `get_md5_hash_password` computes it.
/// A password change on either side changes it, and every token carrying
/// the old value is refused.
pub fn revoke_claim(encoded: &str) -> String {
    md5_hex(encoded.as_bytes()).to_ascii_uppercase()
}
