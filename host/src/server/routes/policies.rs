//! Policies and their versions: list and read them, publish a new version
//! (checked, compiled, its scenarios run, stored atomically, in force for the
//! next request), withdraw one (roll back), and preview a change.

use std::collections::BTreeMap;
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
use serde_json::{Value, json};

use super::super::auth::Caller;
use super::super::error::{ApiError, parse_json};
use super::super::pipeline::{self, CompiledPolicy, SourceProblem};
use super::super::state::{AppState, BundleEntry, PolicyVersion, Registry};
use super::evaluate::{application_day, now_micros};
use super::{PolicyLabel, timestamp_text};
use crate::store::{DecisionQuery, Document, Kind, ScenarioText, Status};

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
    fn of(document: &Document) -> VersionSummary {
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

fn today_day() -> i64 {
    (now_micros() / 1_000_000 + 8 * 3600).div_euclid(86_400)
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
        bundles: registry
            .bundles
            .iter()
            .filter(|(_, b)| b.built.plan().members.iter().any(|m| m == id))
            .map(|(bundle, _)| bundle.clone())
            .collect(),
    })
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, body = Vec<PolicySummary>)), security(("bearer" = [])))]
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
    pub at: String,
    pub actor: String,
    /// `seed`, `publish` or `withdraw`.
    pub action: String,
    pub version: i64,
    pub hash: String,
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
    ApiError::not_found("unknown_policy", format!("there is no policy `{id}`"))
}

#[utoipa::path(get, path = "/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = PolicyDetail), (status = 404, body = super::super::openapi::ErrorBody)),
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
    let audit = state.store.audit(&id).await?;
    let detail = PolicyDetail {
        summary,
        versions_list: versions
            .iter()
            .map(|v| VersionSummary::of(&v.document))
            .collect(),
        audit: audit
            .into_iter()
            .map(|a| AuditDoc {
                at: timestamp_text(a.at),
                actor: a.actor,
                action: a.action,
                version: a.version,
                hash: a.hash,
            })
            .collect(),
        scenarios: registry
            .scenarios
            .get(&id)
            .map(|s| s.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default(),
    };
    Ok(with_label(
        Json(detail).into_response(),
        state.metrics.label(&id),
    ))
}

fn with_label(mut response: Response, label: super::super::metrics::Label) -> Response {
    response.extensions_mut().insert(PolicyLabel(label));
    response
}

#[utoipa::path(get, path = "/v1/policies/{id}/versions", tag = "policies",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<VersionSummary>), (status = 404, body = super::super::openapi::ErrorBody)),
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

fn parse_version(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_version",
            format!("`{text}` is not a version number; versions are 1, 2, 3, …"),
        )
    })
}

#[utoipa::path(get, path = "/v1/policies/{id}/versions/{version}", tag = "policies",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = VersionDetail), (status = 404, body = super::super::openapi::ErrorBody)),
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
            "unknown_version",
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
    /// The file name, e.g. `01-eligible.toml`.
    pub name: String,
    /// The scenario file's TOML text (docs/testing.md).
    pub toml: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The whole policy source; its `version` must be higher than every stored one.
    pub source: String,
    /// `YYYY-MM-DD`; defaults to the source's `effective from`.
    pub effective_from: Option<String>,
    /// When given, these replace the policy's scenarios (and are what this publish must pass).
    pub scenarios: Option<Vec<ScenarioUpload>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishResponse {
    #[serde(flatten)]
    pub version: VersionSummary,
    /// How many scenarios ran against the new version (those dated on or after `effective_from`).
    pub scenarios_run: usize,
}

fn source_problem(problem: SourceProblem) -> ApiError {
    match problem {
        SourceProblem::Diagnostics { count, rendered } => ApiError::unprocessable(
            "invalid_source",
            format!(
                "the source has {count} {}",
                if count == 1 { "error" } else { "errors" }
            ),
        )
        .with_path("source")
        .with_detail("diagnostics", json!(rendered)),
        SourceProblem::Wrong(message) => {
            ApiError::unprocessable("invalid_source", message).with_path("source")
        }
    }
}

