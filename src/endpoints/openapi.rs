//! An OpenAPI 3.1 description of the token routes (feature `openapi`), built
//! with [utoipa](https://docs.rs/utoipa) from the running configuration.
//!
//! [`TokenEndpoints::openapi`] describes the routes that
//! [`TokenEndpoints::router`](crate::endpoints::TokenEndpoints) mounts, at the
//! configured [`TokenPaths`](crate::TokenPaths): request and response
//! schemas, every status each route answers with its exact Simple JWT body,
//! and request examples. [`BearerAuth`] (a [`utoipa::Modify`]) or
//! [`add_bearer_scheme`] adds the `bearerAuth` security scheme to the app's
//! own document, for the routes behind the layer.
//!
//! ```
//! use tower_simplejwt::endpoints::TokenEndpoints;
//! use tower_simplejwt::endpoints::openapi::{BEARER_AUTH, add_bearer_scheme};
//! use tower_simplejwt::{MemoryStore, SimpleJwt, TokenPaths};
//! use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
//!
//! let jwt = SimpleJwt::builder()
//!     .with_secret([5u8; 32])
//!     .with_store(MemoryStore::new())
//!     .with_token_paths(TokenPaths::with_prefix("/auth"))
//!     .build()
//!     .unwrap();
//! let endpoints = TokenEndpoints::builder(jwt).stateless().build().unwrap();
//!
//! // The app's own document, with its protected routes...
//! let mut doc = OpenApiBuilder::new()
//!     .info(InfoBuilder::new().title("my app").version("1.0.0"))
//!     .build();
//! add_bearer_scheme(&mut doc); // ...which name `bearerAuth` in their `security`
//! doc.merge(endpoints.openapi()); // and the token routes, where the router mounts them
//!
//! let json = serde_json::to_value(&doc).unwrap();
//! assert_eq!(json["openapi"], "3.1.0");
//! assert_eq!(json["components"]["securitySchemes"][BEARER_AUTH]["bearerFormat"], "JWT");
//! let refresh = &json["paths"]["/auth/refresh/"]["post"];
//! assert_eq!(
//!     refresh["responses"]["401"]["content"]["application/json"]["examples"]["invalid_token"]["value"],
//!     serde_json::json!({"detail": "Token is invalid", "code": "token_not_valid"}),
//! );
//! assert!(json["paths"]["/auth/logout_all/"]["post"]["security"][0][BEARER_AUTH].is_array());
//! ```
//!
//! # Examples and the statuses they get
//!
//! Each request example is named like the response example it gets: the
//! `wrong_password` request example of obtain is answered by the `401`
//! response's `wrong_password` example, `missing_fields` by the `400`'s.
//! The `credentials` example of the obtain routes (`alice` /
//! `correct horse battery staple`) gets a `200` when the app's credential
//! checker accepts it. Tokens in examples are well formed but carry no valid
//! signature: the routes answer them `401 Token is invalid`, as documented.
//!
//! The document describes `POST` operations (and `GET` for the JWK Set);
//! the `405` each lists is the answer to any other method. A `500` is never
//! caused by a request: it names a mistake in the app's own wiring (token
//! routes behind the layer at paths it does not know, or custom claims that
//! cannot go into a token), so it is not listed. The `bearerAuth` scheme
//! describes the default `Authorization: Bearer` header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, OneOfBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, HeaderBuilder, InfoBuilder, ObjectBuilder,
    OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Ref, RefOr, Required, ResponseBuilder, Schema,
    SchemaFormat, Type,
};

use crate::endpoints::{Kind, Post, TokenEndpoints};
use crate::settings::Settings;

/// The name of the bearer security scheme in `components.securitySchemes`.
pub const BEARER_AUTH: &str = "bearerAuth";

/// The name of the cookie security scheme, described when the layer reads
/// the access token from a cookie (cookie mode, or `with_auth_cookie`).
pub const COOKIE_AUTH: &str = "cookieAuth";

/// The tag of every token route.
const TAG: &str = "token";

/// The example login, accepted by the credential checker of the tests.
const EXAMPLE_USERNAME: &str = "alice";
const EXAMPLE_PASSWORD: &str = "correct horse battery staple";

