//! Start-up: open the store, publish the repository's `policies/` on first
//! start, load every stored version into the engine and build the registry:
//! the newest catalogue version, every policy version, and each bundle's
//! newest active version built on its members (the folder is read only on
//! the first start; later starts serve what was published through the API).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use engine::Engine;
use rules_dsl::Lang;
use rules_dsl::check::FileKind;

use super::Service;
use super::clock::now_micros;
use super::cluster::Cluster;
use super::decision_log::{DecisionLog, Writer};
use super::heavy::HeavyPool;
use super::metrics::Metrics;
use super::pipeline;
use super::registry::{BundleEntry, PolicyVersion, Registry};
use crate::config::Config;
use crate::project;
use crate::store::postgres::{PgSettings, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::{Document, Kind, ScenarioText, Status, Store};

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
    Bind {
        addr: std::net::SocketAddr,
        message: String,
    },
    #[error("the WebAssembly engine could not start: {0}")]
    Engine(String),
}

/// The state over an opened store: seeded on first start, every version loaded.
pub async fn open(config: Config) -> Result<(Service, Writer), StartError> {
    let store: Arc<dyn Store> = match &config.store.url {
        Some(url) => Arc::new(
            PgStore::open(&PgSettings {
                url: url.clone(),
                max_connections: config.store.max_connections,
                acquire_timeout: std::time::Duration::from_millis(config.store.acquire_timeout_ms),
            })
            .await?,
        ),
        None => Arc::new(SqliteStore::open(&config.data_dir).await?),
    };
    let engine =
        Engine::new(config.limits.engine()).map_err(|e| StartError::Engine(e.to_string()))?;
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
    // The change sequence is read before the documents: a change committed
    // in between is applied again by the first catch-up (harmless), never
    // skipped.
    let applied = store.latest_change().await?;
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
    let departments = registry
        .catalogue()
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
    let heavy = HeavyPool::new(config.limits.heavy_workers(), config.limits.heavy_queue);
    let guide_limit = super::guide::RateLimit::new(config.guide.rate_limit_per_minute);
    let service = Service {
        guide_limit,
        config,
        engine,
        store,
        registry: ArcSwap::from_pointee(registry),
        log,
        metrics,
        heavy,
        cluster: Cluster::new(applied),
        publishing: tokio::sync::Mutex::new(()),
    };
    Ok((service, writer))
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
    // Start-up errors are logged and printed, in English like the logs.
    let files = project::read_rules(dir).map_err(|e| seed_error(e.en))?;
    // One check and one compile of everything; what it built is stored.
    let built = project::build(engine, &files).map_err(|e| seed_error(e.render(Lang::En)))?;
    let catalogue = files
        .iter()
        .zip(&built.summaries)
        .find(|(_, summary)| summary.kind == FileKind::Catalogue)
        .map(|((_, text), _)| text.clone())
        .ok_or_else(|| seed_error("there is no catalogue (`catalogue.rules`)".into()))?;
    let now = now_micros();
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
    for ((path, text), summary) in files.iter().zip(&built.summaries) {
        let Some(id) = &summary.id else { continue };
        let kind = match summary.kind {
            FileKind::Policy => Kind::Policy,
            FileKind::Bundle => Kind::Bundle,
            FileKind::Catalogue | FileKind::Unknown => continue,
        };
        if let Some(folder) = path.parent() {
            folders.insert(
                std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
                (kind, id.clone()),
            );
        }
        match kind {
            Kind::Policy => {
                let artifact = built
                    .artifacts
                    .get(id)
                    .ok_or_else(|| seed_error(format!("policy `{id}` was not compiled")))?;
                let info = &artifact.manifest.policy;
                let mut doc = document(
                    Kind::Policy,
                    id,
                    info.version,
                    &info.department,
                    &info.title,
                    text,
                );
                doc.artifact = Some(artifact.wasm.clone());
                if let Some(from) = &info.effective_from {
                    doc.effective_from.clone_from(from);
                }
                documents.push(doc);
            }
            Kind::Bundle | Kind::Catalogue => {
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
        }
    }
    let mut scenarios = Vec::new();
    for path in project::find_scenarios(dir).map_err(|e| seed_error(e.en))? {
        let Some(folder) = project::scenario_folder(&path) else {
            continue;
        };
        let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
        let Some((kind, id)) = folders.get(&folder) else {
            continue;
        };
        let toml = std::fs::read_to_string(&path)
            .map_err(|e| seed_error(format!("cannot read `{}`: {e}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        scenarios.push(ScenarioText {
            kind: *kind,
            policy_id: id.clone(),
            name,
            toml,
        });
    }
    Ok(Some((documents, scenarios)))
}

/// Loads every stored document into a registry.
pub(super) fn load_registry(
    engine: &Engine,
    documents: Vec<Document>,
    scenarios: Vec<ScenarioText>,
) -> Result<Registry, StartError> {
    let mut registry = Registry::default();
    let mut bundles = Vec::new();
    // A version stored by an older build carries an artifact of an older
    // ABI: it is compiled again from its source with the catalogue.
    let catalogue_source = documents
        .iter()
        .filter(|d| d.kind == Kind::Catalogue)
        .max_by_key(|d| d.version)
        .map(|d| d.source.clone())
        .unwrap_or_default();
    for document in documents {
        match document.kind {
            Kind::Catalogue => registry.catalogue_versions.push(document),
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
                let loaded = match engine.load(artifact) {
                    Ok(loaded) => loaded,
                    Err(engine::LoadError::AbiVersion { found, .. }) => {
                        tracing::info!(
                            policy = %document.id,
                            version = document.version,
                            abi = found,
                            "compiling a version stored by an older build again from its source"
                        );
                        // What goes wrong here is logged, and logs are English.
                        let compiled = super::pipeline::compile_policy(
                            engine,
                            &catalogue_source,
                            &document.source,
                            &document.id,
                            Lang::En,
                        )
                        .map_err(|e| load_error(format!("compiling it again: {e}")))?;
                        compiled.loaded
                    }
                    Err(e) => return Err(load_error(e.to_string())),
                };
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
    registry.catalogue_versions.sort_by_key(|c| c.version);
    let view = registry
        .catalogue()
        .map(|c| super::reference::CatalogueView::from_source(&c.source))
        .unwrap_or_default();
    registry.datasets = view.dataset_ids();
    registry.catalogue_view = Arc::new(view);
    for versions in registry.policies.values_mut() {
        versions.sort_by_key(|v| v.document.version);
    }
    for scenario in scenarios {
        registry
            .scenarios
            .entry((scenario.kind, scenario.policy_id.clone()))
            .or_default()
            .push(scenario);
    }
    // Every version of each bundle; the newest active one is built on the
    // newest active members and served.
    for bundle in bundles {
        registry
            .bundle_versions
            .entry(bundle.id.clone())
            .or_default()
            .push(bundle);
    }
    for versions in registry.bundle_versions.values_mut() {
        versions.sort_by_key(|d| d.version);
    }
    let ids: Vec<String> = registry.bundle_versions.keys().cloned().collect();
    for id in ids {
        build_bundle_in_force(engine, &mut registry, &id);
    }
    Ok(registry)
}

/// Builds bundle `id`'s newest active version on the newest active version
/// of each member and serves it; a bundle that cannot be built is logged
/// (in English, like every log) and not served.
pub(super) fn build_bundle_in_force(engine: &Engine, registry: &mut Registry, id: &str) {
    let Some(document) = registry.newest_active_bundle(id).cloned() else {
        return;
    };
    let catalogue = registry
        .catalogue()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    let members = pipeline::read_header(&document.source)
        .members
        .into_iter()
        .filter_map(|m| {
            registry
                .newest_active(&m)
                .map(|v| (m, v.document.source.clone()))
        })
        .collect::<Vec<_>>();
    match pipeline::build_bundle(engine, &catalogue, id, &document.source, &members, Lang::En) {
        Ok(built) => {
            registry
                .bundles
                .insert(id.to_string(), Arc::new(BundleEntry { document, built }));
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
