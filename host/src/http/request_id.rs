//! Each request's id: the caller's `x-request-id` when it sends a usable
//! one, else one made here. It is set on the request (for the trace span and
//! the handlers), returned on the response, logged and stored with the
//! decision. A panic in a handler becomes a 500 that names it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

pub const HEADER: &str = "x-request-id";

/// The longest request id taken from a caller.
const LONGEST: usize = 128;

/// A request's id.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// Set on a response by the panic handler.
#[derive(Debug, Clone, Copy)]
pub struct Panicked;

/// A caller's id is kept when it is 1–128 visible ASCII characters.
fn usable(value: &HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    (!text.is_empty() && text.len() <= LONGEST && text.bytes().all(|b| b.is_ascii_graphic()))
        .then_some(text)
}

/// `yici-<process start, hex>-<counter>`: unique within a process and across
/// restarts (the start time differs).
fn made() -> Arc<str> {
    static STARTED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let started = *STARTED
        .get_or_init(|| u64::try_from(crate::service::clock::now_micros()).unwrap_or_default());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Arc::from(format!("yici-{started:x}-{n}"))
}

/// The middleware: takes or makes the id, and answers a panic with it.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(usable)
        .map(Arc::<str>::from)
        .unwrap_or_else(made);
    let header = HeaderValue::from_str(&id).ok();
    if let Some(header) = &header {
        request.headers_mut().insert(HEADER, header.clone());
    }
    request.extensions_mut().insert(RequestId(Arc::clone(&id)));
    let mut response = next.run(request).await;
    if response.extensions().get::<Panicked>().is_some() {
        tracing::error!(request_id = %id, "a handler panicked");
        response = ApiError::internal_for(&id).into_response();
    }
    if let Some(header) = header {
        response.headers_mut().insert(HEADER, header);
    }
    response
}

/// The panic handler of `CatchPanicLayer`: the cause goes to the log; the
/// response is marked so that [`request_id`] names the request.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    tracing::error!(%cause, "panic in a handler");
    let mut response = ApiError::internal_for("").into_response();
    response.extensions_mut().insert(Panicked);
    response
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<RequestId, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(made())))
    }
}
