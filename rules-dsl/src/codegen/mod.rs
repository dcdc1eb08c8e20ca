//! Code generation: typed IR → one WebAssembly module per policy.
//!
//! Input: an `ir::Policy` (checked, error-free). Output: an [`Artifact`]: the
//! module bytes, validated with wasmparser, and its [`Manifest`]. The module
//! imports nothing, exports `memory` and `evaluate`, and carries the manifest
//! in the custom section `yici.manifest`. docs/abi.md is the byte-level
//! description; `layout.rs` computes the offsets, `expr.rs` emits one
//! function per definition, `runtime.rs` the helpers every module shares.

mod asm;
mod describe;
mod expr;
mod layout;
mod runtime;

use std::collections::HashMap;

use thiserror::Error;
use wasm_encoder::{
    CodeSection, CustomSection, ExportKind, ExportSection, FunctionSection, MemorySection,
    MemoryType, Module, TypeSection,
};

use crate::ir::{self, ExprKind, Literal, SetOperand, Type};
use crate::manifest::{self, Manifest};

pub use layout::Layout;

/// Settings that shape the artifact.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// SHA-256 of the source, hex; recorded in the manifest.
    pub source_hash: String,
    /// The longest list (or set) a fact may hold; memory is reserved for it.
    pub max_list_len: u32,
    /// Definitions emitted per function (default [`DEFINITIONS_PER_FUNCTION`]; a tuning knob).
    pub definitions_per_function: usize,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            source_hash: String::new(),
            max_list_len: DEFAULT_MAX_LIST_LEN,
            definitions_per_function: DEFINITIONS_PER_FUNCTION,
        }
    }
}

/// Definitions emitted per function: small chunks keep Cranelift's work
/// linear (one giant function compiles several times slower) while sparing
/// the per-function cost (prologue, epoch check, call) of one per rule.
pub const DEFINITIONS_PER_FUNCTION: usize = 4;

/// Lists hold at most this many records unless the options say otherwise.
pub const DEFAULT_MAX_LIST_LEN: u32 = 1000;

/// Memory larger than this is refused (the layout reserves every list's capacity).
pub const MAX_MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub wasm: Vec<u8>,
    pub manifest: Manifest,
}

#[derive(Debug, Error)]
pub enum CodegenError {
    #[error(
        "policy `{policy}` needs {bytes} bytes of memory for its lists, more than the limit of {limit}"
    )]
    TooLarge {
        policy: String,
        bytes: u64,
        limit: u64,
    },
    #[error("the generated module for policy `{policy}` is invalid (a bug in Yici): {message}")]
    Invalid { policy: String, message: String },
}

