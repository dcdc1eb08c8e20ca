//! `ApiError`: every failure of every route, as `{code, message, path?}`
//! (plus details such as rendered diagnostics or scenario diffs). A 5xx says
//! nothing internal; its cause goes to the log. Every code a caller can see
//! is an [`ErrorCode`]; a test binds each to its line in docs/api.md.

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// Every error code a caller can see; stable, machine-readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    InvalidRequest,
    InvalidFacts,
    InvalidVersion,
    InvalidQuery,
    UnreadableBody,
    UnsupportedMediaType,
    Unauthorized,
    Forbidden,
    UnknownPolicy,
    UnknownBundle,
    UnknownVersion,
    NoRoute,
    NotFound,
    Conflict,
    IdTaken,
    StrandsBundle,
    BodyTooLarge,
    NoVersionInForce,
    BatchTooLarge,
    BatchResponseTooLarge,
    InvalidSource,
    InvalidScenario,
    ScenariosFailed,
    Untested,
    BreaksBundle,
    BreaksDependents,
    NoCatalogue,
    EvaluationFailed,
    RateLimited,
    Internal,
    DecisionNotStored,
    Busy,
    Timeout,
    StoreUnavailable,
    ReviewRequired,
}

impl ErrorCode {
    /// Every code, for the test that binds them to docs/api.md.
    pub const ALL: &[ErrorCode] = &[
        ErrorCode::MalformedJson,
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidFacts,
        ErrorCode::InvalidVersion,
        ErrorCode::InvalidQuery,
        ErrorCode::UnreadableBody,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::UnknownPolicy,
        ErrorCode::UnknownBundle,
        ErrorCode::UnknownVersion,
        ErrorCode::NoRoute,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::IdTaken,
        ErrorCode::StrandsBundle,
        ErrorCode::BodyTooLarge,
        ErrorCode::NoVersionInForce,
        ErrorCode::BatchTooLarge,
        ErrorCode::BatchResponseTooLarge,
        ErrorCode::InvalidSource,
        ErrorCode::InvalidScenario,
        ErrorCode::ScenariosFailed,
        ErrorCode::Untested,
        ErrorCode::BreaksBundle,
        ErrorCode::BreaksDependents,
        ErrorCode::NoCatalogue,
        ErrorCode::EvaluationFailed,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::DecisionNotStored,
        ErrorCode::Busy,
        ErrorCode::Timeout,
        ErrorCode::StoreUnavailable,
        ErrorCode::ReviewRequired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidFacts => "invalid_facts",
            ErrorCode::InvalidVersion => "invalid_version",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::UnreadableBody => "unreadable_body",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::UnknownPolicy => "unknown_policy",
            ErrorCode::UnknownBundle => "unknown_bundle",
            ErrorCode::UnknownVersion => "unknown_version",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::IdTaken => "id_taken",
            ErrorCode::StrandsBundle => "strands_bundle",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::NoVersionInForce => "no_version_in_force",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::BatchResponseTooLarge => "batch_response_too_large",
            ErrorCode::InvalidSource => "invalid_source",
            ErrorCode::InvalidScenario => "invalid_scenario",
            ErrorCode::ScenariosFailed => "scenarios_failed",
            ErrorCode::Untested => "untested",
            ErrorCode::BreaksBundle => "breaks_bundle",
            ErrorCode::BreaksDependents => "breaks_dependents",
            ErrorCode::NoCatalogue => "no_catalogue",
            ErrorCode::EvaluationFailed => "evaluation_failed",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::DecisionNotStored => "decision_not_stored",
            ErrorCode::Busy => "busy",
            ErrorCode::Timeout => "timeout",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::ReviewRequired => "review_required",
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable, machine-readable name (`unknown_policy`, `invalid_facts`, …).
    pub code: ErrorCode,
    pub message: String,
    /// The JSON path of the offending field, when there is one.
    pub path: Option<String>,
    /// Extra fields of the body (`diagnostics`, `failures`, …); boxed to
    /// keep `Result<_, ApiError>` small on the happy path.
    pub details: Option<Box<Map<String, Value>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
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
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// A failure of ours: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the service failed to answer; the cause is in its log",
        )
    }

    /// A failure of ours whose cause is already logged: names the request,
    /// so an operator can find the cause.
    pub fn internal_for(request_id: &str) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            if request_id.is_empty() {
                "the service failed to answer; the cause is in its log".to_string()
            } else {
                format!(
                    "the service failed to answer request `{request_id}`; the cause is in its log"
                )
            },
        )
    }

    /// An evaluation's failure: the caller's facts (422, naming the field)
    /// or the policy exceeding its limits (422, naming the policy).
    /// The message is in the service's configured language (`lang`).
    pub fn from_eval(
        error: &engine::EvalError,
        path_prefix: &str,
        lang: rules_dsl::Lang,
    ) -> ApiError {
        let message = error.message().get(lang).to_string();
        if let engine::EvalError::Json { .. } = error {
            return ApiError::bad_request(ErrorCode::MalformedJson, message);
        }
        if error.is_input_error() {
            // 422, not 400: the request fits the API's schema (facts are any
            // object there); they do not fit this policy's declared facts.
            let mut api = ApiError::unprocessable(ErrorCode::InvalidFacts, message);
            if let Some(path) = error.path() {
                api = api.with_path(join_path(path_prefix, path));
            }
            api
        } else {
            ApiError::unprocessable(ErrorCode::EvaluationFailed, message)
        }
    }

    /// The body as sent: `{code, message, path?, ...details}`.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("code".into(), json!(self.code.as_str()));
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
                ErrorCode::BodyTooLarge,
                "the request body is larger than the service accepts (`body_limit_bytes`)",
            )
        } else {
            ApiError::bad_request(ErrorCode::UnreadableBody, rejection.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(ErrorCode::InvalidQuery, rejection.body_text())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        match error {
            crate::store::StoreError::Conflict(message) => ApiError::conflict(message),
            crate::store::StoreError::NotFound(message) => {
                ApiError::not_found(ErrorCode::NotFound, message)
            }
            crate::store::StoreError::Unavailable(_) => {
                tracing::warn!(%error, "the store is unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::StoreUnavailable,
                    "the store (database) cannot be reached; nothing was changed. Evaluations \
                     go on with the versions in force; try again shortly",
                )
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
    // Every body of this API is an object; serde would also read a struct
    // from an array (`[[]]` as a batch of nothing), which is no request.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        let malformed = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err();
        return Err(ApiError::bad_request(
            if malformed {
                ErrorCode::MalformedJson
            } else {
                ErrorCode::InvalidRequest
            },
            "the body must be a JSON object",
        ));
    }
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
        // serde_json reads a lone surrogate escape (`"\ud800"`) as a data
        // error of the field, but it is not JSON text a caller can mean.
        let message = inner.to_string();
        let code = if inner.is_data() && !message.contains("lone leading surrogate") {
            ErrorCode::InvalidRequest
        } else {
            ErrorCode::MalformedJson
        };
        // A missing field is reported at its object; name the field itself.
        let path = match missing_field(&message) {
            Some(field) => join_path(if path == "." { "" } else { &path }, field),
            None => path,
        };
        ApiError::bad_request(code, format!("the body is not a valid request: {inner}"))
            .with_path(path)
    })?;
    deserializer.end().map_err(|error| {
        ApiError::bad_request(
            ErrorCode::MalformedJson,
            format!("the body is not a valid request: {error}"),
        )
    })?;
    Ok(value)
}