/// HTTP bearer authentication with a JWT: the access token (or a sliding
/// token) in `Authorization: Bearer <token>`.
pub fn bearer_scheme() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token from the obtain or refresh route, as `Authorization: Bearer <token>`.",
            ))
            .build(),
    )
}

/// The security requirement of a route behind the layer: `bearerAuth`,
/// no scopes. Put it in an operation's `security`.
pub fn bearer_requirement() -> SecurityRequirement {
    SecurityRequirement::new(BEARER_AUTH, Vec::<String>::new())
}

/// Adds the `bearerAuth` scheme ([`bearer_scheme`]) to `openapi`'s
/// components, keeping every other component; an existing scheme of that
/// name is replaced.
pub fn add_bearer_scheme(openapi: &mut OpenApi) {
    openapi
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(BEARER_AUTH, bearer_scheme());
}

/// A [`utoipa::Modify`] that adds the `bearerAuth` scheme, for documents
/// derived with utoipa's macros: `#[openapi(modifiers(&BearerAuth))]`.
///
/// ```
/// use tower_simplejwt::endpoints::openapi::{BEARER_AUTH, BearerAuth};
/// use utoipa::Modify;
///
/// let mut doc = utoipa::openapi::OpenApi::default();
/// BearerAuth.modify(&mut doc);
/// let json = serde_json::to_value(&doc).unwrap();
/// assert_eq!(json["components"]["securitySchemes"][BEARER_AUTH]["scheme"], "bearer");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        add_bearer_scheme(openapi);
    }
}

impl TokenEndpoints {
    /// An OpenAPI 3.1 document of the routes [`router`](Self::router)
    /// mounts, at the configured paths, with the `bearerAuth` scheme that
    /// log-out-everywhere requires. `merge` it into the app's document (the
    /// app's `info` is kept). See the [module docs](crate::endpoints::openapi).
    #[cfg_attr(docsrs, doc(cfg(feature = "openapi")))]
    pub fn openapi(&self) -> OpenApi {
        let doc = Describe::new(self);
        let mut paths = PathsBuilder::new();
        for (path, endpoint) in self.mounted() {
            let (method, operation) = doc.operation(endpoint.kind);
            paths = paths.path(path, PathItem::new(method, operation));
        }
        let mut components = ComponentsBuilder::new().security_scheme(BEARER_AUTH, bearer_scheme());
        if let Some(cookie) = &doc.settings.auth_cookie {
            components = components.security_scheme(
                COOKIE_AUTH,
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    cookie.as_str(),
                    "The access token in its cookie. On unsafe methods the request must pass the \
                     cross-origin check (403 `csrf_failed` otherwise).",
                ))),
            );
        }
        for (name, schema) in doc.schemas() {
            components = components.schema(name, schema);
        }
        OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("tower-simplejwt token endpoints")
                    .version(env!("CARGO_PKG_VERSION"))
                    .description(Some(
                        "Simple JWT's token routes: obtain, refresh, verify, blacklist, sliding tokens, \
                         log out everywhere, and the JWK Set.",
                    )),
            )
            .paths(paths)
            .components(Some(components.build()))
            .tags(Some([TagBuilder::new()
                .name(TAG)
                .description(Some("JSON Web Tokens: log in, refresh, log out."))
                .build()]))
            .build()
    }
}

/// What the document depends on, read once from the configuration.
struct Describe<'a> {
    settings: &'a Settings,
    has_checker: bool,
    throttled: bool,
    has_resolver: bool,
    has_store: bool,
    has_remote_keys: bool,
}

/// A named example: its name, summary and value.
type Example = (&'static str, &'static str, Value);

impl<'a> Describe<'a> {
    fn new(endpoints: &'a TokenEndpoints) -> Self {
        let shared = &endpoints.shared;
        Self {
            settings: shared.jwt.settings(),
            has_checker: shared.checker.is_some(),
            throttled: shared.throttle.is_some(),
            has_resolver: shared.resolver.is_some(),
            has_store: shared.jwt.store().is_some(),
            #[cfg(feature = "remote-keys")]
            has_remote_keys: !shared.jwt.inner.remote.is_empty(),
            #[cfg(not(feature = "remote-keys"))]
            has_remote_keys: false,
        }
    }

