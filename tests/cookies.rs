//! Browser apps: credentials in cookies, the CSRF check that guards them,
//! and cookie mode on the token routes (dj-rest-auth's `JWT_AUTH_*`).

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::auth::CsrfFailure;
use tower_simplejwt::cookies::SameSite;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{
    AuthContext, AuthRejection, Claims, Cookies, CredentialSource, LookupError, MemoryStore,
    SimpleJwt, SimpleJwtBuilder,
};

const SECRET: &str = "cookie tests' secret, thirty-two bytes or more";
const HOST: &str = "app.example.com";

struct Users;

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        Ok((username == "ada" && password == "lovelace").then(|| LoginUser::active("1")))
    }
}

fn builder() -> SimpleJwtBuilder {
    SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
}

/// `/api/orders/` (GET and POST) behind the layer, the token routes beside it.
fn app(jwt: SimpleJwt) -> Router {
    let orders = |ctx: axum::Extension<AuthContext>, Claims(c): Claims<Value>| async move {
        let source = match ctx.credential_source() {
            Some(CredentialSource::Cookie) => "cookie",
            Some(CredentialSource::Header) => "header",
            _ => "none",
        };
        format!("{} via {source}", c["user_id"])
    };
    Router::new()
        .route("/api/orders/", get(orders).post(orders))
        .layer(jwt.layer().required())
        .merge(
            TokenEndpoints::builder(jwt)
                .with_credentials(Users)
                .stateless()
                .build()
                .unwrap()
                .router(),
        )
}

/// A request as a browser on `HOST` sends it: `cookies`, and `extra`
/// headers (Fetch Metadata, Origin).
fn request(
    method: Method,
    path: &str,
    cookies: &str,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", HOST);
    if !cookies.is_empty() {
        req = req.header("cookie", cookies);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

async fn send(
    app: &Router,
    req: Request<Body>,
) -> (StatusCode, HeaderMap, Value, Option<AuthRejection>) {
    let res: Response<Body> = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let rejection = res.extensions().get::<AuthRejection>().copied();
    (status, headers, common::body_json(res).await, rejection)
}

const SAME_ORIGIN: &[(&str, &str)] = &[
    ("sec-fetch-site", "same-origin"),
    ("origin", "https://app.example.com"),
];
const CROSS_SITE: &[(&str, &str)] = &[
    ("sec-fetch-site", "cross-site"),
    ("origin", "https://evil.example"),
];

fn csrf_body(failure: CsrfFailure) -> Value {
    json!({ "detail": failure.to_string(), "code": "csrf_failed" })
}

/// `name=value` pairs of the `Set-Cookie` headers, and each header whole.
fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie<'a>(set: &'a [String], name: &str) -> Option<&'a str> {
    set.iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().split_once('=').unwrap().1)
}

