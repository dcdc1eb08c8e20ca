//! The guided interview and the screener for the platform's own app:
//! `POST /v1/policies/{id}/interview`, `POST /v1/bundles/{id}/interview`,
//! `POST /v1/screen`. The work is `service::interview` and
//! `service::screen`; these handlers read the body, pick the versions in
//! force and map the errors. The guide's open endpoints (`routes::guide`)
//! call the same functions. Nothing is stored: an interview is no application.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::evaluate::{application_day, not_in_force};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ErrorCode, parse_json};
use crate::http::state::AppState;
use crate::service::clock::{day_text, today_day};
use crate::service::interview::{Answers, Depth, InterviewError};
use crate::service::screen::{self, InterviewAnswer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/policies/{id}/interview", post(policy_interview))
        .route("/v1/bundles/{id}/interview", post(bundle_interview))
        .route("/v1/screen", post(screen_all))
}

/// The answers so far.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewRequest {
    /// `YYYY-MM-DD`; today (China Standard Time) when left out.
    #[schema(value_type = Option<String>, format = Date, example = "2026-01-15")]
    pub application_date: Option<String>,
    /// The answers by fact path (`{"applicant.lease_filed": true}`); a list
    /// fact as an array of records. `null` means 不知道.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
    /// The facts answered 不知道: never asked again; the result says what
    /// depends on them.
    #[serde(default)]
    pub unknown: Vec<String>,
    /// Datasets the platform fetches for this applicant: their facts are not
    /// asked (send their values in `answers`).
    #[serde(default)]
    pub shared_available: Vec<String>,
}

/// The request as the service layer takes it, and its date as a day.
pub(super) fn read_answers(
    state: &AppState,
    body: &[u8],
    guide: bool,
) -> Result<(Answers, i64), ApiError> {
    let request: InterviewRequest = parse_json(body)?;
    let (day, date) = match &request.application_date {
        Some(date) => (application_day(date, "application_date")?, date.clone()),
        None => (today_day(), day_text(today_day())),
    };
    let registry = state.registry.load();
    for (index, dataset) in request.shared_available.iter().enumerate() {
        if !registry.datasets.is_empty() && !registry.datasets.contains(dataset) {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidRequest,
                format!("`{dataset}` 不是目录中的共享数据集"),
            )
            .with_path(format!("shared_available[{index}]")));
        }
    }
    let mut unknown: BTreeSet<String> = request.unknown.into_iter().collect();
    let mut values = BTreeMap::new();
    for (path, value) in request.answers {
        if value.is_null() {
            unknown.insert(path);
        } else {
            values.insert(path, value);
        }
    }
    Ok((
        Answers {
            application_date: date,
            values,
            unknown,
            shared_available: request.shared_available,
            fetched_at_application: guide,
        },
        day,
    ))
}

pub(super) fn interview_error(error: InterviewError) -> ApiError {
    let message = error.to_string();
    match error {
        InterviewError::UnknownFact { path, .. }
        | InterviewError::Facts {
            path: Some(path), ..
        } => ApiError::unprocessable(ErrorCode::InvalidFacts, message).with_path(path),
        InterviewError::Facts { path: None, .. } => {
            ApiError::unprocessable(ErrorCode::InvalidFacts, message).with_path("answers")
        }
        InterviewError::AnsweredAndUnknown { path, .. } => {
            ApiError::unprocessable(ErrorCode::InvalidRequest, message).with_path(path)
        }
        InterviewError::Evaluation { .. } => {
            ApiError::unprocessable(ErrorCode::EvaluationFailed, message)
        }
    }
}

const FULL: Depth = Depth {
    rank: true,
    earliest: true,
};

/// One policy's interview.
pub(super) fn run_policy(
    state: &AppState,
    id: &str,
    body: &[u8],
    guide: bool,
) -> Result<InterviewAnswer, ApiError> {
    let (answers, day) = read_answers(state, body, guide)?;
    let registry = state.registry.load();
    let version = registry
        .in_force(id, day)
        .map_err(|reason| not_in_force(id, &answers.application_date, reason))?;
    screen::interview(
        &[Arc::clone(&version.loaded)],
        &answers,
        state.config.lang,
        FULL,
        "本事项",
    )
    .map_err(interview_error)
}

/// A bundle's interview over its members in force.
pub(super) fn run_bundle(
    state: &AppState,
    id: &str,
    body: &[u8],
    guide: bool,
) -> Result<InterviewAnswer, ApiError> {
    let (answers, day) = read_answers(state, body, guide)?;
    let registry = state.registry.load();
    let entry = registry.bundles.get(id).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownBundle,
            format!("there is no bundle `{id}`"),
        )
    })?;
    let mut members = Vec::new();
    for member in &entry.built.plan().members {
        let version = registry
            .in_force(member, day)
            .map_err(|reason| not_in_force(member, &answers.application_date, reason))?;
        members.push(Arc::clone(&version.loaded));
    }
    screen::bundle_interview(&entry.built, members, &answers, state.config.lang)
        .map_err(interview_error)
}

/// The screener: every policy in force on the date.
pub(super) fn run_screen(
    state: &AppState,
    body: &[u8],
    guide: bool,
) -> Result<InterviewAnswer, ApiError> {
    let (answers, day) = read_answers(state, body, guide)?;
    let registry = state.registry.load();
    let policies: Vec<_> = registry
        .policies
        .keys()
        .filter_map(|id| registry.in_force(id, day).ok())
        .map(|v| Arc::clone(&v.loaded))
        .collect();
    screen::interview(
        &policies,
        &answers,
        state.config.lang,
        FULL,
        "任何在施行的事项",
    )
    .map_err(interview_error)
}

#[utoipa::path(
    post, path = "/v1/policies/{id}/interview", tag = "evaluate",
    params(("id" = String, Path, description = "policy id, e.g. `hz.residence_permit`")),
    request_body = InterviewRequest,
    responses(
        (status = 200, description = "the questions still worth asking, best first, and the decision so far", body = InterviewAnswer),
        (status = 400, description = "malformed JSON, a field missing or of the wrong type, a bad date", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown policy", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "an answer that is no fact of the policy or does not fit it (`invalid_facts`), an unknown dataset, no version in force, or the policy exceeded its limits", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn policy_interview(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    Ok(Json(run_policy(&state, &id, &body, false)?).into_response())
}

#[utoipa::path(
    post, path = "/v1/bundles/{id}/interview", tag = "evaluate",
    params(("id" = String, Path, description = "bundle id, e.g. `zj.birth_one_thing`")),
    request_body = InterviewRequest,
    responses(
        (status = 200, description = "one interview for every member (a fact they share asked once), each member's result and, once every member could be evaluated, the merged decision", body = InterviewAnswer),
        (status = 400, description = "malformed JSON, a field missing or of the wrong type, a bad date", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown bundle", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "an answer that is no fact of a member or does not fit it, an unknown dataset, a member with no version in force", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn bundle_interview(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    Ok(Json(run_bundle(&state, &id, &body, false)?).into_response())
}

#[utoipa::path(
    post, path = "/v1/screen", tag = "evaluate",
    request_body = InterviewRequest,
    responses(
        (status = 200, description = "我能办什么: every policy in force with its result, and the questions that would settle the undetermined ones, best first", body = InterviewAnswer),
        (status = 400, description = "malformed JSON, a field missing or of the wrong type, a bad date", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "an answer that is no fact of any policy in force or does not fit one, an unknown dataset", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn screen_all(
    State(state): State<AppState>,
    _caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    Ok(Json(run_screen(&state, &body, false)?).into_response())
}