/// The field serde names in "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

impl From<crate::service::error::ServiceError> for ApiError {
    fn from(error: crate::service::error::ServiceError) -> ApiError {
        use crate::service::error::ServiceError as E;
        let message = error.to_string();
        match error {
            E::Denied(_) | E::MovesDepartment { .. } => ApiError::forbidden(message),
            E::UnknownPolicy { .. } | E::UnknownSubject { .. } => {
                ApiError::not_found(ErrorCode::UnknownPolicy, message)
            }
            E::UnknownBundle { .. } => ApiError::not_found(ErrorCode::UnknownBundle, message),
            E::UnknownVersion { .. } => ApiError::not_found(ErrorCode::UnknownVersion, message),
            E::IdHeld { .. } => ApiError::new(StatusCode::CONFLICT, ErrorCode::IdTaken, message),
            E::VersionNotHigher { .. } => ApiError::conflict(message).with_path("source"),
            E::AlreadyWithdrawn { .. } => ApiError::conflict(message),
            E::BaseVersionMoved { .. } => ApiError::conflict(message).with_path("base_version"),
            E::BreaksDependents { broken } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::BreaksDependents, message)
                    .with_path("source")
                    .with_detail("broken", json!(broken))
            }
            E::StrandsBundle { .. } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::StrandsBundle, message)
            }
            E::Source(problem) => source_problem(problem, ErrorCode::InvalidSource),
            E::InvalidRequest { path, .. } => {
                ApiError::unprocessable(ErrorCode::InvalidRequest, message).with_path(path)
            }
            E::InvalidScenario { index, field, .. } => {
                ApiError::unprocessable(ErrorCode::InvalidScenario, message)
                    .with_path(format!("scenarios[{index}].{field}"))
            }
            E::ScenariosFailed { failures, .. } => {
                ApiError::unprocessable(ErrorCode::ScenariosFailed, message)
                    .with_detail("failures", json!(failures))
            }
            E::Untested { .. } | E::UntestedBundle { .. } => {
                ApiError::unprocessable(ErrorCode::Untested, message).with_path("scenarios")
            }
            E::BreaksBundle { problem, .. } => {
                let mut api = source_problem(problem, ErrorCode::BreaksBundle);
                api.message = message;
                api
            }
            // A withdrawal sends no source: nothing of the request is at fault.
            E::FallbackBroken { problem, .. } => {
                let mut api = source_problem(problem, ErrorCode::BreaksBundle);
                api.message = message;
                api.path = None;
                api
            }
            E::ReviewRequired { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::ReviewRequired, message)
            }
            E::NoCatalogue => ApiError::unprocessable(ErrorCode::NoCatalogue, message),
            E::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy, message),
            E::Store(store) => ApiError::from(store),
            E::Internal(cause) => ApiError::internal(cause),
        }
    }
}