/// SHA-256 of a policy source, as lowercase hex.
pub fn source_hash(source: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(source.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compiles a checked policy.
pub fn compile(policy: &ir::Policy, options: &CompileOptions) -> Result<Artifact, CodegenError> {
    let texts = Texts::collect(policy);
    let layout = Layout::new(policy, options.max_list_len);
    if layout.end > MAX_MEMORY_BYTES {
        return Err(CodegenError::TooLarge {
            policy: policy.id.clone(),
            bytes: layout.end,
            limit: MAX_MEMORY_BYTES,
        });
    }
    let pages = u32::try_from(layout.end.div_ceil(65_536).max(1)).unwrap_or(u32::MAX);

    let mut module = Module::new();
    let mut types = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();

    // Type 0: () -> (); helpers get one type each after it.
    types.ty().function([], []);
    for (index, (params, results)) in runtime::signatures().into_iter().enumerate() {
        types.ty().function(params, results);
        functions.function(u32::try_from(index).unwrap_or(0) + 1);
    }
    for body in runtime::bodies() {
        code.function(&body);
    }

    let emitter = expr::Emitter::new(policy, &layout, &texts);
    let mut next_index = runtime::COUNT;
    let mut definition_functions = Vec::with_capacity(policy.order.len() + 1);
    if layout.params.iter().any(Option::is_some) {
        functions.function(0);
        code.function(&emitter.params());
        definition_functions.push(next_index);
        next_index += 1;
    }
    for chunk in policy.order.chunks(options.definitions_per_function.max(1)) {
        for body in emitter.definitions(chunk) {
            functions.function(0);
            code.function(&body);
            definition_functions.push(next_index);
            next_index += 1;
        }
    }
    let mut output_functions = Vec::new();
    for body in emitter.outputs() {
        functions.function(0);
        code.function(&body);
        output_functions.push(next_index);
        next_index += 1;
    }

    let mut evaluate = asm::Asm::new(0);
    for index in definition_functions.iter().chain(&output_functions) {
        evaluate.op(wasm_encoder::Instruction::Call(*index));
    }
    functions.function(0);
    code.function(&evaluate.finish());
    let evaluate_index = next_index;

    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: u64::from(pages),
        maximum: Some(u64::from(pages)),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("evaluate", ExportKind::Func, evaluate_index);

    let manifest = describe::manifest(policy, &layout, &texts, options, pages);
    let manifest_json = manifest.to_json();

    module.section(&types);
    module.section(&functions);
    module.section(&memories);
    module.section(&exports);
    module.section(&code);
    module.section(&CustomSection {
        name: manifest::SECTION.into(),
        data: manifest_json.as_bytes().into(),
    });
    let wasm = module.finish();

    let mut validator = wasmparser::Validator::new();
    if let Err(error) = validator.validate_all(&wasm) {
        return Err(CodegenError::Invalid {
            policy: policy.id.clone(),
            message: error.to_string(),
        });
    }
    Ok(Artifact { wasm, manifest })
}

/// The policy's text constants, numbered in first-seen order.
#[derive(Debug, Default)]
pub struct Texts {
    pub list: Vec<String>,
    index: HashMap<String, u32>,
    /// Enums whose value names are used as text (`EnumText`), while collecting.
    named_enums: Vec<ir::EnumId>,
}

impl Texts {
    fn add(&mut self, text: &str) {
        if !self.index.contains_key(text) {
            self.index.insert(
                text.to_string(),
                u32::try_from(self.list.len()).unwrap_or(u32::MAX),
            );
            self.list.push(text.to_string());
        }
    }

    pub fn id(&self, text: &str) -> i64 {
        self.index.get(text).map_or(-1, |&i| i64::from(i))
    }

    fn literal(&mut self, literal: &Literal) {
        if let Literal::Text(text) = literal {
            self.add(text);
        }
    }

    fn collect(policy: &ir::Policy) -> Texts {
        let mut texts = Texts::default();
        for param in &policy.params {
            for entry in &param.entries {
                for key in &entry.keys {
                    texts.literal(key);
                }
                texts.literal(&entry.value);
            }
        }
        for table in &policy.tables {
            for row in &table.rows {
                for cell in &row.cells {
                    match cell {
                        ir::Cell::Any | ir::Cell::Named { .. } => {}
                        ir::Cell::Equals(l) | ir::Cell::Compare(_, l) => texts.literal(l),
                        ir::Cell::Range(a, b) => {
                            texts.literal(a);
                            texts.literal(b);
                        }
                        ir::Cell::OneOf(ls) => ls.iter().for_each(|l| texts.literal(l)),
                    }
                }
                texts.literal(&row.output);
            }
            if let Some(default) = &table.default {
                texts.literal(default);
            }
            if let ir::HitPolicy::Priority { order } = &table.hit {
                order.iter().for_each(|l| texts.literal(l));
            }
            table.inputs.iter().for_each(|e| texts.expr(e));
        }
        policy.lets.iter().for_each(|l| texts.expr(&l.value));
        policy.rules.iter().for_each(|r| texts.expr(&r.body));
        texts.expr(&policy.eligibility);
        policy
            .materials
            .iter()
            .filter_map(|m| m.condition.as_ref())
            .for_each(|e| texts.expr(e));
        policy
            .steps
            .iter()
            .filter_map(|s| s.condition.as_ref())
            .for_each(|e| texts.expr(e));
        // An enum whose value names a parameter's key (`EnumText`): its
        // names are constants, so each equals the same text from a request.
        // Last, so that the other constants keep their ids.
        for id in std::mem::take(&mut texts.named_enums) {
            for variant in &policy.enums[id].variants {
                texts.add(variant);
            }
        }
        texts
    }

    fn expr(&mut self, expr: &ir::Expr) {
        expr.for_each_child(&mut |child| self.expr(child));
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal),
            ExprKind::In {
                set: SetOperand::Literals(ls),
                ..
            } => ls.iter().for_each(|l| self.literal(l)),
            ExprKind::EnumText(inner) => {
                if let Type::Enum(id) = inner.ty {
                    if !self.named_enums.contains(&id) {
                        self.named_enums.push(id);
                    }
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn value_type(policy: &ir::Policy, ty: Type) -> manifest::ValueType {
    match ty {
        Type::Bool => manifest::ValueType::Bool,
        Type::Int => manifest::ValueType::Int,
        Type::Money => manifest::ValueType::Money,
        Type::Decimal(scale) => manifest::ValueType::Decimal { scale },
        Type::Date => manifest::ValueType::Date,
        Type::Text => manifest::ValueType::Text,
        Type::Set => manifest::ValueType::Set,
        Type::List(_) => manifest::ValueType::List,
        Type::Enum(id) => {
            let (values, titles) = policy
                .enums
                .get(id)
                .map(|e| {
                    let titles = e
                        .variants
                        .iter()
                        .zip(&e.titles)
                        .map(|(v, t)| t.clone().unwrap_or_else(|| v.clone()))
                        .collect();
                    (e.variants.clone(), titles)
                })
                .unwrap_or_default();
            manifest::ValueType::Enum { values, titles }
        }
    }
}

/// Compiles a bundle's entry condition as a module of its own: its facts are
/// all the members' facts (so it also validates a bundle request), its
/// eligibility is the entry condition (`true` when there is none).
pub fn compile_bundle_entry(
    bundle: &ir::Bundle,
    options: &CompileOptions,
) -> Result<Artifact, CodegenError> {
    let eligibility = bundle.entry.clone().unwrap_or(ir::Expr {
        kind: ExprKind::Literal(Literal::Bool(true)),
        ty: Type::Bool,
        nullable: false,
    });
    let policy = ir::Policy {
        id: bundle.id.clone(),
        title: bundle.title.clone(),
        department: bundle.department.clone(),
        basis: bundle.basis.clone(),
        version: 1,
        effective_from: None,
        effective_until: None,
        enums: bundle.enums.clone(),
        records: bundle.records.clone(),
        facts: bundle.facts.clone(),
        params: Vec::new(),
        lets: Vec::new(),
        tables: Vec::new(),
        rules: Vec::new(),
        order: Vec::new(),
        eligibility,
        materials: Vec::new(),
        steps: Vec::new(),
        var_count: bundle.var_count,
        departments: Vec::new(),
        datasets: Vec::new(),
        calendar: ir::WorkCalendar::default(),
    };
    compile(&policy, options)
}