/// Compiles off the async workers (a compile takes tens of milliseconds).
async fn compile(state: &AppState, id: &str, source: String) -> Result<CompiledPolicy, ApiError> {
    let catalogue = state
        .registry
        .load()
        .catalogue
        .as_ref()
        .map(|c| c.source.clone())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "no_catalogue",
                "the store has no catalogue; start the service once with the repository's `policies/`",
            )
        })?;
    let state = state.clone();
    let id = id.to_string();
    tokio::task::spawn_blocking(move || {
        pipeline::compile_policy(&state.engine, &catalogue, &source, &id)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(source_problem)
}

/// The registry with `id`'s versions replaced, and every bundle that has
/// `id` as a member rebuilt against the newest active member versions.
fn next_registry(
    state: &AppState,
    current: &Registry,
    id: &str,
    versions: Vec<Arc<PolicyVersion>>,
    scenarios: Option<Vec<ScenarioText>>,
) -> Result<Registry, ApiError> {
    let mut next = current.clone();
    next.policies.insert(id.to_string(), versions);
    if let Some(scenarios) = scenarios {
        next.scenarios.insert(id.to_string(), scenarios);
    }
    let catalogue = next
        .catalogue
        .as_ref()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    let affected: Vec<String> = next
        .bundles
        .iter()
        .filter(|(_, b)| b.built.plan().members.iter().any(|m| m == id))
        .map(|(bundle, _)| bundle.clone())
        .collect();
    for bundle_id in affected {
        let Some(entry) = next.bundles.get(&bundle_id).cloned() else {
            continue;
        };
        let members = bundle_member_sources(&next, &entry)?;
        let built = pipeline::build_bundle(
            &state.engine,
            &catalogue,
            &bundle_id,
            &entry.document.source,
            &members,
        )
        .map_err(|problem| {
            let mut error = source_problem(problem);
            error.message = format!(
                "this change breaks bundle `{bundle_id}`, which has `{id}` as a member: {}",
                error.message
            );
            error.code = "breaks_bundle";
            error
        })?;
        next.bundles.insert(
            bundle_id,
            Arc::new(BundleEntry {
                document: entry.document.clone(),
                built,
            }),
        );
    }
    Ok(next)
}

/// Each member's newest active source, for building a bundle.
pub(crate) fn bundle_member_sources(
    registry: &Registry,
    entry: &BundleEntry,
) -> Result<Vec<(String, String)>, ApiError> {
    entry
        .built
        .plan()
        .members
        .iter()
        .map(|member| {
            registry
                .newest_active(member)
                .map(|v| (member.clone(), v.document.source.clone()))
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "breaks_bundle",
                        format!(
                            "bundle `{}` needs an active version of its member `{member}`",
                            entry.document.id
                        ),
                    )
                })
        })
        .collect()
}

