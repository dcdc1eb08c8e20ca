//! Prometheus metrics (`GET /metrics`): requests and latency per route and
//! policy, evaluation time inside the engine, publishes and withdrawals, and
//! the decision log's writes. One registry per service (tests run several).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

/// A label value, shared: every request labels four series, and building
/// each label from a fresh `String` was a dozen allocations per request.
/// Values come from [`Metrics::label`], which keeps one copy of each.
pub type Label = Arc<str>;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: Label,
    pub policy: Label,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub route: Label,
    pub policy: Label,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    pub policy: Label,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub policy: Label,
    pub outcome: Label,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 25 µs … ~0.8 s, doubling.
    Histogram::new(exponential_buckets(0.000_025, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: HistogramFamily<LatencyLabels>,
    /// Time inside the engine (encode, run, decode) per evaluation. Fuel is
    /// not metered (see docs/abi.md); this is the cost measure instead.
    pub evaluation: HistogramFamily<PolicyLabels>,
    pub evaluations: Family<OutcomeLabels, Counter>,
    pub publishes: Family<OutcomeLabels, Counter>,
    pub withdrawals: Family<PolicyLabels, Counter>,
    pub decisions_written: Counter,
    pub decision_commits: Counter,
    pub decisions_pruned: Counter,
    pub facts_pruned: Counter,
    pub decision_queue: Gauge,
    /// One copy of every label value in use (routes, known policy ids,
    /// outcomes: a bounded set).
    labels: RwLock<HashSet<Label>>,
    /// Each evaluated policy's series, by policy id.
    policies: RwLock<HashMap<Label, Arc<PolicyMetrics>>>,
}

/// One policy's evaluation series (engine time, and evaluations by
/// outcome), found once per evaluation instead of once per series: each
/// lookup in a family is a lock and a hash of its labels.
#[derive(Debug)]
pub struct PolicyMetrics {
    pub label: Label,
    pub evaluation: Histogram,
    eligible: Counter,
    ineligible: Counter,
    undetermined: Counter,
    /// Bundles only: some members eligible, the others not.
    partial: Counter,
    error: Counter,
}

impl PolicyMetrics {
    /// Counts one evaluation's outcome: `eligible`, `ineligible`,
    /// `undetermined`, `partial` (bundles) or `error`.
    pub fn count(&self, outcome: Outcome) {
        match outcome {
            Outcome::Eligible => &self.eligible,
            Outcome::Ineligible => &self.ineligible,
            Outcome::Undetermined => &self.undetermined,
            Outcome::Partial => &self.partial,
            Outcome::Error => &self.error,
        }
        .inc();
    }
}

/// How an evaluation ended, as counted in `yici_evaluations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Eligible,
    Ineligible,
    Undetermined,
    Partial,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Eligible => "eligible",
            Outcome::Ineligible => "ineligible",
            Outcome::Undetermined => "undetermined",
            Outcome::Partial => "partial",
            Outcome::Error => "error",
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("yici");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, policy and status",
            requests.clone(),
        );
        let latency = HistogramFamily::<LatencyLabels>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and policy",
            latency.clone(),
        );
        let evaluation = HistogramFamily::<PolicyLabels>::new_with_constructor(latency_histogram);
        registry.register(
            "evaluation_duration_seconds",
            "time inside the engine per evaluation (encode, run, decode)",
            evaluation.clone(),
        );
        let evaluations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "evaluations",
            "evaluations by policy and outcome (eligible, ineligible, undetermined, error)",
            evaluations.clone(),
        );
        let publishes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "publishes",
            "publish requests by policy and outcome (published, rejected)",
            publishes.clone(),
        );
        let withdrawals = Family::<PolicyLabels, Counter>::default();
        registry.register(
            "withdrawals",
            "withdrawn versions by policy",
            withdrawals.clone(),
        );
        let decisions_written = Counter::default();
        registry.register(
            "decisions_written",
            "decision log records written to the store",
            decisions_written.clone(),
        );
        let decision_commits = Counter::default();
        registry.register(
            "decision_log_commits",
            "transactions that stored decision log records (records per commit: written / commits)",
            decision_commits.clone(),
        );
        let decisions_pruned = Counter::default();
        registry.register(
            "decisions_pruned",
            "decision log records removed by retention (`decision_log.retain_days`)",
            decisions_pruned.clone(),
        );
        let facts_pruned = Counter::default();
        registry.register(
            "facts_pruned",
            "kept requests (facts) removed by retention (`decision_log.keep_facts_days`)",
            facts_pruned.clone(),
        );
        let decision_queue = Gauge::default();
        registry.register(
            "decision_log_queue",
            "decision log records waiting for the writer",
            decision_queue.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            evaluation,
            evaluations,
            publishes,
            withdrawals,
            decisions_written,
            decision_commits,
            decisions_pruned,
            facts_pruned,
            decision_queue,
            labels: RwLock::new(HashSet::new()),
            policies: RwLock::new(HashMap::new()),
        }
    }
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    pub fn outcome(&self, family: &Family<OutcomeLabels, Counter>, policy: &Label, outcome: &str) {
        family
            .get_or_create(&OutcomeLabels {
                policy: Arc::clone(policy),
                outcome: self.label(outcome),
            })
            .inc();
    }

    /// The evaluation series of policy `id` (made on first use). Call it
    /// only for a policy that exists: the set of series stays bounded.
    pub fn policy(&self, id: &str) -> Arc<PolicyMetrics> {
        if let Some(found) = self
            .policies
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            return Arc::clone(found);
        }
        let label = self.label(id);
        let outcome = |outcome: Outcome| {
            self.evaluations
                .get_or_create(&OutcomeLabels {
                    policy: Arc::clone(&label),
                    outcome: self.label(outcome.as_str()),
                })
                .clone()
        };
        let made = Arc::new(PolicyMetrics {
            evaluation: self
                .evaluation
                .get_or_create(&PolicyLabels {
                    policy: Arc::clone(&label),
                })
                .clone(),
            eligible: outcome(Outcome::Eligible),
            ineligible: outcome(Outcome::Ineligible),
            undetermined: outcome(Outcome::Undetermined),
            partial: outcome(Outcome::Partial),
            error: outcome(Outcome::Error),
            label: Arc::clone(&label),
        });
        let mut policies = self
            .policies
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(policies.entry(label).or_insert(made))
    }

    /// The shared copy of a label value. Call it only with values from a
    /// bounded set (a route template, a policy that exists, an outcome).
    pub fn label(&self, text: &str) -> Label {
        if let Some(label) = self
            .labels
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
        {
            return Arc::clone(label);
        }
        let mut labels = self.labels.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(label) = labels.get(text) {
            return Arc::clone(label);
        }
        let label: Label = Arc::from(text);
        labels.insert(Arc::clone(&label));
        label
    }
}
