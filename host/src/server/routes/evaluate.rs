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
use super::super::error::{ApiError, join_path, parse_json_borrowed};
use super::super::metrics::{Label, Outcome};
use super::super::state::{AppState, NotInForce, PolicyVersion, Registry};
use super::PolicyLabel;
use crate::store::DecisionRecord;

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
    #[serde(borrow)]
    #[schema(value_type = String, format = Date)]
    pub application_date: Cow<'a, str>,
    #[serde(borrow)]
    #[schema(value_type = Object)]
    pub facts: &'a RawValue,
    #[serde(default, borrow)]
    #[schema(value_type = Vec<String>)]
    pub shared_available: Vec<Cow<'a, str>>,
}

pub(crate) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

pub(super) fn application_day(date: &str, path: &str) -> Result<i64, ApiError> {
    engine::encode::parse_date(date).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_request",
            format!("`{date}` is not a date; write `YYYY-MM-DD`"),
        )
        .with_path(path)
    })
}

pub(super) fn not_in_force(id: &str, date: &str, reason: NotInForce) -> ApiError {
    match reason {
        NotInForce::UnknownPolicy => {
            ApiError::not_found("unknown_policy", format!("there is no policy `{id}`"))
        }
        NotInForce::NotYet(Some(first)) => ApiError::unprocessable(
            "no_version_in_force",
            format!(
                "no version of `{id}` is in force on {date}; the earliest takes effect on {first}"
            ),
        )
        .with_path("application_date"),
        NotInForce::NotYet(None) => ApiError::unprocessable(
            "no_version_in_force",
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
    (id, version): (&str, i64),
    date: &str,
    facts: &str,
    shared: &[Cow<'_, str>],
    eligibility: &str,
) -> DecisionRecord {
    DecisionRecord {
        at: now_micros(),
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
    }
}

/// Evaluates one application: the decision as JSON bytes.
fn evaluate_one(
    state: &AppState,
    registry: &Registry,
    id: &str,
    date: &str,
    facts: &RawValue,
    shared: &[Cow<'_, str>],
    path_prefix: &str,
) -> Result<Answered, ApiError> {
    let day = application_day(date, &join_path(path_prefix, "application_date"))?;
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
    };
    answer(state, version, &asked, started, result)
}

/// The decision of a run, as JSON straight from the instance's memory.
fn written(
    session: &engine::Session<'_>,
    meta: &engine::encode::RequestMeta,
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
            return Err(ApiError::from_eval(&error, asked.path_prefix));
        }
    };
    let eligibility = eligibility_text(eligible);
    metrics.count(outcome(eligible));
    let record = log_record(
        state,
        (asked.id, version.document.version),
        asked.date,
        asked.facts,
        asked.shared,
        eligibility,
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
        (status = 200, description = "the decision", body = super::super::openapi::DecisionDoc),
        (status = 400, description = "malformed JSON or a wrong fact, with its path", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown policy", body = super::super::openapi::ErrorBody),
        (status = 413, description = "body over the limit", body = super::super::openapi::ErrorBody),
        (status = 422, description = "no version in force, or the policy exceeded its limits", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let registry = state.registry.load();
    if let Some(outcome) = evaluate_whole(&state, &registry, &id, &body) {
        let answered = outcome?;
        state.log.record(answered.record).await;
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
    )?;
    state.log.record(answered.record).await;
    Ok(json_response(answered.body, answered.label))
}

#[utoipa::path(
    post, path = "/v1/evaluate/batch", tag = "evaluate",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "`{results: [{decision} | {error}]}`, in request order", body = super::super::openapi::BatchResponseDoc),
        (status = 400, description = "malformed JSON", body = super::super::openapi::ErrorBody),
        (status = 422, description = "more evaluations than `batch_limit`", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate_batch(
    State(state): State<AppState>,
    _caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let request: BatchRequest<'_> = parse_json_borrowed(&body)?;
    let limit = state.config.batch_limit;
    if request.evaluations.len() > limit {
        return Err(ApiError::unprocessable(
            "batch_too_large",
            format!(
                "the batch has {} evaluations; the limit is {limit}",
                request.evaluations.len()
            ),
        )
        .with_path("evaluations"));
    }
    // One registry for the whole batch: every item sees the same versions.
    let registry = state.registry.load();
    let mut out = Vec::with_capacity(request.evaluations.len() * 1024 + 16);
    out.extend_from_slice(b"{\"results\":[");
    let mut records = Vec::with_capacity(request.evaluations.len());
    for (index, item) in request.evaluations.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let prefix = format!("evaluations[{index}]");
        match evaluate_one(
            &state,
            &registry,
            &item.policy,
            &item.application_date,
            item.facts,
            &item.shared_available,
            &prefix,
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
    }
    out.extend_from_slice(b"]}");
    for record in records {
        state.log.record(record).await;
    }
    Ok(json_response(out, state.metrics.label("")))
}

#[utoipa::path(
    post, path = "/v1/bundles/{id}/evaluate", tag = "evaluate",
    params(("id" = String, Path, description = "bundle id, e.g. `zj.birth_bundle`")),
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "the bundle's decision: each member's, the merged materials and steps, visits", body = Object),
        (status = 400, description = "malformed JSON or a wrong fact", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown bundle", body = super::super::openapi::ErrorBody),
        (status = 422, description = "a member has no version in force", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn evaluate_bundle(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let request: EvaluateRequest<'_> = parse_json_borrowed(&body)?;
    let registry = state.registry.load();
    let day = application_day(&request.application_date, "application_date")?;
    let entry = registry.bundles.get(id.as_str()).ok_or_else(|| {
        ApiError::not_found("unknown_bundle", format!("there is no bundle `{id}`"))
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
        .map_err(|error| ApiError::from_eval(&error, ""))?;
    let eligibility = eligibility_text(decision.eligibility);
    let metrics = state.metrics.policy(&id);
    metrics.count(outcome(decision.eligibility));
    let json = serde_json::to_vec(&decision).map_err(ApiError::internal)?;
    let record = log_record(
        &state,
        (&id, entry.document.version),
        &request.application_date,
        request.facts.get(),
        &request.shared_available,
        eligibility,
    );
    state.log.record(record).await;
    Ok(json_response(json, Arc::clone(&metrics.label)))
}
