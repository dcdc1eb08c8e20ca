//! The registry of loaded versions: every policy's versions, every bundle's
//! versions (the one in force built on its members), every catalogue
//! version and the scenarios. It is immutable and swapped whole on each
//! publish or withdrawal (`ArcSwap` in [`super::Service`]): a request holds
//! the registry it started with, so requests in flight finish on the
//! version they began with and no request ever sees half a publish.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use engine::{LoadedBundle, LoadedPolicy};

use crate::store::{Document, Kind, ScenarioText, Status};

/// One stored version of a policy, loaded and ready.
#[derive(Debug)]
pub struct PolicyVersion {
    pub document: Document,
    /// `effective_from` as days since 1970-01-01.
    pub effective_day: i64,
    pub loaded: Arc<LoadedPolicy>,
}

/// A bundle's version in force (its newest active one), built against the
/// newest active version of each member.
#[derive(Debug)]
pub struct BundleEntry {
    pub document: Document,
    pub built: Arc<LoadedBundle>,
}

#[derive(Debug, Default, Clone)]
pub struct Registry {
    /// Every catalogue version, ascending; the newest is in force (see
    /// [`Registry::catalogue`]).
    pub catalogue_versions: Vec<Document>,
    /// The shared datasets the catalogue declares: the ids a request's
    /// `shared_available` may name.
    pub datasets: BTreeSet<String>,
    /// The catalogue with names, for apps (`GET /v1/catalogue`).
    pub catalogue_view: Arc<super::reference::CatalogueView>,
    /// Each policy's versions, in ascending version order (withdrawn included).
    pub policies: BTreeMap<String, Vec<Arc<PolicyVersion>>>,
    /// Each bundle's version in force, built; a bundle whose every version
    /// is withdrawn (or whose stored version cannot be built) is not here.
    pub bundles: BTreeMap<String, Arc<BundleEntry>>,
    /// Each bundle's versions, ascending (withdrawn included), with sources.
    pub bundle_versions: BTreeMap<String, Vec<Document>>,
    /// The scenarios of each policy (and bundle), by kind and id.
    pub scenarios: BTreeMap<(Kind, String), Vec<ScenarioText>>,
}

/// The kind and department that hold an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub kind: Kind,
    /// Empty for the catalogue, which no department holds.
    pub department: String,
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
    /// The catalogue in force: the newest version.
    pub fn catalogue(&self) -> Option<&Document> {
        self.catalogue_versions.last()
    }

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

    /// Who holds `id`, of any kind: policies, bundles and the catalogue
    /// share one id space, so that the log, the audit trail and the
    /// scenarios of one can never be reached through another.
    pub fn holder(&self, id: &str) -> Option<Holder> {
        if let Some(newest) = self.policies.get(id).and_then(|v| v.last()) {
            return Some(Holder {
                kind: Kind::Policy,
                department: newest.document.department.clone(),
            });
        }
        if let Some(newest) = self.bundle_versions.get(id).and_then(|v| v.last()) {
            return Some(Holder {
                kind: Kind::Bundle,
                department: newest.department.clone(),
            });
        }
        match self.catalogue() {
            Some(catalogue) if catalogue.id == id => Some(Holder {
                kind: Kind::Catalogue,
                department: String::new(),
            }),
            _ => None,
        }
    }

    /// The policies and bundles of `department`, each with its kind.
    pub fn owned_by(&self, department: &str) -> Vec<(Kind, String)> {
        let policies = self
            .policies
            .iter()
            .filter(|(_, versions)| {
                versions
                    .last()
                    .is_some_and(|v| v.document.department == department)
            })
            .map(|(id, _)| (Kind::Policy, id.clone()));
        let bundles = self
            .bundle_versions
            .iter()
            .filter(|(_, versions)| versions.last().is_some_and(|v| v.department == department))
            .map(|(id, _)| (Kind::Bundle, id.clone()));
        policies.chain(bundles).collect()
    }

    /// The bundles that have `policy` as a member.
    pub fn bundles_with_member(&self, policy: &str) -> Vec<String> {
        self.bundles
            .iter()
            .filter(|(_, b)| b.built.plan().members.iter().any(|m| m == policy))
            .map(|(bundle, _)| bundle.clone())
            .collect()
    }

    /// The first day on which some active version of `policy` is in force
    /// (every later day has one too); `None` when none is active.
    pub fn covered_from(&self, policy: &str) -> Option<i64> {
        self.policies
            .get(policy)?
            .iter()
            .filter(|v| v.document.status == Status::Active)
            .map(|v| v.effective_day)
            .min()
    }

    /// Version `version` of bundle `id`.
    pub fn bundle_version(&self, id: &str, version: i64) -> Option<&Document> {
        self.bundle_versions
            .get(id)?
            .iter()
            .find(|d| d.version == version)
    }

    /// The newest active version of bundle `id`: the one in force.
    pub fn newest_active_bundle(&self, id: &str) -> Option<&Document> {
        self.bundle_versions
            .get(id)?
            .iter()
            .rev()
            .find(|d| d.status == Status::Active)
    }

    pub fn version(&self, id: &str, version: i64) -> Option<&Arc<PolicyVersion>> {
        self.policies
            .get(id)?
            .iter()
            .find(|v| v.document.version == version)
    }
}
