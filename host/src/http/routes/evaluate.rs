//! Evaluation: one application against a policy, a batch of them, or one
//! against a bundle (一件事). The version in force is chosen by the
//! application date; every decision goes to the decision log.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::super::auth::Caller;
use super::super::error::{ApiError, ErrorCode, join_path, parse_json_borrowed};
use super::super::request_id::RequestId;
use super::super::state::AppState;
use super::PolicyLabel;
use crate::service::clock::now_micros;
use crate::service::decision_log::NotStored;
use crate::service::metrics::{Label, Outcome};
use crate::service::registry::{NotInForce, PolicyVersion, Registry};
use crate::store::{DecisionRecord, Kind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/policies/{id}/evaluate", post(evaluate))
        .route("/v1/evaluate/batch", post(evaluate_batch))
        .route("/v1/bundles/{id}/evaluate", post(evaluate_bundle))
}

/// `{application_date, facts, shared_available}`; `facts` is kept as the raw
/// bytes the engine encodes from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest<'a> {
    /// `YYYY-MM-DD`; chooses the version in force.
    #[serde(borrow)]
    #[schema(value_type = String, format = Date, example = "2026-03-01")]
    pub application_date: Cow<'a, str>,
    /// The applicant's facts, by name or nested.
    #[serde(borrow)]
    #[schema(value_type = Object)]
    pub facts: &'a RawValue,
    /// Shared datasets the government can fetch for this applicant.
    #[serde(default, borrow)]
    #[schema(value_type = Vec<String>)]
    pub shared_available: Vec<Cow<'a, str>>,
}

/// `{evaluations: [{policy, application_date, facts, shared_available}]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest<'a> {
    #[serde(borrow)]
    pub evaluations: Vec<BatchItem<'a>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItem<'a> {
    /// The policy id.
    #[serde(borrow)]
    #[schema(value_type = String)]
    pub policy: Cow<'a, str>,
    /// `YYYY-MM-DD`; an item with a bad date gets its own error in the results.
    #[serde(borrow)]
    #[schema(value_type = String)]
    pub application_date: Cow<'a, str>,
    /// An object (else the whole batch is a 400); facts that do not fit the
    /// policy get the item its own error in the results.
    #[serde(borrow)]
    #[schema(value_type = Object)]
    pub facts: &'a RawValue,
    #[serde(default, borrow)]
    #[schema(value_type = Vec<String>)]
    pub shared_available: Vec<Cow<'a, str>>,
}

pub(super) fn application_day(date: &str, path: &str) -> Result<i64, ApiError> {
    engine::encode::parse_date(date).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidRequest,
            format!("`{date}` is not a date; write `YYYY-MM-DD`"),
        )
        .with_path(path)
    })
}

pub(super) fn not_in_force(id: &str, date: &str, reason: NotInForce) -> ApiError {
    match reason {
        NotInForce::UnknownPolicy => ApiError::not_found(
            ErrorCode::UnknownPolicy,
            format!("there is no policy `{id}`"),
        ),
        NotInForce::NotYet(Some(first)) => ApiError::unprocessable(
            ErrorCode::NoVersionInForce,
            format!(
                "no version of `{id}` is in force on {date}; the earliest takes effect on {first}"
            ),
        )
        .with_path("application_date"),
        NotInForce::NotYet(None) => ApiError::unprocessable(
            ErrorCode::NoVersionInForce,
            format!("every version of `{id}` has been withdrawn"),
        ),
    }
}

