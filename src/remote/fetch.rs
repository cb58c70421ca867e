//! HTTP for remote keys: URL policy (HTTPS except loopback), timeouts, a
//! response size cap, redirects only within one host, `Cache-Control`.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};

use crate::keys::{KeyError, VerifyingKey, remote_verifying_key};
use crate::remote::{KeyFetchError, KeyFetchErrorKind, RemoteKeys};

/// A fetched document and the freshness its server gave it.
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    /// `max-age` in seconds; `Some(0)` for `no-cache` / `no-store`.
    pub(crate) max_age: Option<u64>,
}

/// The HTTP client of one remote key set.
pub(crate) struct Fetcher {
    client: reqwest::Client,
    max_size: usize,
    insecure_http: bool,
}

const MAX_REDIRECTS: usize = 3;

impl Fetcher {
    pub(crate) fn new(config: &RemoteKeys) -> Result<Self, KeyFetchError> {
        let insecure_http = config.insecure_http;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .redirect(Policy::custom(move |attempt| {
                redirect(attempt, insecure_http)
            }))
            .user_agent(concat!("tower-simplejwt/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                KeyFetchError::new(KeyFetchErrorKind::Config, "cannot build the HTTP client")
                    .with_source(e)
            })?;
        Ok(Self {
            client,
            max_size: config.max_size,
            insecure_http,
        })
    }

    /// Checks a URL against the policy: HTTPS, or HTTP to a loopback host
    /// (or anywhere with the insecure opt-in).
    pub(crate) fn url(&self, url: &str) -> Result<Url, KeyFetchError> {
        check_url(url, self.insecure_http)
    }

    /// GETs `url` and reads at most the size cap.
    pub(crate) async fn get(&self, url: &Url) -> Result<Fetched, KeyFetchError> {
        let network = |e: reqwest::Error| {
            let kind = if e.is_redirect() {
                KeyFetchErrorKind::Redirect
            } else {
                KeyFetchErrorKind::Network
            };
            KeyFetchError::new(kind, format!("GET {url}: {}", describe(&e))).with_source(e)
        };
        let mut response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(KeyFetchError::new(
                KeyFetchErrorKind::Status,
                format!("GET {url}: the server answered {status}"),
            ));
        }
        let too_large = || {
            KeyFetchError::new(
                KeyFetchErrorKind::TooLarge,
                format!(
                    "GET {url}: the response is larger than {} bytes",
                    self.max_size
                ),
            )
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_size as u64)
        {
            return Err(too_large());
        }
        let max_age = max_age(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > self.max_size {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, max_age })
    }
}

/// reqwest's message plus its innermost cause ("connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        "timed out".to_owned()
    } else {
        cause.to_string()
    }
}

