use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::auth::{
    AuthBody, AuthContext, AuthRejection, CredentialSource, Credentials, JwtAuthLayer,
    ResponseFuture, check_csrf, credentials,
};
use crate::revocation::Use;
use crate::token::Undecoded;
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

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the middleware, returning the wrapped service.
    pub fn into_inner(self) -> S {
        self.inner
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
        let path = req.uri().path();
        if self.layer.public_paths.iter().any(|p| p == path) {
            req.extensions_mut().insert(AuthContext {
                token: None,
                source: None,
                challenge: self.layer.challenge.clone(),
                token_route: true,
            });
            return ResponseFuture::inner(self.inner.call(req));
        }
        let mut source = None;
        let token = match credentials(&inner.settings, req.headers()) {
            Credentials::Anonymous if self.layer.required => {
                return self.reject(AuthRejection::MissingCredentials);
            }
            Credentials::Anonymous => None,
            Credentials::Bad(rejection) => return self.reject(rejection),
            Credentials::Token(raw, from) => {
                // A cookie alone never authorises an unsafe cross-site
                // request: checked before the token is even looked at.
                if from == CredentialSource::Cookie {
                    if let Err(failure) =
                        check_csrf(&inner.settings, req.method(), req.uri(), req.headers())
                    {
                        return self.reject(AuthRejection::Csrf(failure));
                    }
                }
                match jwt.try_validate_access(raw) {
                    Ok(token) => {
                        source = Some(from);
                        Some(token)
                    }
                    Err(Undecoded::Refused(e)) => {
                        return self.reject(AuthRejection::refused(e.into()));
                    }
                    // The token's key is being fetched from its key server.
                    #[cfg(feature = "remote-keys")]
                    Err(Undecoded::Pending(wait)) => {
                        let raw = raw.to_vec();
                        return self.slow_path(req, Start::Pending(wait, raw), Some(from));
                    }
                }
            }
        };
        // The verdict is given at once unless a remote store must be asked,
        // which happens on the slow path below.
        let mut needs_store = false;
        if let Some(t) = &token {
            match jwt.verdict_now(t, Use::Authenticate) {
                Some(Ok(())) => {}
                Some(Err(refusal)) => return self.reject(AuthRejection::refused(refusal)),
                None => needs_store = true,
            }
        }
        match token {
            Some(token) if needs_store || self.layer.resolver.is_some() => {
                self.slow_path(req, Start::Valid(token, needs_store), source)
            }
            token => {
                insert_context(&self.layer, &mut req, token, source);
                ResponseFuture::inner(self.inner.call(req))
            }
        }
    }
}

/// Where the slow path starts.
enum Start {
    /// A valid token; `true` when the store must still be asked.
    Valid(VerifiedToken, bool),
    /// A token whose key is being fetched: wait, validate, then judge it.
    #[cfg(feature = "remote-keys")]
    Pending(crate::remote::Wait, Vec<u8>),
}

impl<S> JwtAuth<S> {
    /// The slow path: key fetch, store and/or user lookups, in the
    /// response future. Takes the service that was driven to readiness and
    /// leaves a fresh clone behind.
    fn slow_path<ReqBody>(
        &mut self,
        mut req: Request<ReqBody>,
        start: Start,
        source: Option<CredentialSource>,
    ) -> ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>> + Clone,
        ReqBody: Send + 'static,
    {
        let clone = self.inner.clone();
        let service = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let check = Box::pin(async move {
            let jwt = &layer.jwt;
            let (token, needs_store) = match start {
                Start::Valid(token, needs_store) => (token, needs_store),
                #[cfg(feature = "remote-keys")]
                Start::Pending(wait, raw) => {
                    wait.finished().await;
                    let token = jwt
                        .validate_access(&raw)
                        .map_err(|e| AuthRejection::refused(e.into()))?;
                    (token, true)
                }
            };
            if needs_store {
                jwt.verdict(&token, Use::Authenticate)
                    .await
                    .map_err(AuthRejection::refused)?;
            }
            if let Some(resolver) = &layer.resolver {
                resolver
                    .resolve(&jwt.inner.settings, &token)
                    .await
                    .map_err(AuthRejection::user_refused)?
                    .insert_into(req.extensions_mut());
            }
            insert_context(&layer, &mut req, Some(token), source);
            Ok(req)
        });
        ResponseFuture::check(check, service, self.layer.jwt.clone())
    }
}

fn insert_context<B>(
    layer: &JwtAuthLayer,
    req: &mut Request<B>,
    token: Option<VerifiedToken>,
    source: Option<CredentialSource>,
) {
    crate::observe::accepted(token.as_ref());
    req.extensions_mut().insert(AuthContext {
        source: source.filter(|_| token.is_some()),
        token,
        challenge: layer.challenge.clone(),
        token_route: false,
    });
}

impl<S> JwtAuth<S> {
    fn reject<ReqBody>(&self, rejection: AuthRejection) -> ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        crate::observe::refused(rejection);
        ResponseFuture::reject(rejection, &self.layer.jwt)
    }
}
