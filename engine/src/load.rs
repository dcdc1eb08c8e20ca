//! Loading and running: one `wasmtime::Engine` per process, each artifact
//! validated and compiled once (cached by content hash), evaluated on a
//! pool of ready instances under an epoch deadline and a memory cap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use contract::manifest::{self, Manifest};
use wasmtime::{
    Config, Instance, Memory, Module, OptLevel, Store, StoreLimits, StoreLimitsBuilder, Trap,
    TypedFunc,
};

use crate::config::{Compilation, Limits};
use crate::decision::{Decision, Eligibility};
use crate::derived::{InputIndex, StepPlan};
use crate::encode;
use crate::error::{EvalError, LoadError};
use crate::outcome::{RawOutcome, RequestMeta};
use crate::outputs;
use crate::write::{self, Parts};

/// The process's WebAssembly engine, its module cache and its epoch ticker.
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    /// Compiles fast into slower code (see [`Compilation`]).
    quick: wasmtime::Engine,
    /// Compiles slowly into fast code.
    optimized: wasmtime::Engine,
    limits: Limits,
    cache: Mutex<HashMap<[u8; 32], Weak<LoadedPolicy>>>,
    /// Jobs for the thread that compiles optimised code in the background
    /// (only with [`Compilation::QuickThenOptimized`]).
    optimizer: Option<Mutex<mpsc::Sender<OptimizeJob>>>,
    stop: Arc<AtomicBool>,
}

/// A policy whose optimised code is still to be compiled.
struct OptimizeJob {
    policy: Weak<LoadedPolicy>,
    wasm: Vec<u8>,
}

