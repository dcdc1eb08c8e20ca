//! The decision as JSON bytes, written directly: the service answers every
//! evaluation with it. It produces exactly what `serde_json::to_vec` of the
//! `Serialize` impls gives (the workspace's scenario snapshots are written
//! with it, and a test compares both on texts that need escaping), but a
//! text that needs no escaping — nearly all of them: Chinese titles and
//! citations — is copied in one go instead of serde_json's byte-by-byte
//! escape loop, which was the largest part of serialising a decision.

use crate::decision::{
    DayKind, Decision, Eligibility, MaterialNeed, PlannedStep, ProvidedBy, RuleResult, Value,
};
use crate::decode::{self, Outputs, date_text};
use crate::encode::{AllSteps, InputIndex, RequestMeta};
use crate::outcome::Tri;

/// A JSON string. Texts without `"`, `\` or control characters are copied
/// whole; the rest go through serde_json, so escapes are identical.
fn string(out: &mut Vec<u8>, text: &str) {
    if !needs_escape(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        // Writing a `str` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

/// Whether any byte is a control character, `"` or `\`, eight bytes at a
/// time (the classic "has a zero / a smaller byte" word tricks). A word
/// trick may also flag a clean word after a real hit in it; that only sends
/// the text down the exact path.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut found = 0;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let v = u64::from_le_bytes(eight);
        found |= v.wrapping_sub(ONES * 0x20) & !v & HIGHS // a byte below 0x20
            | has_zero(v ^ (ONES * u64::from(b'"')))
            | has_zero(v ^ (ONES * u64::from(b'\\')));
    }
    found != 0
        || words
            .remainder()
            .iter()
            .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

fn key(out: &mut Vec<u8>, name: &str) {
    string(out, name);
    out.push(b':');
}

fn integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

/// A day number as a quoted `YYYY-MM-DD`, without formatting machinery
/// (every decision has one).
fn date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = rules_dsl::calendar::civil_from_days(days);
    match (u16::try_from(y), u8::try_from(m), u8::try_from(d)) {
        (Ok(y @ 0..=9999), Ok(m), Ok(d)) => {
            let digit = |n: u16| b'0' + (n % 10) as u8;
            out.extend_from_slice(&[
                b'"',
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                b'0' + m / 10,
                b'0' + m % 10,
                b'-',
                b'0' + d / 10,
                b'0' + d % 10,
                b'"',
            ]);
        }
        _ => string(out, &date_text(days)),
    }
}

/// Fen as a quoted amount with two decimals (`"-12.05"`).
fn money(out: &mut Vec<u8>, fen: i64) {
    out.push(b'"');
    if fen < 0 {
        out.push(b'-');
    }
    let (yuan, cents) = (fen.unsigned_abs() / 100, (fen.unsigned_abs() % 100) as u8);
    integer(out, yuan);
    out.extend_from_slice(&[b'.', b'0' + cents / 10, b'0' + cents % 10, b'"']);
}

fn strings<'a>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'a str>) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, item);
    }
    out.push(b']');
}

fn value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Unknown => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(n) => integer(out, *n),
        Value::Money(fen) => money(out, *fen),
        Value::Date(days) => date(out, *days),
        Value::Text(text) => string(out, text),
        Value::Set(items) => strings(out, items.iter().map(String::as_str)),
    }
}

fn eligibility(out: &mut Vec<u8>, eligibility: Eligibility) {
    out.extend_from_slice(match eligibility {
        Eligibility::Eligible => b",\"eligibility\":\"eligible\"",
        Eligibility::Ineligible => b",\"eligibility\":\"ineligible\"",
        Eligibility::Undetermined => b",\"eligibility\":\"undetermined\"",
    });
}

