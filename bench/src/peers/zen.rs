//! GoRules ZEN expressions (the `zen-expression` crate, not the decision
//! engine): `policies/residence_permit.zen`, one expression with
//! assignments, compiled once and run on a reused VM. The input is
//! deserialised straight into ZEN's `Variable`.

use zen_expression::expression::Standard;
use zen_expression::variable::Variable;
use zen_expression::vm::VM;
use zen_expression::{Expression, compile_expression};

use crate::Evaluator;

pub const EXPRESSION: &str = include_str!("../../policies/residence_permit.zen");

pub struct Zen {
    expression: Expression<Standard>,
    vm: VM,
}

impl std::fmt::Debug for Zen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zen").finish_non_exhaustive()
    }
}

impl Zen {
    pub fn new() -> anyhow::Result<Zen> {
        Ok(Zen {
            expression: compile_expression(EXPRESSION.trim())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            vm: VM::new(),
        })
    }
}

impl Evaluator for Zen {
    fn name(&self) -> &'static str {
        "ZEN expression"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        let context: Variable = serde_json::from_str(std::str::from_utf8(request_json)?)?;
        match self
            .expression
            .evaluate_with(context, &mut self.vm)
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            Variable::Bool(b) => Ok(b),
            other => anyhow::bail!("the expression gave {other}, not a boolean"),
        }
    }
}
