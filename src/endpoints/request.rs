//! Reading an endpoint request the way Django REST framework does: method,
//! content type, body size, JSON or form data, and field validation.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value, json};

use crate::endpoints::error::ApiError;

/// Reads the body (bounded) and parses it into a JSON object.
pub(crate) async fn read_data<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Map<String, Value>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media = content_type.as_deref().map(|t| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let kind = match media.as_deref() {
        None | Some("") => Kind::Empty,
        Some("application/json") => Kind::Json,
        Some(m) if m.starts_with("application/") && m.ends_with("+json") => Kind::Json,
        Some("application/x-www-form-urlencoded") => Kind::Form,
        Some(_) => {
            return Err(ApiError::UnsupportedMediaType(
                content_type.unwrap_or_default(),
            ));
        }
    };
    let bytes = read_limited(body, limit).await?;
    match kind {
        // DRF: no content type means no data.
        Kind::Empty => Ok(Map::new()),
        Kind::Json if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Kind::Json => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(ApiError::NotAnObject(python_type(&other))),
            Err(e) => Err(ApiError::JsonParse(e.to_string())),
        },
        Kind::Form => Ok(form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()),
    }
}

enum Kind {
    Empty,
    Json,
    Form,
}

async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(ApiError::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::TooLarge),
        Err(_) => Err(ApiError::BadBody),
    }
}

/// Python's name for a JSON value's type, as DRF reports it.
fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
        Value::Object(_) => "dict",
    }
}

/// Reads required text fields like DRF's `CharField`: surrounding
/// whitespace trimmed, every missing or bad field reported together.
pub(crate) fn fields<const N: usize>(
    data: &Map<String, Value>,
    names: [&str; N],
) -> Result<[String; N], ApiError> {
    let mut errors = Map::new();
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, name) in names.iter().enumerate() {
        let problem = match data.get(*name) {
            None => Some("This field is required."),
            Some(Value::Null) => Some("This field may not be null."),
            Some(Value::String(s)) if s.trim().is_empty() => Some("This field may not be blank."),
            Some(Value::String(s)) => {
                out[i] = s.trim().to_owned();
                None
            }
            Some(Value::Number(n)) => {
                out[i] = n.to_string();
                None
            }
            Some(_) => Some("Not a valid string."),
        };
        if let Some(problem) = problem {
            errors.insert((*name).to_owned(), json!([problem]));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Fields(errors))
    }
}

/// Only `POST` is served (`OPTIONS` is answered before this check).
pub(crate) fn check_method(method: &Method) -> Result<(), ApiError> {
    match *method {
        Method::POST => Ok(()),
        ref other => Err(ApiError::MethodNotAllowed(other.clone(), "POST, OPTIONS")),
    }
}
