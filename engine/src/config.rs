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
    /// How a loaded policy's code is compiled. Default
    /// [`Compilation::QuickThenOptimized`].
    pub compilation: Compilation,
}

/// Cranelift can compile a module quickly into slower code (no optimisation,
/// a single-pass register allocator: half the compile time, runs ~3× slower)
/// or slowly into fast code. Measured on a 200-rule policy: 28 ms vs 55 ms to
/// compile; 0.77 µs vs 0.24 µs to run the residence-permit policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compilation {
    /// Answer from quickly compiled code at once, while a background thread
    /// compiles the optimised code; it replaces the quick code as soon as it
    /// is ready (instances in flight finish on the code they started on).
    /// A publish is in force sooner and throughput is the optimised one
    /// milliseconds later.
    QuickThenOptimized,
    /// Only the optimised code: `load` returns when it is compiled.
    Optimized,
    /// Only the quick code (tests that load thousands of policies).
    Quick,
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
            compilation: Compilation::QuickThenOptimized,
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
