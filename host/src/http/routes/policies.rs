//! Policies and their versions: list and read them, publish a new version,
//! withdraw one, preview a change. Thin handlers over `service::publish`
//! and `service::preview`, which check rights before any work.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode, parse_json};
use super::super::state::AppState;
use super::PolicyLabel;
use crate::service::clock::{timestamp_text, today_day};
use crate::service::preview::PreviewReport;
use crate::service::publish::{PublishInput, ScenarioUpload as ServiceScenario};
use crate::service::registry::{PolicyVersion, Registry};
use crate::service::rights::Action;
use crate::store::{AuditEntry, Document, Kind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/policies", get(list_policies))
        .route("/v1/policies/{id}", get(get_policy))
        .route(
            "/v1/policies/{id}/versions",
            get(list_versions).post(publish),
        )
        .route("/v1/policies/{id}/versions/{version}", get(get_version))
        .route(
            "/v1/policies/{id}/versions/{version}/withdraw",
            post(withdraw),
        )
        .route("/v1/policies/{id}/preview", post(preview))
}

/// One version, as listed (without its source).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub department: String,
    pub hash: String,
    pub effective_from: String,
    /// `active` or `withdrawn`.
    pub status: String,
    pub publisher: String,
    /// RFC 3339, UTC.
    pub published_at: String,
}