#[tokio::test]
async fn a_cookie_credential_on_an_unsafe_cross_site_request_is_refused_with_403_before_the_token_is_read()
 {
    let jwt = builder().with_auth_cookie("access_token").build().unwrap();
    let app = app(jwt.clone());
    let access = jwt.for_user(1).access().unwrap();
    let jar = format!("access_token={access}");
    let orders = |m: Method, extra: &'static [(&'static str, &'static str)]| {
        request(m, "/api/orders/", &jar, extra, None)
    };

    let (status, headers, body, rejection) = send(&app, orders(Method::POST, CROSS_SITE)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, csrf_body(CsrfFailure::UntrustedOrigin));
    assert_eq!(
        rejection,
        Some(AuthRejection::Csrf(CsrfFailure::UntrustedOrigin))
    );
    assert!(headers.get("www-authenticate").is_none());
    // Same-site but another origin: refused too.
    let sibling = &[
        ("sec-fetch-site", "same-site"),
        ("origin", "https://shop.example.com"),
    ];
    assert_eq!(
        send(&app, orders(Method::DELETE, sibling)).await.0,
        StatusCode::FORBIDDEN
    );
    // A browser without Fetch Metadata: the Origin must be the host.
    let old = &[("origin", "https://evil.example")];
    assert_eq!(
        send(&app, orders(Method::PUT, old)).await.0,
        StatusCode::FORBIDDEN
    );
    let old_same = &[("origin", "https://app.example.com")];
    assert_eq!(
        send(&app, orders(Method::POST, old_same)).await.0,
        StatusCode::OK
    );
    // Even a garbage cookie gets the 403 first: the check comes before the token.
    let garbage = request(
        Method::POST,
        "/api/orders/",
        "access_token=garbage",
        CROSS_SITE,
        None,
    );
    assert_eq!(send(&app, garbage).await.0, StatusCode::FORBIDDEN);

    // What passes: same-origin, safe methods, non-browser clients, headers.
    let (status, _, body, _) = send(&app, orders(Method::POST, SAME_ORIGIN)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"raw": "\"1\" via cookie"}))
    );
    let (status, _, body, _) = send(&app, orders(Method::GET, CROSS_SITE)).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"raw": "\"1\" via cookie"}))
    );
    assert_eq!(
        send(&app, orders(Method::POST, &[])).await.0,
        StatusCode::OK
    );
    let mut with_header = request(
        Method::POST,
        "/api/orders/",
        "access_token=garbage",
        CROSS_SITE,
        None,
    );
    with_header
        .headers_mut()
        .insert("authorization", format!("Bearer {access}").parse().unwrap());
    let (status, _, body, _) = send(&app, with_header).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"raw": "\"1\" via header"}))
    );
}

#[tokio::test]
async fn trusted_origins_may_use_the_cookie_cross_origin() {
    let jwt = builder()
        .with_auth_cookie("access_token")
        .with_csrf_trusted_origin("https://spa.example.net")
        .build()
        .unwrap();
    let app = app(jwt.clone());
    let jar = format!("access_token={}", jwt.for_user(1).access().unwrap());
    let from = |origin: &'static str| [("sec-fetch-site", "cross-site"), ("origin", origin)];
    let req = request(
        Method::POST,
        "/api/orders/",
        &jar,
        &from("https://spa.example.net"),
        None,
    );
    assert_eq!(send(&app, req).await.0, StatusCode::OK);
    let req = request(
        Method::POST,
        "/api/orders/",
        &jar,
        &from("https://spa.example.net:8443"),
        None,
    );
    assert_eq!(send(&app, req).await.0, StatusCode::FORBIDDEN);

    for bad in [
        "spa.example.net",
        "https://spa.example.net/",
        "https://x/app",
    ] {
        let err = builder().with_csrf_trusted_origin(bad).build().unwrap_err();
        assert!(
            err.to_string().contains("scheme and a host"),
            "{bad}: {err}"
        );
    }
}

fn cookie_app(cookies: Cookies) -> (SimpleJwt, Router) {
    let jwt = builder().with_cookies(cookies).build().unwrap();
    let app = app(jwt.clone());
    (jwt, app)
}

/// Logs in from the app's own page; returns the `Cookie` header the
/// browser then sends (the access and refresh cookies).
async fn log_in(app: &Router) -> String {
    let req = request(Method::POST, "/api/token/", "", SAME_ORIGIN, Some(login()));
    let (status, headers, _, _) = send(app, req).await;
    assert_eq!(status, StatusCode::OK);
    let set = set_cookies(&headers);
    format!(
        "access_token={}; refresh_token={}",
        cookie(&set, "access_token").unwrap(),
        cookie(&set, "refresh_token").unwrap()
    )
}

fn login() -> Value {
    json!({"username": "ada", "password": "lovelace"})
}