/// The request as the log keeps it (only when facts are kept).
fn kept_request(date: &str, facts: &str, shared: &[Cow<'_, str>]) -> String {
    let shared = serde_json::to_string(shared).unwrap_or_else(|_| "[]".into());
    let date = serde_json::to_string(date).unwrap_or_else(|_| "\"\"".into());
    format!("{{\"application_date\":{date},\"facts\":{facts},\"shared_available\":{shared}}}")
}

fn outcome(eligibility: engine::Eligibility) -> Outcome {
    match eligibility {
        engine::Eligibility::Eligible => Outcome::Eligible,
        engine::Eligibility::Ineligible => Outcome::Ineligible,
        engine::Eligibility::Undetermined => Outcome::Undetermined,
    }
}

fn eligibility_text(eligibility: engine::Eligibility) -> &'static str {
    outcome(eligibility).as_str()
}

/// The SHA-256 of the facts' JSON as sent, in lowercase hex.
fn facts_sha256(facts: &str) -> String {
    // `hex::encode` goes through a char iterator, which showed in the
    // profile of every evaluation; two table lookups a byte do not.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(facts.as_bytes()) {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

/// The decision log's record of one evaluation.
fn log_record(
    state: &AppState,
    (kind, id, version): (Kind, &str, i64),
    asked: (&str, &str, &[Cow<'_, str>]),
    eligibility: &str,
    request_id: &RequestId,
) -> DecisionRecord {
    let (date, facts, shared) = asked;
    DecisionRecord {
        at: now_micros(),
        kind,
        policy_id: id.to_string(),
        version,
        hash: String::new(), // the store knows it from the version
        application_date: date.to_string(),
        eligibility: eligibility.to_string(),
        facts_sha256: facts_sha256(facts),
        request: state
            .config
            .decision_log
            .keep_facts
            .then(|| kept_request(date, facts, shared)),
        request_id: Some(request_id.0.to_string()),
    }
}

/// Every `shared_available` id must be a dataset of the catalogue: a
/// misspelt one would turn a material the government fetches into one the
/// applicant must bring.
fn check_shared(
    registry: &Registry,
    shared: &[Cow<'_, str>],
    path_prefix: &str,
) -> Result<(), ApiError> {
    if registry.datasets.is_empty() {
        return Ok(());
    }
    for (index, dataset) in shared.iter().enumerate() {
        if !registry.datasets.contains(dataset.as_ref()) {
            let suggestion = registry
                .datasets
                .iter()
                .min_by_key(|known| strsim::levenshtein(known, dataset))
                .filter(|known| strsim::levenshtein(known, dataset) <= 3)
                .map(|known| format!(" (did you mean `{known}`?)"))
                .unwrap_or_default();
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidRequest,
                format!("`{dataset}` is not a shared dataset of the catalogue{suggestion}"),
            )
            .with_path(join_path(
                path_prefix,
                &format!("shared_available[{index}]"),
            )));
        }
    }
    Ok(())
}

fn not_stored(_: NotStored) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::DecisionNotStored,
        "the decision was made but could not be stored in the decision log, so it is not \
         given; try again",
    )
}