    fn cookie_mode(&self) -> bool {
        self.settings.cookies.is_some()
    }

    fn operation(&self, kind: Kind) -> (HttpMethod, utoipa::openapi::path::Operation) {
        let op = OperationBuilder::new().tag(TAG);
        match kind {
            Kind::Jwks => (HttpMethod::Get, self.jwks(op).build()),
            Kind::LogoutAll => (HttpMethod::Post, self.logout_all(op).build()),
            Kind::Post(post) => (HttpMethod::Post, self.post(post, op).build()),
        }
    }

    /// One of the six routes that read a JSON or form body.
    fn post(&self, post: Post, op: OperationBuilder) -> OperationBuilder {
        let cookies = self.settings.cookies.as_ref();
        let username = self.settings.username_field.as_str();
        let (id, summary, description) = match post {
            Post::ObtainPair => (
                "token_obtain_pair",
                "Log in: a refresh and an access token",
                "Takes a set of user credentials and returns an access and refresh JSON web token \
                 pair to prove the authentication of those credentials. Username and password are \
                 trimmed of surrounding whitespace.",
            ),
            Post::Refresh => (
                "token_refresh",
                "A new access token from a refresh token",
                "Takes a refresh type JSON web token and returns an access type JSON web token if \
                 the refresh token is valid (and, with rotation, a new refresh token).",
            ),
            Post::Verify => (
                "token_verify",
                "Check a token",
                "Takes a token and indicates if it is valid, judged as the auth layer (access and \
                 sliding tokens) or refresh (refresh tokens) would judge it. This view provides no \
                 information about a token's fitness for a particular use.",
            ),
            Post::Blacklist => (
                "token_blacklist",
                "Log out: blacklist a refresh token",
                "Takes a refresh token and blacklists it, with every token of its login.",
            ),
            Post::ObtainSliding => (
                "token_obtain_sliding",
                "Log in: a sliding token",
                "Takes a set of user credentials and returns a sliding JSON web token to prove \
                 the authentication of those credentials.",
            ),
            Post::RefreshSliding => (
                "token_refresh_sliding",
                "Renew a sliding token",
                "Takes a sliding token and returns a renewed one if its refresh period has not \
                 expired.",
            ),
        };
        let (request, response, field) = match post {
            Post::ObtainPair => ("TokenObtainRequest", "TokenObtainPair", None),
            Post::ObtainSliding => ("TokenObtainRequest", "TokenSliding", None),
            Post::Refresh => ("TokenRefreshRequest", "TokenRefresh", Some("refresh")),
            Post::Blacklist => ("TokenBlacklistRequest", "Empty", Some("refresh")),
            Post::Verify => ("TokenVerifyRequest", "Empty", Some("token")),
            Post::RefreshSliding => ("TokenRefreshSlidingRequest", "TokenSliding", Some("token")),
        };
        // Which routes read a token from a cookie in cookie mode (verify
        // never does), and which obtain (login CSRF check).
        let uses_cookies = cookies.is_some() && post != Post::Verify;

        let mut requests: Vec<Example> = Vec::new();
        let mut bad_requests: Vec<Example> = Vec::new();
        let mut unauthorized: Vec<Example> = Vec::new();
        let mut ok: Vec<Example> = Vec::new();
        match field {
            None => {
                if self.has_checker {
                    requests.push((
                        "credentials",
                        "Credentials the app's checker accepts",
                        json!({ username: example_username(username), "password": EXAMPLE_PASSWORD }),
                    ));
                }
                requests.push((
                    "wrong_password",
                    "A wrong password, an unknown or an inactive user",
                    json!({ username: example_username(username), "password": "not the password" }),
                ));
                requests.push(("missing_fields", "No credentials", json!({})));
                bad_requests.push((
                    "missing_fields",
                    "Every missing field, reported together",
                    json!({
                        username: ["This field is required."],
                        "password": ["This field is required."],
                    }),
                ));
                unauthorized.push((
                    "wrong_password",
                    "Wrong password, unknown or inactive user: one answer",
                    json!({ "detail": "No active account found with the given credentials" }),
                ));
            }
            Some(field) => {
                let token_type = match post {
                    Post::Refresh | Post::Blacklist => "refresh",
                    Post::RefreshSliding => "sliding",
                    _ => "access",
                };
                requests.push((
                    "invalid_token",
                    "A token (this one's signature is not valid)",
                    json!({ field: example_token(self.settings, token_type) }),
                ));
                requests.push((
                    "missing_field",
                    if uses_cookies {
                        "No token in the body nor in its cookie"
                    } else {
                        "No token"
                    },
                    json!({}),
                ));
                bad_requests.push((
                    "missing_field",
                    "The field is missing",
                    json!({ field: ["This field is required."] }),
                ));
                bad_requests.push((
                    "blank_field",
                    "The field is blank",
                    json!({ field: ["This field may not be blank."] }),
                ));
                unauthorized.push((
                    "invalid_token",
                    "A token that fails validation",
                    token_not_valid("Token is invalid"),
                ));
                unauthorized.push((
                    "expired",
                    "An expired token",
                    token_not_valid("Token is expired"),
                ));
                if post != Post::Verify {
                    unauthorized.push((
                        "wrong_type",
                        "A token of another type",
                        token_not_valid("Token has wrong type"),
                    ));
                }
                if self.has_store {
                    unauthorized.push((
                        "blacklisted",
                        "A token that was logged out (or rotated)",
                        token_not_valid("Token is blacklisted"),
                    ));
                }
                if post == Post::RefreshSliding {
                    unauthorized.push((
                        "refresh_expired",
                        "A sliding token past its refresh period",
                        token_not_valid("Token 'refresh_exp' claim has expired"),
                    ));
                }
                if self.has_resolver && matches!(post, Post::Refresh | Post::RefreshSliding) {
                    unauthorized.push((
                        "no_active_account",
                        "The token's user was deleted, deactivated or changed password",
                        json!({ "detail": "No active account found for the given token." }),
                    ));
                }
                if uses_cookies {
                    unauthorized.push((
                        "duplicate_cookie",
                        "Two cookies of the token's name",
                        json!({
                            "detail": "Only one Authorization header is allowed",
                            "code": "bad_authorization_header",
                        }),
                    ));
                }
            }
        }
        let example_pair = || {
            (
                example_token(self.settings, "access"),
                example_token(self.settings, "refresh"),
            )
        };
        match post {
            Post::ObtainPair => {
                let (access, refresh) = example_pair();
                ok.push((
                    "credentials",
                    "A new pair",
                    self.pair_body(json!({ "refresh": refresh, "access": access })),
                ));
            }
            Post::Refresh => {
                let (access, refresh) = example_pair();
                let body = if self.refresh_in_refresh_body() {
                    json!({ "access": access, "refresh": refresh })
                } else {
                    json!({ "access": access })
                };
                ok.push((
                    "refreshed",
                    "A new access token",
                    self.with_expiration(body),
                ));
            }
            Post::ObtainSliding | Post::RefreshSliding => {
                let mut body = json!({ "token": example_token(self.settings, "sliding") });
                if cookies.is_some_and(|c| c.expiration_in_body) {
                    body["access_expiration"] = json!("2026-01-01T00:05:00Z");
                }
                let name = if post == Post::ObtainSliding {
                    "credentials"
                } else {
                    "renewed"
                };
                ok.push((name, "A sliding token", body));
            }
            Post::Verify => ok.push(("valid", "The token is valid", json!({}))),
            Post::Blacklist => ok.push(("logged_out", "Logged out", json!({}))),
        }

        let json_request = ContentBuilder::new()
            .schema(Some(schema_ref(request)))
            .examples_from_iter(requests.into_iter().map(example));
        let cookie_fallback = cookies.is_some() && field.is_some() && post != Post::Verify;
        let mut success = ResponseBuilder::new()
            .description(match post {
                Post::ObtainPair => "The pair (in cookie mode, also set as cookies).",
                Post::Refresh => "The new access token (and refresh token, with rotation).",
                Post::Verify => "The token is valid.",
                Post::Blacklist => "Logged out (in cookie mode, the cookies are cleared).",
                Post::ObtainSliding | Post::RefreshSliding => "The sliding token.",
            })
            .content("application/json", content(schema_ref(response), ok))
            .header("Cache-Control", no_store_header());
        if uses_cookies {
            success = success.header(
                "Set-Cookie",
                string_header(if post == Post::Blacklist {
                    "Clears the token cookies."
                } else {
                    "The issued tokens as HttpOnly cookies."
                }),
            );
        }
        let mut op = op
            .operation_id(Some(id))
            .summary(Some(summary))
            .description(Some(description))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(if cookie_fallback {
                        Required::False
                    } else {
                        Required::True
                    }))
                    .description(Some(if cookie_fallback {
                        "JSON or form-encoded. Without the field, the token is read from its cookie."
                    } else {
                        "JSON or form-encoded."
                    }))
                    .content("application/json", json_request.build())
                    .content(
                        "application/x-www-form-urlencoded",
                        ContentBuilder::new().schema(Some(schema_ref(request))).build(),
                    )
                    .build(),
            ));
        // Without a credential checker every login is refused.
        if self.has_checker || !matches!(post, Post::ObtainPair | Post::ObtainSliding) {
            op = op.response("200", success);
        }
        op = self.bad_request(op, bad_requests);
        op = op.response(
            "401",
            unauthorized_response(
                match field {
                    None => "The credentials were refused.",
                    Some(_) => "The token was refused.",
                },
                unauthorized,
                self.settings,
            ),
        );
        if uses_cookies {
            op = op.response("403", csrf_response());
        }
        op = self.body_errors(op);
        if self.throttled && matches!(post, Post::ObtainPair | Post::ObtainSliding) {
            op = op.response("429", throttled_response());
        }
        if post != Post::Verify || self.has_store || self.has_remote_keys {
            op = op.response("503", unavailable_response());
        }
        op
    }

    /// `POST` log-out-everywhere: authenticated by its bearer token, no body.
    fn logout_all(&self, op: OperationBuilder) -> OperationBuilder {
        let settings = self.settings;
        let messages = |message: &str| {
            json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": settings.auth_token_types.iter().map(|t| json!({
                    "token_class": t.class_name(),
                    "token_type": t.as_str(),
                    "message": message,
                })).collect::<Vec<_>>(),
            })
        };
        let unauthorized = vec![
            (
                "no_credentials",
                "No token was sent",
                json!({ "detail": "Authentication credentials were not provided." }),
            ),
            (
                "invalid_token",
                "The token fails validation",
                messages("Token is invalid"),
            ),
            (
                "blacklisted",
                "The token was revoked",
                messages("Token is blacklisted"),
            ),
            (
                "bad_authorization_header",
                "`Authorization: Bearer` without a token, or with two",
                json!({
                    "detail": "Authorization header must contain two space-delimited values",
                    "code": "bad_authorization_header",
                }),
            ),
            (
                "no_user_id",
                "The token names no user",
                json!({
                    "detail": "Token contained no recognizable user identification",
                    "code": "token_not_valid",
                }),
            ),
        ];
        let mut success = ResponseBuilder::new()
            .description("Every token of the caller issued up to now is revoked.")
            .content(
                "application/json",
                content(
                    schema_ref("Empty"),
                    vec![("logged_out", "Logged out everywhere", json!({}))],
                ),
            )
            .header("Cache-Control", no_store_header());
        if self.cookie_mode() {
            success = success.header("Set-Cookie", string_header("Clears the token cookies."));
        }
        let mut op = op
            .operation_id(Some("token_logout_all"))
            .summary(Some("Log out everywhere"))
            .description(Some(
                "Revokes every token of the caller's user issued up to now, on every device. The \
                 one token route that authenticates its caller; the request body is not read.",
            ))
            .security(bearer_requirement())
            .response("200", success)
            .response(
                "401",
                unauthorized_response("The caller was not authenticated.", unauthorized, settings),
            );
        if settings.auth_cookie.is_some() {
            op = op
                .security(SecurityRequirement::new(COOKIE_AUTH, Vec::<String>::new()))
                .response("403", csrf_response());
        }
        op.response("405", method_not_allowed("POST, OPTIONS", "GET"))
            .response("503", unavailable_response())
    }

    /// `GET` the JWK Set.
    fn jwks(&self, op: OperationBuilder) -> OperationBuilder {
        let keys = json!({ "keys": [{
            "kty": "EC", "use": "sig", "alg": "ES256", "kid": "2026-01",
            "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        }]});
        op.operation_id(Some("jwks"))
            .summary(Some("The public keys"))
            .description(Some(
                "The JWK Set of every asymmetric verifying key, for other services to verify this \
                 app's tokens. HMAC secrets never appear: with HS* keys only, `keys` is empty.",
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The JWK Set.")
                    .content(
                        "application/json",
                        content(schema_ref("JwkSet"), vec![("keys", "One EC key", keys)]),
                    )
                    .header(
                        "Cache-Control",
                        string_header("`public, max-age=300`: caches may keep the set."),
                    ),
            )
            .response("405", method_not_allowed("GET, HEAD", "POST"))
    }

    /// `400`: the field errors of this route, and unreadable bodies.
    fn bad_request(&self, op: OperationBuilder, mut examples: Vec<Example>) -> OperationBuilder {
        examples.extend([
            (
                "json_parse_error",
                "A body that is not JSON (`{`)",
                json!({ "detail": "JSON parse error - EOF while parsing an object at line 1 column 1" }),
            ),
            (
                "not_a_dictionary",
                "A JSON body that is not an object (`[]`)",
                json!({ "non_field_errors": ["Invalid data. Expected a dictionary, but got list."] }),
            ),
        ]);
        let schema = OneOfBuilder::new()
            .item(schema_ref("FieldErrors"))
            .item(schema_ref("ErrorDetail"));
        op.response(
            "400",
            ResponseBuilder::new()
                .description("Field errors (DRF's), or a body that cannot be read.")
                .content("application/json", content(schema, examples))
                .header("Cache-Control", no_store_header()),
        )
    }

    /// `405`, `413`, `415`: the errors of every route that reads a body.
    fn body_errors(&self, op: OperationBuilder) -> OperationBuilder {
        op.response("405", method_not_allowed("POST, OPTIONS", "GET"))
            .response(
                "413",
                detail_response(
                    &format!(
                        "The body is larger than `max_body_size` ({} bytes).",
                        self.settings.max_body_size
                    ),
                    "too_large",
                    "A body over the limit",
                    json!({ "detail": "Request body is too large." }),
                ),
            )
            .response(
                "415",
                detail_response(
                    "Neither JSON nor form-encoded (multipart included).",
                    "text_plain",
                    "`Content-Type: text/plain`",
                    json!({ "detail": "Unsupported media type \"text/plain\" in request." }),
                ),
            )
    }

    /// Whether refresh answers with a refresh token.
    fn refresh_in_refresh_body(&self) -> bool {
        self.settings.rotate_refresh_tokens
            && self
                .settings
                .cookies
                .as_ref()
                .is_none_or(|c| c.refresh_in_body)
    }

    /// The obtain pair body, as cookie mode changes it.
    fn pair_body(&self, mut body: Value) -> Value {
        if let Some(cookies) = &self.settings.cookies {
            if !cookies.refresh_in_body {
                body["refresh"] = json!("");
            }
            if cookies.expiration_in_body {
                body["access_expiration"] = json!("2026-01-01T00:05:00Z");
                body["refresh_expiration"] = json!("2026-01-02T00:00:00Z");
            }
        }
        body
    }

    /// The refresh body, as cookie mode's expirations change it.
    fn with_expiration(&self, mut body: Value) -> Value {
        if self
            .settings
            .cookies
            .as_ref()
            .is_some_and(|c| c.expiration_in_body)
        {
            body["access_expiration"] = json!("2026-01-01T00:05:00Z");
            if self.settings.rotate_refresh_tokens {
                body["refresh_expiration"] = json!("2026-01-02T00:00:00Z");
            }
        }
        body
    }

    /// The component schemas, by name.
    fn schemas(&self) -> Vec<(&'static str, RefOr<Schema>)> {
        let settings = self.settings;
        let cookies = settings.cookies.as_ref();
        let expiration_in_body = cookies.is_some_and(|c| c.expiration_in_body);
        let token = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .build()
        };
        let expiration = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::DateTime,
                )))
                .description(Some("When the token expires (ISO 8601, UTC)."))
                .build()
        };
        // A request with one token field: required, except where cookie
        // mode reads it from a cookie.
        let one_field = |field: &str, description: &str, cookie_fallback: bool| -> RefOr<Schema> {
            let mut object = ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(field, token(description));
            if !(cookie_fallback && cookies.is_some()) {
                object = object.required(field);
            }
            object.into()
        };

        let mut pair = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "refresh",
                token(if cookies.is_some_and(|c| !c.refresh_in_body) {
                    "Empty in cookie mode: the refresh token is in its HttpOnly cookie."
                } else {
                    "The refresh token."
                }),
            )
            .required("refresh")
            .property("access", token("The access token."))
            .required("access");
        let mut refreshed = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("access", token("The new access token."))
            .required("access");
        if self.refresh_in_refresh_body() {
            refreshed = refreshed
                .property("refresh", token("The new refresh token (rotation)."))
                .required("refresh");
        }
        let mut sliding = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("token", token("The sliding token."))
            .required("token");
        if expiration_in_body {
            pair = pair
                .property("access_expiration", expiration())
                .required("access_expiration")
                .property("refresh_expiration", expiration())
                .required("refresh_expiration");
            refreshed = refreshed
                .property("access_expiration", expiration())
                .required("access_expiration");
            if settings.rotate_refresh_tokens {
                refreshed = refreshed
                    .property("refresh_expiration", expiration())
                    .required("refresh_expiration");
            }
            sliding = sliding
                .property("access_expiration", expiration())
                .required("access_expiration");
        }
        let username = settings.username_field.as_str();
        let string = || ObjectBuilder::new().schema_type(Type::String);
        vec![
            (
                "TokenObtainRequest",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        username,
                        string().description(Some("Trimmed of surrounding whitespace.")),
                    )
                    .required(username)
                    .property(
                        "password",
                        string()
                            .format(Some(SchemaFormat::KnownFormat(
                                utoipa::openapi::KnownFormat::Password,
                            )))
                            .write_only(Some(true)),
                    )
                    .required("password")
                    .into(),
            ),
            ("TokenObtainPair", pair.into()),
            (
                "TokenRefreshRequest",
                one_field("refresh", "A refresh token.", true),
            ),
            ("TokenRefresh", refreshed.into()),
            (
                "TokenVerifyRequest",
                one_field("token", "A token of any type.", false),
            ),
            (
                "TokenBlacklistRequest",
                one_field("refresh", "The refresh token to log out.", true),
            ),
            (
                "TokenRefreshSlidingRequest",
                one_field("token", "A sliding token.", true),
            ),
            ("TokenSliding", sliding.into()),
            (
                "Empty",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .max_properties(Some(0))
                    .into(),
            ),
            (
                "JwkSet",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        "keys",
                        ArrayBuilder::new().items(
                            ObjectBuilder::new()
                                .schema_type(Type::Object)
                                .property("kty", string())
                                .required("kty")
                                .additional_properties(Some(AdditionalProperties::FreeForm(true))),
                        ),
                    )
                    .required("keys")
                    .into(),
            ),
            (
                "ErrorDetail",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("Simple JWT's error body."))
                    .property("detail", string().description(Some("What went wrong.")))
                    .required("detail")
                    .property(
                        "code",
                        string().description(Some(
                            "`token_not_valid`, `bad_authorization_header`, `user_not_found`, \
                             `user_inactive`, `password_changed`, `csrf_failed`, \
                             `service_unavailable`; absent on some errors.",
                        )),
                    )
                    .property(
                        "messages",
                        ArrayBuilder::new()
                            .items(schema_ref("TokenMessage"))
                            .description(Some("Why each accepted token type refused the token.")),
                    )
                    .into(),
            ),
            (
                "TokenMessage",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("token_class", string().examples(["AccessToken"]))
                    .required("token_class")
                    .property("token_type", string().examples(["access"]))
                    .required("token_type")
                    .property("message", string().examples(["Token is expired"]))
                    .required("message")
                    .into(),
            ),
            (
                "FieldErrors",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some(
                        "DRF's field errors: each field with its messages; `non_field_errors` for \
                         a body that is not an object.",
                    ))
                    .additional_properties(Some(
                        ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
                    ))
                    .into(),
            ),
        ]
    }
}

