//! The decision log: handlers hand each record to a bounded queue; one
//! writer task stores them in batches, one transaction per batch. A full
//! queue makes handlers wait (slower, never lossy).
//!
//! Durable mode (the default): a handler answers only after the batch
//! holding its record is committed — group commit: while one transaction
//! is written, the next batch gathers, so the cost of a commit is shared by
//! every request that arrived meanwhile. A SIGKILL then loses no answered
//! decision. Async mode answers at once and stores within
//! `flush_interval_ms`; a SIGKILL loses what was queued (SIGTERM loses
//! nothing: shutdown drains the queue).
//!
//! Retention runs beside the writer: decisions older than `retain_days`
//! and kept facts older than `keep_facts_days` are removed hourly.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{DecisionLogConfig, Durability};
use crate::store::{DecisionRecord, LogWriter, Store};

use super::clock::now_micros;
use super::metrics::Metrics;

/// A record that could not be stored: the store kept failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the decision could not be stored in the decision log")]
pub struct NotStored;

struct Entry {
    record: DecisionRecord,
    /// Told whether the record's batch was committed (durable mode).
    stored: Option<oneshot::Sender<bool>>,
}

/// What the queue carries: a record, or (`None`) the word to stop once
/// everything before it is stored.
type Message = Option<Entry>;

#[derive(Debug)]
pub struct DecisionLog {
    sender: mpsc::Sender<Message>,
    shutdown: watch::Sender<bool>,
    durable: bool,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").finish_non_exhaustive()
    }
}

/// The records of one commit and who waits for each, side by side: the
/// records go to the store as they are, without a copy.
#[derive(Debug, Default)]
struct Group {
    records: Vec<DecisionRecord>,
    waiting: Vec<Option<oneshot::Sender<bool>>>,
}

/// A failing store is tried for this long, the wait doubling from 50 ms up
/// to [`MAX_RETRY_DELAY`]: long enough to ride out a database restart (the
/// answers wait; none is lost or refused), short of the request timeout.
const RETRY_FOR: Duration = Duration::from_secs(15);
const MAX_RETRY_DELAY: Duration = Duration::from_millis(400);

impl Group {
    fn with_capacity(capacity: usize) -> Group {
        Group {
            records: Vec::with_capacity(capacity),
            waiting: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, entry: Entry) {
        self.records.push(entry.record);
        self.waiting.push(entry.stored);
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Counts and reports the outcome of the group's commit, tells each
    /// waiting handler, and empties the group.
    fn finish(&mut self, stored: bool, metrics: &Metrics) {
        if stored {
            metrics.decisions_written.inc_by(self.records.len() as u64);
            metrics.decision_commits.inc();
        } else {
            tracing::error!(
                records = self.records.len(),
                retried_ms = RETRY_FOR.as_millis() as u64,
                "decision log records could not be stored"
            );
        }
        self.records.clear();
        for tell in self.waiting.drain(..).flatten() {
            let _ = tell.send(stored);
        }
    }
}

/// The running writer and retention tasks; await them after [`DecisionLog::close`].
#[derive(Debug)]
pub struct Writer {
    pub task: JoinHandle<()>,
    pub retention: JoinHandle<()>,
}

impl Writer {
    /// Waits for the writer to store what is queued, and stops retention.
    pub async fn finish(self) {
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the decision log writer failed");
        }
        self.retention.abort();
        let _ = self.retention.await;
    }
}

/// How many times the durable writer yields, while records keep arriving,
/// before it commits a group.
const GATHER_YIELDS: usize = 4;

/// How often retention runs.
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);
const MICROS_PER_DAY: i64 = 86_400_000_000;

impl DecisionLog {
    pub fn start(
        store: Arc<dyn Store>,
        config: &DecisionLogConfig,
        metrics: Arc<Metrics>,
    ) -> (DecisionLog, Writer) {
        let (sender, receiver) = mpsc::channel(config.queue_capacity);
        let (shutdown, shutdown_seen) = watch::channel(false);
        let durable = config.durability == Durability::Durable;
        let settings = WriterSettings {
            batch_size: config.batch_size,
            flush_interval: Duration::from_millis(config.flush_interval_ms),
            durable,
        };
        // Durable mode commits on a thread of its own with the store's own
        // connection where it has one (no hop to another thread per group);
        // else, and in async mode, a task writes through the store.
        let own_connection = if durable {
            match store.log_writer() {
                Ok(writer) => writer,
                Err(error) => {
                    tracing::warn!(%error, "the decision log's own connection could not be opened; writing through the store");
                    None
                }
            }
        } else {
            None
        };
        let task = match own_connection {
            Some(writer) => {
                let metrics = Arc::clone(&metrics);
                tokio::task::spawn_blocking(move || {
                    commit_on_thread(writer, receiver, settings.batch_size, &metrics);
                })
            }
            None => tokio::spawn(write_batches(
                Arc::clone(&store),
                receiver,
                shutdown_seen,
                settings,
                Arc::clone(&metrics),
            )),
        };
        let retention = tokio::spawn(retain(
            store,
            config.retain_days,
            config.keep_facts_days,
            metrics,
        ));
        (
            DecisionLog {
                sender,
                shutdown,
                durable,
            },
            Writer { task, retention },
        )
    }

