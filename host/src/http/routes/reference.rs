//! Reference data for apps: the catalogue with names, and a policy's form.
//! The shapes are built by `service::reference`; these handlers only check
//! the caller, read the query and pick the version in force.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::evaluate::{application_day, not_in_force};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::service::clock::{day_text, today_day};
use crate::service::reference::{CatalogueView, PolicyForm};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/catalogue", get(catalogue))
        .route("/v1/policies/{id}/form", get(form))
}

#[utoipa::path(get, path = "/v1/catalogue", tag = "policies",
    responses(
        (status = 200, description = "departments, shared datasets and materials with their names, and the working-day calendar", body = CatalogueView),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn catalogue(State(state): State<AppState>, _caller: Caller) -> Response {
    let registry = state.registry.load();
    Json(&*registry.catalogue_view).into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormParams {
    /// The application date (`YYYY-MM-DD`) whose version in force is
    /// described; today (China Standard Time) when left out.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    pub date: Option<String>,
}

#[utoipa::path(get, path = "/v1/policies/{id}/form", tag = "policies",
    params(("id" = String, Path), FormParams),
    responses(
        (status = 200, description = "every fact of the version in force: path, type, title, enum labels, list fields, who supplies it", body = PolicyForm),
        (status = 400, description = "`date` is not a date, or an unknown query parameter", body = super::super::openapi::ErrorBody),
        (status = 401, description = "no valid token", body = super::super::openapi::ErrorBody),
        (status = 404, description = "unknown policy", body = super::super::openapi::ErrorBody),
        (status = 422, description = "no version in force on that date", body = super::super::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn form(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    params: Result<Query<FormParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
    let (day, date) = match &params.date {
        Some(date) => (application_day(date, "date")?, date.clone()),
        None => (today_day(), day_text(today_day())),
    };
    let registry = state.registry.load();
    let version = registry
        .in_force(&id, day)
        .map_err(|reason| not_in_force(&id, &date, reason))?;
    let form = PolicyForm::of(version.loaded.manifest());
    Ok(Json(form).into_response())
}
