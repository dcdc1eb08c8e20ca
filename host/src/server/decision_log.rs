//! The decision log: handlers hand each record to a bounded queue and go on;
//! one writer task stores them in batches, one transaction per batch. A full
//! queue makes handlers wait (slower, never lossy). At shutdown the queue is
//! closed and drained, so every decision answered is stored.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::DecisionLogConfig;
use crate::store::{DecisionRecord, Store};

use super::metrics::Metrics;

#[derive(Debug)]
pub struct DecisionLog {
    sender: mpsc::Sender<DecisionRecord>,
    shutdown: watch::Sender<bool>,
}

/// The running writer; await it after [`DecisionLog::close`].
#[derive(Debug)]
pub struct Writer {
    pub task: JoinHandle<()>,
}

impl DecisionLog {
    pub fn start(
        store: Arc<dyn Store>,
        config: &DecisionLogConfig,
        metrics: Arc<Metrics>,
    ) -> (DecisionLog, Writer) {
        let (sender, receiver) = mpsc::channel(config.queue_capacity);
        let (shutdown, shutdown_seen) = watch::channel(false);
        let task = tokio::spawn(write_batches(
            store,
            receiver,
            shutdown_seen,
            config.batch_size,
            Duration::from_millis(config.flush_interval_ms),
            metrics,
        ));
        (DecisionLog { sender, shutdown }, Writer { task })
    }

    /// Queues a record; waits only when the queue is full.
    pub async fn record(&self, record: DecisionRecord) {
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(record)) => {
                if self.sender.send(record).await.is_err() {
                    tracing::error!("the decision log is closed; a decision was not recorded");
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("the decision log is closed; a decision was not recorded");
            }
        }
    }

    /// Records waiting for the writer.
    pub fn queued(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Asks the writer to store what is queued and stop. Call after the
    /// server has finished its requests.
    pub fn close(&self) {
        let _ = self.shutdown.send(true);
    }
}

async fn write_batches(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<DecisionRecord>,
    mut shutdown: watch::Receiver<bool>,
    batch_size: usize,
    flush_interval: Duration,
    metrics: Arc<Metrics>,
) {
    // The writer polls the queue every `flush_interval` instead of waiting
    // on it: a task parked on the channel would be woken (a cross-thread
    // wake-up) by nearly every evaluation; polling drains thousands per wake.
    let mut batch = Vec::with_capacity(batch_size);
    let mut ticker = tokio::time::interval(flush_interval);
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
        let disconnected = drain(&*store, &mut receiver, &mut batch, batch_size, &metrics).await;
        if stopping || disconnected {
            break;
        }
    }
}

/// Writes everything queued now, `batch_size` records per transaction.
/// True when every sender is gone (or the queue is closed) and it is empty.
async fn drain(
    store: &dyn Store,
    receiver: &mut mpsc::Receiver<DecisionRecord>,
    batch: &mut Vec<DecisionRecord>,
    batch_size: usize,
    metrics: &Metrics,
) -> bool {
    loop {
        let mut disconnected = false;
        while batch.len() < batch_size {
            match receiver.try_recv() {
                Ok(record) => batch.push(record),
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

/// Writes and empties `batch`, retrying a failing store a few times.
async fn write(store: &dyn Store, batch: &mut Vec<DecisionRecord>, metrics: &Metrics) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(50);
    for attempt in 1..=6 {
        match store.append_decisions(batch).await {
            Ok(()) => {
                metrics.decisions_written.inc_by(batch.len() as u64);
                batch.clear();
                return;
            }
            Err(error) => {
                tracing::warn!(%error, attempt, records = batch.len(), "decision log write failed");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    tracing::error!(
        records = batch.len(),
        "decision log records could not be stored after 6 attempts"
    );
    batch.clear();
}
