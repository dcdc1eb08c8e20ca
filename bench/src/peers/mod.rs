//! The peers: the same decision in Rego (regorus, its interpreter and its
//! RVM), Cedar, GoRules ZEN expressions and CEL. Each starts from the JSON
//! bytes and parses them with the engine's own value type (Cedar: see
//! [`cedar`]). Their policies are in `bench/policies/`.

pub mod cedar;
pub mod cel;
pub mod rego;
pub mod zen;

use crate::Evaluator;

/// Every peer, ready to evaluate.
pub fn all() -> anyhow::Result<Vec<Box<dyn Evaluator>>> {
    Ok(vec![
        Box::new(rego::RegoInterpreter::new()?),
        Box::new(rego::RegoVm::new()?),
        Box::new(cedar::Cedar::new()?),
        Box::new(zen::Zen::new()?),
        Box::new(cel::Cel::new()?),
    ])
}
