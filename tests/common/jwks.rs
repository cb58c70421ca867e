//! A real HTTP key server on loopback for the remote-key tests: it serves a
//! JWK Set and an OpenID Connect discovery document over TCP with hyper,
//! counts the fetches, and can be made to fail, stall, redirect or answer
//! with any body.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What the server answers on the key set's path.
#[derive(Clone, Debug)]
pub enum Answer {
    /// The current set, with the current `Cache-Control`.
    Set,
    /// This status and an empty body.
    Status(u16),
    /// These bytes as the body (malformed or oversized sets).
    Body(Vec<u8>),
    /// A redirect to this URL.
    Redirect(String),
}

struct State {
    set: Value,
    answer: Answer,
    cache_control: Option<String>,
    issuer: String,
}

/// A running key server. Dropping it does not stop it; `stop` does.
#[derive(Clone)]
pub struct JwksServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    fetches: Arc<AtomicUsize>,
    discoveries: Arc<AtomicUsize>,
    /// Each key-set answer takes a permit; with none left, answers stall.
    gate: Arc<Semaphore>,
    stop: Arc<tokio::sync::Notify>,
}

const OPEN: usize = usize::MAX >> 4;

impl JwksServer {
    /// Starts a server serving `set`; its issuer is its own base URL.
    pub async fn start(set: Value) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = JwksServer {
            addr,
            state: Arc::new(Mutex::new(State {
                set,
                answer: Answer::Set,
                cache_control: None,
                issuer: format!("http://{addr}"),
            })),
            fetches: Arc::new(AtomicUsize::new(0)),
            discoveries: Arc::new(AtomicUsize::new(0)),
            gate: Arc::new(Semaphore::new(OPEN)),
            stop: Arc::new(tokio::sync::Notify::new()),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(conn) => conn,
                        Err(_) => continue,
                    },
                    () = s.stop.notified() => return,
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let s = s.clone();
                        async move { Ok::<_, Infallible>(s.answer(req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        server
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.base())
    }

    pub fn issuer(&self) -> String {
        self.state.lock().unwrap().issuer.clone()
    }

    /// The issuer the discovery document names.
    pub fn set_issuer(&self, issuer: &str) {
        self.state.lock().unwrap().issuer = issuer.to_owned();
    }

    pub fn publish(&self, set: Value) {
        self.state.lock().unwrap().set = set;
    }

    pub fn answer_with(&self, answer: Answer) {
        self.state.lock().unwrap().answer = answer;
    }

    pub fn cache_control(&self, value: Option<&str>) {
        self.state.lock().unwrap().cache_control = value.map(str::to_owned);
    }

    /// Key-set fetches so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    pub fn discoveries(&self) -> usize {
        self.discoveries.load(Ordering::SeqCst)
    }

    /// From now on every key-set answer stalls until `release`.
    pub fn stall(&self) {
        let n = self.gate.available_permits();
        self.gate.forget_permits(n);
    }

    pub fn release(&self) {
        self.gate.add_permits(OPEN - self.gate.available_permits());
    }

    /// Stops accepting connections (open ones finish).
    pub fn stop(&self) {
        self.stop.notify_one();
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (set, answer, cache_control, issuer) = {
            let st = self.state.lock().unwrap();
            (
                st.set.clone(),
                st.answer.clone(),
                st.cache_control.clone(),
                st.issuer.clone(),
            )
        };
        let path = req.uri().path().to_owned();
        if path == "/.well-known/openid-configuration" {
            self.discoveries.fetch_add(1, Ordering::SeqCst);
            let doc = json!({ "issuer": issuer, "jwks_uri": self.jwks_url() });
            return json_response(&doc, None);
        }
        if path == "/moved.json" {
            return json_response(&set, cache_control.as_deref());
        }
        if path != "/jwks.json" {
            return status(404);
        }
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let permit = self.gate.acquire().await.unwrap();
        drop(permit);
        match answer {
            Answer::Set => json_response(&set, cache_control.as_deref()),
            Answer::Status(code) => status(code),
            Answer::Body(bytes) => Response::new(Full::new(Bytes::from(bytes))),
            Answer::Redirect(to) => Response::builder()
                .status(StatusCode::FOUND)
                .header("location", to)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        }
    }
}

fn json_response(value: &Value, cache_control: Option<&str>) -> Response<Full<Bytes>> {
    // One request per connection: no connection task outlives a fetch.
    let mut res = Response::builder()
        .header("content-type", "application/json")
        .header("connection", "close");
    if let Some(cc) = cache_control {
        res = res.header("cache-control", cc);
    }
    res.body(Full::new(Bytes::from(serde_json::to_vec(value).unwrap())))
        .unwrap()
}

fn status(code: u16) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A loopback address nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}