fn rule_head(out: &mut Vec<u8>, rule: &RuleResult<'_>) {
    out.extend_from_slice(b"{\"id\":");
    string(out, rule.id);
    out.extend_from_slice(b",\"title\":");
    string(out, rule.title);
    out.extend_from_slice(b",\"cite\":");
    match rule.cite {
        Some(cite) => string(out, cite),
        None => out.extend_from_slice(b"null"),
    }
}

fn rule_result(out: &mut Vec<u8>, result: Option<bool>) {
    out.extend_from_slice(match result {
        Some(true) => b",\"result\":true}",
        Some(false) => b",\"result\":false}",
        None => b",\"result\":null}",
    });
}

fn material_head(out: &mut Vec<u8>, material: &MaterialNeed<'_>) {
    out.extend_from_slice(b"{\"id\":");
    string(out, material.id);
    out.extend_from_slice(b",\"name\":");
    string(out, material.name);
    out.extend_from_slice(b",\"form\":");
    string(out, material.form);
    out.extend_from_slice(b",\"copies\":");
    integer(out, material.copies);
}

fn material_tail(out: &mut Vec<u8>, material: &MaterialNeed<'_>) {
    out.extend_from_slice(match material.provided_by {
        ProvidedBy::Applicant => b",\"provided_by\":\"applicant\"",
        ProvidedBy::Shared => b",\"provided_by\":\"shared\"",
        ProvidedBy::Commitment => b",\"provided_by\":\"commitment\"",
    });
    if let Some(dataset) = material.dataset {
        out.extend_from_slice(b",\"dataset\":");
        string(out, dataset);
    }
    out.push(b'}');
}

/// `{"id":…,"title":…,"department":…,"after":`
fn step_head(out: &mut Vec<u8>, id: &str, title: &str, department: &str) {
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"title\":");
    string(out, title);
    out.extend_from_slice(b",\"department\":");
    string(out, department);
    out.extend_from_slice(b",\"after\":");
}

/// `,"days":…,"day_kind":…}`
fn step_tail(out: &mut Vec<u8>, days: u32, day_kind: DayKind) {
    out.extend_from_slice(b",\"days\":");
    integer(out, days);
    out.extend_from_slice(match day_kind {
        DayKind::Working => b",\"day_kind\":\"working\"}",
        DayKind::Natural => b",\"day_kind\":\"natural\"}",
    });
}

fn step_json(out: &mut Vec<u8>, step: &PlannedStep<'_>) {
    step_head(out, step.id, step.title, step.department);
    strings(out, step.after.iter().copied());
    step_tail(out, step.days, step.day_kind);
}

impl Decision<'_> {
    /// Appends the decision's JSON (compact) to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"policy\":{\"id\":");
        string(out, self.policy.id);
        out.extend_from_slice(b",\"version\":");
        integer(out, self.policy.version);
        out.extend_from_slice(b",\"hash\":");
        string(out, self.policy.hash);
        out.extend_from_slice(b"},\"application_date\":");
        // A date is digits and dashes; no escaping needed.
        date(out, self.application_date);
        eligibility(out, self.eligibility);
        out.extend_from_slice(b",\"rules\":[");
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            rule_head(out, rule);
            rule_result(out, rule.result);
        }
        out.extend_from_slice(b"],\"missing_facts\":");
        strings(out, self.missing_facts.iter().copied());
        out.extend_from_slice(b",\"materials\":[");
        for (i, material) in self.materials.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            material_head(out, material);
            material_tail(out, material);
        }
        out.extend_from_slice(b"],\"steps\":[");
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            step_json(out, step);
        }
        out.extend_from_slice(b"],\"total_days\":");
        integer(out, self.total_days);
        out.extend_from_slice(b",\"values\":{");
        for (i, (name, reported)) in self.values.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            key(out, name);
            value(out, reported);
        }
        out.extend_from_slice(b"}}");
    }
}

