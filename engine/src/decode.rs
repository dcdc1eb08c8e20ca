//! Decoding: the module's output region → [`RawOutcome`] → [`Decision`].

use rules_dsl::calendar;
use rules_dsl::manifest::{Manifest, MaterialInfo, SourceInfo, ValueType};

use crate::decision::{
    DayKind, Decision, Eligibility, MaterialNeed, PlannedStep, PolicyRef, ProvidedBy, RuleResult,
    Value, Values,
};
use crate::encode::{AllSteps, InputIndex, RequestMeta};
use crate::outcome::{RawOutcome, RawScalar, RawValue, Tri};

fn read_i64(memory: &[u8], offset: usize) -> i64 {
    let mut bytes = [0u8; 8];
    if let Some(slice) = memory.get(offset..offset + 8) {
        bytes.copy_from_slice(slice);
    }
    i64::from_le_bytes(bytes)
}

/// The output region where `evaluate` left it, read field by field (a
/// decision is built straight from it, without a [`RawOutcome`] between).
/// Memory that is too short (a trapped instance gives none) reads as unknown.
pub(crate) struct Outputs<'a> {
    pub manifest: &'a Manifest,
    pub memory: &'a [u8],
}

impl Outputs<'_> {
    fn tri(&self, offset: u32) -> Tri {
        Tri::from_byte(self.memory.get(offset as usize).copied().unwrap_or(2))
    }

    pub(crate) fn eligibility(&self) -> Tri {
        let at = self.manifest.output.eligibility as usize;
        Tri::from_byte(u8::try_from(read_i64(self.memory, at)).unwrap_or(2))
    }

    /// The eligibility's unknown mask (0 unless it is unknown).
    pub(crate) fn mask(&self) -> u64 {
        if self.eligibility() == Tri::Unknown {
            read_i64(self.memory, self.manifest.output.mask as usize) as u64
        } else {
            0
        }
    }

    pub(crate) fn rule(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.rules + index as u32)
    }

    pub(crate) fn material(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.materials + index as u32)
    }

    pub(crate) fn step(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.steps + index as u32)
    }

    pub(crate) fn value(&self, index: usize) -> RawValue {
        let at = self.manifest.output.values as usize + 16 * index;
        let raw = read_i64(self.memory, at);
        let mask = read_i64(self.memory, at + 8) as u64;
        let value = match (self.manifest.values.get(index).map(|v| &v.ty), mask) {
            (Some(ValueType::Set), 0) => RawScalar::Set(read_set(self.memory, raw)),
            _ => RawScalar::I64(raw),
        };
        RawValue { value, mask }
    }
}

/// Reads everything `evaluate` wrote.
pub fn read_outcome(manifest: &Manifest, memory: &[u8]) -> RawOutcome {
    let out = Outputs { manifest, memory };
    RawOutcome {
        eligibility: out.eligibility(),
        mask: out.mask(),
        rules: (0..manifest.rules.len()).map(|i| out.rule(i)).collect(),
        materials: (0..manifest.materials.len())
            .map(|i| out.material(i))
            .collect(),
        steps: (0..manifest.steps.len()).map(|i| out.step(i)).collect(),
        values: (0..manifest.values.len()).map(|i| out.value(i)).collect(),
    }
}

