//! The decision log, newest first: `GET /v1/decisions?policy=&since=&limit=`.
//! A department reads the decisions of its own policies.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::super::auth::Caller;
use super::super::error::ApiError;
use super::super::state::AppState;
use super::timestamp_text;
use crate::store::DecisionQuery;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/decisions", get(list_decisions))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionParams {
    /// Only this policy (else every policy of the caller's department).
    pub policy: Option<String>,
    /// RFC 3339 time (`2026-11-27T08:00:00Z`) or a date (`2026-11-27`, from 00:00 UTC).
    pub since: Option<String>,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionDoc {
    pub at: String,
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
                "invalid_query",
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
        (status = 403, description = "the platform's token, or another department's policy", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list_decisions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<DecisionParams>, QueryRejection>,
) -> Result<Json<Vec<DecisionDoc>>, ApiError> {
    let Query(params) = params?;
    let department = caller.department()?;
    let registry = state.registry.load();
    let own: Vec<String> = registry
        .policies
        .iter()
        .filter(|(_, versions)| {
            versions
                .last()
                .is_some_and(|v| v.document.department == department)
        })
        .map(|(id, _)| id.clone())
        .chain(
            registry
                .bundles
                .iter()
                .filter(|(_, b)| b.document.department == department)
                .map(|(id, _)| id.clone()),
        )
        .collect();
    let policies = match &params.policy {
        Some(policy) if own.contains(policy) => vec![policy.clone()],
        Some(policy)
            if registry.policies.contains_key(policy) || registry.bundles.contains_key(policy) =>
        {
            return Err(ApiError::forbidden(format!(
                "`{policy}` is not a policy of `{department}`"
            )));
        }
        Some(policy) => {
            return Err(ApiError::not_found(
                "unknown_policy",
                format!("there is no policy `{policy}`"),
            ));
        }
        None => own,
    };
    let since = params.since.as_deref().map(parse_since).transpose()?;
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("`limit` is {limit}; give 1 to 1000"),
        )
        .with_path("limit"));
    }
    let records = state
        .store
        .decisions(&DecisionQuery {
            policies: Some(policies),
            since,
            limit,
            with_request: false,
        })
        .await?;
    Ok(Json(
        records
            .into_iter()
            .map(|r| DecisionDoc {
                at: timestamp_text(r.at),
                policy: r.policy_id,
                version: r.version,
                hash: r.hash,
                application_date: r.application_date,
                eligibility: r.eligibility,
                facts_sha256: r.facts_sha256,
                request: r.request.and_then(|text| serde_json::from_str(&text).ok()),
            })
            .collect(),
    ))
}