fn source_problem(problem: crate::service::pipeline::SourceProblem, code: ErrorCode) -> ApiError {
    let message = problem.to_string();
    let api = ApiError::unprocessable(code, message).with_path("source");
    match problem {
        crate::service::pipeline::SourceProblem::Diagnostics { rendered, .. } => {
            api.with_detail("diagnostics", json!(rendered))
        }
        crate::service::pipeline::SourceProblem::Wrong(_) => api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code a caller can see is documented in docs/api.md's table,
    /// and the table names no code the service does not have; the JSON and
    /// the OpenAPI schema spell each the same way.
    #[test]
    fn every_error_code_is_bound_to_its_doc() {
        let doc = include_str!("../../../docs/api.md");
        let documented: std::collections::BTreeSet<&str> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once("` | "))
            .filter(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()))
            .map(|(code, _)| code)
            .collect();
        let ours: std::collections::BTreeSet<&str> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            documented, ours,
            "docs/api.md's error table and `ErrorCode` differ"
        );
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(json!(code.as_str())),
                "{code:?}"
            );
        }
        let schema = serde_json::to_value(super::super::openapi::document())
            .expect("the document serialises");
        let listed: std::collections::BTreeSet<&str> = schema["components"]["schemas"]["ErrorCode"]
            ["enum"]
            .as_array()
            .expect("ErrorCode's schema lists its values")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(listed, ours, "the OpenAPI schema of ErrorCode");
    }
}