/// The text ids of a set value `(offset << 32) | count`, sorted, deduplicated.
pub fn read_set(memory: &[u8], packed: i64) -> Vec<i64> {
    let offset = ((packed as u64) >> 32) as usize;
    let count = (packed as u64 & 0xffff_ffff) as usize;
    let mut ids: Vec<i64> = (0..count.min(memory.len() / 8))
        .map(|i| read_i64(memory, offset + 8 * i))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn text_of(manifest: &Manifest, meta: &RequestMeta, id: i64) -> String {
    let index = usize::try_from(id).unwrap_or(usize::MAX);
    manifest
        .texts
        .get(index)
        .or_else(|| {
            meta.fresh_texts
                .get(index.wrapping_sub(manifest.texts.len()))
        })
        .cloned()
        .unwrap_or_default()
}

pub(crate) fn value(
    manifest: &Manifest,
    meta: &RequestMeta,
    ty: &ValueType,
    raw: &RawValue,
) -> Value {
    if raw.mask != 0 {
        return Value::Unknown;
    }
    match (&raw.value, ty) {
        (RawScalar::Set(ids), _) => {
            Value::Set(ids.iter().map(|&id| text_of(manifest, meta, id)).collect())
        }
        (RawScalar::I64(v), ValueType::Bool) => Value::Bool(*v != 0),
        (RawScalar::I64(v), ValueType::Money) => Value::Money(*v),
        (RawScalar::I64(v), ValueType::Date) => Value::Date(*v),
        (RawScalar::I64(v), ValueType::Text) => Value::Text(text_of(manifest, meta, *v)),
        (RawScalar::I64(v), ValueType::Enum { values }) => values
            .get(usize::try_from(*v).unwrap_or(usize::MAX))
            .map_or(Value::Unknown, |s| Value::Text(s.clone())),
        (RawScalar::I64(v), _) => Value::Int(*v),
    }
}

pub fn money_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        fen.unsigned_abs() / 100,
        fen.unsigned_abs() % 100
    )
}

pub fn date_text(days: i64) -> String {
    let (y, m, d) = calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The decision, from the output region of `memory` (the instance's linear
/// memory after `evaluate`).
pub fn decision<'p>(
    manifest: &'p Manifest,
    index: &InputIndex,
    memory: &[u8],
    meta: &RequestMeta,
) -> Decision<'p> {
    let out = Outputs { manifest, memory };
    let eligibility = match out.eligibility() {
        Tri::True => Eligibility::Eligible,
        Tri::False => Eligibility::Ineligible,
        Tri::Unknown => Eligibility::Undetermined,
    };
    let rules = manifest
        .rules
        .iter()
        .enumerate()
        .map(|(i, info)| RuleResult {
            id: &info.name,
            title: &info.title,
            cite: info.cite.as_deref(),
            result: out.rule(i).as_option(),
        })
        .collect();
    let missing_facts = if eligibility == Eligibility::Undetermined {
        missing(manifest, out.mask())
    } else {
        Vec::new()
    };
    // An unknown condition still lists the material: better to bring it than to come twice.
    let materials = manifest
        .materials
        .iter()
        .enumerate()
        .filter(|&(i, _)| out.material(i) != Tri::False)
        .map(|(i, info)| material_need(info, index, meta, i))
        .collect();
    let (steps, total_days) = plan(manifest, &index.all_steps, |i| out.step(i));
    let values = Values(
        manifest
            .values
            .iter()
            .enumerate()
            .map(|(i, info)| {
                let raw = out.value(i);
                (info.name.as_str(), value(manifest, meta, &info.ty, &raw))
            })
            .collect(),
    );
    Decision {
        policy: PolicyRef {
            id: &manifest.policy.id,
            version: manifest.policy.version,
            hash: &manifest.source_hash,
        },
        application_date: meta.application_date,
        eligibility,
        rules,
        missing_facts,
        materials,
        steps,
        total_days,
        values,
    }
}

/// Material `i` (`info`) as this request needs it: where it comes from,
/// and the dataset when the government fetches it.
pub(crate) fn material_need<'p>(
    info: &'p MaterialInfo,
    index: &InputIndex,
    meta: &RequestMeta,
    i: usize,
) -> MaterialNeed<'p> {
    let (provided_by, dataset) = match &info.source {
        SourceInfo::Applicant => (ProvidedBy::Applicant, None),
        SourceInfo::Commitment => (ProvidedBy::Commitment, None),
        SourceInfo::Shared { dataset, fallback } => {
            let bit = index.material_bits.get(i).copied().flatten();
            let available = bit.is_some_and(|b| meta.shared & (1 << b) != 0);
            if available {
                (ProvidedBy::Shared, Some(dataset.as_str()))
            } else if fallback == "commitment" {
                (ProvidedBy::Commitment, None)
            } else {
                (ProvidedBy::Applicant, None)
            }
        }
    };
    MaterialNeed {
        id: &info.id,
        name: &info.name,
        form: &info.form,
        copies: info.copies,
        provided_by,
        dataset,
    }
}

