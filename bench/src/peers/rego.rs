//! Rego with regorus: `policies/residence_permit.rego`, evaluated by the
//! tree-walking interpreter and by the Rego virtual machine (RVM). The input
//! is parsed with regorus's own JSON reader into its `Value`.

use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use regorus::{Engine, Value};

use crate::Evaluator;

pub const POLICY: &str = include_str!("../../policies/residence_permit.rego");
pub const RULE: &str = "data.residence_permit.eligible";

fn engine() -> anyhow::Result<Engine> {
    let mut engine = Engine::new();
    engine.add_policy("residence_permit.rego".to_string(), POLICY.to_string())?;
    Ok(engine)
}

fn input(request_json: &[u8]) -> anyhow::Result<Value> {
    Value::from_json_str(std::str::from_utf8(request_json)?)
}

fn boolean(value: &Value) -> anyhow::Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => anyhow::bail!("`eligible` is {other}, not a boolean"),
    }
}

/// The interpreter: `set_input` then `eval_rule` on one prepared engine.
pub struct RegoInterpreter {
    engine: Engine,
}

impl std::fmt::Debug for RegoInterpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoInterpreter").finish_non_exhaustive()
    }
}

impl RegoInterpreter {
    pub fn new() -> anyhow::Result<RegoInterpreter> {
        let mut engine = engine()?;
        // Prepares the engine (the first evaluation analyses the policy).
        engine.set_input(Value::new_object());
        engine.eval_rule(RULE.to_string())?;
        Ok(RegoInterpreter { engine })
    }
}

impl Evaluator for RegoInterpreter {
    fn name(&self) -> &'static str {
        "Rego (regorus interpreter)"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        self.engine.set_input(input(request_json)?);
        boolean(&self.engine.eval_rule(RULE.to_string())?)
    }
}

/// The RVM: the policy compiled once to a program; one VM reused.
pub struct RegoVm {
    vm: RegoVM,
}

impl std::fmt::Debug for RegoVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoVm").finish_non_exhaustive()
    }
}

impl RegoVm {
    pub fn new() -> anyhow::Result<RegoVm> {
        let mut engine = engine()?;
        let compiled = engine.compile_with_entrypoint(&RULE.into())?;
        let program: Arc<Program> = Compiler::compile_from_policy(&compiled, &[RULE])?;
        let mut vm = RegoVM::new();
        vm.load_program(program);
        Ok(RegoVm { vm })
    }
}

impl Evaluator for RegoVm {
    fn name(&self) -> &'static str {
        "Rego (regorus RVM)"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        self.vm.set_input(input(request_json)?);
        boolean(&self.vm.execute()?)
    }
}
