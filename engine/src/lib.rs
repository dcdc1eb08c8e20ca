//! The engine: loads Yici policy artifacts and runs them sandboxed.
//!
//! Pipeline: `load` (validate, compile once, cache by content hash) →
//! `encode` (request JSON → linear memory by the manifest's input layout) →
//! `run` (the module's `evaluate`, under an epoch deadline and a memory cap,
//! on a pool of ready instances) → `decode` (output region → [`Decision`]).
//! `oracle` is the reference interpreter of the typed IR, the test oracle
//! for the compiled modules. This crate knows wasmtime, not HTTP, SQL or files.

pub mod bundle;
pub mod config;
pub mod decision;
pub mod decode;
pub mod encode;
pub mod error;
mod json;
mod load;
mod names;
pub mod oracle;
pub mod outcome;
mod reader;

pub use bundle::{BundleDecision, BundlePlan, LoadedBundle};
pub use config::{Compilation, Limits};
pub use decision::{
    DayKind, Decision, Eligibility, MaterialNeed, PlannedStep, PolicyRef, ProvidedBy, RuleResult,
    Value, Values,
};
pub use error::{EvalError, LoadError};
pub use load::{Engine, LoadedPolicy, Session, Tier};
pub use outcome::{RawOutcome, RawScalar, RawValue, Tri};
