use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::auth::{
    AuthBody, AuthContext, AuthRejection, Credentials, JwtAuthLayer, ResponseFuture, credentials,
};
use crate::token::VerifiedToken;

/// The auth middleware service; see the [module docs](crate::auth).
#[derive(Clone, Debug)]
pub struct JwtAuth<S> {
    pub(crate) inner: S,
    pub(crate) layer: JwtAuthLayer,
}

impl<S> JwtAuth<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for JwtAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let jwt = &self.layer.jwt;
        let inner = &jwt.inner;
        // The public token routes ignore credentials, as Simple JWT's token
        // views do: a stale access token must not keep a client from
        // refreshing or logging in.
        if inner
            .settings
            .token_paths
            .is_public(req.method(), req.uri().path())
        {
            insert_context(&self.layer, &mut req, None);
            return ResponseFuture::inner(self.inner.call(req));
        }
        let token = match credentials(inner, req.headers()) {
            Credentials::Anonymous if self.layer.required => {
                return self.reject(AuthRejection::MissingCredentials);
            }
            Credentials::Anonymous => None,
            Credentials::Bad(rejection) => return self.reject(rejection),
            Credentials::Token(raw) => match jwt.validate_access_bytes(raw) {
                Ok(token) if token.user_id.is_none() => {
                    return self.reject(AuthRejection::NoUserId);
                }
                Ok(token) => Some(token),
                Err(e) => return self.reject(AuthRejection::InvalidToken(e)),
            },
        };
        let mut needs_store = inner.settings.check_access_revocation && inner.store.is_some();
        // An in-process store answers at once: the request stays on the
        // synchronous path. A remote one is asked on the slow path below.
        if let (true, Some(t)) = (needs_store, &token) {
            match jwt.check_revocation_now(t) {
                Some(Ok(())) => needs_store = false,
                Some(Err(rejection)) => return self.reject(rejection),
                None => {}
            }
        }
        match token {
            Some(token) if needs_store || self.layer.resolver.is_some() => {
                // Slow path: store and/or user lookups. Take the service that
                // was driven to readiness and leave a fresh clone behind.
                let clone = self.inner.clone();
                let service = std::mem::replace(&mut self.inner, clone);
                let layer = self.layer.clone();
                let check = Box::pin(async move {
                    if needs_store {
                        layer.jwt.check_revocation(&token).await?;
                    }
                    if let Some(resolver) = &layer.resolver {
                        resolver
                            .resolve(&layer.jwt.inner.settings, &token)
                            .await?
                            .insert_into(req.extensions_mut());
                    }
                    insert_context(&layer, &mut req, Some(token));
                    Ok(req)
                });
                ResponseFuture::check(check, service, self.layer.jwt.clone())
            }
            token => {
                insert_context(&self.layer, &mut req, token);
                ResponseFuture::inner(self.inner.call(req))
            }
        }
    }
}

fn insert_context<B>(layer: &JwtAuthLayer, req: &mut Request<B>, token: Option<VerifiedToken>) {
    req.extensions_mut().insert(AuthContext {
        token,
        challenge: layer.challenge.clone(),
    });
}

impl<S> JwtAuth<S> {
    fn reject<ReqBody>(&self, rejection: AuthRejection) -> ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        ResponseFuture::reject(rejection, &self.layer.jwt)
    }
}