/// Which code a policy is answering from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Quick,
    Optimized,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(limits: Limits) -> Result<Engine, LoadError> {
        let quick = wasmtime::Engine::new(&wasmtime_config(&limits, Tier::Quick))
            .map_err(|e| LoadError::Engine(e.to_string()))?;
        let optimized = wasmtime::Engine::new(&wasmtime_config(&limits, Tier::Optimized))
            .map_err(|e| LoadError::Engine(e.to_string()))?;

        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engines = [quick.weak(), optimized.weak()];
        let ticker_stop = Arc::clone(&stop);
        let tick = limits.epoch_tick;
        thread::Builder::new()
            .name("yici-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    thread::sleep(tick);
                    let mut alive = false;
                    for weak in &ticker_engines {
                        if let Some(engine) = weak.upgrade() {
                            engine.increment_epoch();
                            alive = true;
                        }
                    }
                    if !alive {
                        break;
                    }
                }
            })
            .map_err(|e| LoadError::Engine(e.to_string()))?;
        let optimizer = match limits.compilation {
            Compilation::QuickThenOptimized => {
                Some(Mutex::new(spawn_optimizer(optimized.clone())?))
            }
            Compilation::Optimized | Compilation::Quick => None,
        };
        Ok(Engine {
            inner: Arc::new(EngineInner {
                quick,
                optimized,
                limits,
                cache: Mutex::new(HashMap::new()),
                optimizer,
                stop,
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Validates and compiles an artifact, or returns the cached one with the
    /// same bytes. With [`Compilation::QuickThenOptimized`] the policy answers
    /// from quick code at once and moves to optimised code when the background
    /// thread has compiled it ([`LoadedPolicy::wait_optimized`]).
    pub fn load(&self, wasm: &[u8]) -> Result<Arc<LoadedPolicy>, LoadError> {
        let hash = content_hash(wasm);
        if let Some(loaded) = self.lock_cache().get(&hash).and_then(Weak::upgrade) {
            return Ok(loaded);
        }
        let manifest = inspect(wasm, &self.inner.limits)?;
        let (engine, tier) = match self.inner.limits.compilation {
            Compilation::Optimized => (&self.inner.optimized, Tier::Optimized),
            Compilation::Quick | Compilation::QuickThenOptimized => {
                (&self.inner.quick, Tier::Quick)
            }
        };
        let module = Module::new(engine, wasm).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let evaluate_ok = module
            .get_export("evaluate")
            .and_then(|e| e.func().cloned())
            .is_some_and(|f| f.params().len() == 0 && f.results().len() == 0);
        let memory_ok = module
            .get_export("memory")
            .is_some_and(|e| e.memory().is_some());
        if !evaluate_ok || !memory_ok {
            return Err(LoadError::Exports);
        }
        let index = InputIndex::new(&manifest);
        let plan = StepPlan::new(&manifest);
        let parts = Parts::new(&manifest, &plan);
        let code = Arc::new(Code {
            engine: engine.clone(),
            module,
            tier,
        });
        let optimizing = self.inner.optimizer.is_some();
        let loaded = Arc::new(LoadedPolicy {
            limits: self.inner.limits.clone(),
            manifest,
            index,
            plan,
            parts,
            pool: Mutex::new(Pool {
                code: Arc::clone(&code),
                ready: Vec::new(),
                optimizing,
                optimize_failure: None,
            }),
            optimized: Condvar::new(),
        });
        // Instantiate once now, so a module that cannot start fails at load time.
        let instance = loaded.instantiate(&code)?;
        loaded.release(instance);
        let mut cache = self.lock_cache();
        cache.retain(|_, weak| weak.strong_count() > 0);
        cache.insert(hash, Arc::downgrade(&loaded));
        drop(cache);
        if let Some(optimizer) = &self.inner.optimizer {
            let job = OptimizeJob {
                policy: Arc::downgrade(&loaded),
                wasm: wasm.to_vec(),
            };
            let sent = optimizer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(job);
            if sent.is_err() {
                loaded.optimized_with(Err("the optimising thread has stopped".into()));
            }
        }
        Ok(loaded)
    }

    fn lock_cache(&self) -> MutexGuard<'_, HashMap<[u8; 32], Weak<LoadedPolicy>>> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// wasmtime's configuration for one tier.
fn wasmtime_config(limits: &Limits, tier: Tier) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    match tier {
        Tier::Optimized => {
            config.cranelift_opt_level(OptLevel::Speed);
        }
        Tier::Quick => {
            config.cranelift_opt_level(OptLevel::None);
            config.cranelift_regalloc_algorithm(wasmtime::RegallocAlgorithm::SinglePass);
        }
    }
    // Memories are fixed-size (minimum = maximum), so no room to grow is
    // reserved; the guard region still turns stray accesses into traps.
    config.memory_reservation(limits.max_memory_bytes.max(65_536));
    config.memory_reservation_for_growth(0);
    // Instances are allocated on demand, not from wasmtime's pooling
    // allocator: a pool has a fixed total (it was 1,000 instances), and
    // the service keeps every published version loaded with a ready
    // instance each. Instantiation is rare anyway: each policy keeps its
    // own pool of ready instances (`Limits::pool_size`).
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
    config
}

/// The thread that compiles optimised code for policies loaded with quick
/// code, one at a time, in load order. It stops when the engine is dropped
/// (its sender with it).
fn spawn_optimizer(engine: wasmtime::Engine) -> Result<mpsc::Sender<OptimizeJob>, LoadError> {
    let (sender, jobs) = mpsc::channel::<OptimizeJob>();
    thread::Builder::new()
        .name("yici-optimize".into())
        .spawn(move || {
            for job in jobs {
                // A policy dropped while waiting is not compiled at all.
                if job.policy.strong_count() == 0 {
                    continue;
                }
                // A panic in the compiler must not leave the policy waiting
                // for optimised code that never comes: it keeps its quick code.
                let module = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    Module::new(&engine, &job.wasm)
                }))
                .map_err(|_| "the optimising compiler stopped unexpectedly".to_string())
                .and_then(|compiled| compiled.map_err(|e| format!("{e:#}")));
                if let Some(policy) = job.policy.upgrade() {
                    let code = module.map(|module| {
                        Arc::new(Code {
                            engine: engine.clone(),
                            module,
                            tier: Tier::Optimized,
                        })
                    });
                    policy.optimized_with(code);
                }
            }
        })
        .map_err(|e| LoadError::Engine(e.to_string()))?;
    Ok(sender)
}