    /// Queues a record; in durable mode, returns once it is committed.
    pub async fn record(&self, record: DecisionRecord) -> Result<(), NotStored> {
        if !self.durable {
            self.enqueue(Entry {
                record,
                stored: None,
            })
            .await;
            return Ok(());
        }
        let (stored, committed) = oneshot::channel();
        self.enqueue(Entry {
            record,
            stored: Some(stored),
        })
        .await;
        match committed.await {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(NotStored),
        }
    }

    /// Queues every record; in durable mode, returns once all are committed.
    pub async fn record_all(&self, records: Vec<DecisionRecord>) -> Result<(), NotStored> {
        let mut waits = Vec::with_capacity(if self.durable { records.len() } else { 0 });
        for record in records {
            let stored = if self.durable {
                let (stored, committed) = oneshot::channel();
                waits.push(committed);
                Some(stored)
            } else {
                None
            };
            self.enqueue(Entry { record, stored }).await;
        }
        let mut all = Ok(());
        for committed in waits {
            if !matches!(committed.await, Ok(true)) {
                all = Err(NotStored);
            }
        }
        all
    }

    async fn enqueue(&self, entry: Entry) {
        let failed = match self.sender.try_send(Some(entry)) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(entry)) => self.sender.send(entry).await.is_err(),
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        };
        if failed {
            tracing::error!("the decision log is closed; a decision was not recorded");
        }
    }

    /// Records waiting for the writer.
    pub fn queued(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Asks the writer to store what is queued and stop. Call after the
    /// server has finished its requests.
    pub async fn close(&self) {
        let _ = self.shutdown.send(true);
        let _ = self.sender.send(None).await;
    }
}

#[derive(Debug, Clone, Copy)]
struct WriterSettings {
    batch_size: usize,
    flush_interval: Duration,
    durable: bool,
}

async fn write_batches(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Message>,
    mut shutdown: watch::Receiver<bool>,
    settings: WriterSettings,
    metrics: Arc<Metrics>,
) {
    let commits_in_flight = store.log_commits_in_flight();
    if settings.durable && commits_in_flight > 1 {
        commit_groups_concurrently(
            store,
            receiver,
            shutdown,
            settings.batch_size,
            commits_in_flight,
            metrics,
        )
        .await;
        return;
    }
    let mut batch = Group::with_capacity(settings.batch_size);
    if settings.durable {
        // Group commit: wake on the first record, take everything that is
        // queued, commit, answer; what arrived during the commit is the
        // next batch.
        let mut closing = false;
        loop {
            let first = tokio::select! {
                entry = receiver.recv() => entry,
                changed = shutdown.changed(), if !closing => {
                    if changed.is_err() || *shutdown.borrow() {
                        // No request is in flight any more: what is queued
                        // is still received, then `recv` ends.
                        closing = true;
                        receiver.close();
                    }
                    continue;
                }
            };
            let Some(first) = first else { break };
            let Some(first) = first else { continue };
            batch.push(first);
            drain(
                &*store,
                &mut receiver,
                &mut batch,
                settings.batch_size,
                &metrics,
            )
            .await;
        }
        return;
    }
    // Async mode polls the queue every `flush_interval` instead of waiting
    // on it: a task parked on the channel would be woken (a cross-thread
    // wake-up) by nearly every evaluation; polling drains thousands per wake.
    let mut ticker = tokio::time::interval(settings.flush_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = ticker.tick() => false,
            changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
        };
        if stopping {
            // No request is in flight any more: take what is queued and stop.
            receiver.close();
        }
        let disconnected = drain(
            &*store,
            &mut receiver,
            &mut batch,
            settings.batch_size,
            &metrics,
        )
        .await;
        if stopping || disconnected {
            break;
        }
    }
}

