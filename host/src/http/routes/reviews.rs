//! The console's API: publishing with review (maker–checker) —
//! `POST /v1/policies/{id}/reviews` and `POST /v1/bundles/{id}/reviews`
//! (submit), `GET /v1/reviews`,
//! `GET /v1/reviews/{review_id}` (with the diff and the impact),
//! `POST /v1/reviews/{review_id}/approve` and `/reject` —, the formatter
//! (`POST /v1/format`) and a draft run against its scenarios and one
//! application (`POST /v1/policies/{id}/draft`). Thin handlers over
//! `service::review` and `service::draft`; who calls is checked before the
//! body is read.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode, parse_json};
use super::super::openapi::ErrorBody;
use super::super::state::AppState;
use super::policies::{PublishResponse, ScenarioUpload, VersionSummary};
use crate::service::clock::timestamp_text;
use crate::service::draft::{DraftReport, FormatReport};
use crate::service::preview::PreviewReport;
use crate::service::publish::ScenarioUpload as ServiceScenario;
use crate::service::review::{BundleScenarios, BundleSubmitInput, SubmitInput};
use crate::service::rights::Action;
use crate::store::review::{Review, ReviewStatus};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/policies/{id}/reviews", post(submit))
        .route("/v1/bundles/{id}/reviews", post(submit_bundle))
        .route("/v1/policies/{id}/draft", post(run_draft))
        .route("/v1/reviews", get(list_reviews))
        .route("/v1/reviews/{review_id}", get(get_review))
        .route("/v1/reviews/{review_id}/approve", post(approve))
        .route("/v1/reviews/{review_id}/reject", post(reject))
        .route("/v1/format", post(format))
        .route("/v1/policies/{id}/scenarios", get(policy_scenarios))
        .route("/v1/me", get(me))
}

/// Who a token is: the console shows it and offers what it may do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeView {
    /// The token's name (shown in the audit trail).
    pub name: String,
    /// The department it acts for, if any.
    pub department: Option<String>,
    pub platform: bool,
    /// May approve or reject its colleagues' submitted versions.
    pub reviewer: bool,
    /// May publish the catalogue.
    pub catalogue: bool,
}

#[utoipa::path(get, path = "/v1/me", tag = "review",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(Caller(caller): Caller) -> Json<MeView> {
    use crate::service::rights::Role;
    Json(MeView {
        name: caller.name.clone(),
        department: match &caller.role {
            Role::Department(d) => Some(d.clone()),
            _ => None,
        },
        platform: caller.role == Role::Platform,
        reviewer: caller.reviewer,
        catalogue: caller.keeps_catalogue,
    })
}

/// A stored scenario file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScenarioFile {
    pub name: String,
    pub toml: String,
}