/// Evaluates one application: the decision as JSON bytes.
#[expect(
    clippy::too_many_arguments,
    reason = "the request's parts are borrowed from the body as read; a struct would only rename them"
)]
fn evaluate_one(
    state: &AppState,
    registry: &Registry,
    id: &str,
    date: &str,
    facts: &RawValue,
    shared: &[Cow<'_, str>],
    path_prefix: &str,
    request_id: &RequestId,
) -> Result<Answered, ApiError> {
    let day = application_day(date, &join_path(path_prefix, "application_date"))?;
    check_shared(registry, shared, path_prefix)?;
    let version = registry
        .in_force(id, day)
        .map_err(|reason| not_in_force(id, date, reason))?;
    let shared_refs: Vec<&str> = shared.iter().map(AsRef::as_ref).collect();
    let started = Instant::now();
    let result = version.loaded.session().and_then(|mut session| {
        let meta = session.encode_facts(facts.get().as_bytes(), date, &shared_refs)?;
        session.run()?;
        Ok(written(&session, &meta))
    });
    let asked = Asked {
        id,
        date,
        facts: facts.get(),
        shared,
        path_prefix,
        request_id,
    };
    answer(state, version, &asked, started, result)
}

/// The decision of a run, as JSON straight from the instance's memory.
fn written(
    session: &engine::Session<'_>,
    meta: &engine::RequestMeta,
) -> (engine::Eligibility, Vec<u8>) {
    let mut body = Vec::with_capacity(DECISION_CAPACITY);
    let eligibility = session.write_json(meta, &mut body);
    (eligibility, body)
}

/// The fast path of a single evaluation: when the body names its date before
/// its facts (as the platform sends it) and the log keeps no requests, the
/// engine reads the whole body once, without the envelope being parsed
/// first. `None` sends the request down the ordinary path — also for every
/// mistake in it, so errors read exactly as they always have.
fn evaluate_whole(
    state: &AppState,
    registry: &Registry,
    id: &str,
    body: &[u8],
    request_id: &RequestId,
) -> Option<Result<Answered, ApiError>> {
    if state.config.decision_log.keep_facts {
        return None;
    }
    let date = engine::encode::application_date(body)?;
    let day = application_day(date, "application_date").ok()?;
    let version = registry.in_force(id, day).ok()?;
    let started = Instant::now();
    let mut session = version.loaded.session().ok()?;
    let meta = session.encode(body).ok()?;
    // An id that is no dataset of this policy may be a catalogue's or a
    // typo: the ordinary path tells them apart.
    if meta.foreign_datasets > 0 {
        return None;
    }
    // The ordinary path requires `facts` (the engine alone would read a
    // request without it as no facts).
    let facts = std::str::from_utf8(body.get(meta.facts.clone()?)?).ok()?;
    let result = session.run().map(|()| written(&session, &meta));
    let asked = Asked {
        id,
        date,
        facts,
        shared: &[],
        path_prefix: "",
        request_id,
    };
    Some(answer(state, version, &asked, started, result))
}

/// What an evaluation was asked, for its metrics, errors and log record.
struct Asked<'a> {
    id: &'a str,
    date: &'a str,
    /// The facts' JSON as sent (hashed for the log).
    facts: &'a str,
    shared: &'a [Cow<'a, str>],
    path_prefix: &'a str,
    request_id: &'a RequestId,
}

/// One evaluation answered.
struct Answered {
    /// The decision's JSON.
    body: Vec<u8>,
    record: DecisionRecord,
    /// The policy's metric label, for the response.
    label: Label,
}

/// A decision is 1–3 KB of JSON; one allocation instead of a doubling series.
const DECISION_CAPACITY: usize = 4096;

/// The engine's result (the eligibility and the decision's JSON) with its
/// log record, counted.
fn answer(
    state: &AppState,
    version: &PolicyVersion,
    asked: &Asked<'_>,
    started: Instant,
    result: Result<(engine::Eligibility, Vec<u8>), engine::EvalError>,
) -> Result<Answered, ApiError> {
    let metrics = state.metrics.policy(asked.id);
    metrics.evaluation.observe(started.elapsed().as_secs_f64());
    let (eligible, body) = match result {
        Ok(written) => written,
        Err(error) => {
            metrics.count(Outcome::Error);
            if !error.is_input_error() {
                tracing::warn!(policy = asked.id, version = version.document.version, %error, "evaluation failed");
            }
            // The engine's paths start at `facts`.
            return Err(ApiError::from_eval(
                &error,
                asked.path_prefix,
                state.config.lang,
            ));
        }
    };
    let eligibility = eligibility_text(eligible);
    metrics.count(outcome(eligible));
    let record = log_record(
        state,
        (Kind::Policy, asked.id, version.document.version),
        (asked.date, asked.facts, asked.shared),
        eligibility,
        asked.request_id,
    );
    Ok(Answered {
        body,
        record,
        label: Arc::clone(&metrics.label),
    })
}

pub(super) fn json_response(body: Vec<u8>, policy: Label) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    response.extensions_mut().insert(PolicyLabel(policy));
    response
}

