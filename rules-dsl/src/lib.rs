//! The Yici policy language: source text → diagnostics and a typed IR.
//!
//! The pipeline is visible in the modules: `syntax` (pest grammar → AST with
//! spans), `check` (names, types, catalogue → typed IR), `ir` (the contract
//! with the code generator and the reference interpreter), `format` (the
//! canonical layout), `lang` (every message in Chinese and English). This
//! crate does no IO: callers hand it strings.

pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod format;
pub mod ir;
pub mod syntax;

pub use check::{Checked, check};
pub use contract::lang;
pub use contract::lang::{Lang, Words};
pub use contract::words;
/// The contract with the engine lives in its own crate; these are its paths here.
pub use contract::{calendar, codec, manifest};
pub use diagnostic::{Diagnostic, Severity, SourceSet, Span};