fn content_hash(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// Checks the module's structure before compiling it, and reads its manifest.
fn inspect(wasm: &[u8], limits: &Limits) -> Result<Manifest, LoadError> {
    use wasmparser::{Parser, Payload};
    let mut manifest_bytes: Option<&[u8]> = None;
    let mut memory_max: Option<Option<u64>> = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| LoadError::Invalid(e.to_string()))?;
        match payload {
            Payload::ImportSection(reader) => {
                if let Some(import) = reader.into_imports().next() {
                    let import = import.map_err(|e| LoadError::Invalid(e.to_string()))?;
                    return Err(LoadError::Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                    });
                }
            }
            Payload::StartSection { .. } => return Err(LoadError::StartFunction),
            Payload::TableSection(reader) if reader.count() > 0 => return Err(LoadError::Table),
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(|e| LoadError::Invalid(e.to_string()))?;
                    memory_max = Some(memory.maximum.map(|pages| pages.saturating_mul(65_536)));
                }
            }
            Payload::CustomSection(section) if section.name() == manifest::SECTION => {
                manifest_bytes = Some(section.data());
            }
            _ => {}
        }
    }
    let bytes = manifest_bytes.ok_or(LoadError::NoManifest(manifest::SECTION))?;
    let abi_version = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("abi_version").and_then(serde_json::Value::as_u64))
        .ok_or_else(|| LoadError::BadManifest("no `abi_version`".into()))?;
    if abi_version != u64::from(manifest::ABI_VERSION) {
        return Err(LoadError::AbiVersion {
            found: u32::try_from(abi_version).unwrap_or(u32::MAX),
            supported: manifest::ABI_VERSION,
        });
    }
    let manifest = Manifest::from_json(bytes).map_err(|e| LoadError::BadManifest(e.to_string()))?;
    match memory_max {
        Some(Some(bytes)) if bytes <= limits.max_memory_bytes => {}
        Some(Some(bytes)) => {
            return Err(LoadError::Memory {
                policy: manifest.policy.id,
                bytes,
                limit: limits.max_memory_bytes,
            });
        }
        _ => {
            return Err(LoadError::Memory {
                policy: manifest.policy.id,
                bytes: u64::MAX,
                limit: limits.max_memory_bytes,
            });
        }
    }
    Ok(manifest)
}

/// A compiled policy with its pool of ready instances.
pub struct LoadedPolicy {
    limits: Limits,
    manifest: Manifest,
    index: InputIndex,
    plan: StepPlan,
    /// The constant parts of its decisions' JSON, escaped once.
    parts: Parts,
    pool: Mutex<Pool>,
    /// Signalled when the optimised code is in place (or failed).
    optimized: Condvar,
}

/// The code new instances are made from, and the ready instances of it.
struct Pool {
    code: Arc<Code>,
    ready: Vec<Ready>,
    /// The optimised code is being compiled.
    optimizing: bool,
    /// Why the optimised code could not be compiled (the quick code stays).
    optimize_failure: Option<String>,
}

/// One compilation of the module.
struct Code {
    engine: wasmtime::Engine,
    module: Module,
    tier: Tier,
}

impl std::fmt::Debug for LoadedPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPolicy")
            .field("policy", &self.manifest.policy.id)
            .finish_non_exhaustive()
    }
}

/// An instance ready to evaluate, with its exports looked up once.
struct Ready {
    /// The code it was made from: only instances of the current code go back
    /// to the pool.
    code: Arc<Code>,
    store: Store<StoreLimits>,
    memory: Memory,
    evaluate: TypedFunc<(), ()>,
}

impl LoadedPolicy {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn input_index(&self) -> &InputIndex {
        &self.index
    }