#[utoipa::path(get, path = "/v1/policies/{id}/scenarios", tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "the policy's stored scenarios, as files", body = Vec<ScenarioFile>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not this policy's department", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn policy_scenarios(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ScenarioFile>>, ApiError> {
    state.require_policy_rights(&caller, Action::Preview, &id)?;
    let registry = state.registry.load();
    if !registry.policies.contains_key(&id) {
        return Err(ApiError::not_found(
            ErrorCode::UnknownPolicy,
            format!("there is no policy `{id}`"),
        ));
    }
    Ok(Json(
        registry
            .scenarios
            .get(&(crate::store::Kind::Policy, id.clone()))
            .map(|list| {
                list.iter()
                    .map(|s| ScenarioFile {
                        name: s.name.clone(),
                        toml: s.toml.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    ))
}

/// A review as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub review_id: i64,
    /// `policy` or `bundle`.
    pub kind: String,
    pub id: String,
    pub title: String,
    pub department: String,
    /// The version the submitted source declares.
    pub version: i64,
    pub effective_from: Option<String>,
    /// The submitter's words to the reviewer.
    pub note: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub submitted_by: String,
    /// RFC 3339, UTC.
    pub submitted_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// The names of the scenarios submitted with it (`null`: the stored ones stay).
    pub scenarios: Option<Vec<String>>,
}

impl ReviewView {
    fn of(review: &Review) -> ReviewView {
        let s = &review.submitted;
        ReviewView {
            review_id: review.review_id,
            kind: s.kind.as_str().to_string(),
            id: s.id.clone(),
            title: s.title.clone(),
            department: s.department.clone(),
            version: s.version,
            effective_from: s.effective_from.clone(),
            note: s.note.clone(),
            status: review.status.as_str().to_string(),
            submitted_by: s.submitted_by.clone(),
            submitted_at: timestamp_text(s.submitted_at),
            reviewed_by: review.reviewed_by.clone(),
            reviewed_at: review.reviewed_at.map(timestamp_text),
            comment: review.comment.clone(),
            scenarios: s
                .scenarios
                .as_ref()
                .map(|list| list.iter().map(|t| t.name.clone()).collect()),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewList {
    pub reviews: Vec<ReviewView>,
}

/// A review with what the reviewer decides on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewDetailView {
    #[serde(flatten)]
    pub review: ReviewView,
    /// The submitted source.
    pub source: String,
    /// The newest stored version, which the diff is against.
    pub base_version: Option<i64>,
    /// A unified diff (`-` the newest version's lines, `+` the submitted ones).
    pub diff: String,
    /// The submitted source against the scenarios and recent logged
    /// decisions (a pending policy version).
    pub impact: Option<PreviewReport>,
    /// A pending bundle version's scenarios, run on the members in force as
    /// its approval will run them.
    pub bundle_scenarios: Option<BundleScenarios>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The whole policy source; its `version` must be higher than every stored one.
    #[schema(min_length = 1)]
    pub source: String,
    /// `YYYY-MM-DD`; defaults to the source's `effective from`.
    #[schema(format = Date)]
    pub effective_from: Option<String>,
    /// When given, these replace the policy's scenarios once approved.
    pub scenarios: Option<Vec<ScenarioUpload>>,
    #[serde(default)]
    pub allow_untested: bool,
    /// A word to the reviewer (at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleSubmitRequest {
    /// The whole bundle source; its `department` line must be the caller's.
    /// Its version number is the next one (the newest stored plus one).
    #[schema(min_length = 1)]
    pub source: String,
    /// The version the source was edited from: when given and no longer the
    /// newest, the submission is refused (409 `conflict`).
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "super::policies::whole_version")]
    pub base_version: Option<i64>,
    /// When given, these replace the bundle's scenarios once approved.
    pub scenarios: Option<Vec<ScenarioUpload>>,
    #[serde(default)]
    pub allow_untested: bool,
    /// A word to the reviewer (at most 2,000 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    /// The reviewer's comment (required to reject; at most 2,000 characters).
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovedResponse {
    pub review: ReviewView,
    pub published: PublishResponse,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Only this policy's (or bundle's) reviews.
    pub policy: Option<String>,
    /// Only the reviews in this state.
    pub status: Option<StatusParam>,
}

/// A review's state, as a query parameter.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusParam {
    Pending,
    Approved,
    Rejected,
}

impl From<StatusParam> for ReviewStatus {
    fn from(status: StatusParam) -> ReviewStatus {
        match status {
            StatusParam::Pending => ReviewStatus::Pending,
            StatusParam::Approved => ReviewStatus::Approved,
            StatusParam::Rejected => ReviewStatus::Rejected,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewDetailParams {
    /// How many recent logged decisions the impact replays (0–1000, default 200).
    #[param(minimum = 0, maximum = 1000)]
    pub decisions: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormatRequest {
    pub source: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The draft policy source.
    #[schema(min_length = 1)]
    pub source: String,
    /// Run these instead of the stored scenarios.
    pub scenarios: Option<Vec<ScenarioUpload>>,
    /// One application to decide with the draft: `{application_date, facts, shared_available}`.
    #[schema(value_type = Option<Object>)]
    pub evaluate: Option<serde_json::Value>,
}

fn parse_review_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidRequest,
            format!("`{text}` is not a review number; reviews are 1, 2, 3, …"),
        )
        .with_path("review_id")
    })
}

fn uploads(list: Option<Vec<ScenarioUpload>>) -> Option<Vec<ServiceScenario>> {
    list.map(|list| {
        list.into_iter()
            .map(|s| ServiceScenario {
                name: s.name,
                toml: s.toml,
            })
            .collect()
    })
}

#[utoipa::path(post, path = "/v1/policies/{id}/reviews", tag = "review",
    params(("id" = String, Path)),
    request_body = SubmitRequest,
    responses(
        (status = 201, description = "checked and compiled, stored as a pending review; nothing is published", body = ReviewView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not this policy's department", body = ErrorBody),
        (status = 409, description = "the version is not higher than the stored ones, or the id is another kind's", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the source has errors, a scenario is invalid, or no effective date", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.require_policy_rights(&caller, Action::Submit, &id)?;
    let body = body?;
    let request: SubmitRequest = parse_json(&body)?;
    let review = state
        .submit_review(
            &caller,
            &id,
            SubmitInput {
                source: request.source,
                effective_from: request.effective_from,
                scenarios: uploads(request.scenarios),
                allow_untested: request.allow_untested,
                note: request.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ReviewView::of(&review))).into_response())
}

#[utoipa::path(post, path = "/v1/bundles/{id}/reviews", tag = "review",
    params(("id" = String, Path)),
    request_body = BundleSubmitRequest,
    responses(
        (status = 201, description = "checked and compiled against the members in force, stored as a pending review; nothing is published", body = ReviewView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not the bundle's lead department", body = ErrorBody),
        (status = 409, description = "`base_version` is no longer the newest, or the id is another kind's", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the source has errors (`invalid_source` with `diagnostics`) or a scenario is invalid", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn submit_bundle(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.require_bundle_rights(&caller, Action::Submit, &id)?;
    let body = body?;
    let request: BundleSubmitRequest = parse_json(&body)?;
    super::policies::check_base_version(request.base_version)?;
    let review = state
        .submit_bundle_review(
            &caller,
            &id,
            BundleSubmitInput {
                source: request.source,
                base_version: request.base_version,
                scenarios: uploads(request.scenarios),
                allow_untested: request.allow_untested,
                note: request.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ReviewView::of(&review))).into_response())
}

#[utoipa::path(get, path = "/v1/reviews", tag = "review",
    params(ReviewParams),
    responses(
        (status = 200, description = "the caller's department's reviews, newest first (at most 200)", body = ReviewList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "the id is another kind's", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list_reviews(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<ReviewParams>, QueryRejection>,
) -> Result<Json<ReviewList>, ApiError> {
    state.require_review_reader(&caller)?;
    let Query(params) = params?;
    let status = params.status.map(ReviewStatus::from);
    let reviews = state
        .list_reviews(&caller, params.policy.as_deref(), status)
        .await?;
    Ok(Json(ReviewList {
        reviews: reviews.iter().map(ReviewView::of).collect(),
    }))
}

#[utoipa::path(get, path = "/v1/reviews/{review_id}", tag = "review",
    params(("review_id" = i64, Path, minimum = 1), ReviewDetailParams),
    responses(
        (status = 200, description = "the review, the diff against the newest version and (while pending) the impact", body = ReviewDetailView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "no review of that number in the caller's department", body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, description = "the submitted source no longer checks against the catalogue in force", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn get_review(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(review_id): Path<String>,
    params: Result<Query<ReviewDetailParams>, QueryRejection>,
) -> Result<Json<ReviewDetailView>, ApiError> {
    state.require_review_reader(&caller)?;
    let review_id = parse_review_id(&review_id)?;
    let Query(params) = params?;
    let decisions = params.decisions.unwrap_or(200);
    if decisions > crate::service::preview::PREVIEW_DECISIONS_LIMIT {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("`decisions` is {decisions}; give 0 to 1000"),
        )
        .with_path("decisions"));
    }
    let detail = state.review_detail(&caller, review_id, decisions).await?;
    Ok(Json(ReviewDetailView {
        review: ReviewView::of(&detail.review),
        source: detail.review.submitted.source.clone(),
        base_version: detail.base_version,
        diff: detail.diff,
        impact: detail.impact,
        bundle_scenarios: detail.bundle_scenarios,
    }))
}

#[utoipa::path(post, path = "/v1/reviews/{review_id}/approve", tag = "review",
    params(("review_id" = i64, Path, minimum = 1)),
    request_body = VerdictRequest,
    responses(
        (status = 201, description = "approved and published (the whole publish path; the audit names the approver)", body = ApprovedResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reviewer of the department, or the submitter", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no longer pending, or a newer version was published meanwhile", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the publish is refused (scenarios, bundles, source)", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(review_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.require_reviewer(&caller)?;
    let review_id = parse_review_id(&review_id)?;
    let body = body?;
    let request: VerdictRequest = if body.is_empty() {
        VerdictRequest {
            comment: String::new(),
        }
    } else {
        parse_json(&body)?
    };
    let (review, published) = state
        .approve_review(&caller, review_id, request.comment)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApprovedResponse {
            review: ReviewView::of(&review),
            published: PublishResponse {
                version: VersionSummary::of(&published.document),
                scenarios_run: published.scenarios_run,
                cluster: super::cluster::PropagationView::of(&published.propagation),
            },
        }),
    )
        .into_response())
}

#[utoipa::path(post, path = "/v1/reviews/{review_id}/reject", tag = "review",
    params(("review_id" = i64, Path, minimum = 1)),
    request_body = VerdictRequest,
    responses(
        (status = 200, description = "rejected with the comment; nothing is published", body = ReviewView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a reviewer of the department, or the submitter", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "no longer pending", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "no comment", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(review_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReviewView>, ApiError> {
    state.require_reviewer(&caller)?;
    let review_id = parse_review_id(&review_id)?;
    let body = body?;
    let request: VerdictRequest = parse_json(&body)?;
    let review = state
        .reject_review(&caller, review_id, request.comment)
        .await?;
    Ok(Json(ReviewView::of(&review)))
}

#[utoipa::path(post, path = "/v1/format", tag = "publish",
    request_body = FormatRequest,
    responses(
        (status = 200, description = "the source in the canonical layout (`formatted` null when it does not parse)", body = FormatReport),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "the platform's token", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn format(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FormatReport>, ApiError> {
    state.require_check_rights(&caller)?;
    let body = body?;
    let request: FormatRequest = parse_json(&body)?;
    Ok(Json(state.format_draft(&request.source)))
}

#[utoipa::path(post, path = "/v1/policies/{id}/draft", tag = "publish",
    params(("id" = String, Path)),
    request_body = DraftRequest,
    responses(
        (status = 200, description = "the draft against each scenario (pass/fail, differences, rule results) and the decision of `evaluate`; nothing is stored", body = DraftReport),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "the draft has errors, or a scenario is invalid", body = ErrorBody),
        (status = 503, body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn run_draft(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DraftReport>, ApiError> {
    state.require_policy_rights(&caller, Action::Preview, &id)?;
    let body = body?;
    let request: DraftRequest = parse_json(&body)?;
    Ok(Json(
        state
            .run_draft(
                &caller,
                &id,
                request.source,
                uploads(request.scenarios),
                request.evaluate,
            )
            .await?,
    ))
}
