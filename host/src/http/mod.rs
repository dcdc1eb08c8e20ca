//! `yici serve`: the HTTP layer over the service layer (`crate::service`).
//! Handlers parse, call the service, and map its typed errors; this module
//! builds the router with its layers (request ids, trace spans, panics,
//! content type, timeouts, metrics) and runs the accept loop with its
//! connection hygiene (header-read and idle timeouts, a connection limit, a
//! shutdown deadline after which the decision log is stored and the process
//! exits).

pub mod auth;
pub mod error;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::service::decision_log::Writer;
use crate::service::metrics::{LatencyLabels, RequestLabels};
use crate::service::{StartError, open};
use auth::Tokens;
use error::{ApiError, ErrorCode};
use request_id::RequestId;
use routes::PolicyLabel;
use state::AppState;

/// Builds the whole router over `state` (tests call it too).
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let request_timeout = Duration::from_millis(state.config.http.request_timeout_ms);
    let body_timeout = Duration::from_millis(state.config.http.body_read_timeout_ms);
    let router = Router::new()
        .merge(routes::evaluate::router())
        .merge(routes::policies::router())
        .merge(routes::reviews::router())
        .merge(routes::console::router())
        .merge(routes::bundles::router())
        .merge(routes::catalogue::router())
        .merge(routes::reference::router())
        .merge(routes::check::router())
        .merge(routes::cluster::router())
        .merge(routes::interview::router())
        .merge(routes::guide::router(state.config.guide.enabled))
        .merge(routes::decisions::router())
        .merge(routes::operations::router(state.config.expose_parse_floor))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .fallback(|| async {
            ApiError::not_found(
                ErrorCode::NoRoute,
                "there is no such route; `GET /openapi.json` lists them all",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit));
    protect(router, request_timeout, body_timeout).with_state(state)
}

/// The layers every route has, outermost last: JSON content type, the
/// request timeout, the body timeout, panics answered as a 500, the trace
/// span, and the request id (outermost, so every other layer and the 500 of
/// a panic see it).
pub fn protect<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    request_timeout: Duration,
    body_timeout: Duration,
) -> Router<S> {
    router
        .layer(axum::middleware::from_fn(json_content_type))        .layer(axum::middleware::from_fn(move |request, next| {
            answer_within(request_timeout, request, next)
        }))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(CatchPanicLayer::custom(request_id::panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .extensions()
                .get::<RequestId>()
                .map_or("", |id| &id.0);
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(axum::middleware::from_fn(request_id::request_id))
}

/// A body, when there is one, must be JSON: `application/json` or a
/// `+json` type (a missing `Content-Type` is taken as JSON).
async fn json_content_type(request: Request, next: Next) -> Response {
    if let Some(value) = request.headers().get(header::CONTENT_TYPE) {
        let essence = value
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let has_body = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_none_or(|length| length != "0");
        if has_body && essence != "application/json" && !essence.ends_with("+json") {
            return ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                format!(
                    "the body is sent as `{}`; send JSON with `Content-Type: application/json`",
                    value.to_str().unwrap_or("?")
                ),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Every request is answered within `limit` (`http.request_timeout_ms`).
async fn answer_within(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Timeout,
            format!(
                "the request was not answered within {} ms (`http.request_timeout_ms`)",
                limit.as_millis()
            ),
        )
        .into_response(),
    }
}

/// Counts and times every routed request, by route, policy and status.
async fn observe(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = state
        .metrics
        .label(matched.as_ref().map_or("unmatched", MatchedPath::as_str));
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let policy = match response.extensions().get::<PolicyLabel>() {
        Some(label) => Arc::clone(&label.0),
        None => state.metrics.label(""),
    };
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: Arc::clone(&route),
            policy: Arc::clone(&policy),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&LatencyLabels {
            route: Arc::clone(&route),
            policy,
        })
        .observe(elapsed.as_secs_f64());
    response
}

/// A running service.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    writer: Writer,
    /// Follows the other nodes' changes (`service::cluster::follow`).
    follower: JoinHandle<()>,
}

impl Server {
    /// Opens the store, loads the policies, binds and starts serving.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let tokens = Tokens::new(&config.tokens);
        if tokens.is_empty() {
            tracing::warn!(
                "no tokens are configured: every API call will be refused with 401 (see docs/api.md)"
            );
        }
        let (service, writer) = open(config).await?;
        let state = AppState {
            service: Arc::new(service),
            tokens: Arc::new(tokens),
        };
        let addr = state.config.addr;
        let bind_error = |e: std::io::Error| StartError::Bind {
            addr,
            message: e.to_string(),
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        state
            .cluster
            .set_identity(state.config.cluster.node_id.as_deref(), addr);
        let (stop, stopped) = watch::channel(false);
        let follower = tokio::spawn(crate::service::cluster::follow(
            Arc::clone(&state.service),
            stopped.clone(),
        ));
        let router = app(state.clone());
        let task = tokio::spawn(serve(listener, router, state.config.http.clone(), stopped));
        tracing::info!(%addr, node = %state.cluster.node(), "serving");
        Ok(Server {
            addr,
            state,
            stop,
            task,
            writer,
            follower,
        })
    }

    /// Stops accepting, lets the requests in flight finish (for at most
    /// `http.shutdown_grace_ms`), stores every queued decision and closes
    /// the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the server task failed");
        }
        if let Err(error) = self.follower.await {
            tracing::error!(%error, "the cluster follower failed");
        }
        self.state.log.close().await;
        self.writer.finish().await;
        self.state.store.close().await;
        tracing::info!("stopped; every decision is stored");
    }
}

/// The accept loop: at most `max_connections` served at once, each with a
/// header-read and an idle timeout; on stop, graceful shutdown with a deadline.
async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    http: crate::config::HttpConfig,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(http.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(http.header_read_timeout_ms))
        .keep_alive(true);
    let idle = Duration::from_millis(http.idle_timeout_ms);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = stop_requested(&mut stopped) => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                Err(error) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop_requested(&mut stopped) => break,
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        // A connection that sends nothing for this long is closed; a
        // request in progress is bounded by the request and body timeouts,
        // both shorter.
        stream.set_read_timeout(Some(idle));
        let io = TokioIo::new(Box::pin(stream));
        // The guide's rate limit counts by the client's address.
        let client = routes::guide::ClientAddr(peer.ip());
        let service =
            hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                router.clone(),
                move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(client);
                    request
                },
            ));
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed");
            }
            drop(slot);
        });
    }
    drop(listener);
    let grace = Duration::from_millis(http.shutdown_grace_ms);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(
                grace_ms = http.shutdown_grace_ms,
                "requests still in flight at the shutdown deadline are dropped"
            );
        }
    }
}

/// Resolves once the server is asked to stop.
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(config: Config) -> Result<(), StartError> {
    let server = Server::start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A handler that panics is answered 500 with a body that names the
    /// request's id (the caller's, here), and the id comes back as a header.
    #[tokio::test]
    async fn a_panic_is_a_500_that_names_the_request() {
        async fn boom() -> &'static str {
            panic!("a bug in a handler")
        }
        let router = protect(
            Router::new().route("/boom", get(boom)),
            Duration::from_secs(5),
            Duration::from_secs(5),
        );
        let response = router
            .oneshot(
                Request::builder()
                    .uri("/boom")
                    .header("x-request-id", "trace-me-42")
                    .body(Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("an answer");
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers().get("x-request-id").map(|v| v.as_bytes()),
            Some(&b"trace-me-42"[..])
        );
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("a body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["code"], "internal");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("`trace-me-42`")),
            "{body}"
        );
    }
}
