//! Several nodes on one store. Every version written (seed, publish,
//! withdrawal, catalogue) is a numbered change in the store (the audit
//! trail's `seq`, committed in order). Each node keeps the number of the
//! last change it has applied and follows the store:
//!
//! - a listener hears each change as it commits (PostgreSQL's
//!   LISTEN/NOTIFY) and the node catches up at once;
//! - notifications sent while the listener is down are lost, so the node
//!   also catches up after every reconnect and on a timer
//!   (`cluster.catch_up_interval_ms`): a lost notification only delays;
//! - a heartbeat (`cluster.heartbeat_interval_ms`) records the node's
//!   applied change in the store and pings its own listener; a listener
//!   that does not hear its ping within two heartbeats is taken for dead
//!   and connected again (a half-open connection errs on nothing).
//!
//! Catching up reads the changes after the applied one. A policy's or a
//! bundle's change reloads that subject's versions (the engine's cache
//! keeps unchanged modules) and rebuilds the bundles it is a member of; a
//! catalogue's change or a seed reloads everything. A publish answers once
//! every live node (heartbeat within `cluster.node_timeout_ms`) has
//! applied it, or after `cluster.publish_wait_ms` naming those that lag.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Service;
use super::clock::now_micros;
use super::error::ServiceError;
use super::registry::{PolicyVersion, Registry};
use crate::store::{
    ChangeListener, Kind, NodeState, Notice, ScenarioText, Status, StoreError, Subject,
};

/// This node's place in the cluster.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The node's name and address, known once it listens.
    identity: OnceLock<(String, String)>,
    started_at: i64,
    /// The last change this node's registry holds.
    applied: AtomicI64,
    listening: AtomicBool,
}

/// Whether a change is in force on every live node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    /// The change's number.
    pub seq: i64,
    /// Live nodes that have applied it (this one included).
    pub in_force_on: Vec<String>,
    /// Live nodes that had not applied it when the wait ended.
    pub lagging: Vec<String>,
    /// From the commit until every live node had applied it (or the wait ended).
    pub waited: Duration,
}

/// A node as `GET /v1/cluster` shows it.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub state: NodeState,
    /// Reported within `cluster.node_timeout_ms`.
    pub live: bool,
}

/// The cluster as this node sees it.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub node: String,
    /// The newest change in the store.
    pub latest_seq: i64,
    pub nodes: Vec<NodeView>,
}

impl Cluster {
    pub fn new(applied: i64) -> Cluster {
        Cluster {
            identity: OnceLock::new(),
            started_at: now_micros(),
            applied: AtomicI64::new(applied),
            listening: AtomicBool::new(false),
        }
    }

    /// Names the node once it listens on `addr`: `node_id`, else
    /// `HOSTNAME:port`.
    pub fn set_identity(&self, node_id: Option<&str>, addr: std::net::SocketAddr) {
        let node = node_id.map_or_else(|| format!("{}:{}", host_name(), addr.port()), Into::into);
        let _ = self.identity.set((node, addr.to_string()));
    }

    pub fn node(&self) -> &str {
        self.identity.get().map_or("", |(node, _)| node)
    }

    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    fn state(&self) -> NodeState {
        let (node, addr) = self.identity.get().cloned().unwrap_or_default();
        NodeState {
            node,
            addr,
            started_at: self.started_at,
            applied_seq: self.applied(),
            heartbeat_at: now_micros(),
            listening: self.listening.load(Ordering::Acquire),
        }
    }
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|name| name.trim().to_string())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".to_string())
}

impl Service {
    /// Applies every change stored after the applied one (taking the
    /// publishing lock, so it never interleaves with a publish here).
    pub async fn catch_up(&self) -> Result<(), ServiceError> {
        let _one_at_a_time = self.publishing.lock().await;
        self.catch_up_locked().await
    }