/// Writes what is in `batch` and everything queued now, `batch_size`
/// records per transaction. True when every sender is gone (or the queue
/// is closed) and it is empty.
/// Durable group commit with several commits in flight, each on its own
/// connection (a server database: while one group waits for its WAL flush,
/// the next is already on its way, and the server flushes them together).
/// Each group answers its own handlers when its commit returns.
async fn commit_groups_concurrently(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Message>,
    mut shutdown: watch::Receiver<bool>,
    batch_size: usize,
    commits_in_flight: usize,
    metrics: Arc<Metrics>,
) {
    let mut commits = tokio::task::JoinSet::new();
    let mut closing = false;
    loop {
        let room = commits.len() < commits_in_flight;
        tokio::select! {
            entry = receiver.recv(), if room => {
                // Closed and empty: every record has been taken.
                let Some(entry) = entry else { break };
                let Some(first) = entry else { continue };
                let mut group = Group::with_capacity(batch_size);
                group.push(first);
                while group.len() < batch_size {
                    match receiver.try_recv() {
                        Ok(Some(entry)) => group.push(entry),
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
                let store = Arc::clone(&store);
                let metrics = Arc::clone(&metrics);
                commits.spawn(async move { write(&*store, &mut group, &metrics).await });
            }
            Some(_) = commits.join_next(), if !commits.is_empty() => {}
            changed = shutdown.changed(), if !closing => {
                if changed.is_err() || *shutdown.borrow() {
                    // No request is in flight any more: what is queued is
                    // still received, then `recv` ends.
                    closing = true;
                    receiver.close();
                }
            }
        }
    }
    while commits.join_next().await.is_some() {}
}

async fn drain(
    store: &dyn Store,
    receiver: &mut mpsc::Receiver<Message>,
    batch: &mut Group,
    batch_size: usize,
    metrics: &Metrics,
) -> bool {
    loop {
        let mut disconnected = false;
        while batch.len() < batch_size {
            match receiver.try_recv() {
                Ok(Some(entry)) => batch.push(entry),
                Ok(None) => {}
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        let full = batch.len() == batch_size;
        write(store, batch, metrics).await;
        if !full {
            return disconnected;
        }
    }
}

/// Writes and empties `batch`, retrying a failing store a few times, then
/// tells each waiting handler whether its record was stored.
async fn write(store: &dyn Store, batch: &mut Group, metrics: &Metrics) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(50);
    let mut stored = false;
    let started = std::time::Instant::now();
    for attempt in 1.. {
        match store.append_decisions(&batch.records).await {
            Ok(()) => {
                stored = true;
                break;
            }
            Err(error) => {
                tracing::warn!(%error, attempt, records = batch.len(), "decision log write failed");
                if started.elapsed() >= RETRY_FOR {
                    break;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
        }
    }
    batch.finish(stored, metrics);
}

/// Durable mode on a thread of its own: wait for a record, gather what is
/// queued, commit it with the store's own connection, answer every waiting
/// handler; stop at the stop word once everything before it is stored.
fn commit_on_thread(
    mut writer: Box<dyn LogWriter>,
    mut receiver: mpsc::Receiver<Message>,
    batch_size: usize,
    metrics: &Metrics,
) {
    let mut group = Group::with_capacity(batch_size);
    let mut stopping = false;
    loop {
        if group.is_empty() {
            match receiver.blocking_recv() {
                Some(Some(entry)) => group.push(entry),
                Some(None) => stopping = true,
                None => break,
            }
        }
        // Let evaluations already running hand in their records: a few
        // yields gather a larger group for the same commit.
        for _ in 0..GATHER_YIELDS {
            let before = receiver.len();
            std::thread::yield_now();
            if receiver.len() == before {
                break;
            }
        }
        while group.len() < batch_size {
            match receiver.try_recv() {
                Ok(Some(entry)) => group.push(entry),
                Ok(None) => stopping = true,
                Err(_) => break,
            }
        }
        if !group.is_empty() {
            let mut stored = false;
            let mut delay = Duration::from_millis(50);
            let started = std::time::Instant::now();
            for attempt in 1.. {
                match writer.append(&group.records) {
                    Ok(()) => {
                        stored = true;
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, attempt, records = group.len(), "decision log write failed");
                        if started.elapsed() >= RETRY_FOR {
                            break;
                        }
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(MAX_RETRY_DELAY);
                    }
                }
            }
            group.finish(stored, metrics);
        }
        if stopping && receiver.is_empty() {
            break;
        }
    }
}

/// Removes old decisions and old kept facts, hourly (first at start).
async fn retain(
    store: Arc<dyn Store>,
    retain_days: u32,
    keep_facts_days: u32,
    metrics: Arc<Metrics>,
) {
    if retain_days == 0 && keep_facts_days == 0 {
        return;
    }
    let mut ticker = tokio::time::interval(RETENTION_INTERVAL);
    loop {
        ticker.tick().await;
        let now = now_micros();
        let cut = |days: u32| (days > 0).then(|| now - i64::from(days) * MICROS_PER_DAY);
        match store
            .prune_decisions(cut(retain_days), cut(keep_facts_days))
            .await
        {
            Ok(pruned) => {
                metrics.decisions_pruned.inc_by(pruned.decisions);
                metrics.facts_pruned.inc_by(pruned.facts);
                if pruned.decisions > 0 || pruned.facts > 0 {
                    tracing::info!(
                        decisions = pruned.decisions,
                        facts = pruned.facts,
                        "decision log retention"
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "decision log retention failed"),
        }
    }
}
