//! The pool for heavy work: compiling a source, running scenarios, a batch
//! of evaluations. Each job runs on a blocking thread, at most `workers` at
//! once; at most `queue` more wait, and a job beyond that is refused at once
//! (`ServiceError::Busy`, 503) rather than piling up memory. The async
//! workers never run such a job, so `/healthz` and single evaluations keep
//! answering while they run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::error::ServiceError;

#[derive(Debug)]
pub struct HeavyPool {
    running: Arc<Semaphore>,
    /// Jobs running or waiting.
    admitted: Arc<AtomicUsize>,
    /// `workers + queue`.
    capacity: usize,
}

/// Counts a job as admitted until it is dropped (finished, or its request
/// went away while it waited).
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HeavyPool {
    pub fn new(workers: usize, queue: usize) -> HeavyPool {
        let workers = workers.max(1);
        HeavyPool {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: workers + queue,
        }
    }

    /// Runs `job` on a blocking thread once a worker is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ServiceError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(ServiceError::Busy);
        }
        let admission = Admission(Arc::clone(&self.admitted));
        let permit = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(permit);
            drop(admission);
            result
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Jobs running or waiting now.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}