fn schema_ref(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

fn example((name, summary, value): Example) -> (&'static str, ExampleBuilder) {
    (
        name,
        ExampleBuilder::new().summary(summary).value(Some(value)),
    )
}

fn content(schema: impl Into<RefOr<Schema>>, examples: Vec<Example>) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(schema))
        .examples_from_iter(examples.into_iter().map(example))
        .build()
}

fn string_header(description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

fn no_store_header() -> utoipa::openapi::Header {
    string_header("`no-store`: token responses are never cached (RFC 6749 section 5.1).")
}

fn detail_response(
    description: &str,
    name: &'static str,
    summary: &'static str,
    value: Value,
) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            content(schema_ref("ErrorDetail"), vec![(name, summary, value)]),
        )
        .header("Cache-Control", no_store_header())
}

fn method_not_allowed(allow: &'static str, example_method: &str) -> ResponseBuilder {
    detail_response(
        &format!("Any other method than {allow}."),
        "wrong_method",
        "Another method",
        json!({ "detail": format!("Method \"{example_method}\" not allowed.") }),
    )
    .header("Allow", string_header(allow))
}

fn unauthorized_response(
    description: &str,
    examples: Vec<Example>,
    settings: &Settings,
) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content(schema_ref("ErrorDetail"), examples))
        .header(
            "WWW-Authenticate",
            string_header(&format!(
                "`{} realm=\"{}\"`, with RFC 6750's `error` and `error_description` for a refused token.",
                settings.challenge_scheme(),
                settings.realm
            )),
        )
        .header("Cache-Control", no_store_header())
}