impl VersionSummary {
    pub fn of(document: &Document) -> VersionSummary {
        VersionSummary {
            id: document.id.clone(),
            version: document.version,
            title: document.title.clone(),
            department: document.department.clone(),
            hash: document.hash.clone(),
            effective_from: document.effective_from.clone(),
            status: document.status.as_str().to_string(),
            publisher: document.publisher.clone(),
            published_at: timestamp_text(document.published_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicySummary {
    pub id: String,
    pub title: String,
    pub department: String,
    /// The version in force today (China Standard Time), if any.
    pub in_force_today: Option<i64>,
    pub versions: usize,
    /// The bundles (一件事) this policy is a member of.
    pub bundles: Vec<String>,
}

fn summary(
    registry: &Registry,
    id: &str,
    versions: &[Arc<PolicyVersion>],
) -> Option<PolicySummary> {
    let newest = versions.last()?;
    Some(PolicySummary {
        id: id.to_string(),
        title: newest.document.title.clone(),
        department: newest.document.department.clone(),
        in_force_today: registry
            .in_force(id, today_day())
            .ok()
            .map(|v| v.document.version),
        versions: versions.len(),
        bundles: registry.bundles_with_member(id),
    })
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, body = Vec<PolicySummary>), (status = 401, body = super::super::openapi::ErrorBody)), security(("bearer" = [])))]
pub async fn list_policies(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<Vec<PolicySummary>> {
    let registry = state.registry.load();
    Json(
        registry
            .policies
            .iter()
            .filter_map(|(id, versions)| summary(&registry, id, versions))
            .collect(),
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditDoc {
    /// `policy`, `bundle` or `catalogue`.
    pub kind: String,
    pub id: String,
    pub at: String,
    pub actor: String,
    /// `seed`, `publish` or `withdraw`.
    pub action: String,
    pub version: i64,
    pub hash: String,
    /// A publish that ran no scenario, at its publisher's word (`allow_untested`).
    pub untested: bool,
    /// The reviewer who approved the publish (maker–checker), when it went through review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
}

impl AuditDoc {
    pub fn of(entry: AuditEntry) -> AuditDoc {
        AuditDoc {
            kind: entry.kind.as_str().to_string(),
            id: entry.id,
            at: timestamp_text(entry.at),
            actor: entry.actor,
            action: entry.action,
            version: entry.version,
            hash: entry.hash,
            untested: entry.untested,
            approver: entry.approver,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyDetail {
    #[serde(flatten)]
    pub summary: PolicySummary,
    pub versions_list: Vec<VersionSummary>,
    /// Every publish and withdrawal: who and when.
    pub audit: Vec<AuditDoc>,
    /// The names of the scenarios a publish must pass.
    pub scenarios: Vec<String>,
}

fn unknown_policy(id: &str) -> ApiError {
    ApiError::not_found(
        ErrorCode::UnknownPolicy,
        format!("there is no policy `{id}`"),
    )
}

#[utoipa::path(get, path = "/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = PolicyDetail), (status = 401, body = super::super::openapi::ErrorBody), (status = 404, body = super::super::openapi::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_policy(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let registry = state.registry.load_full();
    let versions = registry
        .policies
        .get(&id)
        .ok_or_else(|| unknown_policy(&id))?;
    let summary = summary(&registry, &id, versions).ok_or_else(|| unknown_policy(&id))?;
    let audit = state.store.audit(Kind::Policy, &id).await?;
    let detail = PolicyDetail {
        summary,
        versions_list: versions
            .iter()
            .map(|v| VersionSummary::of(&v.document))
            .collect(),
        audit: audit.into_iter().map(AuditDoc::of).collect(),
        scenarios: registry
            .scenarios
            .get(&(Kind::Policy, id.clone()))
            .map(|s| s.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default(),
    };
    Ok(with_label(
        Json(detail).into_response(),
        state.metrics.label(&id),
    ))
}

pub fn with_label(mut response: Response, label: crate::service::metrics::Label) -> Response {
    response.extensions_mut().insert(PolicyLabel(label));
    response
}

#[utoipa::path(get, path = "/v1/policies/{id}/versions", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<VersionSummary>), (status = 401, body = super::super::openapi::ErrorBody), (status = 404, body = super::super::openapi::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_versions(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let registry = state.registry.load();
    let versions = registry
        .policies
        .get(&id)
        .ok_or_else(|| unknown_policy(&id))?;
    let list: Vec<VersionSummary> = versions
        .iter()
        .map(|v| VersionSummary::of(&v.document))
        .collect();
    Ok(with_label(
        Json(list).into_response(),
        state.metrics.label(&id),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionDetail {
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub source: String,
    /// The artifact's manifest: layout, rules, materials, steps (docs/abi.md).
    #[schema(value_type = Object)]
    pub manifest: Value,
}

/// A `base_version` in a body is a version number: 1, 2, 3, … (the
/// document's `minimum`, so anything else is a 400).
pub fn check_base_version(base_version: Option<i64>) -> Result<(), ApiError> {
    match base_version {
        Some(version) if version < 1 => Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            format!("`base_version` is {version}; versions are 1, 2, 3, …"),
        )
        .with_path("base_version")),
        _ => Ok(()),
    }
}

pub fn parse_version(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidVersion,
            format!("`{text}` is not a version number; versions are 1, 2, 3, …"),
        )
    })
}

#[utoipa::path(get, path = "/v1/policies/{id}/versions/{version}", tag = "policies",
    params(("id" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = VersionDetail), (status = 400, description = "not a version number", body = super::super::openapi::ErrorBody), (status = 401, body = super::super::openapi::ErrorBody), (status = 404, body = super::super::openapi::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_version(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let registry = state.registry.load();
    if !registry.policies.contains_key(&id) {
        return Err(unknown_policy(&id));
    }
    let found = registry.version(&id, version).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownVersion,
            format!("policy `{id}` has no version {version}"),
        )
    })?;
    let detail = VersionDetail {
        summary: VersionSummary::of(&found.document),
        source: found.document.source.clone(),
        manifest: serde_json::to_value(found.loaded.manifest()).map_err(ApiError::internal)?,
    };
    Ok(with_label(
        Json(detail).into_response(),
        state.metrics.label(&id),
    ))
}

/// A scenario sent with a publish, replacing the stored ones.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioUpload {
    /// The file name, e.g. `01-eligible.toml`: letters, digits, `.`, `_`, `-`; unique.
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,114}[.]toml$")]
    pub name: String,
    /// The scenario file's TOML text (docs/testing.md).
    pub toml: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The whole policy source; its `version` must be higher than every stored one.
    #[schema(min_length = 1)]
    pub source: String,
    /// `YYYY-MM-DD`; defaults to the source's `effective from`.
    #[schema(format = Date)]
    pub effective_from: Option<String>,
    /// When given, these replace the policy's scenarios (and are what this publish must pass).
    pub scenarios: Option<Vec<ScenarioUpload>>,
    /// Publish even though no scenario is dated on or after `effective_from`;
    /// recorded in the audit trail. Default `false`: such a publish is refused.
    #[serde(default)]
    pub allow_untested: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishResponse {
    #[serde(flatten)]
    pub version: VersionSummary,
    /// How many scenarios ran against the new version (those dated on or after `effective_from`).
    pub scenarios_run: usize,
    /// The nodes it is in force on when answered, and those that lag.
    pub cluster: super::cluster::PropagationView,
}

/// A withdrawn version and where the withdrawal is in force.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WithdrawResponse {
    #[serde(flatten)]
    pub version: VersionSummary,
    /// The nodes it is in force on when answered, and those that lag.
    pub cluster: super::cluster::PropagationView,
}

impl WithdrawResponse {
    pub fn of(withdrawn: &crate::service::publish::Withdrawn) -> WithdrawResponse {
        WithdrawResponse {
            version: VersionSummary::of(&withdrawn.document),
            cluster: super::cluster::PropagationView::of(&withdrawn.propagation),
        }
    }
}

/// The metric label of a policy, bundle or the catalogue, only for an id
/// that exists: made-up ids must not grow the label set.
pub fn known_label(state: &AppState, id: &str) -> crate::service::metrics::Label {
    if state.registry.load().holder(id).is_some() {
        state.metrics.label(id)
    } else {
        state.metrics.label("")
    }
}

#[utoipa::path(post, path = "/v1/policies/{id}/versions", tag = "publish",
    params(("id" = String, Path)),
    request_body = PublishRequest,
    responses(
        (status = 201, description = "stored and in force for the next request it applies to", body = PublishResponse),
        (status = 400, description = "malformed JSON or a wrong field", body = super::super::openapi::ErrorBody),
        (status = 401, body = super::super::openapi::ErrorBody),
        (status = 403, description = "not this policy's department, the platform's token, or versions go through review (`review_required`: submit to `/v1/policies/{id}/reviews`)", body = super::super::openapi::ErrorBody),
        (status = 409, description = "the version number is not higher than every stored one (`conflict`), or the id is a bundle's or the catalogue's (`id_taken`)", body = super::super::openapi::ErrorBody),
        (status = 413, body = super::super::openapi::ErrorBody),
        (status = 415, body = super::super::openapi::ErrorBody),
        (status = 422, description = "the source has errors (`diagnostics`), a scenario is invalid or fails (`failures`), nothing tests the version (`untested`), or it breaks a bundle", body = super::super::openapi::ErrorBody),
        (status = 503, description = "the service is busy compiling", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Who calls, before the body is even read.
    state.require_policy_rights(&caller, Action::Publish, &id)?;
    state.require_direct_publish(crate::store::Kind::Policy, &id)?;
    let body = body?;
    let request: PublishRequest = parse_json(&body)?;
    let input = PublishInput {
        source: request.source,
        effective_from: request.effective_from,
        scenarios: request.scenarios.map(|list| {
            list.into_iter()
                .map(|s| ServiceScenario {
                    name: s.name,
                    toml: s.toml,
                })
                .collect()
        }),
        allow_untested: request.allow_untested,
        approval: None,
    };
    let result = state.publish(&caller, &id, input).await;
    published_response(&state, &id, result)
}

/// A policy's or a bundle's publish, counted in the metrics by outcome:
/// 201 with the new version, or the service's refusal.
pub fn published_response(
    state: &AppState,
    id: &str,
    result: Result<crate::service::publish::Published, crate::service::error::ServiceError>,
) -> Result<Response, ApiError> {
    let outcome = if result.is_ok() {
        "published"
    } else {
        "rejected"
    };
    let label = known_label(state, id);
    state
        .metrics
        .outcome(&state.metrics.publishes, &label, outcome);
    let published = result?;
    Ok(with_label(
        (
            StatusCode::CREATED,
            Json(PublishResponse {
                version: VersionSummary::of(&published.document),
                scenarios_run: published.scenarios_run,
                cluster: super::cluster::PropagationView::of(&published.propagation),
            }),
        )
            .into_response(),
        label,
    ))
}

#[utoipa::path(post, path = "/v1/policies/{id}/versions/{version}/withdraw", tag = "publish",
    params(("id" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "withdrawn; the previous version is in force again", body = WithdrawResponse),
        (status = 400, description = "not a version number", body = super::super::openapi::ErrorBody),
        (status = 401, body = super::super::openapi::ErrorBody),
        (status = 403, body = super::super::openapi::ErrorBody),
        (status = 404, body = super::super::openapi::ErrorBody),
        (status = 409, description = "already withdrawn (`conflict`), or a bundle would have no version of this member for some date (`strands_bundle`)", body = super::super::openapi::ErrorBody),
        (status = 503, body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let withdrawn = state.withdraw(&caller, &id, version).await?;
    Ok(with_label(
        Json(WithdrawResponse::of(&withdrawn)).into_response(),
        state.metrics.label(&id),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[schema(min_length = 1)]
    pub source: String,
    /// How many recent logged decisions (with kept facts) to replay; default 100, at most 1,000.
    #[schema(minimum = 0, maximum = 1000)]
    #[serde(default, deserialize_with = "whole_number")]
    pub decisions: Option<u32>,
}

#[utoipa::path(post, path = "/v1/policies/{id}/preview", tag = "publish",
    params(("id" = String, Path)),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "current vs proposed outcome of each scenario and recent logged decision", body = PreviewReport),
        (status = 400, description = "malformed JSON or a wrong field", body = super::super::openapi::ErrorBody),
        (status = 401, body = super::super::openapi::ErrorBody),
        (status = 403, description = "the platform's token, or another department's policy", body = super::super::openapi::ErrorBody),
        (status = 409, description = "the id is a bundle's or the catalogue's", body = super::super::openapi::ErrorBody),
        (status = 413, body = super::super::openapi::ErrorBody),
        (status = 415, body = super::super::openapi::ErrorBody),
        (status = 422, description = "the source has errors", body = super::super::openapi::ErrorBody),
        (status = 503, description = "the service is busy compiling", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Who calls, before the body is even read.
    state.require_policy_rights(&caller, Action::Preview, &id)?;
    let body = body?;
    let request: PreviewRequest = parse_json(&body)?;
    let decisions = request.decisions.unwrap_or(100);
    if decisions > crate::service::preview::PREVIEW_DECISIONS_LIMIT {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidRequest,
            format!("`decisions` is {decisions}; give 0 to 1000"),
        )
        .with_path("decisions"));
    }
    let report = state
        .preview(&caller, &id, request.source, decisions)
        .await?;
    Ok(with_label(
        Json(report).into_response(),
        state.metrics.label(&id),
    ))
}

/// A count given as any JSON number with no fraction (`899` or `899.0`,
/// both integers to JSON Schema).
/// A version number written as JSON allows (`4` or `4.0`): a whole number.
pub fn whole_version<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let number: Option<serde_json::Number> = Option::deserialize(deserializer)?;
    let Some(number) = number else {
        return Ok(None);
    };
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("`{number}` is not a version number")))
}

fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    let number: Option<serde_json::Number> = Option::deserialize(deserializer)?;
    let Some(number) = number else {
        return Ok(None);
    };
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    });
    whole
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("`{number}` is not a count")))
}
