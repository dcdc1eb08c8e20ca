//! The engine: loads Yici policy artifacts and runs them sandboxed.
//!
//! Pipeline: `load` (validate, compile once, cache by content hash) →
//! `encode` (request JSON → linear memory by the manifest's input layout) →
//! `run` (the module's `evaluate`, under an epoch deadline and a memory cap)
//! → `decode` (output region → [`Decision`]). `oracle` is the reference
//! interpreter of the typed IR, the test oracle for the compiled modules.
//! This crate knows wasmtime, not HTTP, SQL or files.

pub mod oracle;
pub mod outcome;

pub use outcome::{RawOutcome, RawScalar, RawValue, Tri};
