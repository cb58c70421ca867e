//! Login throttling of the obtain endpoints, against brute force and
//! credential stuffing: attempts per username and per client address,
//! counted in the revocation store so every instance shares the counts.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::endpoints::error::ApiError;
use crate::settings::ConfigError;
use crate::store::{RevocationStore, attempt_window};

/// Limits on login attempts (`POST` to the obtain routes), answered with
/// DRF's `429` and `Retry-After` once a limit is passed.
///
/// - Per username: every attempt at an account counts, whatever the
///   client, so spreading a guessing attack over many addresses does not
///   help. A successful login resets its username's count.
/// - Per client address: every attempt from one address counts, whatever
///   the username, against credential stuffing. The address is the peer's
///   (`axum::extract::ConnectInfo<SocketAddr>`, or a `SocketAddr` in the
///   request extensions), or, when the peer is a trusted proxy, the first
///   address in `X-Forwarded-For` (read from the right) that is not one:
///   the header is believed from trusted proxies only.
///
/// Counts live in the revocation store, in fixed windows; when the store
/// is down the login gets 503 (nothing is let through uncounted).
///
/// ```
/// use std::time::Duration;
/// use tower_simplejwt::endpoints::LoginThrottle;
///
/// let throttle = LoginThrottle::new()
///     .per_username(5, Duration::from_secs(300))
///     .per_client(50, Duration::from_secs(60))
///     .with_trusted_proxy("10.0.0.0/8");
/// ```
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    per_username: Option<(u64, u64)>,
    per_client: Option<(u64, u64)>,
    proxies: Vec<String>,
    trusted: Vec<(IpAddr, u8)>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginThrottle {
    /// Defaults to 10 attempts per username per 5 minutes and 100 per
    /// client address per minute, with no trusted proxy.
    pub fn new() -> Self {
        Self {
            per_username: Some((10, 300)),
            per_client: Some((100, 60)),
            proxies: Vec::new(),
            trusted: Vec::new(),
        }
    }

    /// At most `limit` attempts per username in each `window` (whole
    /// seconds; 0 turns the limit off).
    #[must_use]
    pub fn per_username(mut self, limit: u64, window: Duration) -> Self {
        self.per_username = (window.as_secs() > 0).then_some((limit, window.as_secs()));
        self
    }

    /// At most `limit` attempts per client address in each `window` (whole
    /// seconds; 0 turns the limit off).
    #[must_use]
    pub fn per_client(mut self, limit: u64, window: Duration) -> Self {
        self.per_client = (window.as_secs() > 0).then_some((limit, window.as_secs()));
        self
    }

    /// Believes `X-Forwarded-For` from this proxy: an address
    /// (`10.0.0.7`) or a network (`10.0.0.0/8`, `fd00::/8`). Checked when
    /// the endpoints are built.
    #[must_use]
    pub fn with_trusted_proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxies.push(proxy.into());
        self
    }

    /// Parses the trusted proxies.
    pub(crate) fn checked(mut self) -> Result<Self, ConfigError> {
        self.trusted = self
            .proxies
            .iter()
            .map(|p| parse_net(p))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                ConfigError::new(
                    crate::settings::ConfigErrorKind::InvalidValue,
                    format!(
                        "a trusted proxy of the login throttle is not an address or network: {:?} \
                     (write `10.0.0.7`, `10.0.0.0/8` or `fd00::/8`)",
                        self.proxies
                    ),
                )
            })?;
        Ok(self)
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted
            .iter()
            .any(|(net, bits)| contains(*net, *bits, ip))
    }

    /// The client's address: the peer, or behind trusted proxies the
    /// rightmost forwarded address that is not a trusted proxy.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            match entry.parse::<IpAddr>() {
                Ok(ip) if self.is_trusted(ip) => client = ip,
                Ok(ip) => return ip,
                // Unreadable: stop at the last proxy that vouched.
                Err(_) => return client,
            }
        }
        client
    }

    /// Counts this attempt; `Err(Throttled)` when a limit is passed.
    pub(crate) async fn attempt(
        &self,
        store: &dyn RevocationStore,
        extensions: &http::Extensions,
        headers: &HeaderMap,
        username: &str,
        now: u64,
    ) -> Result<(), ApiError> {
        let mut keys = Vec::with_capacity(2);
        if let Some((limit, window)) = self.per_client {
            let peer = peer(extensions).ok_or_else(|| {
                ApiError::Misconfigured(
                    "the login throttle limits attempts per client address, but the request has no \
                     peer address: serve the app with \
                     `into_make_service_with_connect_info::<SocketAddr>()` (axum), or put the \
                     connection's `SocketAddr` into the request extensions (hyper)"
                        .to_owned(),
                )
            })?;
            keys.push((
                format!("login:c:{}", self.client(peer, headers)),
                limit,
                window,
            ));
        }
        if let Some((limit, window)) = self.per_username {
            keys.push((username_key(username), limit, window));
        }
        for (key, limit, window) in keys {
            let count = store
                .count_attempt(&key, window, now)
                .await
                .map_err(ApiError::store("count_attempt"))?;
            if count > limit {
                let (_, ends) = attempt_window(&key, window, now);
                return Err(ApiError::Throttled(ends.saturating_sub(now).max(1)));
            }
        }
        Ok(())
    }

    /// A successful login: its username starts over.
    pub(crate) async fn succeeded(&self, store: &dyn RevocationStore, username: &str, now: u64) {
        if let Some((_, window)) = self.per_username {
            if let Err(e) = store
                .clear_attempts(&username_key(username), window, now)
                .await
            {
                crate::observe::store_failed("clear_attempts", &e);
            }
        }
    }
}

