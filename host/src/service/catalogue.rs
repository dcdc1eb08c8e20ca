//! Publishing the catalogue (departments, shared datasets, materials, the
//! working-day calendar). Only a token configured with `catalogue = true`
//! may, checked before anything is read or compiled. The new catalogue is
//! checked together with every policy version and bundle in force and they
//! are all compiled again against it (a policy's manifest carries the
//! catalogue's names); if any of them no longer checks, nothing is stored
//! and each is named with its diagnostics. Then every stored scenario runs
//! against what would be in force (a catalogue's materials, calendar and
//! parameters change answers too). The catalogue version, its audit entry
//! and the policies' new artifacts are stored in one transaction, and only
//! then is the registry swapped.

use std::sync::Arc;

use super::Service;
use super::clock::{day_text, now_micros, today_day};
use super::error::ServiceError;
use super::pipeline::{self, CatalogueProblem, InForce};
use super::publish::check_base_version;
use super::reference::CatalogueView;
use super::registry::{BundleEntry, PolicyVersion, Registry};
use super::rights::Principal;
use crate::store::{Document, Kind, Rebuilt, Status};

/// The id the catalogue is stored under (policies and bundles may not take it).
pub const CATALOGUE_ID: &str = "catalogue";

/// What the catalogue's keeper asks to publish.
#[derive(Debug, Clone)]
pub struct CatalogueInput {
    /// The whole catalogue source.
    pub source: String,
    /// The version the source was edited from; when given, it must still be
    /// the newest (two keepers editing at once do not overwrite each other).
    pub base_version: Option<i64>,
}

/// A stored catalogue version and what was compiled again against it.
#[derive(Debug)]
pub struct CataloguePublished {
    pub document: Document,
    /// Active policy versions compiled again.
    pub policies_compiled: usize,
    /// Bundles in force built again.
    pub bundles_built: usize,
    /// Scenarios of policies and bundles run against what is in force with it.
    pub scenarios_run: usize,
    pub propagation: super::cluster::Propagation,
}

impl Service {
    pub async fn publish_catalogue(
        &self,
        caller: &Principal,
        input: CatalogueInput,
    ) -> Result<CataloguePublished, ServiceError> {
        caller.require_catalogue_keeper()?;
        let started = std::time::Instant::now();
        // Under the lock from here: what is in force may not change while
        // it is compiled again.
        let one_at_a_time = self.publishing.lock().await;
        self.catch_up_locked().await?;
        let current = self.registry.load_full();
        let newest = current.catalogue().map(|c| c.version);
        check_base_version(Kind::Catalogue, CATALOGUE_ID, input.base_version, newest)?;
        let in_force = in_force(&current);
        let build = {
            let engine = Arc::clone(&self.engine);
            let source = input.source.clone();
            let lang = self.config.lang;
            self.heavy
                .run(move || pipeline::build_with_catalogue(&engine, &source, &in_force, lang))
                .await?
                .map_err(|problem| match problem {
                    CatalogueProblem::Source(problem) => ServiceError::Source(problem),
                    CatalogueProblem::Breaks(broken) => ServiceError::BreaksDependents { broken },
                })?
        };
        let document = Document {
            kind: Kind::Catalogue,
            id: CATALOGUE_ID.to_string(),
            version: newest.unwrap_or(0) + 1,
            department: String::new(),
            title: CATALOGUE_ID.to_string(),
            hash: rules_dsl::codegen::source_hash(&input.source),
            source: input.source,
            artifact: None,
            effective_from: day_text(today_day()),
            status: Status::Active,
            publisher: caller.name.clone(),
            published_at: now_micros(),
        };
        let rebuilt: Vec<Rebuilt> = build
            .policies
            .iter()
            .map(|((id, version), (artifact, _))| Rebuilt {
                id: id.clone(),
                version: *version,
                artifact: artifact.clone(),
            })
            .collect();
        let mut next = (*current).clone();
        next.catalogue_versions.push(document.clone());
        let view = CatalogueView::from_source(&document.source);
        next.datasets = view.dataset_ids();
        next.catalogue_view = Arc::new(view);
        for (id, versions) in &mut next.policies {
            for version in versions.iter_mut() {
                if let Some((_, loaded)) =
                    build.policies.get(&(id.clone(), version.document.version))
                {
                    *version = Arc::new(PolicyVersion {
                        document: version.document.clone(),
                        effective_day: version.effective_day,
                        loaded: Arc::clone(loaded),
                    });
                }
            }
        }
        for (id, built) in &build.bundles {
            if let Some(entry) = current.bundles.get(id) {
                next.bundles.insert(
                    id.clone(),
                    Arc::new(BundleEntry {
                        document: entry.document.clone(),
                        built: Arc::clone(built),
                    }),
                );
            }
        }
        // What the service would answer with it: every stored scenario of
        // every policy and bundle, on the versions in force on its date.
        let next = Arc::new(next);
        let (scenarios_run, failures) = {
            let next = Arc::clone(&next);
            let lang = self.config.lang;
            self.heavy
                .run(move || pipeline::run_every_scenario(&next, lang))
                .await?
        };
        if !failures.is_empty() {
            return Err(ServiceError::ScenariosFailed {
                run: scenarios_run,
                failures,
            });
        }
        let seq = self.store.publish_catalogue(&document, &rebuilt).await?;
        let propagation = self.put_in_force(seq, next, one_at_a_time).await;
        tracing::info!(
            version = document.version,
            scenarios_run,
            publisher = %document.publisher,
            hash = %document.hash,
            policies = build.policies.len(),
            bundles = build.bundles.len(),
            total_ms = started.elapsed().as_millis() as u64,
            "catalogue published"
        );
        Ok(CataloguePublished {
            document,
            policies_compiled: build.policies.len(),
            bundles_built: build.bundles.len(),
            scenarios_run,
            propagation,
        })
    }
}

/// What a new catalogue must not break: every active policy version, and
/// every bundle's version in force.
fn in_force(registry: &Registry) -> Vec<InForce> {
    let policies = registry.policies.iter().flat_map(|(id, versions)| {
        versions
            .iter()
            .filter(|v| v.document.status == Status::Active)
            .map(|v| InForce {
                kind: Kind::Policy,
                id: id.clone(),
                version: v.document.version,
                source: v.document.source.clone(),
            })
    });
    let bundles = registry.bundles.iter().map(|(id, entry)| InForce {
        kind: Kind::Bundle,
        id: id.clone(),
        version: entry.document.version,
        source: entry.document.source.clone(),
    });
    policies.chain(bundles).collect()
}
