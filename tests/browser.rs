//! The quickstart's demo page in a real browser: headless Chromium driven
//! through WebDriver (chromedriver). `.ci/run` installs Debian's `chromium`
//! and `chromium-driver`; elsewhere the tests skip when they are missing.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use common::example::{Running, spawn};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// A chromedriver on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<Driver> {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    if !std::path::Path::new(&path).exists() {
        return common::services::unavailable(
            "chromium",
            format!("no chromedriver at {path} (apt-get install chromium chromium-driver)"),
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

/// The quickstart with a 2-second access lifetime, its request log on stdout.
fn quickstart() -> Running {
    let dir = std::env::temp_dir().join(format!("browser-{}", common::services::run_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("quickstart.db");
    let args = [
        "--addr",
        "127.0.0.1:0",
        "--db",
        db.to_str().unwrap(),
        "--store",
        "memory",
        "--access-lifetime",
        "2",
    ];
    spawn(
        "quickstart",
        &args,
        &[("RUST_LOG", "info"), ("NO_COLOR", "1")],
        1,
    )
}

/// Clicks `#id` and waits until `#last` reads `expected`.
async fn click_until(c: &Client, id: &str, expected: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_last(c, expected).await;
}

async fn wait_for_last(c: &Client, expected: &str) {
    let started = Instant::now();
    loop {
        let last = c
            .find(Locator::Id("last"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if last == expected {
            return;
        }
        let log = c
            .find(Locator::Id("log"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "waited for {expected:?}, the page shows {last:?}; log:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn log_text(c: &Client) -> String {
    c.find(Locator::Id("log"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_page_logs_in_refreshes_on_401_and_logs_out_with_httponly_cookies() {
    let Some(driver) = chromedriver() else { return };
    let app = quickstart();
    let base = app.addrs[0].clone();
    let c = browser(&driver).await;
    c.goto(&format!("{base}/")).await.unwrap();

    click_until(&c, "login", "POST /api/token/ 200").await;
    click_until(&c, "me", "GET /api/me/ 200").await;
    // The page's script cannot read the tokens.
    let visible = c.execute("return document.cookie", vec![]).await.unwrap();
    let visible = visible.as_str().unwrap_or_default();
    assert!(
        !visible.contains("access_token") && !visible.contains("refresh_token"),
        "document.cookie = {visible:?}"
    );

    // Past the access lifetime: the call gets 401, the page refreshes with
    // the refresh cookie and retries.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    click_until(&c, "me", "GET /api/me/ 200").await;
    let log = log_text(&c).await;
    let recent: Vec<&str> = log.lines().take(3).collect();
    assert!(recent[0].starts_with("GET /api/me/ 200"), "{log}");
    assert!(
        recent[1].starts_with("POST /api/token/refresh/ 200"),
        "{log}"
    );
    assert!(recent[2].starts_with("GET /api/me/ 401"), "{log}");

    // Log out: the cookies are cleared, the protected call is refused.
    click_until(&c, "logout", "POST /api/token/blacklist/ 200").await;
    click_until(&c, "me", "GET /api/me/ 401").await;

    // Log in again, log out everywhere: refused again.
    click_until(&c, "login", "POST /api/token/ 200").await;
    click_until(&c, "me", "GET /api/me/ 200").await;
    click_until(&c, "logout-all", "POST /api/token/logout_all/ 200").await;
    click_until(&c, "me", "GET /api/me/ 401").await;
    c.close().await.unwrap();
}

/// The request log lines of the quickstart: `(method, path, status)`.
fn requests(app: &Running) -> Vec<(String, String, u16)> {
    let field = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("{name}="))? + name.len() + 1;
        let rest = &line[start..];
        let end = rest.find(' ').unwrap_or(rest.len());
        Some(rest[..end].trim_matches('"').to_owned())
    };
    app.lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(" request "))
        .filter_map(|l| {
            Some((
                field(l, "method")?,
                field(l, "path")?,
                field(l, "status")?.parse().ok()?,
            ))
        })
        .collect()
}

#[tokio::test]
async fn another_origin_cannot_use_the_victims_cookies_for_unsafe_requests() {
    let Some(driver) = chromedriver() else { return };
    let app = quickstart();
    let base = app.addrs[0].clone();
    let c = browser(&driver).await;
    c.goto(&format!("{base}/")).await.unwrap();
    click_until(&c, "login", "POST /api/token/ 200").await;

    // The attacker's page: same site (127.0.0.1), another origin (port), so
    // the browser attaches the SameSite=Lax cookies to its requests.
    let target = base.clone();
    let page = format!(
        r#"<!doctype html><title>attacker</title><p id="done">no</p><script>
        const opts = {{ method: "POST", credentials: "include", mode: "no-cors",
                       headers: {{ "content-type": "application/x-www-form-urlencoded" }}, body: "" }};
        Promise.allSettled([
          fetch("{target}/api/token/logout_all/", opts),
          fetch("{target}/api/hello/", opts),
          fetch("{target}/api/token/blacklist/", opts),
        ]).then(() => {{ document.getElementById("done").textContent = "yes"; }});
        </script>"#
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil = format!("http://{}", listener.local_addr().unwrap());
    let evil_app = Router::new().route("/", get(move || async move { Html(page) }));
    tokio::spawn(async move { axum::serve(listener, evil_app).await.unwrap() });

    c.goto(&format!("{evil}/")).await.unwrap();
    let started = Instant::now();
    while c
        .find(Locator::Id("done"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        != "yes"
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the attacker page did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = requests(&app);
    for path in ["/api/token/logout_all/", "/api/hello/"] {
        assert!(
            seen.contains(&("POST".into(), path.into(), 403)),
            "{path} from another origin: {seen:?}"
        );
    }
    // The blacklist route got no body field; its cookie fallback refused it.
    assert!(
        seen.contains(&("POST".into(), "/api/token/blacklist/".into(), 403)),
        "{seen:?}"
    );

    // Nothing happened to the session: the same calls from the app's own
    // page succeed.
    c.goto(&format!("{base}/")).await.unwrap();
    click_until(&c, "me", "GET /api/me/ 200").await;
    let hello = c
        .execute(
            r#"return fetch("/api/hello/", {method: "POST", credentials: "same-origin"})
                 .then(r => r.status)"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hello, Value::from(200));
    click_until(&c, "logout-all", "POST /api/token/logout_all/ 200").await;
    c.close().await.unwrap();
}
