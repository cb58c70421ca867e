use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::auth::{AuthBody, AuthRejection};
use crate::jwt::SimpleJwt;

type Check<B> = Pin<Box<dyn Future<Output = Result<Request<B>, AuthRejection>> + Send>>;

pin_project! {
    /// Response future of [`JwtAuth`](crate::auth::JwtAuth).
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        // The request was accepted; the inner service is answering.
        Inner { #[pin] future: S::Future },
        // Refused without calling the inner service.
        Reject { response: Option<Response<bytes::Bytes>> },
        // Waiting for the store and/or user lookup.
        Check { check: Check<ReqBody>, service: Option<S>, jwt: SimpleJwt },
    }
}

impl<S, ReqBody> ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    pub(crate) fn inner(future: S::Future) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    pub(crate) fn reject(rejection: AuthRejection, jwt: &SimpleJwt) -> Self {
        Self {
            state: State::Reject {
                response: Some(rejection.to_response(jwt.settings())),
            },
        }
    }

    pub(crate) fn check(check: Check<ReqBody>, service: S, jwt: SimpleJwt) -> Self {
        Self {
            state: State::Check {
                check,
                service: Some(service),
                jwt,
            },
        }
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Result<Response<AuthBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Inner { future } => {
                    let res = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(res.map(AuthBody::inner)));
                }
                StateProj::Reject { response } => {
                    let res = response
                        .take()
                        .expect("ResponseFuture polled after completion");
                    return Poll::Ready(Ok(res.map(AuthBody::full)));
                }
                StateProj::Check {
                    check,
                    service,
                    jwt,
                } => {
                    let outcome = ready!(check.as_mut().poll(cx));
                    let next = match outcome {
                        Ok(req) => {
                            let mut service = service
                                .take()
                                .expect("ResponseFuture polled after completion");
                            State::Inner {
                                future: service.call(req),
                            }
                        }
                        Err(rejection) => {
                            crate::observe::refused(rejection);
                            State::Reject {
                                response: Some(rejection.to_response(jwt.settings())),
                            }
                        }
                    };
                    this.state.set(next);
                }
            }
        }
    }
}