#[utoipa::path(
    post, path = "/v1/policies/{id}/evaluate", tag = "evaluate",
    params(("id" = String, Path, description = "policy id, e.g. `hz.residence_permit`")),
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "the decision", body = engine::Decision),
        (status = 400, description = "malformed JSON, or a field missing or of the wrong type", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown policy", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "facts that do not fit the policy (`invalid_facts`, with its path), an unknown dataset, no version in force, or the policy exceeded its limits", body = super::super::openapi::ErrorBody),
        (status = 503, description = "the decision could not be stored (`decision_not_stored`)", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate(
    State(state): State<AppState>,
    _caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let registry = state.registry.load();
    if let Some(outcome) = evaluate_whole(&state, &registry, &id, &body, &request_id) {
        let answered = outcome?;
        state
            .log
            .record(answered.record)
            .await
            .map_err(not_stored)?;
        return Ok(json_response(answered.body, answered.label));
    }
    let request: EvaluateRequest<'_> = parse_json_borrowed(&body)?;
    let answered = evaluate_one(
        &state,
        &registry,
        &id,
        &request.application_date,
        request.facts,
        &request.shared_available,
        "",
        &request_id,
    )?;
    state
        .log
        .record(answered.record)
        .await
        .map_err(not_stored)?;
    Ok(json_response(answered.body, answered.label))
}

#[utoipa::path(
    post, path = "/v1/evaluate/batch", tag = "evaluate",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "`{results: [{decision} | {error}]}`, in request order", body = super::super::openapi::BatchResponseDoc),
        (status = 400, description = "malformed JSON", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "more evaluations than `batch_limit`, or an answer over `batch_response_limit_bytes`", body = super::super::openapi::ErrorBody),
        (status = 503, description = "busy (`busy`), or the decisions could not be stored (`decision_not_stored`)", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate_batch(
    State(state): State<AppState>,
    _caller: Caller,
    request_id: RequestId,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    // A batch can take seconds: it runs on the heavy pool, never on the
    // async workers.
    let job_state = state.clone();
    let (out, records) = state
        .heavy
        .run(move || evaluate_batch_body(&job_state, &body, &request_id))
        .await??;
    state.log.record_all(records).await.map_err(not_stored)?;
    Ok(json_response(out, state.metrics.label("")))
}

/// A batch's response and its log records.
fn evaluate_batch_body(
    state: &AppState,
    body: &[u8],
    request_id: &RequestId,
) -> Result<(Vec<u8>, Vec<DecisionRecord>), ApiError> {
    let request: BatchRequest<'_> = parse_json_borrowed(body)?;
    let limit = state.config.batch_limit;
    if request.evaluations.len() > limit {
        return Err(ApiError::unprocessable(
            ErrorCode::BatchTooLarge,
            format!(
                "the batch has {} evaluations; the limit is {limit}",
                request.evaluations.len()
            ),
        )
        .with_path("evaluations"));
    }
    // The envelope's schema: every item's facts an object.
    for (index, item) in request.evaluations.iter().enumerate() {
        if !item.facts.get().starts_with('{') {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidRequest,
                "`facts` must be an object of the applicant's facts",
            )
            .with_path(format!("evaluations[{index}].facts")));
        }
    }
    let response_limit = state.config.limits.batch_response_limit_bytes;
    // One registry for the whole batch: every item sees the same versions.
    let registry = state.registry.load();
    let mut out = Vec::with_capacity((request.evaluations.len() * 1024 + 16).min(response_limit));
    out.extend_from_slice(b"{\"results\":[");
    let mut records = Vec::with_capacity(request.evaluations.len());
    for (index, item) in request.evaluations.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let prefix = format!("evaluations[{index}]");
        match evaluate_one(
            state,
            &registry,
            &item.policy,
            &item.application_date,
            item.facts,
            &item.shared_available,
            &prefix,
            request_id,
        ) {
            Ok(answered) => {
                out.extend_from_slice(b"{\"decision\":");
                out.extend_from_slice(&answered.body);
                out.push(b'}');
                records.push(answered.record);
            }
            Err(error) => {
                out.extend_from_slice(b"{\"error\":");
                out.extend_from_slice(error.body().to_string().as_bytes());
                out.push(b'}');
            }
        }
        if out.len() > response_limit {
            // Nothing is answered, so nothing is logged.
            return Err(ApiError::unprocessable(
                ErrorCode::BatchResponseTooLarge,
                format!(
                    "the answers to the first {} evaluations already exceed {response_limit} \
                     bytes (`limits.batch_response_limit_bytes`); send smaller batches",
                    index + 1
                ),
            )
            .with_path("evaluations"));
        }
    }
    out.extend_from_slice(b"]}");
    Ok((out, records))
}

