//! `yici serve`: the HTTP service. Start-up opens the store (publishing the
//! repository's `policies/` on first start), loads every stored version into
//! the engine and serves the routes; shutdown finishes the requests in
//! flight, then stores every queued decision before the process ends.

pub mod auth;
pub mod decision_log;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
pub mod routes;
pub mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use engine::{Engine, Limits};
use rules_dsl::check::FileKind;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::project;
use crate::store::sqlite::SqliteStore;
use crate::store::{Document, Kind, ScenarioText, Status, Store};
use auth::Tokens;
use decision_log::{DecisionLog, Writer};
use error::ApiError;
use metrics::{LatencyLabels, Metrics, RequestLabels};
use routes::PolicyLabel;
use state::{AppState, BundleEntry, PolicyVersion, Registry, Shared};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the shipped policies in `{dir}` cannot be published:\n{message}")]
    Seed { dir: String, message: String },
    #[error("the stored version {version} of `{id}` cannot be loaded: {message}")]
    Load {
        id: String,
        version: i64,
        message: String,
    },
    #[error("cannot listen on {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
    #[error("the WebAssembly engine could not start: {0}")]
    Engine(String),
}

/// Builds the whole router over `state` (tests call it too).
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    Router::new()
        .merge(routes::evaluate::router())
        .merge(routes::policies::router())
        .merge(routes::decisions::router())
        .merge(routes::operations::router(state.config.expose_parse_floor))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .fallback(|| async {
            ApiError::not_found(
                "no_route",
                "there is no such route; `GET /openapi.json` lists them all",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Counts and times every routed request, by route, policy and status.
async fn observe(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = state
        .metrics
        .label(matched.as_ref().map_or("unmatched", MatchedPath::as_str));
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let policy = match response.extensions().get::<PolicyLabel>() {
        Some(label) => std::sync::Arc::clone(&label.0),
        None => state.metrics.label(""),
    };
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: std::sync::Arc::clone(&route),
            policy: std::sync::Arc::clone(&policy),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&LatencyLabels {
            route: std::sync::Arc::clone(&route),
            policy,
        })
        .observe(elapsed.as_secs_f64());
    tracing::debug!(%method, route = &*route, status, micros = elapsed.as_micros() as u64, "request");
    response
}

/// A running service.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    writer: Writer,
}

impl Server {
    /// Opens the store, loads the policies, binds and starts serving.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let (state, writer) = open(config).await?;
        let addr = state.config.addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| StartError::Bind {
                addr,
                message: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind {
            addr,
            message: e.to_string(),
        })?;
        let (stop, mut stopped) = watch::channel(false);
        let router = app(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        tracing::info!(%addr, "serving");
        Ok(Server {
            addr,
            state,
            stop,
            task,
            writer,
        })
    }

    /// Stops accepting, lets the requests in flight finish, stores every
    /// queued decision and closes the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "the server stopped with an error"),
            Err(error) => tracing::error!(%error, "the server task failed"),
        }
        self.state.log.close();
        if let Err(error) = self.writer.task.await {
            tracing::error!(%error, "the decision log writer failed");
        }
        self.state.store.close().await;
        tracing::info!("stopped; every decision is stored");
    }
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

