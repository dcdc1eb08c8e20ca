//! The catalogue's versions: their history and sources, its audit trail,
//! and publishing a new one. Thin handlers over `service::catalogue`, which
//! checks the caller's right (`catalogue = true`) before any work. The
//! catalogue in force, with names, for apps is `GET /v1/catalogue`
//! (`reference.rs`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode, parse_json};
use super::super::openapi::ErrorBody;
use super::super::state::AppState;
use super::policies::{AuditDoc, VersionSummary, check_base_version, parse_version, with_label};
use crate::service::catalogue::{CATALOGUE_ID, CatalogueInput};
use crate::service::error::ServiceError;
use crate::store::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/catalogue/versions", get(list_versions).post(publish))
        .route("/v1/catalogue/versions/{version}", get(get_version))
        .route("/v1/catalogue/audit", get(audit))
}

#[utoipa::path(get, path = "/v1/catalogue/versions", tag = "policies",
    responses((status = 200, description = "every catalogue version, oldest first; the newest is in force", body = Vec<VersionSummary>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_versions(State(state): State<AppState>, _caller: Caller) -> Response {
    let registry = state.registry.load();
    let list: Vec<VersionSummary> = registry
        .catalogue_versions
        .iter()
        .map(VersionSummary::of)
        .collect();
    Json(list).into_response()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogueVersionDetail {
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub source: String,
}

#[utoipa::path(get, path = "/v1/catalogue/versions/{version}", tag = "policies",
    params(("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = CatalogueVersionDetail), (status = 400, description = "not a version number", body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_version(
    State(state): State<AppState>,
    _caller: Caller,
    Path(version): Path<String>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let registry = state.registry.load();
    let found = registry
        .catalogue_versions
        .iter()
        .find(|d| d.version == version)
        .ok_or_else(|| {
            ApiError::not_found(
                ErrorCode::UnknownVersion,
                format!("the catalogue has no version {version}"),
            )
        })?;
    Ok(Json(CatalogueVersionDetail {
        summary: VersionSummary::of(found),
        source: found.source.clone(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/catalogue/audit", tag = "policies",
    responses((status = 200, description = "every publish of the catalogue: who, when, version and hash", body = Vec<AuditDoc>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audit(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let audit = state.store.audit(Kind::Catalogue, CATALOGUE_ID).await?;
    let list: Vec<AuditDoc> = audit.into_iter().map(AuditDoc::of).collect();
    Ok(Json(list).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CataloguePublishRequest {
    /// The whole catalogue source (departments, datasets, materials, calendars).
    /// The version number is the next one (the newest stored plus one).
    #[schema(min_length = 1)]
    pub source: String,
    /// The version the source was edited from: when given and no longer the
    /// newest, the publish is refused (409 `conflict`).
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "super::policies::whole_version")]
    pub base_version: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CataloguePublishResponse {
    #[serde(flatten)]
    pub version: VersionSummary,
    /// Active policy versions compiled again against the new catalogue.
    pub policies_compiled: usize,
    /// Bundles in force built again against it.
    pub bundles_built: usize,
    /// Scenarios of every policy and bundle run against what is in force with it.
    pub scenarios_run: usize,
    /// The nodes it is in force on when answered, and those that lag.
    pub cluster: super::cluster::PropagationView,
}

#[utoipa::path(post, path = "/v1/catalogue/versions", tag = "publish",
    request_body = CataloguePublishRequest,
    responses(
        (status = 201, description = "stored, every policy and bundle in force compiled again against it, and in force for the next request", body = CataloguePublishResponse),
        (status = 400, description = "malformed JSON or a wrong field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the token is not configured with `catalogue = true`", body = ErrorBody),
        (status = 409, description = "a policy or bundle in force no longer checks against it (`breaks_dependents`, each named in `broken` with its diagnostics), or `base_version` is no longer the newest (`conflict`)", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the catalogue itself has errors (`invalid_source` with `diagnostics`), or is no catalogue; a scenario of a policy or bundle fails with it (`scenarios_failed`, each failure naming its `subject`)", body = ErrorBody),
        (status = 503, description = "the service is busy compiling", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Who calls, before the body is even read.
    caller
        .require_catalogue_keeper()
        .map_err(ServiceError::from)?;
    let body = body?;
    let request: CataloguePublishRequest = parse_json(&body)?;
    check_base_version(request.base_version)?;
    let input = CatalogueInput {
        source: request.source,
        base_version: request.base_version,
    };
    let result = state.publish_catalogue(&caller, input).await;
    let outcome = if result.is_ok() {
        "published"
    } else {
        "rejected"
    };
    let label = state.metrics.label(CATALOGUE_ID);
    state
        .metrics
        .outcome(&state.metrics.publishes, &label, outcome);
    let published = result?;
    Ok(with_label(
        (
            StatusCode::CREATED,
            Json(CataloguePublishResponse {
                version: VersionSummary::of(&published.document),
                policies_compiled: published.policies_compiled,
                bundles_built: published.bundles_built,
                scenarios_run: published.scenarios_run,
                cluster: super::cluster::PropagationView::of(&published.propagation),
            }),
        )
            .into_response(),
        label,
    ))
}