fn check_url(url: &str, insecure_http: bool) -> Result<Url, KeyFetchError> {
    let bad = |m: String| KeyFetchError::new(KeyFetchErrorKind::Url, m);
    let parsed = Url::parse(url).map_err(|e| bad(format!("{url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if insecure_http || is_loopback(&parsed) => Ok(parsed),
        "http" => Err(bad(format!(
            "{url} is plain HTTP: key sets are fetched over HTTPS (plain HTTP only to \
             loopback addresses, or with `RemoteKeys::insecure_allow_http`)"
        ))),
        other => Err(bad(format!("{url}: the scheme {other:?} is not HTTP(S)"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// Follows a redirect only to the same host, never from HTTPS to HTTP, and
/// at most three times: a key server cannot send the app elsewhere.
fn redirect(attempt: Attempt<'_>, insecure_http: bool) -> reqwest::redirect::Action {
    let first = attempt.previous().first().cloned();
    let to = attempt.url();
    let same_host = first.as_ref().is_some_and(|f| {
        f.host_str() == to.host_str() && f.port_or_known_default() == to.port_or_known_default()
    });
    let downgrade = first
        .as_ref()
        .is_some_and(|f| f.scheme() == "https" && to.scheme() != "https");
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error("more than 3 redirects")
    } else if !same_host {
        let message = format!("a redirect to another host ({to}) was refused");
        attempt.error(message)
    } else if downgrade || check_url(to.as_str(), insecure_http).is_err() {
        attempt.error("a redirect from HTTPS to plain HTTP was refused")
    } else {
        attempt.follow()
    }
}

/// `max-age` from `Cache-Control`; `no-cache` and `no-store` count as 0.
fn max_age(headers: &http::HeaderMap) -> Option<u64> {
    let mut found = None;
    for value in headers.get_all(http::header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            let name = name.trim().to_ascii_lowercase();
            match name.as_str() {
                "no-cache" | "no-store" => return Some(0),
                "max-age" => {
                    if let Ok(secs) = arg.trim().trim_matches('"').parse::<u64>() {
                        found = Some(secs);
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// The `jwks_uri` of an OpenID Connect discovery document, whose `issuer`
/// must be `issuer` exactly.
pub(crate) fn jwks_uri(body: &[u8], issuer: &str) -> Result<String, KeyFetchError> {
    #[derive(serde::Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    let doc: Discovery = serde_json::from_slice(body).map_err(|e| {
        KeyFetchError::new(
            KeyFetchErrorKind::Malformed,
            format!("the discovery document has no `issuer` and `jwks_uri`: {e}"),
        )
    })?;
    if doc.issuer != issuer {
        return Err(KeyFetchError::new(
            KeyFetchErrorKind::IssuerMismatch,
            format!(
                "the discovery document names the issuer {:?}, not {issuer:?}",
                doc.issuer
            ),
        ));
    }
    Ok(doc.jwks_uri)
}

/// The discovery document's URL for `issuer`.
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// A parsed key set: the usable keys, and each skipped key with the reason.
pub(crate) struct ParsedSet {
    pub(crate) keys: Vec<VerifyingKey>,
    pub(crate) skipped: Vec<String>,
}

/// Parses a JWK Set key by key: a key that cannot be used is skipped with
/// its reason, and only a set with no usable key at all is an error.
pub(crate) fn parse_set(
    body: &[u8],
    default_alg: Option<jsonwebtoken::Algorithm>,
) -> Result<ParsedSet, KeyFetchError> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde_json::Value>,
    }
    let set: Set = serde_json::from_slice(body).map_err(|e| {
        KeyFetchError::new(
            KeyFetchErrorKind::Malformed,
            format!("the response is not a JWK Set: {e}"),
        )
    })?;
    let mut parsed = ParsedSet {
        keys: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, value) in set.keys.into_iter().enumerate() {
        let kid = value.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
        let name = match &kid {
            Some(kid) => format!("key {kid:?}"),
            None => format!("key #{i}"),
        };
        let key = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(value)
            .map_err(|e| KeyError(format!("not a key this crate supports ({e})")))
            .and_then(|jwk| remote_verifying_key(jwk, default_alg));
        match key {
            Ok(key) if parsed.keys.iter().any(|k| k.kid == key.kid) => {
                parsed
                    .skipped
                    .push(format!("{name}: its `kid` is taken by an earlier key"));
            }
            Ok(key) => parsed.keys.push(key),
            Err(KeyError(why)) => parsed.skipped.push(format!("{name}: {why}")),
        }
    }
    if parsed.keys.is_empty() {
        return Err(KeyFetchError::new(
            KeyFetchErrorKind::NoUsableKey,
            format!(
                "the key set holds no usable signature key ({})",
                if parsed.skipped.is_empty() {
                    "it is empty".to_owned()
                } else {
                    parsed.skipped.join("; ")
                }
            ),
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age_is_read_and_no_store_is_zero() {
        let mut h = http::HeaderMap::new();
        assert_eq!(max_age(&h), None);
        h.insert(
            http::header::CACHE_CONTROL,
            "public, max-age=300, must-revalidate".parse().unwrap(),
        );
        assert_eq!(max_age(&h), Some(300));
        h.insert(http::header::CACHE_CONTROL, "no-store".parse().unwrap());
        assert_eq!(max_age(&h), Some(0));
        h.insert(http::header::CACHE_CONTROL, "max-age=abc".parse().unwrap());
        assert_eq!(max_age(&h), None);
    }

    #[test]
    fn plain_http_is_only_for_loopback_unless_opted_in() {
        assert!(check_url("https://idp.example.com/jwks", false).is_ok());
        for ok in [
            "http://127.0.0.1:8080/jwks",
            "http://[::1]/jwks",
            "http://localhost/jwks",
            "http://idp.localhost/jwks",
        ] {
            assert!(check_url(ok, false).is_ok(), "{ok}");
        }
        let err = check_url("http://idp.example.com/jwks", false).unwrap_err();
        assert_eq!(err.kind(), KeyFetchErrorKind::Url);
        assert!(err.to_string().contains("insecure_allow_http"));
        assert!(check_url("http://idp.example.com/jwks", true).is_ok());
        assert!(check_url("ftp://idp.example.com/jwks", true).is_err());
        assert!(check_url("not a url", true).is_err());
    }

    #[test]
    fn discovery_needs_the_exact_issuer() {
        let doc = br#"{"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/k"}"#;
        assert_eq!(
            jwks_uri(doc, "https://idp.example.com").unwrap(),
            "https://idp.example.com/k"
        );
        let err = jwks_uri(doc, "https://idp.example.com/").unwrap_err();
        assert_eq!(err.kind(), KeyFetchErrorKind::IssuerMismatch);
        assert_eq!(
            discovery_url("https://idp.example.com/realms/a/"),
            "https://idp.example.com/realms/a/.well-known/openid-configuration"
        );
    }
}