/// Whether missing slot `slot` is set in an unknown mask (bit 62 stands
/// for every slot from 62 on).
pub(crate) fn is_missing(mask: u64, slot: usize) -> bool {
    mask & (1u64 << slot.min(62)) != 0
}

/// The missing slots whose bits are set (bit 62 stands for every slot from 62 on).
pub fn missing(manifest: &Manifest, mask: u64) -> Vec<&str> {
    manifest
        .missing_slots
        .iter()
        .enumerate()
        .filter(|&(i, _)| is_missing(mask, i))
        .map(|(_, name)| name.as_str())
        .collect()
}

/// The planned steps (condition true or unknown), their waits through any
/// left-out step, and the critical path's length.
pub(crate) fn plan<'p>(
    manifest: &'p Manifest,
    all_steps: &AllSteps,
    condition: impl Fn(usize) -> Tri,
) -> (Vec<PlannedStep<'p>>, u32) {
    let count = manifest.steps.len();
    let step = |i: usize, after: &[usize]| {
        let info = &manifest.steps[i];
        PlannedStep {
            id: &info.name,
            title: &info.title,
            department: &info.department,
            after: after
                .iter()
                .map(|&b| manifest.steps[b].name.as_str())
                .collect(),
            days: info.days,
            day_kind: if info.working_days {
                DayKind::Working
            } else {
                DayKind::Natural
            },
        }
    };
    if (0..count).all(|i| condition(i) != Tri::False) {
        // Every step planned (the usual case): the plan made at load.
        let steps = (0..count).map(|i| step(i, &all_steps.after[i])).collect();
        return (steps, all_steps.total_days);
    }
    let planned: Vec<bool> = (0..count).map(|i| condition(i) != Tri::False).collect();
    // Steps are checked to form a DAG; resolve waits in index order with memoisation.
    let mut waits: Vec<Option<Vec<usize>>> = vec![None; count];
    fn resolve(
        i: usize,
        manifest: &Manifest,
        planned: &[bool],
        waits: &mut Vec<Option<Vec<usize>>>,
        depth: usize,
    ) -> Vec<usize> {
        if let Some(done) = &waits[i] {
            return done.clone();
        }
        let mut result = Vec::new();
        if depth <= manifest.steps.len() {
            for &before in &manifest.steps[i].after {
                if before >= planned.len() {
                    continue;
                }
                if planned[before] {
                    result.push(before);
                } else {
                    result.extend(resolve(before, manifest, planned, waits, depth + 1));
                }
            }
        }
        result.sort_unstable();
        result.dedup();
        waits[i] = Some(result.clone());
        result
    }
    let resolved: Vec<Vec<usize>> = (0..count)
        .map(|i| resolve(i, manifest, &planned, &mut waits, 0))
        .collect();
    let total = critical_path(manifest, &resolved, |i| planned[i]);
    let steps = (0..count)
        .filter(|&i| planned[i])
        .map(|i| step(i, &resolved[i]))
        .collect();
    (steps, total)
}

/// The longest chain of days through the planned steps, each starting when
/// the last step it waits for (`waits`, between planned steps) ends.
pub(crate) fn critical_path(
    manifest: &Manifest,
    waits: &[Vec<usize>],
    planned: impl Fn(usize) -> bool,
) -> u32 {
    fn finish_of(
        i: usize,
        manifest: &Manifest,
        waits: &[Vec<usize>],
        finish: &mut Vec<Option<u32>>,
        depth: usize,
    ) -> u32 {
        if let Some(done) = finish[i] {
            return done;
        }
        let start = if depth > manifest.steps.len() {
            0
        } else {
            waits[i]
                .iter()
                .map(|&b| finish_of(b, manifest, waits, finish, depth + 1))
                .max()
                .unwrap_or(0)
        };
        let total = start.saturating_add(manifest.steps[i].days);
        finish[i] = Some(total);
        total
    }
    let count = manifest.steps.len();
    let mut finish: Vec<Option<u32>> = vec![None; count];
    (0..count)
        .filter(|&i| planned(i))
        .map(|i| finish_of(i, manifest, waits, &mut finish, 0))
        .max()
        .unwrap_or(0)
}