#[tokio::test]
async fn obtain_sets_httponly_cookies_and_leaves_the_refresh_token_out_of_the_body() {
    let (_, app) = cookie_app(Cookies::new());
    let (status, headers, body, _) = send(
        &app,
        request(Method::POST, "/api/token/", "", SAME_ORIGIN, Some(login())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["refresh"], "", "dj-rest-auth answers an empty refresh");
    let access = body["access"].as_str().unwrap();
    let set = set_cookies(&headers);
    assert_eq!(set.len(), 2, "{set:?}");
    assert_eq!(
        set[0],
        format!("access_token={access}; Path=/; Max-Age=300; Secure; HttpOnly; SameSite=Lax")
    );
    let refresh = cookie(&set, "refresh_token").unwrap();
    assert_eq!(
        set[1],
        format!(
            "refresh_token={refresh}; Path=/api/token/; Max-Age=86400; Secure; HttpOnly; SameSite=Lax"
        )
    );
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn the_browser_flow_refreshes_logs_out_and_logs_out_everywhere_with_cookies_only() {
    let (jwt, app) = cookie_app(Cookies::new().with_expiration_in_body(true));
    let (_, headers, body, _) = send(
        &app,
        request(Method::POST, "/api/token/", "", SAME_ORIGIN, Some(login())),
    )
    .await;
    let expires = |secs: u64| utc_iso(jwt.now() + secs);
    assert_eq!(body["access_expiration"], expires(300));
    assert_eq!(body["refresh_expiration"], expires(86_400));
    let set = set_cookies(&headers);
    let refresh = cookie(&set, "refresh_token").unwrap().to_owned();
    let access = cookie(&set, "access_token").unwrap().to_owned();
    let jar = format!("access_token={access}; refresh_token={refresh}");

    // The protected route with the cookie.
    let (status, _, _, _) = send(
        &app,
        request(Method::POST, "/api/orders/", &jar, SAME_ORIGIN, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Refresh with no body field: the cookie is used; rotation sets both
    // cookies again, and the body leaves the refresh token out.
    let refreshed = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(refreshed.0, StatusCode::OK, "{}", refreshed.2);
    assert!(refreshed.2.get("refresh").is_none());
    assert!(refreshed.2["access"].is_string());
    let set = set_cookies(&refreshed.1);
    let new_refresh = cookie(&set, "refresh_token").unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    let again = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    // Within the reuse grace window (two tabs refreshing at once), the spent
    // cookie gets the same successor back, not a second branch.
    assert_eq!(again.0, StatusCode::OK);
    assert_eq!(
        cookie(&set_cookies(&again.1), "refresh_token"),
        Some(new_refresh.as_str())
    );

    // Logged in again: a cross-site logout is refused and changes nothing.
    let jar = log_in(&app).await;
    let forged = send(
        &app,
        request(
            Method::POST,
            "/api/token/blacklist/",
            &jar,
            CROSS_SITE,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(
        (forged.0, forged.2),
        (
            StatusCode::FORBIDDEN,
            csrf_body(CsrfFailure::UntrustedOrigin)
        )
    );
    let forged = send(
        &app,
        request(
            Method::POST,
            "/api/token/logout_all/",
            &jar,
            CROSS_SITE,
            None,
        ),
    )
    .await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    let forged = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            CROSS_SITE,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    // The login still works.
    let (status, _, _, _) = send(
        &app,
        request(Method::POST, "/api/orders/", &jar, SAME_ORIGIN, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Logout from the app's own page: cookies cleared, refresh token dead.
    let (status, headers, _, _) = send(
        &app,
        request(
            Method::POST,
            "/api/token/blacklist/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cleared = set_cookies(&headers);
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("access_token=; Path=/; Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("refresh_token=; Path=/api/token/; Max-Age=0")),
        "{cleared:?}"
    );
    let after = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(after.0, StatusCode::UNAUTHORIZED);

    // Log out everywhere with the access cookie.
    let jar = log_in(&app).await;
    let (status, headers, _, _) = send(
        &app,
        request(
            Method::POST,
            "/api/token/logout_all/",
            &jar,
            SAME_ORIGIN,
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(set_cookies(&headers).len(), 2);
    let after = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(after.0, StatusCode::UNAUTHORIZED);
}

/// dj-rest-auth's expiration format, computed here independently.
fn utc_iso(secs: u64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_body_field_wins_over_the_cookie_and_needs_no_csrf_check() {
    let (jwt, app) = cookie_app(Cookies::new());
    let pair = jwt.for_user(1).pair().await.unwrap();
    // Cross-site, but the token is in the body: a script of another site
    // cannot read it, so it holds the token itself.
    let body = json!({"refresh": pair.refresh});
    let res = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            "refresh_token=garbage",
            CROSS_SITE,
            Some(body),
        ),
    )
    .await;
    assert_eq!(res.0, StatusCode::OK);
    // An empty refresh cookie is no cookie: Simple JWT's field error.
    let res = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            "refresh_token=",
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(
        (res.0, res.2),
        (
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["This field is required."]})
        )
    );
    // Neither body field nor cookie: Simple JWT's field error.
    let res = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            "",
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(
        (res.0, res.2),
        (
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["This field is required."]})
        )
    );
    // Two refresh cookies: refused, not guessed.
    let two = "refresh_token=a.b.c; refresh_token=d.e.f";
    let res = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            two,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(res.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_double_submit_token_is_required_on_unsafe_cookie_requests() {
    let (_, app) = cookie_app(Cookies::new().with_csrf_token("csrftoken", "X-CSRFToken"));
    let (_, headers, _, _) = send(
        &app,
        request(Method::POST, "/api/token/", "", SAME_ORIGIN, Some(login())),
    )
    .await;
    let set = set_cookies(&headers);
    let csrf_cookie = set.iter().find(|c| c.starts_with("csrftoken=")).unwrap();
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "scripts must read it: {csrf_cookie}"
    );
    let csrf = cookie(&set, "csrftoken").unwrap();
    assert!(csrf.len() >= 43);
    let jar = format!(
        "access_token={}; csrftoken={csrf}",
        cookie(&set, "access_token").unwrap()
    );
    let post = |extra: Vec<(&'static str, String)>| {
        let mut req = request(Method::POST, "/api/orders/", &jar, SAME_ORIGIN, None);
        for (k, v) in extra {
            req.headers_mut().insert(k, v.parse().unwrap());
        }
        req
    };
    let (status, _, body, _) = send(&app, post(vec![])).await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, csrf_body(CsrfFailure::TokenMissing))
    );
    let (status, _, body, _) = send(&app, post(vec![("x-csrftoken", "wrong".into())])).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::FORBIDDEN,
            csrf_body(CsrfFailure::TokenIncorrect)
        )
    );
    let (status, _, _, _) = send(&app, post(vec![("x-csrftoken", csrf.to_owned())])).await;
    assert_eq!(status, StatusCode::OK);
    // An empty CSRF cookie is no token at all.
    let empty = format!(
        "access_token={}; csrftoken=",
        cookie(&set, "access_token").unwrap()
    );
    let mut req = request(Method::POST, "/api/orders/", &empty, SAME_ORIGIN, None);
    req.headers_mut()
        .insert("x-csrftoken", "x".parse().unwrap());
    let (status, _, body, _) = send(&app, req).await;
    assert_eq!(
        (status, body),
        (StatusCode::FORBIDDEN, csrf_body(CsrfFailure::TokenMissing))
    );
    // Safe methods need no token.
    let get = request(Method::GET, "/api/orders/", &jar, SAME_ORIGIN, None);
    assert_eq!(send(&app, get).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sliding_tokens_live_in_the_access_cookie() {
    let jwt = builder()
        .with_cookies(
            Cookies::new()
                .insecure_allow_http()
                .with_same_site(SameSite::Strict)
                .with_expiration_in_body(true),
        )
        .with_auth_token_types([tower_simplejwt::TokenType::Sliding])
        .build()
        .unwrap();
    let now = jwt.now();
    let app = app(jwt);
    let (status, headers, body, _) = send(
        &app,
        request(
            Method::POST,
            "/api/token/sliding/",
            "",
            SAME_ORIGIN,
            Some(login()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap();
    // The sliding token's own expiry (its lifetime, 5 minutes), not the cookie's.
    let exp = body["access_expiration"].as_str().unwrap();
    assert!(
        exp == utc_iso(now + 300) || exp == utc_iso(now + 301),
        "{exp}"
    );
    let set = set_cookies(&headers);
    assert_eq!(
        set,
        vec![format!(
            "access_token={token}; Path=/; Max-Age=86400; HttpOnly; SameSite=Strict"
        )]
    );
    let jar = format!("access_token={token}");
    let (status, _, _, _) = send(
        &app,
        request(Method::POST, "/api/orders/", &jar, SAME_ORIGIN, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let renewed = send(
        &app,
        request(
            Method::POST,
            "/api/token/sliding/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(renewed.0, StatusCode::OK, "{}", renewed.2);
    assert!(cookie(&set_cookies(&renewed.1), "access_token").is_some());
}

#[tokio::test]
async fn cookie_mode_configuration_errors_say_what_to_fix() {
    let err = builder()
        .with_cookies(Cookies::new().with_access_name("bad name"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not a cookie name"), "{err}");
    let err = builder()
        .with_auth_cookie("other")
        .with_cookies(Cookies::new())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");
    let (jwt, _) = cookie_app(Cookies::new().with_refresh_path("/auth/"));
    assert_eq!(jwt.settings().auth_cookie.as_deref(), Some("access_token"));
}

#[tokio::test]
async fn the_refresh_cookie_follows_moved_token_routes() {
    let jwt = builder()
        .with_token_paths(tower_simplejwt::TokenPaths::with_prefix("/auth/jwt"))
        .with_cookies(Cookies::new())
        .build()
        .unwrap();
    let app = app(jwt);
    let (_, headers, _, _) = send(
        &app,
        request(Method::POST, "/auth/jwt/", "", SAME_ORIGIN, Some(login())),
    )
    .await;
    let set = set_cookies(&headers);
    assert!(set[1].contains("; Path=/auth/jwt/;"), "{set:?}");
}

#[tokio::test]
async fn in_cookie_mode_another_site_cannot_log_the_browser_in() {
    let (_, app) = cookie_app(Cookies::new());
    let res = send(
        &app,
        request(Method::POST, "/api/token/", "", CROSS_SITE, Some(login())),
    )
    .await;
    assert_eq!(
        (res.0, res.2),
        (
            StatusCode::FORBIDDEN,
            csrf_body(CsrfFailure::UntrustedOrigin)
        )
    );
    assert!(set_cookies(&res.1).is_empty());
    let res = send(
        &app,
        request(
            Method::POST,
            "/api/token/sliding/",
            "",
            CROSS_SITE,
            Some(login()),
        ),
    )
    .await;
    assert_eq!(res.0, StatusCode::FORBIDDEN);
    // The app's own page, and clients that are not browsers, log in.
    let res = send(
        &app,
        request(Method::POST, "/api/token/", "", SAME_ORIGIN, Some(login())),
    )
    .await;
    assert_eq!(res.0, StatusCode::OK);
    let res = send(
        &app,
        request(Method::POST, "/api/token/", "", &[], Some(login())),
    )
    .await;
    assert_eq!(res.0, StatusCode::OK);
    // Without cookie mode, a login sets no cookie and is not checked.
    let jwt = builder().build().unwrap();
    let res = send(
        &self::app(jwt),
        request(Method::POST, "/api/token/", "", CROSS_SITE, Some(login())),
    )
    .await;
    assert_eq!(res.0, StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_without_rotation_sets_the_access_cookie_and_its_expiration() {
    let jwt = SimpleJwt::builder()
        .with_secret(SECRET)
        .with_cookies(Cookies::new().with_expiration_in_body(true))
        .build()
        .unwrap();
    let now = jwt.now();
    let pair = jwt.for_user(1).pair().await.unwrap();
    let app = app(jwt);
    let jar = format!("refresh_token={}", pair.refresh);
    let (status, headers, body, _) = send(
        &app,
        request(
            Method::POST,
            "/api/token/refresh/",
            &jar,
            SAME_ORIGIN,
            Some(json!({})),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let exp = body["access_expiration"].as_str().unwrap();
    assert!(
        exp == utc_iso(now + 300) || exp == utc_iso(now + 301),
        "{exp}"
    );
    assert!(body.get("refresh").is_none() && body.get("refresh_expiration").is_none());
    let set = set_cookies(&headers);
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(cookie(&set, "access_token"), body["access"].as_str());
}
