//! The auth layer and the token endpoints on plain hyper 1, without axum.
//!
//! ```text
//! cargo run --example hyper -- 127.0.0.1:3000
//! ```
//! Log in as `ada` / `lovelace` at `POST /api/token/`, then call `GET /api/me/`.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_simplejwt::LookupError;
use tower_simplejwt::endpoints::{CredentialChecker, LoginUser, TokenEndpoints};
use tower_simplejwt::{AuthContext, MemoryStore, SimpleJwt};

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

struct Users;

impl CredentialChecker for Users {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<LoginUser>, LookupError> {
        // A real app verifies a password hash here (see the quickstart example).
        Ok((username == "ada" && password == "lovelace").then(|| LoginUser::active("1")))
    }
}

async fn me(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let token = req
        .extensions()
        .get::<AuthContext>()
        .and_then(|c| c.token());
    let body = serde_json::json!({ "user_id": token.and_then(|t| t.user_id()) });
    Ok(Response::new(Full::new(Bytes::from(body.to_string()))))
}

fn boxed<B>(res: Response<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    res.map(|b| b.map_err(Into::into).boxed())
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let jwt = SimpleJwt::builder()
        .with_secret(
            std::env::var("JWT_SECRET")
                .unwrap_or_else(|_| "hyper-example-secret-change-me-please!!".into()),
        )
        .with_store(MemoryStore::new())
        .with_rotate_refresh_tokens(true)
        .with_blacklist_after_rotation(true)
        .build()
        .expect("valid settings");
    let endpoints = TokenEndpoints::builder(jwt.clone())
        .with_credentials(Users)
        // Users here never change; an app with a users table passes its
        // lookup with `.with_user_resolver(...)` instead.
        .stateless()
        .build()
        .expect("valid endpoints");
    let protected = ServiceBuilder::new()
        .layer(jwt.layer().required())
        .service(service_fn(me));

    // A tiny router: each path goes to one tower service.
    let app = service_fn(move |req: Request<Incoming>| {
        let (endpoints, protected) = (endpoints.clone(), protected.clone());
        async move {
            let res = match req.uri().path() {
                "/api/token/" => boxed(endpoints.obtain_pair().oneshot(req).await?),
                "/api/token/refresh/" => boxed(endpoints.refresh().oneshot(req).await?),
                "/api/token/verify/" => boxed(endpoints.verify().oneshot(req).await?),
                "/api/token/blacklist/" => boxed(endpoints.blacklist().oneshot(req).await?),
                "/api/me/" => boxed(protected.oneshot(req).await?),
                _ => boxed(
                    Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Full::new(Bytes::from_static(
                            b"{\"detail\": \"Not found.\"}",
                        )))
                        .expect("static response"),
                ),
            };
            Ok::<_, Infallible>(res)
        }
    });

    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let svc = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
