//! The engine's limits, each with its default and the reason for it.

use std::time::Duration;

/// Limits applied to every policy the engine loads and every evaluation.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time one evaluation may take. Default 50 ms: a 2,000-rule
    /// policy evaluates in microseconds, so only a runaway module gets near it.
    pub deadline: Duration,
    /// How often the epoch ticker thread advances the engine's epoch; the
    /// deadline is counted in these ticks. Default 5 ms.
    pub epoch_tick: Duration,
    /// The largest linear memory a module may declare. Default 64 MiB.
    pub max_memory_bytes: u64,
    /// The longest list or set a request may hold. Default 1,000 (the code
    /// generator reserves memory for this many records per list).
    pub max_list_len: u32,
    /// Ready instances kept per loaded policy. Default 16.
    pub pool_size: usize,
    /// Refuse facts the policy does not declare. Default true: a typo in a
    /// fact name must not silently make a fact unknown.
    pub reject_unknown_fields: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            deadline: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(5),
            max_memory_bytes: 64 * 1024 * 1024,
            max_list_len: 1000,
            pool_size: 16,
            reject_unknown_fields: true,
        }
    }
}

impl Limits {
    /// The deadline in epoch ticks (at least 2, so a tick that lands just
    /// after the call starts does not stop it).
    pub fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_micros().max(1);
        let ticks = self.deadline.as_micros().div_ceil(tick);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(2)
    }
}
