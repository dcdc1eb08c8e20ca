//! `ApiError`: every failure of every route, as `{code, message, path?}`
//! (plus details such as rendered diagnostics or scenario diffs). A 5xx says
//! nothing internal; its cause goes to the log.

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable, machine-readable name (`unknown_policy`, `invalid_facts`, …).
    pub code: &'static str,
    pub message: String,
    /// The JSON path of the offending field, when there is one.
    pub path: Option<String>,
    /// Extra fields of the body (`diagnostics`, `failures`, …); boxed to
    /// keep `Result<_, ApiError>` small on the happy path.
    pub details: Option<Box<Map<String, Value>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            path: None,
            details: None,
        }
    }

    pub fn with_path(mut self, path: impl Into<String>) -> ApiError {
        let path = path.into();
        if !path.is_empty() && path != "." && path != "?" {
            self.path = Some(path);
        }
        self
    }

    pub fn with_detail(mut self, key: &str, value: Value) -> ApiError {
        self.details
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value);
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// A failure of ours: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service failed to answer; the cause is in its log",
        )
    }

    /// An evaluation's failure: the caller's input (400, naming the field)
    /// or the policy exceeding its limits (422, naming the policy).
    pub fn from_eval(error: &engine::EvalError, path_prefix: &str) -> ApiError {
        if error.is_input_error() {
            let mut api = ApiError::bad_request("invalid_facts", error.to_string());
            if let Some(path) = error.path() {
                api = api.with_path(join_path(path_prefix, path));
            }
            api
        } else {
            ApiError::unprocessable("evaluation_failed", error.to_string())
        }
    }

    /// The body as sent: `{code, message, path?, ...details}`.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("code".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        if let Some(path) = &self.path {
            body.insert("path".into(), json!(path));
        }
        for (key, value) in self.details.iter().flat_map(|d| d.iter()) {
            body.insert(key.clone(), value.clone());
        }
        Value::Object(body)
    }
}

/// `facts` + `applicant.age` → `facts.applicant.age`.
pub fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than the service accepts (`body_limit_bytes`)",
            )
        } else {
            ApiError::bad_request("unreadable_body", rejection.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        match error {
            crate::store::StoreError::Conflict(message) => ApiError::conflict(message),
            crate::store::StoreError::NotFound(message) => {
                ApiError::not_found("not_found", message)
            }
            crate::store::StoreError::Database(_) => ApiError::internal(error),
        }
    }
}

/// Reads a JSON body; a mistake names its line, column and field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_json_borrowed(bytes)
}

/// Like [`parse_json`], for types that borrow from the body.
pub fn parse_json_borrowed<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    // The common case first, without tracking the path: tracking it wraps
    // every visitor and cost ~1 µs per evaluation. Only a bad body pays for
    // the second parse that finds where it went wrong.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let code = if inner.is_data() {
            "invalid_request"
        } else {
            "malformed_json"
        };
        ApiError::bad_request(code, format!("the body is not a valid request: {inner}"))
            .with_path(path)
    })?;
    deserializer.end().map_err(|error| {
        ApiError::bad_request(
            "malformed_json",
            format!("the body is not a valid request: {error}"),
        )
    })?;
    Ok(value)
}