fn csrf_response() -> ResponseBuilder {
    detail_response(
        "Cookie mode: a credential from a cookie (or a login) on a cross-origin request failed the \
         CSRF check.",
        "csrf_failed",
        "A request from another site",
        json!({
            "detail": "CSRF Failed: Origin checking failed - the request comes from an untrusted origin.",
            "code": "csrf_failed",
        }),
    )
}

fn throttled_response() -> ResponseBuilder {
    detail_response(
        "Too many login attempts for this username or from this address (the login throttle): \
         retry after `Retry-After` seconds.",
        "throttled",
        "Too many attempts",
        json!({ "detail": "Request was throttled. Expected available in 42 seconds." }),
    )
    .header(
        "Retry-After",
        string_header("Seconds until the throttle's window ends."),
    )
}

fn unavailable_response() -> ResponseBuilder {
    detail_response(
        "The revocation store, the app's user lookup or credential check, or a key server failed: \
         nothing was issued or accepted. Retry after `Retry-After` seconds.",
        "unavailable",
        "An outage",
        json!({ "detail": "Service temporarily unavailable.", "code": "service_unavailable" }),
    )
    .header(
        "Retry-After",
        string_header("Seconds to wait before retrying."),
    )
}

fn token_not_valid(message: &str) -> Value {
    json!({ "detail": message, "code": "token_not_valid" })
}

/// The example username, shaped like the configured field.
fn example_username(field: &str) -> &'static str {
    if field.contains("email") {
        "alice@example.com"
    } else {
        EXAMPLE_USERNAME
    }
}

/// A well-formed token of the configured claim names whose signature is not
/// valid: an example anyone may copy, and that no route accepts.
fn example_token(settings: &Settings, token_type: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let mut claims = serde_json::Map::new();
    claims.insert(settings.token_type_claim.clone(), json!(token_type));
    claims.insert("exp".into(), json!(1_767_225_900u64));
    claims.insert("iat".into(), json!(1_767_225_600u64));
    claims.insert(
        settings.jti_claim.clone(),
        json!("7f3a9c2e5b1d4f6a8c0e2b4d6f8a1c3e"),
    );
    claims.insert(settings.user_id_claim.clone(), json!("42"));
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    let signature = URL_SAFE_NO_PAD.encode([0u8; 32]);
    format!("{header}.{payload}.{signature}")
}
