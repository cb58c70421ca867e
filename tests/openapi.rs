//! The OpenAPI document (feature `openapi`) against the routes it describes:
//! valid OpenAPI 3.1 (openapi-spec-validator), the mounted routes and no
//! other, and every documented example answered with the documented status
//! and body by the real router.

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_simplejwt::endpoints::openapi::BEARER_AUTH;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{
    Cookies, LookupError, MemoryStore, SimpleJwt, SimpleJwtBuilder, TokenPaths, UserRecord,
    UserResolver, VerifiedToken,
};

const SECRET: &[u8] = b"openapi-test-secret-of-at-least-32-bytes";

/// Accepts the documented example login, and nothing else.
#[derive(Clone)]
struct Alice;

impl CredentialChecker for Alice {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        Ok(
            (username == "alice" && password == "correct horse battery staple")
                .then(|| LoginUser::active("42")),
        )
    }
}

/// User 42 is active.
#[derive(Clone)]
struct Directory;

impl UserResolver for Directory {
    type User = String;
    async fn resolve(
        &self,
        user_id: &str,
        _: &VerifiedToken,
    ) -> Result<Option<UserRecord<String>>, LookupError> {
        Ok((user_id == "42").then(|| UserRecord::active("alice".to_owned())))
    }
}

struct App {
    jwt: SimpleJwt,
    router: Router,
    doc: Value,
}

/// The app as the README mounts it: the router behind the layer.
fn app(builder: SimpleJwtBuilder) -> App {
    let jwt = builder.build().unwrap();
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(Alice)
        .with_user_resolver(Directory)
        .build()
        .unwrap();
    let doc = serde_json::to_value(endpoints.openapi()).unwrap();
    let router = Router::new().merge(endpoints.router()).layer(jwt.layer());
    App { jwt, router, doc }
}

fn with_store() -> SimpleJwtBuilder {
    SimpleJwt::builder()
        .with_secret(SECRET)
        .with_store(MemoryStore::new())
}

/// Every configuration the tests describe: a store (every route mounted),
/// rotation, cookie mode, moved paths, and no store.
fn configurations() -> Vec<(&'static str, SimpleJwtBuilder)> {
    vec![
        ("store", with_store()),
        (
            "rotation",
            with_store()
                .with_rotate_refresh_tokens(true)
                .with_blacklist_after_rotation(true),
        ),
        (
            "cookie mode",
            with_store()
                .with_rotate_refresh_tokens(true)
                .with_cookies(Cookies::new().with_expiration_in_body(true)),
        ),
        (
            "prefix",
            with_store().with_token_paths(TokenPaths::with_prefix("/auth")),
        ),
        ("no store", SimpleJwt::builder().with_secret(SECRET)),
    ]
}

fn python() -> std::path::PathBuf {
    let path = std::env::var_os("TOWER_SIMPLEJWT_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python")
        });
    assert!(
        path.exists(),
        "no Python at {}: the OpenAPI document is checked by openapi-spec-validator; create the venv \
         with `python3 -m venv target/interop-venv && target/interop-venv/bin/pip install -r \
         tests/interop/requirements.txt` (or set TOWER_SIMPLEJWT_PYTHON)",
        path.display()
    );
    path
}

async fn send(router: &Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let res = router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (parts.status, parts.headers, body)
}

fn post_json(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Every operation: path, method, operation.
fn operations(doc: &Value) -> Vec<(String, Method, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            ops.push((path.clone(), method, op.clone()));
        }
    }
    ops
}

/// The status whose JSON response carries an example called `name`.
fn documented_status(op: &Value, name: &str) -> Option<(StatusCode, Value)> {
    op["responses"]
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(status, response)| {
            let example = &response["content"]["application/json"]["examples"][name];
            (!example.is_null()).then(|| (status.parse().unwrap(), example["value"].clone()))
        })
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The body answers its documented example: the same body for errors, the
/// same keys for tokens (which differ from the examples' every time).
fn assert_documented_body(what: &str, status: StatusCode, body: &Value, example: &Value) {
    if status == StatusCode::OK {
        assert_eq!(keys(body), keys(example), "{what}: {body}");
    } else {
        assert_eq!(body, example, "{what}");
    }
}