/// The constant parts of one policy's decisions, escaped once when the
/// policy is loaded: each rule's `{"id":…,"title":…,"cite":…`, each
/// material's `{"id":…,"name":…,"form":…,"copies":…`, each step's head and
/// tail, the step names, the missing-fact names and the value keys. A
/// decision is then mostly copies. Items are recognised by the address of
/// their id in the manifest, so a decision of another policy (or one built
/// by hand) is still written correctly, field by field.
#[derive(Debug)]
pub struct Rendered {
    policy_id: usize,
    policy_head: Vec<u8>,
    /// Each rule whole, for a result of `true`, `false` and `null`: one
    /// copy per rule.
    rules: Vec<(usize, [Vec<u8>; 3])>,
    materials: Vec<(usize, RenderedMaterial)>,
    steps: Vec<RenderedStep>,
    missing: Vec<(usize, Vec<u8>)>,
    value_keys: Vec<(usize, Vec<u8>)>,
}

/// A material's constant parts.
#[derive(Debug)]
struct RenderedMaterial {
    /// `{"id":…,"name":…,"form":…,"copies":…`
    head: Vec<u8>,
    /// The whole material brought by the applicant, and replaced by a
    /// commitment (no dataset in either).
    applicant: Vec<u8>,
    commitment: Vec<u8>,
}

impl RenderedMaterial {
    /// `material` (this one, as a request needs it): one copy when it needs
    /// no dataset.
    fn write(&self, material: &MaterialNeed<'_>, out: &mut Vec<u8>) {
        match (material.provided_by, material.dataset) {
            (ProvidedBy::Applicant, None) => out.extend_from_slice(&self.applicant),
            (ProvidedBy::Commitment, None) => out.extend_from_slice(&self.commitment),
            _ => {
                out.extend_from_slice(&self.head);
                material_tail(out, material);
            }
        }
    }
}

/// A step's constant parts.
#[derive(Debug)]
struct RenderedStep {
    /// The address of its name in the manifest.
    address: usize,
    /// The whole step as it is when every step is planned, and the
    /// addresses of the names it then waits for.
    whole: Vec<u8>,
    after: Vec<usize>,
    /// `{"id":…,"title":…,"department":…,"after":`
    head: Vec<u8>,
    /// `"name"`, for the `after` lists of others.
    name: Vec<u8>,
    /// `,"days":…,"day_kind":…}`
    tail: Vec<u8>,
}

fn address(text: &str) -> usize {
    text.as_ptr() as usize
}

fn rendered(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out);
    out
}