/// The state over an opened store: seeded on first start, every version loaded.
pub async fn open(config: Config) -> Result<(AppState, Writer), StartError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.data_dir).await?);
    let engine = Engine::new(Limits::default()).map_err(|e| StartError::Engine(e.to_string()))?;
    let engine = Arc::new(engine);
    if store.is_empty().await? {
        let dir = config.policies_dir.clone();
        let seed_engine = Arc::clone(&engine);
        let seeded = tokio::task::spawn_blocking(move || seed_documents(&seed_engine, &dir))
            .await
            .map_err(|e| StartError::Engine(e.to_string()))??;
        if let Some((documents, scenarios)) = seeded {
            tracing::info!(
                documents = documents.len(),
                scenarios = scenarios.len(),
                dir = %config.policies_dir.display(),
                "first start: publishing the shipped policies"
            );
            store.seed(&documents, &scenarios).await?;
        } else {
            tracing::warn!(
                dir = %config.policies_dir.display(),
                "first start without a policies folder: the store is empty and nothing can be \
                 published until a catalogue is stored"
            );
        }
    }
    let documents = store.documents().await?;
    let scenarios = store.scenarios().await?;
    let load_engine = Arc::clone(&engine);
    let registry =
        tokio::task::spawn_blocking(move || load_registry(&load_engine, documents, scenarios))
            .await
            .map_err(|e| StartError::Engine(e.to_string()))??;
    tracing::info!(
        policies = registry.policies.len(),
        bundles = registry.bundles.len(),
        "loaded"
    );
    let tokens = Tokens::new(&config.tokens);
    if tokens.is_empty() {
        tracing::warn!(
            "no tokens are configured: every API call will be refused with 401 (see docs/api.md)"
        );
    }
    let departments = registry
        .catalogue
        .as_ref()
        .map(|c| catalogue_departments(&c.source))
        .unwrap_or_default();
    for token in &config.tokens {
        if let Some(department) = &token.department
            && !departments.is_empty()
            && !departments.contains(department)
        {
            tracing::warn!(token = %token.name, %department, "the token's department is not in the catalogue");
        }
    }
    let metrics = Arc::new(Metrics::default());
    let (log, writer) = DecisionLog::start(
        Arc::clone(&store),
        &config.decision_log,
        Arc::clone(&metrics),
    );
    let engine = Arc::try_unwrap(engine)
        .map_err(|_| StartError::Engine("the engine is still shared".into()))?;
    let state = AppState {
        inner: Arc::new(Shared {
            config,
            engine,
            store,
            registry: ArcSwap::from_pointee(registry),
            tokens,
            log,
            metrics,
            publishing: tokio::sync::Mutex::new(()),
        }),
    };
    Ok((state, writer))
}

/// The departments the catalogue declares (for checking the configured tokens).
fn catalogue_departments(source: &str) -> Vec<String> {
    rules_dsl::syntax::parse(source)
        .file
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            rules_dsl::syntax::ast::ItemKind::Department { id, .. } => Some(id.text.clone()),
            _ => None,
        })
        .collect()
}

type Seed = (Vec<Document>, Vec<ScenarioText>);

/// The first versions: every policy, bundle and the catalogue of `dir`,
/// checked together, and their scenarios. `None` when `dir` does not exist.
fn seed_documents(engine: &Engine, dir: &Path) -> Result<Option<Seed>, StartError> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let seed_error = |message: String| StartError::Seed {
        dir: dir.display().to_string(),
        message,
    };
    let files = project::read_rules(dir).map_err(seed_error)?;
    let built = project::build(engine, &files).map_err(|e| seed_error(e.to_string()))?;
    let mut sources = rules_dsl::SourceSet::new();
    for (path, text) in &files {
        sources.add(path.display().to_string(), text.clone());
    }
    let checked = rules_dsl::check(&sources);
    let catalogue = files
        .iter()
        .zip(&checked.files)
        .find(|(_, summary)| summary.kind == FileKind::Catalogue)
        .map(|((_, text), _)| text.clone())
        .ok_or_else(|| seed_error("there is no catalogue (`catalogue.rules`)".into()))?;
    let now = routes::evaluate::now_micros();
    let document =
        |kind, id: &str, version, department: &str, title: &str, source: &str| Document {
            kind,
            id: id.to_string(),
            version,
            department: department.to_string(),
            title: title.to_string(),
            source: source.to_string(),
            artifact: None,
            hash: rules_dsl::codegen::source_hash(source),
            effective_from: "0001-01-01".to_string(),
            status: Status::Active,
            publisher: "seed".to_string(),
            published_at: now,
        };
    let mut documents = vec![document(
        Kind::Catalogue,
        "catalogue",
        1,
        "",
        "catalogue",
        &catalogue,
    )];
    let mut folders = BTreeMap::new();
    for ((path, text), summary) in files.iter().zip(&checked.files) {
        let Some(id) = &summary.id else { continue };
        if let Some(folder) = path.parent() {
            folders.insert(
                std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
                id.clone(),
            );
        }
        match summary.kind {
            FileKind::Policy => {
                let compiled =
                    pipeline::compile_policy(engine, &catalogue, text, id).map_err(|p| {
                        seed_error(match p {
                            pipeline::SourceProblem::Diagnostics { rendered, .. } => rendered,
                            pipeline::SourceProblem::Wrong(message) => message,
                        })
                    })?;
                let mut doc = document(
                    Kind::Policy,
                    id,
                    compiled.version,
                    &compiled.department,
                    &compiled.title,
                    text,
                );
                doc.artifact = Some(compiled.artifact);
                if let Some(from) = compiled.effective_from {
                    doc.effective_from = from;
                }
                documents.push(doc);
            }
            FileKind::Bundle => {
                let Some(bundle) = built.bundles.get(id) else {
                    continue;
                };
                let plan = bundle.plan();
                documents.push(document(
                    Kind::Bundle,
                    id,
                    1,
                    &plan.department,
                    &plan.title,
                    text,
                ));
            }
            FileKind::Catalogue | FileKind::Unknown => {}
        }
    }
    let mut scenarios = Vec::new();
    for path in project::find_scenarios(dir).map_err(seed_error)? {
        let Some(folder) = project::scenario_folder(&path) else {
            continue;
        };
        let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
        let Some(id) = folders.get(&folder) else {
            continue;
        };
        let toml = std::fs::read_to_string(&path)
            .map_err(|e| seed_error(format!("cannot read `{}`: {e}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        scenarios.push(ScenarioText {
            policy_id: id.clone(),
            name,
            toml,
        });
    }
    Ok(Some((documents, scenarios)))
}