/// Usernames are counted case-insensitively (an email login may match any
/// case) and hashed, so any length of input makes a short key.
fn username_key(username: &str) -> String {
    let digest = Sha256::digest(username.to_lowercase().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("login:u:{hex}")
}

fn peer(extensions: &http::Extensions) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

fn parse_net(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((addr, bits)) => (addr.parse::<IpAddr>().ok()?, bits.parse::<u8>().ok()?),
        None => {
            let addr = text.parse::<IpAddr>().ok()?;
            (addr, if addr.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    let ip = match (net, ip) {
        (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        _ => ip,
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let t = LoginThrottle::new()
            .with_trusted_proxy("10.0.0.0/8")
            .with_trusted_proxy("fd00::/8")
            .checked()
            .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not a proxy: its header is ignored.
        assert_eq!(
            t.client(ip("203.0.113.9"), &headers(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
        // A proxy: the rightmost address that is not a proxy.
        assert_eq!(
            t.client(
                ip("10.0.0.2"),
                &headers(&["6.6.6.6, 198.51.100.7, 10.1.1.1"])
            ),
            ip("198.51.100.7")
        );
        // Several headers read as one list; IPv6 proxies too.
        assert_eq!(
            t.client(ip("fd00::1"), &headers(&["6.6.6.6", "198.51.100.8"])),
            ip("198.51.100.8")
        );
        // Only proxies: the leftmost; nothing: the peer; garbage: the last proxy.
        assert_eq!(
            t.client(ip("10.0.0.2"), &headers(&["10.9.9.9"])),
            ip("10.9.9.9")
        );
        assert_eq!(t.client(ip("10.0.0.2"), &headers(&[])), ip("10.0.0.2"));
        assert_eq!(
            t.client(ip("10.0.0.2"), &headers(&["1.2.3.4, nonsense"])),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn trusted_proxies_are_checked_when_built() {
        for bad in ["10.0.0.0/33", "not an ip", "10.0.0.0/", "::/129"] {
            let err = LoginThrottle::new()
                .with_trusted_proxy(bad)
                .checked()
                .unwrap_err();
            assert!(err.to_string().contains("trusted proxy"), "{bad}: {err}");
        }
        assert!(
            LoginThrottle::new()
                .with_trusted_proxy("0.0.0.0/0")
                .checked()
                .is_ok()
        );
    }

    #[test]
    fn usernames_count_case_insensitively_as_short_keys() {
        assert_eq!(
            username_key("Alice@Example.com"),
            username_key("alice@example.com")
        );
        assert_ne!(username_key("alice"), username_key("bob"));
        assert_eq!(
            username_key(&"x".repeat(10_000)).len(),
            "login:u:".len() + 32
        );
    }
}
