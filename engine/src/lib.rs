//! The engine: loads Yici policy artifacts and runs them sandboxed.
//!
//! Pipeline: `load` (validate, compile once, cache by content hash) →
//! `encode` (request JSON → linear memory by the manifest's input layout) →
//! `run` (the module's `evaluate`, under an epoch deadline and a memory cap,
//! on a pool of ready instances) → `write` (output region → the decision's
//! JSON, whose type is [`Decision`]). `derived` holds what is built once per
//! policy at load.
//! The reference interpreter (the compiled modules' test oracle) lives in the
//! `test-support` crate. This crate knows wasmtime, not HTTP, SQL or files,
//! and reads policies only through the `contract` crate.

pub mod bundle;
pub mod config;
pub mod decision;
pub mod derived;
pub mod encode;
pub mod error;
mod load;
mod names;
pub mod outcome;
pub mod outputs;
mod reader;
mod write;

pub use bundle::{BundleDecision, BundleEligibility, BundlePlan, LoadedBundle};
pub use config::{Compilation, Limits};
/// How values are written as text (the contract's codecs).
pub use contract::codec;
/// The artifact's manifest, as the engine reads it.
pub use contract::manifest as contract_manifest;
pub use decision::{
    DayKind, Decision, Eligibility, FactRef, MaterialNeed, MaterialStatus, MissingFacts, Named,
    NoEntry, PlannedStep, PolicyRef, ProvidedBy, ReportedValue, RuleResult, Schedule,
    SharedFactRef,
};
pub use error::{EvalError, LoadError};
pub use load::{Engine, LoadedPolicy, Session, Tier};
pub use outcome::{RawOutcome, RawScalar, RawValue, RequestMeta, Tri};
pub use write::Parts;