    /// [`Service::catch_up`] with the publishing lock already held.
    pub(super) async fn catch_up_locked(&self) -> Result<(), ServiceError> {
        let changes = self.store.changes_since(self.cluster.applied()).await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(());
        };
        let whole = changes
            .iter()
            .any(|c| c.kind == Kind::Catalogue || c.action == "seed");
        let subjects: BTreeSet<(Kind, String)> =
            changes.iter().map(|c| (c.kind, c.id.clone())).collect();
        let started = Instant::now();
        if whole {
            self.reload_all().await?;
        } else {
            for (kind, id) in &subjects {
                let subject = self.store.subject(*kind, id).await?;
                if let Err(error) = self.refresh_subject(*kind, id, subject).await {
                    tracing::warn!(%error, id = %id, "a change could not be applied alone; reloading everything");
                    self.reload_all().await?;
                    break;
                }
            }
        }
        self.cluster.applied.fetch_max(last, Ordering::AcqRel);
        tracing::info!(
            applied = last,
            changes = changes.len(),
            subjects = subjects.len(),
            ms = started.elapsed().as_millis() as u64,
            "caught up with the store"
        );
        // Reported at once: a publisher on another node is waiting for it.
        if let Err(error) = self.store.heartbeat(&self.cluster.state()).await {
            tracing::warn!(%error, "cannot report the applied change");
        }
        Ok(())
    }

    /// Every document and scenario read again and loaded into a new registry.
    async fn reload_all(&self) -> Result<(), ServiceError> {
        let documents = self.store.documents().await?;
        let scenarios = self.store.scenarios().await?;
        let engine = Arc::clone(&self.engine);
        let registry = tokio::task::spawn_blocking(move || {
            super::startup::load_registry(&engine, documents, scenarios)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.registry.store(Arc::new(registry));
        Ok(())
    }

    /// One policy's or bundle's stored versions and scenarios into the
    /// registry, with the bundles built on it; nothing happens when the
    /// registry already holds them (this node's own publish).
    async fn refresh_subject(
        &self,
        kind: Kind,
        id: &str,
        subject: Subject,
    ) -> Result<(), ServiceError> {
        let current = self.registry.load_full();
        let same = |held: Vec<(i64, Status, &str)>| {
            held == subject
                .documents
                .iter()
                .map(|d| (d.version, d.status, d.hash.as_str()))
                .collect::<Vec<_>>()
                && same_scenarios(
                    current
                        .scenarios
                        .get(&(kind, id.to_string()))
                        .map_or(&[], Vec::as_slice),
                    &subject.scenarios,
                )
        };
        let engine = Arc::clone(&self.engine);
        let id = id.to_string();
        let lang = self.config.lang;
        match kind {
            Kind::Policy => {
                let held = current.policies.get(&id).map_or_else(Vec::new, |versions| {
                    versions
                        .iter()
                        .map(|v| {
                            (
                                v.document.version,
                                v.document.status,
                                v.document.hash.as_str(),
                            )
                        })
                        .collect()
                });
                if same(held) {
                    return Ok(());
                }
                let next = tokio::task::spawn_blocking(move || {
                    let mut versions = Vec::with_capacity(subject.documents.len());
                    for mut document in subject.documents {
                        let effective_day = engine::encode::parse_date(&document.effective_from)
                            .ok_or_else(|| {
                                ServiceError::Internal(format!(
                                    "stored version {} of `{id}` has the date `{}`",
                                    document.version, document.effective_from
                                ))
                            })?;
                        let artifact = document.artifact.take().ok_or_else(|| {
                            ServiceError::Internal(format!(
                                "stored version {} of `{id}` has no artifact",
                                document.version
                            ))
                        })?;
                        let loaded = engine
                            .load(&artifact)
                            .map_err(|e| ServiceError::Internal(e.to_string()))?;
                        versions.push(Arc::new(PolicyVersion {
                            document,
                            effective_day,
                            loaded,
                        }));
                    }
                    super::publish::next_registry(
                        &engine,
                        &current,
                        &id,
                        versions,
                        Some(subject.scenarios),
                        lang,
                    )
                })
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))??;
                self.registry.store(Arc::new(next));
            }
            Kind::Bundle => {
                let held = current
                    .bundle_versions
                    .get(&id)
                    .map_or_else(Vec::new, |versions| {
                        versions
                            .iter()
                            .map(|d| (d.version, d.status, d.hash.as_str()))
                            .collect()
                    });
                if same(held) {
                    return Ok(());
                }
                let next = tokio::task::spawn_blocking(move || {
                    let mut next: Registry = (*current).clone();
                    next.bundle_versions.insert(id.clone(), subject.documents);
                    next.scenarios
                        .insert((Kind::Bundle, id.clone()), subject.scenarios);
                    next.bundles.remove(&id);
                    super::startup::build_bundle_in_force(&engine, &mut next, &id);
                    next
                })
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
                self.registry.store(Arc::new(next));
            }
            Kind::Catalogue => self.reload_all().await?,
        }
        Ok(())
    }

    /// After this node stored change `seq` (holding the publishing lock,
    /// `guard`): puts `next` in force here, catches up (other nodes' changes
    /// may have committed meanwhile; this node's own is found already held),
    /// reports the applied change, lets the lock go and waits until every
    /// live node has applied it.
    pub(super) async fn put_in_force(
        &self,
        seq: i64,
        next: Arc<Registry>,
        guard: tokio::sync::MutexGuard<'_, ()>,
    ) -> Propagation {
        let committed = Instant::now();
        self.registry.store(next);
        self.applied_own(seq).await;
        drop(guard);
        self.wait_in_force(seq, committed).await
    }

    async fn applied_own(&self, seq: i64) {
        if let Err(error) = self.catch_up_locked().await {
            tracing::warn!(%error, "cannot catch up after a publish");
        }
        if self.cluster.applied.fetch_max(seq, Ordering::AcqRel) < seq
            && let Err(error) = self.store.heartbeat(&self.cluster.state()).await
        {
            tracing::warn!(%error, "cannot report the applied change");
        }
    }

    /// Waits (polling the nodes' reports) until every live node has applied
    /// `seq`, committed at `committed`, for at most `cluster.publish_wait_ms`.
    async fn wait_in_force(&self, seq: i64, committed: Instant) -> Propagation {
        let deadline = committed + Duration::from_millis(self.config.cluster.publish_wait_ms);
        let me = self.cluster.node().to_string();
        let mut delay = Duration::from_millis(2);
        loop {
            let (in_force_on, lagging) = match self.store.nodes().await {
                Ok(nodes) => {
                    let live_since = now_micros()
                        - i64::try_from(self.config.cluster.node_timeout_ms).unwrap_or(i64::MAX)
                            * 1000;
                    let mut in_force_on = vec![me.clone()];
                    let mut lagging = Vec::new();
                    for node in nodes {
                        if node.node == me || node.heartbeat_at < live_since {
                            continue;
                        }
                        if node.applied_seq >= seq {
                            in_force_on.push(node.node);
                        } else {
                            lagging.push(node.node);
                        }
                    }
                    (in_force_on, lagging)
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read the nodes' reports");
                    (vec![me.clone()], vec!["?".to_string()])
                }
            };
            if lagging.is_empty() || Instant::now() >= deadline {
                if !lagging.is_empty() {
                    tracing::warn!(seq, lagging = ?lagging, "a change is not yet in force on every live node");
                }
                return Propagation {
                    seq,
                    in_force_on,
                    lagging,
                    waited: committed.elapsed(),
                };
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(20));
        }
    }

    /// The nodes as the store knows them.
    pub async fn cluster_view(&self) -> Result<ClusterView, ServiceError> {
        let latest_seq = self.store.latest_change().await?;
        let live_since = now_micros()
            - i64::try_from(self.config.cluster.node_timeout_ms).unwrap_or(i64::MAX) * 1000;
        let nodes = self
            .store
            .nodes()
            .await?
            .into_iter()
            .map(|state| NodeView {
                live: state.heartbeat_at >= live_since,
                state,
            })
            .collect();
        Ok(ClusterView {
            node: self.cluster.node().to_string(),
            latest_seq,
            nodes,
        })
    }
}

