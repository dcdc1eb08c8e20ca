//! `POST /v1/check`: a draft's diagnostics with their places, for the
//! officers' editor. The report's shape is `service::check`'s.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::super::auth::Caller;
use super::super::error::{ApiError, parse_json};
use super::super::openapi::ErrorBody;
use super::super::state::AppState;
use crate::service::check::CheckReport;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/check", post(check))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// A policy, bundle or catalogue source, as it stands in the editor.
    pub source: String,
}

#[utoipa::path(post, path = "/v1/check", tag = "publish",
    request_body = CheckRequest,
    responses(
        (status = 200, description = "the draft's errors and warnings, each with its code, message, help and place (in the configured language); nothing is stored", body = CheckReport),
        (status = 400, description = "malformed JSON or a wrong field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the platform's token, which may only evaluate", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Who calls, before the body is even read.
    state.require_check_rights(&caller)?;
    let body = body?;
    let request: CheckRequest = parse_json(&body)?;
    Ok(Json(state.check_draft(&request.source)).into_response())
}