    /// The code answering now.
    pub fn tier(&self) -> Tier {
        self.lock_pool().code.tier
    }

    /// Waits (up to `timeout`) until the optimised code answers; returns the
    /// tier then in use. Returns at once without background compilation, and
    /// when it failed ([`optimize_failure`](Self::optimize_failure)).
    pub fn wait_optimized(&self, timeout: Duration) -> Tier {
        let deadline = Instant::now() + timeout;
        let mut pool = self.lock_pool();
        while pool.optimizing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            pool = self
                .optimized
                .wait_timeout(pool, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        pool.code.tier
    }

    /// Why the optimised code could not be compiled, if it could not.
    pub fn optimize_failure(&self) -> Option<String> {
        self.lock_pool().optimize_failure.clone()
    }

    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the optimised code in place: instances of the quick code are
    /// dropped (those in flight when they come back), one instance of the
    /// new code is made ready here, off the request path.
    fn optimized_with(&self, code: Result<Arc<Code>, String>) {
        let first = match &code {
            Ok(code) => self.instantiate(code).map_err(|e| e.to_string()),
            Err(_) => Err(String::new()),
        };
        let mut pool = self.lock_pool();
        match (code, first) {
            (Ok(code), Ok(first)) => {
                pool.code = code;
                pool.ready.clear();
                pool.ready.push(first);
            }
            (Err(failure), _) | (Ok(_), Err(failure)) => pool.optimize_failure = Some(failure),
        }
        pool.optimizing = false;
        drop(pool);
        self.optimized.notify_all();
    }

    fn instantiate(&self, code: &Arc<Code>) -> Result<Ready, LoadError> {
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(usize::try_from(self.limits.max_memory_bytes).unwrap_or(usize::MAX))
            .instances(1)
            .tables(0)
            .memories(1)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(&code.engine, store_limits);
        store.limiter(|limits| limits);
        store.set_epoch_deadline(self.limits.deadline_ticks());
        let failure = |e: wasmtime::Error| LoadError::Instantiate {
            policy: self.manifest.policy.id.clone(),
            message: format!("{e:#}"),
        };
        let instance = Instance::new(&mut store, &code.module, &[]).map_err(failure)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or(LoadError::Exports)?;
        let evaluate = instance
            .get_typed_func::<(), ()>(&mut store, "evaluate")
            .map_err(|_| LoadError::Exports)?;
        Ok(Ready {
            code: Arc::clone(code),
            store,
            memory,
            evaluate,
        })
    }

    fn take(&self) -> Result<Ready, EvalError> {
        let mut pool = self.lock_pool();
        if let Some(ready) = pool.ready.pop() {
            return Ok(ready);
        }
        let code = Arc::clone(&pool.code);
        drop(pool);
        self.instantiate(&code).map_err(|e| EvalError::Trap {
            policy: self.manifest.policy.id.clone(),
            reason: match e {
                // Already names the policy; say it once.
                LoadError::Instantiate { message, .. } => {
                    format!("a fresh instance could not be made: {message}")
                }
                other => other.to_string(),
            },
        })
    }

    fn release(&self, ready: Ready) {
        let mut pool = self.lock_pool();
        if Arc::ptr_eq(&ready.code, &pool.code) && pool.ready.len() < self.limits.pool_size {
            pool.ready.push(ready);
        }
    }

    /// Evaluates a request `{application_date, facts, shared_available}`
    /// and reads the decision back (tests, the CLI, bundles; the service
    /// answers [`Session::write_json`]'s bytes).
    pub fn evaluate(&self, request_json: &[u8]) -> Result<Decision, EvalError> {
        let mut session = self.session()?;
        let meta = session.encode(request_json)?;
        session.run()?;
        session.decode(&meta)
    }

    /// Evaluates a request and appends the decision's JSON to `out`.
    pub fn evaluate_json(
        &self,
        request_json: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Eligibility, EvalError> {
        let mut session = self.session()?;
        let meta = session.encode(request_json)?;
        session.run()?;
        Ok(session.write_json(&meta, out))
    }

    /// Evaluates a facts object with the date and available datasets given apart.
    pub fn evaluate_facts(
        &self,
        facts_json: &[u8],
        application_date: &str,
        shared_available: &[&str],
    ) -> Result<Decision, EvalError> {
        let mut session = self.session()?;
        let meta = session.encode_facts(facts_json, application_date, shared_available)?;
        session.run()?;
        session.decode(&meta)
    }

    /// [`evaluate_facts`](Self::evaluate_facts), the decision's JSON appended to `out`.
    pub fn evaluate_facts_json(
        &self,
        facts_json: &[u8],
        application_date: &str,
        shared_available: &[&str],
        out: &mut Vec<u8>,
    ) -> Result<Eligibility, EvalError> {
        let mut session = self.session()?;
        let meta = session.encode_facts(facts_json, application_date, shared_available)?;
        session.run()?;
        Ok(session.write_json(&meta, out))
    }

    /// A ready instance held for one evaluation, in its three stages (the
    /// benchmark times them apart). Dropping it returns the instance to the
    /// pool, unless the run trapped.
    pub fn session(&self) -> Result<Session<'_>, EvalError> {
        Ok(Session {
            policy: self,
            ready: Some(self.take()?),
        })
    }

    /// Runs `evaluate` on an input image made elsewhere (tests, the oracle):
    /// copies the image into a pooled instance and reads the raw outputs.
    pub fn run_raw(&self, image: &[u8]) -> Result<RawOutcome, EvalError> {
        let mut ready = self.take()?;
        {
            let memory = ready.memory.data_mut(&mut ready.store);
            let length = image.len().min(memory.len());
            memory[..length].copy_from_slice(&image[..length]);
        }
        self.call(&mut ready)?;
        let raw = outputs::read_outcome(&self.manifest, ready.memory.data(&ready.store));
        self.release(ready);
        Ok(raw)
    }

    /// Calls `evaluate` under the deadline. A store that trapped is dropped,
    /// never reused.
    fn call(&self, ready: &mut Ready) -> Result<(), EvalError> {
        ready.store.set_epoch_deadline(self.limits.deadline_ticks());
        match ready.evaluate.call(&mut ready.store, ()) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.trap_error(&error)),
        }
    }

    fn trap_error(&self, error: &wasmtime::Error) -> EvalError {
        let policy = self.manifest.policy.id.clone();
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => EvalError::Timeout {
                policy,
                limit_ms: u64::try_from(self.limits.deadline.as_millis()).unwrap_or(u64::MAX),
            },
            Some(Trap::MemoryOutOfBounds) | Some(Trap::HeapMisaligned) => EvalError::OutOfMemory {
                policy,
                limit: self.limits.max_memory_bytes,
            },
            Some(Trap::IntegerDivisionByZero) => EvalError::Trap {
                policy,
                reason: "a division by zero".into(),
            },
            Some(Trap::IntegerOverflow) | Some(Trap::UnreachableCodeReached) => EvalError::Trap {
                policy,
                reason: "a calculation overflowed, or a date left the years 0001–9999".into(),
            },
            Some(other) => EvalError::Trap {
                policy,
                reason: format!("the module stopped: {other}"),
            },
            None => EvalError::Trap {
                policy,
                reason: format!("the module stopped: {error:#}"),
            },
        }
    }
}