#[test]
fn document_is_valid_openapi_3_1() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    for (name, builder) in configurations() {
        let doc = app(builder).doc;
        assert_eq!(doc["openapi"], "3.1.0", "{name}");
        let file = dir.path().join(format!("{}.json", name.replace(' ', "_")));
        std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        let out = std::process::Command::new(&python)
            .args(["-m", "openapi_spec_validator"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: openapi-spec-validator refused the document:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout)
                .chars()
                .take(4000)
                .collect::<String>(),
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(4000)
                .collect::<String>(),
        );
    }
}

#[tokio::test]
async fn documented_routes_are_exactly_the_mounted_routes() {
    for (name, builder) in configurations() {
        let App { jwt, router, doc } = app(builder);
        let documented = keys(&doc["paths"]);
        let mut all: Vec<String> = {
            let p = &jwt.settings().token_paths;
            [
                &p.obtain_pair,
                &p.refresh,
                &p.verify,
                &p.blacklist,
                &p.obtain_sliding,
                &p.refresh_sliding,
                &p.logout_all,
                &p.jwks,
            ]
            .map(String::clone)
            .into()
        };
        all.push("/api/token/not-a-route/".to_owned());
        for path in all {
            let req = Request::options(path.as_str()).body(Body::empty()).unwrap();
            let (status, _, _) = send(&router, req).await;
            assert_eq!(
                status != StatusCode::NOT_FOUND,
                documented.contains(&path),
                "{name}: {path} answers {status}, documented: {documented:?}"
            );
        }
        if jwt.store().is_some() {
            assert_eq!(
                documented.len(),
                8,
                "{name}: every route is mounted with a store"
            );
        } else {
            assert_eq!(
                documented.len(),
                6,
                "{name}: no blacklisting without a store"
            );
        }
    }
}

#[tokio::test]
async fn every_request_example_gets_the_documented_status_and_body() {
    for (name, builder) in configurations() {
        let App { router, doc, .. } = app(builder);
        for (path, method, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap().to_owned();
            let examples = &op["requestBody"]["content"]["application/json"]["examples"];
            if op["requestBody"].is_null() {
                // Log-out-everywhere reads no body (a request without a
                // token is its example); the JWK Set is a GET.
                let req = Request::builder()
                    .method(method.clone())
                    .uri(path.as_str())
                    .body(Body::empty())
                    .unwrap();
                let (status, _, body) = send(&router, req).await;
                let expected = if id == "token_logout_all" {
                    "no_credentials"
                } else {
                    "keys"
                };
                let (documented, example) = documented_status(&op, expected).unwrap();
                assert_eq!(status, documented, "{name} {id}: {body}");
                assert_documented_body(&format!("{name} {id}"), status, &body, &example);
                continue;
            }
            let examples = examples
                .as_object()
                .unwrap_or_else(|| panic!("{id} has no example"));
            assert!(!examples.is_empty(), "{name} {id}: no request example");
            for (example_name, example) in examples {
                let what = format!("{name} {id} {example_name}");
                let (documented, response) = documented_status(&op, example_name)
                    .unwrap_or_else(|| panic!("{what}: no response documents this example"));
                let (status, _, body) = send(&router, post_json(&path, &example["value"])).await;
                assert_eq!(status, documented, "{what}: {body}");
                assert_documented_body(&what, status, &body, &response);
            }
        }
    }
}

