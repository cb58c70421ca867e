//! Traces and metrics (features `tracing` and `metrics`): a subscriber and a
//! recorder installed for one test each see the documented names, fields and
//! labels, store failures keep their cause, and no token ever appears.
//! Built with both features (`cargo test --all-features`).
#![cfg(all(feature = "tracing", feature = "metrics"))]

mod common;
#[macro_use]
mod suite;

use std::io;
use std::sync::{Arc, Mutex};

use http::StatusCode;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use serde_json::json;
use tower_simplejwt::MemoryStore;

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs `f` with a debug-level subscriber and a metrics recorder on this
/// thread; returns the log text and the counters `name{labels} = value`.
fn observed(f: impl AsyncFnOnce()) -> (String, Vec<(String, u64)>) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        metrics::with_local_recorder(&recorder, || rt.block_on(f()))
    });
    let counters = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.key().name(), labels.join(","));
            match value {
                DebugValue::Counter(n) => Some((name, n)),
                DebugValue::Histogram(v) => Some((name, v.len() as u64)),
                DebugValue::Gauge(_) => None,
            }
        })
        .collect();
    (captured.text(), counters)
}

fn count(counters: &[(String, u64)], name: &str) -> u64 {
    counters
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .sum()
}

#[test]
fn decisions_and_token_events_are_traced_and_counted_without_tokens() {
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let (log, counters) = observed(async move || {
        let (b, clock) = suite::base(Arc::new(MemoryStore::new()));
        let app = suite::app_with(
            b.with_rotate_refresh_tokens(true)
                .with_blacklist_after_rotation(true),
            clock,
        );
        let (access, refresh) = app.login().await;
        assert_eq!(app.me(&access).await.0, StatusCode::OK);
        let (status, _, body) = app
            .post("/api/token/refresh/", json!({ "refresh": refresh }))
            .await;
        assert_eq!(status, StatusCode::OK);
        let newer = body["refresh"].as_str().unwrap().to_owned();
        // The spent token again, past the grace window: reuse.
        app.clock.advance(std::time::Duration::from_secs(10));
        let (status, _, _) = app
            .post("/api/token/refresh/", json!({ "refresh": refresh }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Another signature: its first character changed.
        let cut = access.rfind('.').unwrap() + 1;
        let other = if access[cut..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        let forged = format!("{}{other}{}", &access[..cut], &access[cut + 1..]);
        assert_eq!(app.me(&forged).await.0, StatusCode::UNAUTHORIZED);
        seen.lock()
            .unwrap()
            .extend([access, refresh, newer, forged]);
    });
    // Spans and their fields.
    assert!(log.contains("simplejwt.auth"), "{log}");
    assert!(log.contains("outcome=\"accepted\""), "{log}");
    assert!(log.contains("user.id=\"1\""), "{log}");
    assert!(log.contains("simplejwt.token_type=\"access\""), "{log}");
    assert!(log.contains("outcome=\"refused\""), "{log}");
    assert!(log.contains("error.type=\"token_invalid\""), "{log}");
    assert!(log.contains("simplejwt.endpoint"), "{log}");
    assert!(log.contains("simplejwt.route=\"refresh\""), "{log}");
    assert!(log.contains("http.response.status_code=200"), "{log}");
    // Refusals are debug, never info or above.
    for line in log.lines().filter(|l| l.contains("request refused")) {
        assert!(line.contains("DEBUG"), "{line}");
    }
    // No token, nor any of its three parts, anywhere.
    for token in tokens.lock().unwrap().iter() {
        for part in token.split('.') {
            assert!(!log.contains(part), "a token part reached the log: {part}");
        }
    }
    // Counters.
    let c = &counters;
    assert_eq!(
        count(
            c,
            "simplejwt_auth_requests_total{outcome=accepted,reason=none}"
        ),
        1
    );
    assert_eq!(
        count(
            c,
            "simplejwt_auth_requests_total{outcome=refused,reason=token_invalid}"
        ),
        1
    );
    assert_eq!(
        count(c, "simplejwt_tokens_issued_total{token_type=access}"),
        2
    );
    assert_eq!(
        count(c, "simplejwt_tokens_issued_total{token_type=refresh}"),
        2
    );
    assert_eq!(
        count(c, "simplejwt_tokens_refreshed_total{token_type=refresh}"),
        1
    );
    assert_eq!(count(c, "simplejwt_tokens_blacklisted_total{}"), 1);
    assert_eq!(count(c, "simplejwt_refresh_reuse_detected_total{}"), 1);
}

#[test]
fn a_store_failure_is_a_warning_with_its_cause_and_a_counted_503() {
    let (log, counters) = observed(async || {
        let down = tower_simplejwt::testing::FailingStore::down(MemoryStore::new());
        let (b, clock) = suite::base(Arc::new(down));
        let app = suite::app_with(b.with_access_revocation(true), clock);
        let access = app.jwt.for_user(1).access().unwrap();
        let (status, body) = app.me(&access).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        // The body leaks nothing of the cause.
        assert!(!body.to_string().contains("refused"), "{body}");
    });
    let warning = log
        .lines()
        .find(|l| l.contains("revocation store call failed"))
        .unwrap_or_else(|| panic!("no warning in {log}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains("simplejwt.operation=\"is_revoked\""),
        "{warning}"
    );
    assert!(warning.contains("error.type=\"unavailable\""), "{warning}");
    assert!(
        warning.contains("connection refused (testing::FailingStore)"),
        "{warning}"
    );
    assert_eq!(
        count(
            &counters,
            "simplejwt_store_errors_total{operation=is_revoked,kind=unavailable}"
        ),
        1
    );
    assert_eq!(
        count(
            &counters,
            "simplejwt_auth_requests_total{outcome=refused,reason=unavailable}"
        ),
        1
    );
    assert_eq!(
        count(
            &counters,
            "simplejwt_store_duration_seconds{operation=is_revoked}"
        ),
        1
    );
}