/// One evaluation on a pooled instance: encode, run, decode.
pub struct Session<'p> {
    policy: &'p LoadedPolicy,
    /// `None` once the instance trapped (it is then dropped, not pooled).
    ready: Option<Ready>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("policy", &self.policy.manifest.policy.id)
            .finish_non_exhaustive()
    }
}

impl<'p> Session<'p> {
    fn ready(&mut self) -> Result<&mut Ready, EvalError> {
        let policy = &self.policy.manifest.policy.id;
        self.ready.as_mut().ok_or_else(|| EvalError::Trap {
            policy: policy.clone(),
            reason: "this evaluation already failed".into(),
        })
    }

    /// Writes a request into the instance's memory.
    pub fn encode(&mut self, request_json: &[u8]) -> Result<RequestMeta, EvalError> {
        self.encode_with(request_json, false)
    }

    /// Writes a request whose facts this policy need not all declare (a
    /// bundle's request carries every member's facts).
    pub fn encode_lenient(&mut self, request_json: &[u8]) -> Result<RequestMeta, EvalError> {
        self.encode_with(request_json, true)
    }

    fn encode_with(
        &mut self,
        request_json: &[u8],
        ignore_unknown_facts: bool,
    ) -> Result<RequestMeta, EvalError> {
        let policy = self.policy;
        let ready = self.ready()?;
        let memory = ready.memory.data_mut(&mut ready.store);
        if ignore_unknown_facts {
            let limits = Limits {
                reject_unknown_fields: false,
                ..policy.limits.clone()
            };
            encode::encode_into(
                &policy.manifest,
                &policy.index,
                request_json,
                &limits,
                memory,
            )
        } else {
            encode::encode_into(
                &policy.manifest,
                &policy.index,
                request_json,
                &policy.limits,
                memory,
            )
        }
    }