#[tokio::test]
async fn documented_body_errors_are_what_the_routes_answer() {
    let App { router, doc, .. } = app(with_store());
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap().to_owned();
        let responses = &op["responses"];
        let example = |status: &str, name: &str| {
            responses[status]["content"]["application/json"]["examples"][name]["value"].clone()
        };
        // 405, with the documented Allow header.
        let other = if method == Method::POST {
            Method::GET
        } else {
            Method::POST
        };
        let req = Request::builder()
            .method(other)
            .uri(path.as_str())
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(&router, req).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{id}");
        assert_eq!(body, example("405", "wrong_method"), "{id}");
        assert!(responses["405"]["headers"]["Allow"].is_object(), "{id}");
        assert!(headers.contains_key("allow"), "{id}");
        if op["requestBody"].is_null() {
            continue;
        }
        let raw = |content_type: &str, body: Vec<u8>| {
            Request::post(path.as_str())
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap()
        };
        let cases = [
            ("415", "text_plain", raw("text/plain", b"hi".to_vec())),
            (
                "400",
                "json_parse_error",
                raw("application/json", b"{".to_vec()),
            ),
            (
                "400",
                "not_a_dictionary",
                raw("application/json", b"[]".to_vec()),
            ),
            (
                "413",
                "too_large",
                raw("application/json", vec![b' '; 64 * 1024]),
            ),
        ];
        for (documented, name, req) in cases {
            let (status, headers, body) = send(&router, req).await;
            assert_eq!(status.as_str(), documented, "{id} {name}: {body}");
            assert_eq!(body, example(documented, name), "{id} {name}");
            assert_eq!(headers["cache-control"], "no-store", "{id} {name}");
        }
    }
}

#[tokio::test]
async fn success_bodies_have_the_documented_keys() {
    for (name, builder) in configurations() {
        let App { jwt, router, doc } = app(builder);
        let paths = jwt.settings().token_paths.clone();
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        let ok_example = |op: &Value| {
            let examples = op["responses"]["200"]["content"]["application/json"]["examples"]
                .as_object()
                .unwrap()
                .clone();
            examples.values().next().unwrap()["value"].clone()
        };
        let pair = jwt.for_user("42").pair().await.unwrap();
        let sliding = jwt.for_user("42").sliding().await.unwrap();
        let mut cases = vec![
            (paths.verify.clone(), json!({ "token": pair.access })),
            (paths.refresh.clone(), json!({ "refresh": pair.refresh })),
            (paths.refresh_sliding.clone(), json!({ "token": sliding })),
        ];
        if jwt.store().is_some() {
            let pair = jwt.for_user("42").pair().await.unwrap();
            cases.push((paths.blacklist.clone(), json!({ "refresh": pair.refresh })));
        }
        for (path, body) in cases {
            let op = op(&path, "post");
            let (status, headers, body) = send(&router, post_json(&path, &body)).await;
            assert_eq!(status, StatusCode::OK, "{name} {path}: {body}");
            assert_documented_body(&format!("{name} {path}"), status, &body, &ok_example(&op));
            assert_eq!(
                headers.contains_key("set-cookie"),
                op["responses"]["200"]["headers"]["Set-Cookie"].is_object(),
                "{name} {path}: Set-Cookie documented as sent"
            );
        }
        if jwt.store().is_some() {
            let op = op(&paths.logout_all, "post");
            assert!(op["security"][0][BEARER_AUTH].is_array(), "{name}");
            let pair = jwt.for_user("42").pair().await.unwrap();
            let req = Request::post(paths.logout_all.as_str())
                .header("authorization", format!("Bearer {}", pair.access))
                .body(Body::empty())
                .unwrap();
            let (status, _, body) = send(&router, req).await;
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            assert_documented_body(name, status, &body, &ok_example(&op));
        }
    }
}

#[test]
fn cookie_mode_documents_the_csrf_refusal_and_the_cookie_scheme() {
    let plain = app(with_store()).doc;
    let cookies = app(with_store().with_cookies(Cookies::new())).doc;
    for (_, _, op) in operations(&plain) {
        assert!(op["responses"]["403"].is_null(), "{}", op["operationId"]);
    }
    for (_, _, op) in operations(&cookies) {
        let id = op["operationId"].as_str().unwrap();
        let reads_cookies = !matches!(id, "token_verify" | "jwks");
        assert_eq!(
            op["responses"]["403"]["content"]["application/json"]["examples"]["csrf_failed"]["value"]
                ["code"]
                == "csrf_failed",
            reads_cookies,
            "{id}"
        );
    }
    assert_eq!(
        cookies["components"]["securitySchemes"]["cookieAuth"],
        json!({"type": "apiKey", "in": "cookie", "name": "access_token",
               "description": cookies["components"]["securitySchemes"]["cookieAuth"]["description"]})
    );
    assert!(plain["components"]["securitySchemes"]["cookieAuth"].is_null());
}
