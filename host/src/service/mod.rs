//! The service layer: everything `yici serve` does, without HTTP. The
//! registry of loaded versions, publishing and withdrawing policies,
//! bundles and the catalogue with their rights, previews, the decision log, the clock and the pool that runs
//! heavy work (compiles, batches) off the async workers. `crate::http`
//! puts thin handlers over it; the web pages call the same operations.

pub mod bundles;
pub mod catalogue;
pub mod check;
pub mod clock;
pub mod cluster;
pub mod decision_log;
pub mod draft;
pub mod error;
pub mod guide;
pub mod heavy;
pub mod interview;
pub mod metrics;
pub mod pipeline;
pub mod preview;
pub mod publish;
pub mod reference;
pub mod registry;
pub mod review;
pub mod rights;
pub mod screen;
pub mod startup;

use std::sync::Arc;

use arc_swap::ArcSwap;
use engine::Engine;

use crate::config::Config;
use crate::store::{DecisionQuery, DecisionRecord, Store};
use decision_log::DecisionLog;
use error::ServiceError;
use heavy::HeavyPool;
use metrics::Metrics;
use registry::Registry;
use rights::Principal;

pub use startup::{StartError, open};

/// The running service's state; shared by every request.
#[derive(Debug)]
pub struct Service {
    pub config: Config,
    pub engine: Arc<Engine>,
    pub store: Arc<dyn Store>,
    pub registry: ArcSwap<Registry>,
    pub log: DecisionLog,
    pub metrics: Arc<Metrics>,
    /// Compiles, scenario runs and batches: a bounded pool beside the
    /// async workers, so `/healthz` and single evaluations keep answering.
    pub heavy: HeavyPool,
    /// This node's place among the nodes sharing the store.
    pub cluster: cluster::Cluster,
    /// The guide's open endpoints, per client address (`guide.rate_limit_per_minute`).
    pub guide_limit: guide::RateLimit,
    /// Publishes and withdrawals run one at a time, so version numbers and
    /// registry swaps never interleave (nor with catching up with other
    /// nodes' changes). Evaluations never take it.
    publishing: tokio::sync::Mutex<()>,
}

/// A read of the decision log by a department.
#[derive(Debug, Clone, Default)]
pub struct LogRead {
    /// One policy or bundle id; all of the caller's when `None`.
    pub subject: Option<String>,
    /// Unix microseconds.
    pub since: Option<i64>,
    pub limit: u32,
}

impl Service {
    /// The decision log as `caller` may read it: its own department's
    /// policies and bundles only, checked before the store is read.
    pub async fn read_log(
        &self,
        caller: &Principal,
        read: &LogRead,
    ) -> Result<Vec<DecisionRecord>, ServiceError> {
        let subjects =
            rights::readable_subjects(caller, &self.registry.load(), read.subject.as_deref())?;
        Ok(self
            .store
            .decisions(&DecisionQuery {
                subjects: Some(subjects),
                since: read.since,
                limit: read.limit,
                with_request: false,
            })
            .await?)
    }
}