    /// Writes a facts object, the date and the available datasets.
    pub fn encode_facts(
        &mut self,
        facts_json: &[u8],
        application_date: &str,
        shared_available: &[&str],
    ) -> Result<RequestMeta, EvalError> {
        let policy = self.policy;
        let ready = self.ready()?;
        let memory = ready.memory.data_mut(&mut ready.store);
        encode::encode_facts_into(
            &policy.manifest,
            &policy.index,
            facts_json,
            application_date,
            shared_available,
            &policy.limits,
            memory,
        )
    }

    /// Runs `evaluate`; a trap discards the instance.
    pub fn run(&mut self) -> Result<(), EvalError> {
        let policy = self.policy;
        let ready = self.ready()?;
        let result = policy.call(ready);
        if result.is_err() {
            self.ready = None;
        }
        result
    }

    /// The decision of the last run, read back from its JSON.
    pub fn decode(&self, meta: &RequestMeta) -> Result<Decision, EvalError> {
        let mut json = Vec::with_capacity(4096);
        self.write_json(meta, &mut json);
        Decision::from_json(&json).map_err(|e| EvalError::Trap {
            policy: self.policy.manifest.policy.id.clone(),
            reason: format!("the decision could not be read back: {e}"),
        })
    }

    /// Appends the decision of the last run as JSON to `out`, straight from
    /// the instance's memory: the decision's one writer. Returns the
    /// eligibility.
    pub fn write_json(&self, meta: &RequestMeta, out: &mut Vec<u8>) -> Eligibility {
        self.write_json_linked(meta, &[], out)
    }

    /// [`write_json`](Self::write_json) for a member of a bundle: the
    /// materials in `linked` are produced by another member.
    pub fn write_json_linked(
        &self,
        meta: &RequestMeta,
        linked: &[&str],
        out: &mut Vec<u8>,
    ) -> Eligibility {
        let policy = self.policy;
        let memory = match &self.ready {
            Some(ready) => ready.memory.data(&ready.store),
            None => &[],
        };
        write::write_decision(
            &write::Source {
                manifest: &policy.manifest,
                index: &policy.index,
                plan: &policy.plan,
                parts: &policy.parts,
                memory,
                meta,
                linked,
            },
            out,
        )
    }

    /// Reads the raw answers of the last run.
    pub fn raw(&self) -> Option<RawOutcome> {
        self.ready.as_ref().map(|ready| {
            outputs::read_outcome(&self.policy.manifest, ready.memory.data(&ready.store))
        })
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(ready) = self.ready.take() {
            self.policy.release(ready);
        }
    }
}
