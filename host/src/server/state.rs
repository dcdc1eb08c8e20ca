//! What every request sees: the store, the engine, and the registry of
//! loaded versions. The registry is immutable and swapped whole on each
//! publish or withdrawal (`ArcSwap`): a request holds the registry it started
//! with, so requests in flight finish on the version they began with and no
//! request ever sees half a publish.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use engine::{Engine, LoadedBundle, LoadedPolicy};

use super::auth::Tokens;
use super::decision_log::DecisionLog;
use super::metrics::Metrics;
use crate::config::Config;
use crate::store::{Document, ScenarioText, Status, Store};

/// One stored version of a policy, loaded and ready.
#[derive(Debug)]
pub struct PolicyVersion {
    pub document: Document,
    /// `effective_from` as days since 1970-01-01.
    pub effective_day: i64,
    pub loaded: Arc<LoadedPolicy>,
}

/// A bundle, built against the newest active version of each member.
#[derive(Debug)]
pub struct BundleEntry {
    pub document: Document,
    pub built: Arc<LoadedBundle>,
}

#[derive(Debug, Default, Clone)]
pub struct Registry {
    pub catalogue: Option<Document>,
    /// Each policy's versions, in ascending version order (withdrawn included).
    pub policies: BTreeMap<String, Vec<Arc<PolicyVersion>>>,
    pub bundles: BTreeMap<String, Arc<BundleEntry>>,
    /// Each policy's scenarios.
    pub scenarios: BTreeMap<String, Vec<ScenarioText>>,
}

/// Why no version answers a request.
#[derive(Debug)]
pub enum NotInForce {
    UnknownPolicy,
    /// The policy exists, but nothing active is in force on that day; the
    /// earliest active version's date is given if there is one.
    NotYet(Option<String>),
}

impl Registry {
    /// The version in force on `day`: among active versions whose
    /// `effective_from` is on or before `day`, the newest (highest version).
    pub fn in_force(&self, id: &str, day: i64) -> Result<&Arc<PolicyVersion>, NotInForce> {
        let versions = self.policies.get(id).ok_or(NotInForce::UnknownPolicy)?;
        versions
            .iter()
            .rev()
            .find(|v| v.document.status == Status::Active && v.effective_day <= day)
            .ok_or_else(|| {
                NotInForce::NotYet(
                    versions
                        .iter()
                        .filter(|v| v.document.status == Status::Active)
                        .min_by_key(|v| v.effective_day)
                        .map(|v| v.document.effective_from.clone()),
                )
            })
    }

    /// The newest active version, whatever its date (what bundles and
    /// previews build against).
    pub fn newest_active(&self, id: &str) -> Option<&Arc<PolicyVersion>> {
        self.policies
            .get(id)?
            .iter()
            .rev()
            .find(|v| v.document.status == Status::Active)
    }

    pub fn version(&self, id: &str, version: i64) -> Option<&Arc<PolicyVersion>> {
        self.policies
            .get(id)?
            .iter()
            .find(|v| v.document.version == version)
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub inner: Arc<Shared>,
}

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub engine: Engine,
    pub store: Arc<dyn Store>,
    pub registry: ArcSwap<Registry>,
    pub tokens: Tokens,
    pub log: DecisionLog,
    pub metrics: Arc<Metrics>,
    /// Publishes and withdrawals run one at a time, so version numbers and
    /// registry swaps never interleave. Evaluations never take it.
    pub publishing: tokio::sync::Mutex<()>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.inner
    }
}