#[utoipa::path(post, path = "/v1/policies/{id}/versions", tag = "publish",
    params(("id" = String, Path)),
    request_body = PublishRequest,
    responses(
        (status = 201, description = "stored and in force for the next request it applies to", body = PublishResponse),
        (status = 401, body = super::super::openapi::ErrorBody),
        (status = 403, description = "not this policy's department", body = super::super::openapi::ErrorBody),
        (status = 409, description = "the version number is not higher than every stored one", body = super::super::openapi::ErrorBody),
        (status = 422, description = "the source has errors (`diagnostics`), a scenario fails (`failures`), or it breaks a bundle", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let request: PublishRequest = parse_json(&body)?;
    let result = publish_inner(&state, &caller, &id, request).await;
    let outcome = if result.is_ok() {
        "published"
    } else {
        "rejected"
    };
    state
        .metrics
        .outcome(&state.metrics.publishes, &state.metrics.label(&id), outcome);
    result.map(|r| {
        with_label(
            (StatusCode::CREATED, Json(r)).into_response(),
            state.metrics.label(&id),
        )
    })
}

async fn publish_inner(
    state: &AppState,
    caller: &super::super::auth::Principal,
    id: &str,
    request: PublishRequest,
) -> Result<PublishResponse, ApiError> {
    // A cheap first answer before compiling: the caller's rights over an existing policy.
    if let Some(newest) = state
        .registry
        .load()
        .policies
        .get(id)
        .and_then(|v| v.last())
    {
        caller.require_department(&newest.document.department, "publish")?;
    } else {
        caller.department()?;
    }
    let started = std::time::Instant::now();
    let source = request.source.clone();
    let compiled = compile(state, id, source).await?;
    let compiled_after = started.elapsed();
    caller.require_department(&compiled.department, "publish")?;
    let effective_from = match (&request.effective_from, &compiled.effective_from) {
        (Some(given), Some(declared)) if given != declared => {
            return Err(ApiError::unprocessable(
                "invalid_request",
                format!(
                    "`effective_from` is {given} but the source says `effective from {declared}`; \
                     give one date (or leave `effective_from` out)"
                ),
            )
            .with_path("effective_from"));
        }
        (Some(given), _) => given.clone(),
        (None, Some(declared)) => declared.clone(),
        (None, None) => {
            return Err(ApiError::unprocessable(
                "invalid_request",
                "say when the version takes effect: `effective_from` in the request or \
                 `effective from` in the source",
            )
            .with_path("effective_from"));
        }
    };
    let effective_day = application_day(&effective_from, "effective_from")?;
    let uploaded: Option<Vec<ScenarioText>> = request.scenarios.as_ref().map(|list| {
        list.iter()
            .map(|s| ScenarioText {
                policy_id: id.to_string(),
                name: s.name.clone(),
                toml: s.toml.clone(),
            })
            .collect()
    });

    let _one_at_a_time = state.publishing.lock().await;
    let current = state.registry.load_full();
    let existing = current.policies.get(id).cloned().unwrap_or_default();
    if let Some(newest) = existing.last() {
        if newest.document.department != compiled.department {
            return Err(ApiError::forbidden(format!(
                "policy `{id}` belongs to `{}`; a new version may not move it to `{}`",
                newest.document.department, compiled.department
            ))
            .with_path("source"));
        }
        if compiled.version <= newest.document.version {
            return Err(ApiError::conflict(format!(
                "the source declares `version {}`, but version {} of `{id}` is already stored; \
                 write `version {}`",
                compiled.version,
                newest.document.version,
                newest.document.version + 1
            ))
            .with_path("source"));
        }
    }
    let scenarios = uploaded
        .clone()
        .or_else(|| current.scenarios.get(id).cloned())
        .unwrap_or_default();
    let loaded = Arc::clone(&compiled.loaded);
    let (scenarios_run, failures) = tokio::task::spawn_blocking(move || {
        pipeline::run_scenarios(&loaded, &scenarios, effective_day)
    })
    .await
    .map_err(ApiError::internal)?;
    if !failures.is_empty() {
        return Err(ApiError::unprocessable(
            "scenarios_failed",
            format!(
                "{} of {scenarios_run} scenarios fail against the new version; nothing was published",
                failures.len()
            ),
        )
        .with_detail("failures", json!(failures)));
    }
    let document = Document {
        kind: Kind::Policy,
        id: id.to_string(),
        version: compiled.version,
        department: compiled.department.clone(),
        title: compiled.title.clone(),
        source: request.source,
        artifact: Some(compiled.artifact),
        hash: compiled.hash,
        effective_from,
        status: Status::Active,
        publisher: caller.name.clone(),
        published_at: now_micros(),
    };
    let mut versions = existing;
    versions.push(Arc::new(PolicyVersion {
        document: document.clone(),
        effective_day,
        loaded: compiled.loaded,
    }));
    let next = {
        let state = state.clone();
        let current = Arc::clone(&current);
        let id = id.to_string();
        let uploaded = uploaded.clone();
        tokio::task::spawn_blocking(move || {
            next_registry(&state, &current, &id, versions, uploaded)
        })
        .await
        .map_err(ApiError::internal)??
    };
    state.store.publish(&document, uploaded.as_deref()).await?;
    state.registry.store(Arc::new(next));
    tracing::info!(
        policy = id,
        version = document.version,
        publisher = %document.publisher,
        hash = %document.hash,
        compile_ms = compiled_after.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "published"
    );
    Ok(PublishResponse {
        version: VersionSummary::of(&document),
        scenarios_run,
    })
}

#[utoipa::path(post, path = "/v1/policies/{id}/versions/{version}/withdraw", tag = "publish",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses(
        (status = 200, description = "withdrawn; the previous version is in force again", body = VersionSummary),
        (status = 403, body = super::super::openapi::ErrorBody),
        (status = 404, body = super::super::openapi::ErrorBody),
        (status = 409, description = "already withdrawn", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let version = parse_version(&version)?;
    let _one_at_a_time = state.publishing.lock().await;
    let current = state.registry.load_full();
    let versions = current
        .policies
        .get(&id)
        .ok_or_else(|| unknown_policy(&id))?;
    let found = current.version(&id, version).ok_or_else(|| {
        ApiError::not_found(
            "unknown_version",
            format!("policy `{id}` has no version {version}"),
        )
    })?;
    caller.require_department(&found.document.department, "withdraw")?;
    if found.document.status == Status::Withdrawn {
        return Err(ApiError::conflict(format!(
            "version {version} of `{id}` is already withdrawn"
        )));
    }
    let at = now_micros();
    let mut document = found.document.clone();
    document.status = Status::Withdrawn;
    let replaced: Vec<Arc<PolicyVersion>> = versions
        .iter()
        .map(|v| {
            if v.document.version == version {
                Arc::new(PolicyVersion {
                    document: document.clone(),
                    effective_day: v.effective_day,
                    loaded: Arc::clone(&v.loaded),
                })
            } else {
                Arc::clone(v)
            }
        })
        .collect();
    let next = {
        let state = state.clone();
        let current = Arc::clone(&current);
        let id = id.clone();
        tokio::task::spawn_blocking(move || next_registry(&state, &current, &id, replaced, None))
            .await
            .map_err(ApiError::internal)??
    };
    state
        .store
        .withdraw(Kind::Policy, &id, version, &caller.name, at)
        .await?;
    state.registry.store(Arc::new(next));
    state
        .metrics
        .withdrawals
        .get_or_create(&super::super::metrics::PolicyLabels {
            policy: state.metrics.label(&id),
        })
        .inc();
    tracing::info!(policy = %id, version, by = %caller.name, "withdrawn");
    Ok(with_label(
        Json(VersionSummary::of(&document)).into_response(),
        state.metrics.label(&id),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub source: String,
    /// How many recent logged decisions (with kept facts) to replay; default 100, at most 1,000.
    pub decisions: Option<u32>,
}

/// The part of a decision a change is judged by.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Outline {
    pub version: Option<i64>,
    pub eligibility: String,
    /// Material ids, each with who provides it.
    pub materials: Vec<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The scenario's file name, or the logged decision's time.
    pub case: String,
    pub application_date: String,
    /// `null` when no version is in force on that date (or the evaluation fails).
    pub current: Option<Outline>,
    pub proposed: Option<Outline>,
    pub changed: bool,
    /// Why an evaluation failed, when it did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewResponse {
    pub policy: String,
    pub proposed_version: i64,
    pub proposed_hash: String,
    pub scenarios: Vec<Comparison>,
    pub decisions: Vec<Comparison>,
    /// `{scenarios, scenarios_changed, decisions, decisions_changed}`.
    #[schema(value_type = Object)]
    pub summary: BTreeMap<&'static str, usize>,
}

fn outline(decision: &Value) -> Outline {
    let ids = |key: &str, with_provider: bool| -> Vec<String> {
        decision[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let id = item["id"].as_str().unwrap_or_default();
                        match item["provided_by"].as_str() {
                            Some(by) if with_provider => format!("{id} ({by})"),
                            _ => id.to_string(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Outline {
        version: decision["policy"]["version"].as_i64(),
        eligibility: decision["eligibility"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        materials: ids("materials", true),
        steps: ids("steps", false),
    }
}

fn compare(
    case: String,
    date: &str,
    request: &[u8],
    current: Option<&Arc<PolicyVersion>>,
    proposed: &engine::LoadedPolicy,
) -> Comparison {
    let mut errors = Vec::new();
    let mut run = |policy: &engine::LoadedPolicy| match policy.evaluate(request) {
        Ok(decision) => serde_json::to_value(&decision).ok().map(|v| outline(&v)),
        Err(error) => {
            errors.push(error.to_string());
            None
        }
    };
    let current = current.and_then(|v| run(&v.loaded));
    let proposed = run(proposed);
    let changed = match (&current, &proposed) {
        (Some(a), Some(b)) => {
            a.eligibility != b.eligibility || a.materials != b.materials || a.steps != b.steps
        }
        (None, None) => false,
        _ => true,
    };
    Comparison {
        case,
        application_date: date.to_string(),
        current,
        proposed,
        changed,
        errors,
    }
}

#[utoipa::path(post, path = "/v1/policies/{id}/preview", tag = "publish",
    params(("id" = String, Path)),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "current vs proposed outcome of each scenario and recent logged decision", body = PreviewResponse),
        (status = 403, body = super::super::openapi::ErrorBody),
        (status = 422, description = "the source has errors", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let request: PreviewRequest = parse_json(&body)?;
    if let Some(newest) = state
        .registry
        .load()
        .policies
        .get(&id)
        .and_then(|v| v.last())
    {
        caller.require_department(&newest.document.department, "preview")?;
    }
    let compiled = compile(&state, &id, request.source).await?;
    caller.require_department(&compiled.department, "preview")?;
    let registry = state.registry.load_full();
    let limit = request.decisions.unwrap_or(100).min(1000);
    let logged = state
        .store
        .decisions(&DecisionQuery {
            policies: Some(vec![id.clone()]),
            since: None,
            limit,
            with_request: true,
        })
        .await?;
    let scenarios = registry.scenarios.get(&id).cloned().unwrap_or_default();
    let proposed = Arc::clone(&compiled.loaded);
    let id_for_task = id.clone();
    let (scenario_rows, decision_rows) = tokio::task::spawn_blocking(move || {
        let mut scenario_rows = Vec::new();
        for text in &scenarios {
            let Ok(parsed) = crate::scenario::parse(&text.toml) else {
                continue;
            };
            let date = parsed.application_date();
            let day = engine::encode::parse_date(&date).unwrap_or(i64::MIN);
            let current = registry.in_force(&id_for_task, day).ok();
            scenario_rows.push(compare(
                text.name.clone(),
                &date,
                parsed.request_json().as_bytes(),
                current,
                &proposed,
            ));
        }
        let mut decision_rows = Vec::new();
        for record in &logged {
            let Some(request) = &record.request else {
                continue;
            };
            let day = engine::encode::parse_date(&record.application_date).unwrap_or(i64::MIN);
            let current = registry.in_force(&id_for_task, day).ok();
            decision_rows.push(compare(
                timestamp_text(record.at),
                &record.application_date,
                request.as_bytes(),
                current,
                &proposed,
            ));
        }
        (scenario_rows, decision_rows)
    })
    .await
    .map_err(ApiError::internal)?;
    let mut summary = BTreeMap::new();
    summary.insert("scenarios", scenario_rows.len());
    summary.insert(
        "scenarios_changed",
        scenario_rows.iter().filter(|c| c.changed).count(),
    );
    summary.insert("decisions", decision_rows.len());
    summary.insert(
        "decisions_changed",
        decision_rows.iter().filter(|c| c.changed).count(),
    );
    let response = PreviewResponse {
        policy: id.clone(),
        proposed_version: compiled.version,
        proposed_hash: compiled.hash,
        scenarios: scenario_rows,
        decisions: decision_rows,
        summary,
    };
    Ok(with_label(
        Json(response).into_response(),
        state.metrics.label(&id),
    ))
}
