//! For operators: liveness, readiness, Prometheus metrics, the OpenAPI
//! document, and (when configured) the load benchmark's parse-only floor.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::super::error::{ApiError, parse_json};
use super::super::state::AppState;

pub fn router(expose_parse_floor: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi));
    if expose_parse_floor {
        router.route("/v1/_floor/parse", post(parse_floor))
    } else {
        router
    }
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "the process is up")))]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "the store answers and policies are loaded"),
        (status = 503, description = "not ready; the body says why"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let policies = state.registry.load().policies.len();
    match state.store.is_empty().await {
        Ok(_) => Json(json!({
            "status": "ready",
            "policies": policies,
            "decision_log_queue": state.log.queued(),
            "heavy_jobs": state.heavy.admitted(),
        }))
        .into_response(),
        Err(error) => {
            tracing::error!(%error, "readiness: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": "the store does not answer"})),
            )
                .into_response()
        }
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8")))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    state
        .metrics
        .decision_queue
        .set(i64::try_from(state.log.queued()).unwrap_or(i64::MAX));
    let text = state.metrics.render().map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "this document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::super::openapi::document())
}

/// Parses an evaluation body and nothing more: the load benchmark's floor.
pub async fn parse_floor(body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let body = body?;
    let parsed: serde_json::Value = parse_json(&body)?;
    Ok(Json(json!({"fields": parsed.as_object().map_or(0, serde_json::Map::len)})).into_response())
}