#[utoipa::path(
    post, path = "/v1/bundles/{id}/evaluate", tag = "evaluate",
    params(("id" = String, Path, description = "bundle id, e.g. `zj.birth_bundle`")),
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "the bundle's decision: each member's, the merged materials and steps, visits", body = Object),
        (status = 400, description = "malformed JSON, or a field missing or of the wrong type", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown bundle", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 415, description = "a body that is not `application/json`", body = super::super::openapi::ErrorBody),
        (status = 422, description = "a member has no version in force, or facts that do not fit the members (`invalid_facts`)", body = super::super::openapi::ErrorBody),
        (status = 503, description = "the decision could not be stored (`decision_not_stored`)", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate_bundle(
    State(state): State<AppState>,
    _caller: Caller,
    request_id: RequestId,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let request: EvaluateRequest<'_> = parse_json_borrowed(&body)?;
    let registry = state.registry.load();
    let day = application_day(&request.application_date, "application_date")?;
    check_shared(&registry, &request.shared_available, "")?;
    let entry = registry.bundles.get(id.as_str()).ok_or_else(|| {
        if registry.bundle_versions.contains_key(id.as_str()) {
            let why = if registry.newest_active_bundle(&id).is_some() {
                "its newest active version did not build at start-up (the service's log says why)"
            } else {
                "every version is withdrawn"
            };
            ApiError::unprocessable(
                ErrorCode::NoVersionInForce,
                format!("bundle `{id}` has no version in force: {why}"),
            )
        } else {
            ApiError::not_found(
                ErrorCode::UnknownBundle,
                format!("there is no bundle `{id}`"),
            )
        }
    })?;
    let mut members = Vec::new();
    for member in &entry.built.plan().members {
        let version = registry
            .in_force(member, day)
            .map_err(|reason| not_in_force(member, &request.application_date, reason))?;
        members.push(Arc::clone(&version.loaded));
    }
    let bundle = entry.built.with_members(members);
    let decision = bundle
        .evaluate(&body)
        .map_err(|error| ApiError::from_eval(&error, "", state.config.lang))?;
    let bundle_outcome = match decision.eligibility {
        engine::BundleEligibility::Eligible => Outcome::Eligible,
        engine::BundleEligibility::Ineligible => Outcome::Ineligible,
        engine::BundleEligibility::Undetermined => Outcome::Undetermined,
        engine::BundleEligibility::Partial => Outcome::Partial,
    };
    let eligibility = bundle_outcome.as_str();
    let metrics = state.metrics.policy(&id);
    metrics.count(bundle_outcome);
    let json = serde_json::to_vec(&decision).map_err(ApiError::internal)?;
    let record = log_record(
        &state,
        (Kind::Bundle, &id, entry.document.version),
        (
            &request.application_date,
            request.facts.get(),
            &request.shared_available,
        ),
        eligibility,
        &request_id,
    );
    state.log.record(record).await.map_err(not_stored)?;
    Ok(json_response(json, Arc::clone(&metrics.label)))
}
