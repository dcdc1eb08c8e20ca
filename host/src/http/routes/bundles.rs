//! Bundles (一件事) and their versions: list and read them, publish a new
//! version, withdraw one. Thin handlers over `service::bundles`, which
//! checks the caller's rights (the bundle's lead department) before any
//! work. Evaluating a bundle is `evaluate.rs`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode, parse_json};
use super::super::openapi::ErrorBody;
use super::super::state::AppState;
use super::policies::{
    AuditDoc, PublishResponse, ScenarioUpload, VersionSummary, check_base_version, parse_version,
    published_response, with_label,
};
use crate::service::bundles::BundleInput;
use crate::service::publish::ScenarioUpload as ServiceScenario;
use crate::service::registry::Registry;
use crate::service::rights::Action;
use crate::store::{Document, Kind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/bundles", get(list_bundles))
        .route("/v1/bundles/{id}", get(get_bundle))
        .route(
            "/v1/bundles/{id}/versions",
            get(list_versions).post(publish),
        )
        .route("/v1/bundles/{id}/versions/{version}", get(get_version))
        .route(
            "/v1/bundles/{id}/versions/{version}/withdraw",
            post(withdraw),
        )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleSummary {
    pub id: String,
    pub title: String,
    /// The lead department (the source's `department` line).
    pub department: String,
    /// The version in force (the newest active one), if any: it serves
    /// every application date.
    pub in_force: Option<i64>,
    pub versions: usize,
    /// The member policies of the version in force.
    pub members: Vec<String>,
}

fn summary(registry: &Registry, id: &str, versions: &[Document]) -> Option<BundleSummary> {
    let newest = versions.last()?;
    let in_force = registry.bundles.get(id);
    Some(BundleSummary {
        id: id.to_string(),
        title: newest.title.clone(),
        department: newest.department.clone(),
        in_force: in_force.map(|entry| entry.document.version),
        versions: versions.len(),
        members: in_force
            .map(|entry| entry.built.plan().members.clone())
            .unwrap_or_default(),
    })
}

fn unknown_bundle(id: &str) -> ApiError {
    ApiError::not_found(
        ErrorCode::UnknownBundle,
        format!("there is no bundle `{id}`"),
    )
}

#[utoipa::path(get, path = "/v1/bundles", tag = "policies",
    responses((status = 200, body = Vec<BundleSummary>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_bundles(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<Vec<BundleSummary>> {
    let registry = state.registry.load();
    Json(
        registry
            .bundle_versions
            .iter()
            .filter_map(|(id, versions)| summary(&registry, id, versions))
            .collect(),
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleDetail {
    #[serde(flatten)]
    pub summary: BundleSummary,
    pub versions_list: Vec<VersionSummary>,
    /// Every publish and withdrawal: who and when.
    pub audit: Vec<AuditDoc>,
    /// The names of the scenarios a publish must pass.
    pub scenarios: Vec<String>,
}

#[utoipa::path(get, path = "/v1/bundles/{id}", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = BundleDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_bundle(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let registry = state.registry.load_full();
    let versions = registry
        .bundle_versions
        .get(&id)
        .ok_or_else(|| unknown_bundle(&id))?;
    let summary = summary(&registry, &id, versions).ok_or_else(|| unknown_bundle(&id))?;
    let audit = state.store.audit(Kind::Bundle, &id).await?;
    let detail = BundleDetail {
        summary,
        versions_list: versions.iter().map(VersionSummary::of).collect(),
        audit: audit.into_iter().map(AuditDoc::of).collect(),
        scenarios: registry
            .scenarios
            .get(&(Kind::Bundle, id.clone()))
            .map(|s| s.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default(),
    };
    Ok(with_label(
        Json(detail).into_response(),
        state.metrics.label(&id),
    ))
}

#[utoipa::path(get, path = "/v1/bundles/{id}/versions", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<VersionSummary>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_versions(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let registry = state.registry.load();
    let versions = registry
        .bundle_versions
        .get(&id)
        .ok_or_else(|| unknown_bundle(&id))?;
    let list: Vec<VersionSummary> = versions.iter().map(VersionSummary::of).collect();
    Ok(with_label(
        Json(list).into_response(),
        state.metrics.label(&id),
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BundleVersionDetail {
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub source: String,
    /// The member policies this version names.
    pub members: Vec<String>,
}

#[utoipa::path(get, path = "/v1/bundles/{id}/versions/{version}", tag = "policies",
    params(("id" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = BundleVersionDetail), (status = 400, description = "not a version number", body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_version(
    State(state): State<AppState>,
    _caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let registry = state.registry.load();
    if !registry.bundle_versions.contains_key(&id) {
        return Err(unknown_bundle(&id));
    }
    let found = registry.bundle_version(&id, version).ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::UnknownVersion,
            format!("bundle `{id}` has no version {version}"),
        )
    })?;
    let detail = BundleVersionDetail {
        summary: VersionSummary::of(found),
        source: found.source.clone(),
        members: crate::service::pipeline::read_header(&found.source).members,
    };
    Ok(with_label(
        Json(detail).into_response(),
        state.metrics.label(&id),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundlePublishRequest {
    /// The whole bundle source; its `department` line must be the caller's.
    /// The version number is the next one (the newest stored plus one).
    #[schema(min_length = 1)]
    pub source: String,
    /// The version the source was edited from: when given and no longer the
    /// newest, the publish is refused (409 `conflict`). Leave it out for a new bundle.
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "super::policies::whole_version")]
    pub base_version: Option<i64>,
    /// When given, these replace the bundle's scenarios (and are what this publish must pass).
    pub scenarios: Option<Vec<ScenarioUpload>>,
    /// Publish even though the bundle has no scenario; recorded in the audit
    /// trail. Default `false`: such a publish is refused.
    #[serde(default)]
    pub allow_untested: bool,
}

#[utoipa::path(post, path = "/v1/bundles/{id}/versions", tag = "publish",
    params(("id" = String, Path)),
    request_body = BundlePublishRequest,
    responses(
        (status = 201, description = "stored and in force for the next bundle evaluation", body = PublishResponse),
        (status = 400, description = "malformed JSON or a wrong field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not the bundle's lead department (names both), a token that acts for no department, or versions go through review (`review_required`: submit to `/v1/bundles/{id}/reviews`)", body = ErrorBody),
        (status = 409, description = "`base_version` is no longer the newest (`conflict`), or the id is a policy's or the catalogue's (`id_taken`)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the source has errors, e.g. an unknown member (`invalid_source` with `diagnostics`), a scenario is invalid or fails (`failures`), or nothing tests it (`untested`)", body = ErrorBody),
        (status = 503, description = "the service is busy compiling", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Who calls, before the body is even read.
    state.require_bundle_rights(&caller, Action::Publish, &id)?;
    state.require_direct_publish(crate::store::Kind::Bundle, &id)?;
    let body = body?;
    let request: BundlePublishRequest = parse_json(&body)?;
    check_base_version(request.base_version)?;
    let input = BundleInput {
        source: request.source,
        base_version: request.base_version,
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
    let result = state.publish_bundle(&caller, &id, input).await;
    published_response(&state, &id, result)
}

#[utoipa::path(post, path = "/v1/bundles/{id}/versions/{version}/withdraw", tag = "publish",
    params(("id" = String, Path), ("version" = i64, Path, minimum = 1)),
    responses(
        (status = 200, description = "withdrawn; the newest active version left is in force again (none left: the bundle is not served)", body = super::policies::WithdrawResponse),
        (status = 400, description = "not a version number", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already withdrawn", body = ErrorBody),
        (status = 422, description = "the version that would be in force again no longer builds (`breaks_bundle`)", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let withdrawn = state.withdraw_bundle(&caller, &id, version).await?;
    Ok(with_label(
        Json(super::policies::WithdrawResponse::of(&withdrawn)).into_response(),
        state.metrics.label(&id),
    ))
}
