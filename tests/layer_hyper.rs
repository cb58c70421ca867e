//! The layer under a plain hyper 1 server (no axum), with hyper's own
//! `Incoming` request body, over a real connection on an ephemeral port.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_simplejwt::AuthContext;

async fn handler(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let who = req
        .extensions()
        .get::<AuthContext>()
        .and_then(|c| c.token())
        .and_then(|t| t.user_id())
        .unwrap_or("anonymous")
        .to_owned();
    Ok(Response::new(Full::new(Bytes::from(who))))
}

#[tokio::test]
async fn layer_works_under_plain_hyper() {
    let (jwt, _) = jwt();
    let svc = ServiceBuilder::new()
        .layer(jwt.layer().required())
        .service(tower::service_fn(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let svc = TowerToHyperService::new(svc.clone());
            tokio::spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });

    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let token = jwt.for_user(11).access().unwrap();
    let req = Request::get(format!("http://{addr}/"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        &res.into_body().collect().await.unwrap().to_bytes()[..],
        b"11"
    );

    let res = client
        .request(
            Request::get(format!("http://{addr}/"))
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"api\"");
    let body: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"detail": "Authentication credentials were not provided."})
    );
}
