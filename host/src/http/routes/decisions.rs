//! The decision log, newest first: `GET /v1/decisions?policy=&since=&limit=`.
//! A department reads the decisions of its own policies.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode};
use super::super::state::AppState;
use crate::service::LogRead;
use crate::service::clock::timestamp_text;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/decisions", get(list_decisions))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionParams {
    /// Only this policy or bundle (else every one of the caller's department).
    pub policy: Option<String>,
    /// RFC 3339 time (`2026-11-27T08:00:00Z`) or a date (`2026-11-27`, from 00:00 UTC).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionDoc {
    pub at: String,
    /// `policy` or `bundle`.
    pub kind: String,
    pub policy: String,
    pub version: i64,
    pub hash: String,
    pub application_date: String,
    pub eligibility: String,
    /// SHA-256 of the facts as sent.
    pub facts_sha256: String,
    /// The whole request, when the service keeps facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub request: Option<serde_json::Value>,
    /// The `x-request-id` of the request that asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

fn parse_since(text: &str) -> Result<i64, ApiError> {
    let timestamp = text
        .parse::<jiff::Timestamp>()
        .ok()
        .or_else(|| {
            text.parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidQuery,
                format!("`since` is `{text}`; write a time like `2026-11-27T08:00:00Z` or a date"),
            )
            .with_path("since")
        })?;
    Ok(timestamp.as_microsecond())
}

#[utoipa::path(get, path = "/v1/decisions", tag = "decisions",
    params(DecisionParams),
    responses(
        (status = 200, body = Vec<DecisionDoc>),
        (status = 400, body = super::super::openapi::ErrorBody),
        (status = 401, body = super::super::openapi::ErrorBody),
        (status = 404, description = "no policy or bundle of that id", body = super::super::openapi::ErrorBody),
        (status = 403, description = "the platform's token, or another department's policy", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list_decisions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<DecisionParams>, QueryRejection>,
) -> Result<Json<Vec<DecisionDoc>>, ApiError> {
    let Query(params) = params?;
    let since = params.since.as_deref().map(parse_since).transpose()?;
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("`limit` is {limit}; give 1 to 1000"),
        )
        .with_path("limit"));
    }
    let records = state
        .read_log(
            &caller,
            &LogRead {
                subject: params.policy,
                since,
                limit,
            },
        )
        .await?;
    Ok(Json(
        records
            .into_iter()
            .map(|r| DecisionDoc {
                at: timestamp_text(r.at),
                kind: r.kind.as_str().to_string(),
                policy: r.policy_id,
                version: r.version,
                hash: r.hash,
                application_date: r.application_date,
                eligibility: r.eligibility,
                facts_sha256: r.facts_sha256,
                request: r.request.and_then(|text| serde_json::from_str(&text).ok()),
                request_id: r.request_id,
            })
            .collect(),
    ))
}
