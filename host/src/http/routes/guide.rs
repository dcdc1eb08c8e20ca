//! The citizen guide (掌上办) at `/guide/`: its page, style sheet and script
//! (embedded in the binary, served with an ETag of their content and cached
//! for a year under a `?v=` of that hash), and its open JSON endpoints — no
//! token, a rate limit per client address (`guide.rate_limit_per_minute`,
//! 429 `rate_limited`). The endpoints call the same service functions as
//! `/v1`: the service pages (`service::guide`), the interviews and the
//! screener (`routes::interview`). Nothing a citizen answers is stored.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};

use super::interview::{run_bundle, run_policy, run_screen};
use crate::http::error::{ApiError, ErrorCode};
use crate::http::state::AppState;
use crate::service::clock::{now_micros, today_day};
use crate::service::guide::{bundle_page, policy_page, services};

/// The client's address, set per connection by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

pub fn router(enabled: bool) -> Router<AppState> {
    if !enabled {
        return Router::new();
    }
    Router::new()
        .route("/guide", get(|| async { Redirect::permanent("/guide/") }))
        .route("/guide/", get(index))
        .route("/guide/static/{file}", get(asset))
        .route("/guide/api/services", get(list))
        .route("/guide/api/services/{id}", get(page))
        .route("/guide/api/policies/{id}/interview", post(policy_interview))
        .route("/guide/api/bundles/{id}/interview", post(bundle_interview))
        .route("/guide/api/screen", post(screen))
}

/// An embedded file with its content hash.
struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    hash: String,
}

impl Asset {
    fn new(bytes: &'static [u8], content_type: &'static str) -> Asset {
        let hash = hex::encode(&Sha256::digest(bytes)[..8]);
        Asset {
            bytes,
            content_type,
            hash,
        }
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../guide/guide.css"),
        "text/css; charset=utf-8",
    )
});
static JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../guide/guide.js"),
        "text/javascript; charset=utf-8",
    )
});
/// The page, with the assets' addresses carrying their hashes.
static INDEX: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = include_str!("../guide/index.html")
        .replace("{{css}}", &format!("static/guide.css?v={}", CSS.hash))
        .replace("{{js}}", &format!("static/guide.js?v={}", JS.hash));
    let hash = hex::encode(&Sha256::digest(page.as_bytes())[..8]);
    (page, hash)
});

fn served(
    headers: &HeaderMap,
    bytes: &'static [u8],
    content_type: &'static str,
    hash: &str,
    cache: &'static str,
) -> Response {
    let etag = format!("\"{hash}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

async fn index(headers: HeaderMap) -> Response {
    let (page, hash) = &*INDEX;
    served(
        &headers,
        page.as_bytes(),
        "text/html; charset=utf-8",
        hash,
        "no-cache",
    )
}

async fn asset(headers: HeaderMap, Path(file): Path<String>) -> Response {
    let asset = match file.as_str() {
        "guide.css" => &*CSS,
        "guide.js" => &*JS,
        _ => {
            return ApiError::not_found(ErrorCode::NoRoute, format!("the guide has no `{file}`"))
                .into_response();
        }
    };
    served(
        &headers,
        asset.bytes,
        asset.content_type,
        &asset.hash,
        "public, max-age=31536000, immutable",
    )
}

fn limited(state: &AppState, client: Option<ClientAddr>) -> Result<(), ApiError> {
    let address = client.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0);
    state
        .guide_limit
        .check(address, now_micros())
        .map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("请求过于频繁，请在 {wait} 秒后再试"),
            )
            .with_detail("retry_after", serde_json::json!(wait))
        })
}

async fn list(State(state): State<AppState>) -> Response {
    let registry = state.registry.load();
    Json(services(&registry, today_day())).into_response()
}

async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let registry = state.registry.load();
    let day = today_day();
    if let Ok(version) = registry.in_force(&id, day) {
        return Ok(Json(policy_page(&registry, version.loaded.manifest())).into_response());
    }
    if let Some(page) = bundle_page(&registry, &id, day) {
        return Ok(Json(page).into_response());
    }
    Err(ApiError::not_found(
        ErrorCode::UnknownPolicy,
        format!("没有在施行的事项 `{id}`"),
    ))
}

async fn policy_interview(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientAddr>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    limited(&state, client.map(|c| c.0))?;
    let body = body?;
    Ok(Json(run_policy(&state, &id, &body, true)?).into_response())
}

async fn bundle_interview(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientAddr>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    limited(&state, client.map(|c| c.0))?;
    let body = body?;
    Ok(Json(run_bundle(&state, &id, &body, true)?).into_response())
}

async fn screen(
    State(state): State<AppState>,
    client: Option<axum::Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    limited(&state, client.map(|c| c.0))?;
    let body = body?;
    Ok(Json(run_screen(&state, &body, true)?).into_response())
}