impl Rendered {
    pub fn new(manifest: &rules_dsl::manifest::Manifest, all_steps: &AllSteps) -> Rendered {
        let policy_head = rendered(|out| {
            out.extend_from_slice(b"{\"policy\":{\"id\":");
            string(out, &manifest.policy.id);
            out.extend_from_slice(b",\"version\":");
            integer(out, manifest.policy.version);
            out.extend_from_slice(b",\"hash\":");
            string(out, &manifest.source_hash);
            out.extend_from_slice(b"},\"application_date\":");
        });
        let rules = manifest
            .rules
            .iter()
            .map(|rule| {
                let whole = |result| {
                    rendered(|out| {
                        rule_head(
                            out,
                            &RuleResult {
                                id: &rule.name,
                                title: &rule.title,
                                cite: rule.cite.as_deref(),
                                result,
                            },
                        );
                        rule_result(out, result);
                    })
                };
                let wholes = [whole(Some(true)), whole(Some(false)), whole(None)];
                (address(&rule.name), wholes)
            })
            .collect();
        let materials = manifest
            .materials
            .iter()
            .map(|material| {
                let need = |provided_by| MaterialNeed {
                    id: &material.id,
                    name: &material.name,
                    form: &material.form,
                    copies: material.copies,
                    provided_by,
                    dataset: None,
                };
                let whole = |provided_by| {
                    rendered(|out| {
                        material_head(out, &need(provided_by));
                        material_tail(out, &need(provided_by));
                    })
                };
                let parts = RenderedMaterial {
                    // The head does not depend on where the material comes from.
                    head: rendered(|out| material_head(out, &need(ProvidedBy::Applicant))),
                    applicant: whole(ProvidedBy::Applicant),
                    commitment: whole(ProvidedBy::Commitment),
                };
                (address(&material.id), parts)
            })
            .collect();
        let steps = manifest
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let head =
                    rendered(|out| step_head(out, &step.name, &step.title, &step.department));
                let name = rendered(|out| string(out, &step.name));
                let day_kind = if step.working_days {
                    DayKind::Working
                } else {
                    DayKind::Natural
                };
                let tail = rendered(|out| step_tail(out, step.days, day_kind));
                let after_names: Vec<&str> = all_steps.after.get(i).map_or(Vec::new(), |after| {
                    after
                        .iter()
                        .map(|&b| manifest.steps[b].name.as_str())
                        .collect()
                });
                let whole = rendered(|out| {
                    out.extend_from_slice(&head);
                    strings(out, after_names.iter().copied());
                    out.extend_from_slice(&tail);
                });
                RenderedStep {
                    address: address(&step.name),
                    whole,
                    after: after_names.iter().map(|name| address(name)).collect(),
                    head,
                    name,
                    tail,
                }
            })
            .collect();
        let missing = manifest
            .missing_slots
            .iter()
            .map(|slot| (address(slot), rendered(|out| string(out, slot))))
            .collect();
        let value_keys = manifest
            .values
            .iter()
            .map(|v| (address(&v.name), rendered(|out| key(out, &v.name))))
            .collect();
        Rendered {
            policy_id: address(&manifest.policy.id),
            policy_head,
            rules,
            materials,
            steps,
            missing,
            value_keys,
        }
    }

    /// The pre-rendered entry for the text at `text`'s address, looking from
    /// `from` on (items of a decision come in manifest order).
    fn find<'r, T>(items: &'r [(usize, T)], text: &str, from: &mut usize) -> Option<&'r T> {
        let at = address(text);
        let found = items[(*from).min(items.len())..]
            .iter()
            .position(|(a, _)| *a == at)?;
        *from += found + 1;
        Some(&items[*from - 1].1)
    }

    fn step(&self, id: &str) -> Option<&RenderedStep> {
        let at = address(id);
        self.steps.iter().find(|step| step.address == at)
    }

    /// One planned step: a single copy when it waits as it does with every
    /// step planned.
    fn write_step(&self, step: &PlannedStep<'_>, out: &mut Vec<u8>) {
        match self.step(step.id) {
            Some(rendered)
                if rendered.after.len() == step.after.len()
                    && rendered
                        .after
                        .iter()
                        .zip(&step.after)
                        .all(|(&at, name)| at == address(name)) =>
            {
                // As planned when every step is: one copy.
                out.extend_from_slice(&rendered.whole);
            }
            Some(rendered) => {
                out.extend_from_slice(&rendered.head);
                out.push(b'[');
                for (j, before) in step.after.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    match self.step(before) {
                        Some(before) => out.extend_from_slice(&before.name),
                        None => string(out, before),
                    }
                }
                out.push(b']');
                out.extend_from_slice(&rendered.tail);
            }
            None => step_json(out, step),
        }
    }

    /// Appends the JSON of the decision in `outputs` (an instance's memory
    /// after `evaluate`) to `out`, without building a [`Decision`]: the same
    /// bytes as [`Rendered::write`] of [`crate::decode::decision`]'s
    /// result. The service answers with it; returns the eligibility.
    pub fn write_outputs(
        &self,
        outputs: &Outputs<'_>,
        index: &InputIndex,
        meta: &RequestMeta,
        out: &mut Vec<u8>,
    ) -> Eligibility {
        let manifest = outputs.manifest;
        let eligible = match outputs.eligibility() {
            Tri::True => Eligibility::Eligible,
            Tri::False => Eligibility::Ineligible,
            Tri::Unknown => Eligibility::Undetermined,
        };
        out.extend_from_slice(&self.policy_head);
        date(out, meta.application_date);
        eligibility(out, eligible);
        out.extend_from_slice(b",\"rules\":[");
        for (i, (_, [yes, no, unknown])) in self.rules.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(match outputs.rule(i) {
                Tri::True => yes,
                Tri::False => no,
                Tri::Unknown => unknown,
            });
        }
        out.extend_from_slice(b"],\"missing_facts\":[");
        if eligible == Eligibility::Undetermined {
            let mask = outputs.mask();
            let mut first = true;
            for (i, (_, name)) in self.missing.iter().enumerate() {
                if decode::is_missing(mask, i) {
                    if !std::mem::take(&mut first) {
                        out.push(b',');
                    }
                    out.extend_from_slice(name);
                }
            }
        }
        out.extend_from_slice(b"],\"materials\":[");
        let mut first = true;
        for (i, (info, (_, parts))) in manifest.materials.iter().zip(&self.materials).enumerate() {
            // An unknown condition still lists the material.
            if outputs.material(i) == Tri::False {
                continue;
            }
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            parts.write(&decode::material_need(info, index, meta, i), out);
        }
        out.extend_from_slice(b"],\"steps\":[");
        let count = manifest.steps.len();
        let total_days = if (0..count).all(|i| outputs.step(i) != Tri::False) {
            for (i, step) in self.steps.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&step.whole);
            }
            index.all_steps.total_days
        } else {
            let (steps, total_days) = decode::plan(manifest, &index.all_steps, |i| outputs.step(i));
            for (i, step) in steps.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.write_step(step, out);
            }
            total_days
        };
        out.extend_from_slice(b"],\"total_days\":");
        integer(out, total_days);
        out.extend_from_slice(b",\"values\":{");
        for (i, (info, (_, name))) in manifest.values.iter().zip(&self.value_keys).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(name);
            value(
                out,
                &decode::value(manifest, meta, &info.ty, &outputs.value(i)),
            );
        }
        out.extend_from_slice(b"}}");
        eligible
    }

    /// Appends `decision`'s JSON to `out`: the same bytes as
    /// [`Decision::write_json`].
    pub fn write(&self, decision: &Decision<'_>, out: &mut Vec<u8>) {
        if address(decision.policy.id) != self.policy_id {
            decision.write_json(out);
            return;
        }
        out.extend_from_slice(&self.policy_head);
        date(out, decision.application_date);
        eligibility(out, decision.eligibility);
        out.extend_from_slice(b",\"rules\":[");
        let mut from = 0;
        for (i, rule) in decision.rules.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match Rendered::find(&self.rules, rule.id, &mut from) {
                Some([yes, no, unknown]) => out.extend_from_slice(match rule.result {
                    Some(true) => yes,
                    Some(false) => no,
                    None => unknown,
                }),
                None => {
                    rule_head(out, rule);
                    rule_result(out, rule.result);
                }
            }
        }
        out.extend_from_slice(b"],\"missing_facts\":[");
        let mut from = 0;
        for (i, name) in decision.missing_facts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match Rendered::find(&self.missing, name, &mut from) {
                Some(text) => out.extend_from_slice(text),
                None => string(out, name),
            }
        }
        out.extend_from_slice(b"],\"materials\":[");
        let mut from = 0;
        for (i, material) in decision.materials.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match Rendered::find(&self.materials, material.id, &mut from) {
                Some(parts) => parts.write(material, out),
                None => {
                    material_head(out, material);
                    material_tail(out, material);
                }
            }
        }
        out.extend_from_slice(b"],\"steps\":[");
        for (i, step) in decision.steps.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.write_step(step, out);
        }
        out.extend_from_slice(b"],\"total_days\":");
        integer(out, decision.total_days);
        out.extend_from_slice(b",\"values\":{");
        let mut from = 0;
        for (i, (name, reported)) in decision.values.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match Rendered::find(&self.value_keys, name, &mut from) {
                Some(text) => out.extend_from_slice(text),
                None => key(out, name),
            }
            value(out, reported);
        }
        out.extend_from_slice(b"}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{MaterialNeed, PlannedStep, PolicyRef, RuleResult, Values};

    fn decision<'a>(text: &'a str, values: Vec<(&'a str, Value)>) -> Decision<'a> {
        Decision {
            policy: PolicyRef {
                id: text,
                version: -3,
                hash: "abc",
            },
            application_date: -719_162,
            eligibility: Eligibility::Undetermined,
            rules: vec![
                RuleResult {
                    id: "a",
                    title: text,
                    cite: None,
                    result: None,
                },
                RuleResult {
                    id: text,
                    title: "《居住证暂行条例》",
                    cite: Some(text),
                    result: Some(false),
                },
            ],
            missing_facts: vec![text, "applicant.x"],
            materials: vec![
                MaterialNeed {
                    id: text,
                    name: "身份证",
                    form: "original",
                    copies: 2,
                    provided_by: ProvidedBy::Shared,
                    dataset: Some(text),
                },
                MaterialNeed {
                    id: "b",
                    name: text,
                    form: text,
                    copies: 0,
                    provided_by: ProvidedBy::Commitment,
                    dataset: None,
                },
            ],
            steps: vec![PlannedStep {
                id: text,
                title: text,
                department: "hz.x",
                after: vec![text, "y"],
                days: u32::MAX,
                day_kind: DayKind::Natural,
            }],
            total_days: 7,
            values: Values(values),
        }
    }

    #[test]
    fn needs_escape_finds_every_escape_at_every_position() {
        for length in 0..24 {
            for position in 0..length {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut bytes = vec![b'a'; length];
                    bytes[position] = special;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
            }
            assert!(!needs_escape(&vec![b'a'; length]));
            assert!(!needs_escape(
                "中文标题，《条例》第二条".repeat(length).as_bytes()
            ));
            assert!(!needs_escape(&vec![0x20; length]));
            assert!(!needs_escape(&vec![0x7f; length]));
            assert!(!needs_escape(&vec![0xff; length]));
        }
    }

    #[test]
    fn equals_serde_json_on_every_shape_and_escape() {
        let texts = [
            "",
            "plain",
            "中文标题（第二条）",
            "quote \" and backslash \\",
            "control \u{0} \u{1f} \n \r \t \u{8} \u{c} end",
            "del \u{7f} and emoji 😀 and \u{2028}",
        ];
        for text in texts {
            let values = vec![
                ("unknown", Value::Unknown),
                ("yes", Value::Bool(true)),
                ("no", Value::Bool(false)),
                ("int", Value::Int(i64::MIN)),
                ("money", Value::Money(-1234)),
                ("fen", Value::Money(5)),
                ("minus fen", Value::Money(-5)),
                ("zero", Value::Money(0)),
                ("least money", Value::Money(i64::MIN)),
                ("most money", Value::Money(i64::MAX)),
                ("date", Value::Date(20_000)),
                ("first day", Value::Date(-719_162)),
                ("last day", Value::Date(2_932_896)),
                ("before year 1", Value::Date(-800_000)),
                ("after year 9999", Value::Date(3_000_000)),
                (text, Value::Text(text.to_string())),
                ("set", Value::Set(vec![text.to_string(), "x".into()])),
                ("empty", Value::Set(Vec::new())),
            ];
            for values in [values, Vec::new()] {
                let decision = decision(text, values);
                let mut ours = Vec::new();
                decision.write_json(&mut ours);
                let theirs = serde_json::to_vec(&decision).expect("serialises");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs),
                    "text {text:?}"
                );
            }
        }
    }
}
