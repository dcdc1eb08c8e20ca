//! The officers' console at `/console/`: one page, its script and style
//! sheet and the CodeMirror bundle, embedded in the binary (no Node at
//! build or run time). The assets are addressed by their content hash
//! (`/console/assets/app.3f9c….js`), cached for a year as immutable, and
//! sent gzip-compressed to a browser that accepts it (compressed once, at
//! first use); the page itself is revalidated (`no-cache`, ETag). The
//! console calls the `/v1` API with the department's token, which it keeps
//! in session storage — never in an address.

use std::io::Write;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::super::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/assets/{file}", get(asset))
}

/// An embedded file, its content hash and its gzip form.
#[derive(Debug)]
pub struct Asset {
    /// `app`, `app` (css) or `codemirror`.
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    pub hash: String,
    gzip: Vec<u8>,
}

impl Asset {
    fn new(
        stem: &'static str,
        extension: &'static str,
        content_type: &'static str,
        bytes: &'static [u8],
    ) -> Asset {
        Asset {
            stem,
            extension,
            content_type,
            bytes,
            hash: hex::encode(&Sha256::digest(bytes)[..6]),
            gzip: gzip(bytes),
        }
    }

    /// The asset's address under `/console/assets/`.
    pub fn file_name(&self) -> String {
        format!("{}.{}.{}", self.stem, self.hash, self.extension)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    if encoder.write_all(bytes).is_err() {
        return Vec::new();
    }
    encoder.finish().unwrap_or_default()
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        Asset::new(
            "app",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/console/app.js"),
        ),
        Asset::new(
            "app",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../../../assets/console/app.css"),
        ),
        Asset::new(
            "codemirror",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/console/vendor/codemirror.js"),
        ),
    ]
});

/// The page with its assets' hashed addresses.
static INDEX: LazyLock<Asset> = LazyLock::new(|| {
    let mut page = include_str!("../../../assets/console/index.html").to_string();
    for asset in ASSETS.iter() {
        page = page.replace(
            &format!("{{{{{}.{}}}}}", asset.stem, asset.extension),
            &format!("assets/{}", asset.file_name()),
        );
    }
    let bytes: &'static [u8] = Box::leak(page.into_boxed_str()).as_bytes();
    Asset::new("index", "html", "text/html; charset=utf-8", bytes)
});

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

fn serve(headers: &HeaderMap, asset: &'static Asset, cache: &'static str) -> Response {
    let etag = format!("\"{}\"", asset.hash);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let gzipped = accepts_gzip(headers) && !asset.gzip.is_empty();
    let body: &'static [u8] = if gzipped { &asset.gzip } else { asset.bytes };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    response
}

async fn index(headers: HeaderMap) -> Response {
    serve(&headers, &INDEX, "no-cache")
}

async fn asset(headers: HeaderMap, Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.file_name() == file) {
        Some(asset) => serve(&headers, asset, "public, max-age=31536000, immutable"),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "没有这个文件：控制台已更新，请刷新页面",
        )
            .into_response(),
    }
}
