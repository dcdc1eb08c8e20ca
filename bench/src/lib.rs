//! Yici against its peers (issue 6); the figures are in `docs/benchmarks.md`.
//!
//! Every engine here answers one question, the eligibility of the
//! residence-permit decision in `bench/residence_permit.rules`, starting from
//! the same JSON bytes (the documents in `bench/data/`): parsing is part of
//! every engine's work. [`Evaluator`] is that one question;
//! [`yici::Yici`] and [`floor::Floor`] are always built, the peers (Rego,
//! Cedar, ZEN expressions, CEL) only with the `peers` feature.

pub mod documents;
pub mod floor;
pub mod generated;
#[cfg(feature = "peers")]
pub mod peers;
pub mod yici;

pub use documents::{Document, documents};

/// One engine's way to the eligibility of a request.
pub trait Evaluator {
    /// The name used in the benchmark table.
    fn name(&self) -> &'static str;

    /// Parses `request_json` (`{application_date, facts}`) and decides.
    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool>;
}

/// Checks an evaluator against every document's expected eligibility;
/// returns one line per disagreement (empty when all agree).
pub fn disagreements(evaluator: &mut dyn Evaluator, documents: &[Document]) -> Vec<String> {
    let mut problems = Vec::new();
    for document in documents {
        match evaluator.eligible(&document.json) {
            Ok(eligible) if eligible == document.expected_eligible => {}
            Ok(eligible) => problems.push(format!(
                "{}: {} says eligible = {eligible}, expected {}",
                document.name,
                evaluator.name(),
                document.expected_eligible
            )),
            Err(error) => problems.push(format!(
                "{}: {} failed: {error:#}",
                document.name,
                evaluator.name()
            )),
        }
    }
    problems
}