/// Follows the store until `stop`: listens, catches up, reports itself;
/// then removes the node's report.
pub async fn follow(service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    let settings = &service.config.cluster;
    let heartbeat_every = Duration::from_millis(settings.heartbeat_interval_ms);
    let mut catch_up_timer =
        tokio::time::interval(Duration::from_millis(settings.catch_up_interval_ms));
    let mut heartbeat_timer = tokio::time::interval(heartbeat_every);
    catch_up_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let store = Arc::clone(&service.store);
    let me = service.cluster.node().to_string();
    let mut listener: Option<Box<dyn ChangeListener>> = None;
    // Whether the store has listeners at all (the embedded store has none).
    let mut listens = true;
    let mut ping_sent: Option<Instant> = None;
    loop {
        if listener.is_none() && listens {
            match store.listen().await {
                Ok(Some(connected)) => {
                    listener = Some(connected);
                    ping_sent = None;
                    service.cluster.listening.store(true, Ordering::Release);
                    tracing::info!("listening for changes");
                    // What was sent while it was down is read now.
                    catch_up_logged(&service).await;
                }
                Ok(None) => listens = false,
                Err(error) => {
                    service.cluster.listening.store(false, Ordering::Release);
                    tracing::warn!(%error, "cannot listen for changes; catching up on the timer");
                }
            }
        }
        let heard = async {
            match listener.as_mut() {
                Some(listener) => listener.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            heard = heard => match heard {
                Ok(Some(Notice::Change(seq))) => {
                    if seq > service.cluster.applied() {
                        catch_up_logged(&service).await;
                    }
                }
                Ok(Some(Notice::Ping(node))) => {
                    if node == me {
                        ping_sent = None;
                    }
                }
                Ok(None) | Err(_) => {
                    tracing::warn!("the change listener lost its connection; connecting again");
                    drop_listener(&service, &mut listener);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = catch_up_timer.tick() => catch_up_logged(&service).await,
            _ = heartbeat_timer.tick() => {
                if let Some(sent) = ping_sent
                    && sent.elapsed() > heartbeat_every * 2
                {
                    tracing::warn!("the change listener did not hear its ping; connecting again");
                    drop_listener(&service, &mut listener);
                    ping_sent = None;
                }
                if listener.is_some() && ping_sent.is_none() {
                    match store.ping(&me).await {
                        Ok(()) => ping_sent = Some(Instant::now()),
                        Err(error) => tracing::warn!(%error, "cannot ping the change listener"),
                    }
                }
                if let Err(error) = store.heartbeat(&service.cluster.state()).await {
                    tracing::warn!(%error, "cannot report this node to the store");
                }
            }
            () = stopped(&mut stop) => break,
        }
    }
    if let Err(error) = store.leave(&me).await {
        tracing::warn!(%error, "cannot remove this node's report");
    }
}

/// The same scenarios, in whatever order (an upload keeps its own order;
/// the store reads them by name).
fn same_scenarios(held: &[ScenarioText], stored: &[ScenarioText]) -> bool {
    by_name(held) == by_name(stored)
}

fn by_name(list: &[ScenarioText]) -> Vec<(&str, &str)> {
    let mut list: Vec<(&str, &str)> = list
        .iter()
        .map(|s| (s.name.as_str(), s.toml.as_str()))
        .collect();
    list.sort_unstable();
    list
}

/// Resolves once `stop` is set (the watch's guard is not kept: it is not `Send`).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn drop_listener(service: &Service, listener: &mut Option<Box<dyn ChangeListener>>) {
    *listener = None;
    service.cluster.listening.store(false, Ordering::Release);
}

async fn catch_up_logged(service: &Service) {
    if let Err(error) = service.catch_up().await {
        match error {
            ServiceError::Store(StoreError::Unavailable(message)) => {
                tracing::warn!(%message, "cannot catch up: the store is unavailable");
            }
            error => tracing::error!(%error, "cannot catch up with the store"),
        }
    }
}