/// Loads every stored document into a registry.
fn load_registry(
    engine: &Engine,
    documents: Vec<Document>,
    scenarios: Vec<ScenarioText>,
) -> Result<Registry, StartError> {
    let mut registry = Registry::default();
    let mut bundles = Vec::new();
    for document in documents {
        match document.kind {
            Kind::Catalogue => {
                if registry
                    .catalogue
                    .as_ref()
                    .is_none_or(|c| c.version < document.version)
                {
                    registry.catalogue = Some(document);
                }
            }
            Kind::Bundle => bundles.push(document),
            Kind::Policy => {
                let load_error = |message: String| StartError::Load {
                    id: document.id.clone(),
                    version: document.version,
                    message,
                };
                let artifact = document
                    .artifact
                    .as_deref()
                    .ok_or_else(|| load_error("it has no artifact".into()))?;
                let loaded = engine
                    .load(artifact)
                    .map_err(|e| load_error(e.to_string()))?;
                let effective_day = engine::encode::parse_date(&document.effective_from)
                    .ok_or_else(|| load_error(format!("bad date `{}`", document.effective_from)))?;
                let mut document = document;
                // The source is kept; the artifact lives on in the engine.
                document.artifact = None;
                registry
                    .policies
                    .entry(document.id.clone())
                    .or_default()
                    .push(Arc::new(PolicyVersion {
                        document,
                        effective_day,
                        loaded,
                    }));
            }
        }
    }
    for versions in registry.policies.values_mut() {
        versions.sort_by_key(|v| v.document.version);
    }
    for scenario in scenarios {
        registry
            .scenarios
            .entry(scenario.policy_id.clone())
            .or_default()
            .push(scenario);
    }
    let catalogue = registry
        .catalogue
        .as_ref()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    // Newest version of each bundle, built on the newest active members.
    let mut newest: BTreeMap<String, Document> = BTreeMap::new();
    for bundle in bundles {
        if newest
            .get(&bundle.id)
            .is_none_or(|b| b.version < bundle.version)
        {
            newest.insert(bundle.id.clone(), bundle);
        }
    }
    for (id, document) in newest {
        let members = bundle_members(&document.source)
            .into_iter()
            .filter_map(|m| {
                registry
                    .newest_active(&m)
                    .map(|v| (m, v.document.source.clone()))
            })
            .collect::<Vec<_>>();
        match pipeline::build_bundle(engine, &catalogue, &id, &document.source, &members) {
            Ok(built) => {
                registry
                    .bundles
                    .insert(id, Arc::new(BundleEntry { document, built }));
            }
            Err(problem) => {
                let message = match problem {
                    pipeline::SourceProblem::Diagnostics { rendered, .. } => rendered,
                    pipeline::SourceProblem::Wrong(message) => message,
                };
                tracing::error!(bundle = %id, %message, "a stored bundle cannot be built; it is not served");
            }
        }
    }
    Ok(registry)
}

/// The member ids a bundle source names (its `members` line(s)).
fn bundle_members(source: &str) -> Vec<String> {
    let parsed = rules_dsl::syntax::parse(source);
    let mut members = Vec::new();
    for item in &parsed.file.items {
        if let rules_dsl::syntax::ast::ItemKind::Member(name) = &item.kind {
            members.push(name.text.clone());
        }
    }
    members
}
