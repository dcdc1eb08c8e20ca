//! The decision's one writer: an instance's output region (and its input
//! region, for which member of a list a missing fact belongs to) → the
//! decision's JSON bytes. Everything that answers a decision — the service,
//! the CLI, the scenario runner, bundles — goes through [`write_decision`];
//! [`crate::Decision`] is the type of what it writes (a test parses every
//! shipped scenario's decision with it, unknown and missing fields refused).
//!
//! The constant parts of a policy's decisions (each rule whole for each
//! result, each material's and step's head, each value's name and title,
//! the policy's head) are escaped once at load ([`Parts`], by index); a
//! decision is then mostly copies. A text that needs no escaping — nearly
//! all of them: Chinese titles and citations — is copied in one go instead
//! of serde_json's byte-by-byte escape loop, which was the largest part of
//! serialising a decision.

use std::borrow::Cow;

use contract::calendar::{self, WorkCalendar, WorkingDays};
use contract::codec::{date_text, decimal_text, number_of_text_id};
use contract::manifest::{Condition, Manifest, MissingSlot, SourceInfo, Supplier, ValueType};

use smallvec::SmallVec;

use crate::decision::Eligibility;
use crate::derived::{DateTexts, InputIndex, StepPlan};
use crate::outcome::{RawScalar, RequestMeta, Tri};
use crate::outputs::{Outputs, read_i64};

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

fn integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

/// A day number as a quoted `YYYY-MM-DD`, without formatting machinery
/// (every decision has one).
fn date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = contract::calendar::civil_from_days(days);
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

/// A date, copied from the policy's table when it has it.
fn date_from(out: &mut Vec<u8>, days: i64, texts: &DateTexts) {
    match texts.get(days) {
        Some(text) => out.extend_from_slice(text),
        None => date(out, days),
    }
}

fn null_or_date_from(out: &mut Vec<u8>, days: Option<i64>, texts: &DateTexts) {
    match days {
        Some(days) => date_from(out, days, texts),
        None => out.extend_from_slice(b"null"),
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

/// A money or decimal value as a JSON string with all its decimals
/// (`"89.57"`), so no reader turns it into a float.
fn decimal(out: &mut Vec<u8>, units: i64, scale: u8) {
    if scale == 2 {
        return money(out, units);
    }
    out.push(b'"');
    out.extend_from_slice(decimal_text(units, scale).as_bytes());
    out.push(b'"');
}

fn null_or_string(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// `{"id":…,"name":…}`
fn named(out: &mut Vec<u8>, id: &str, name: &str) {
    out.extend_from_slice(b"{\"id\":");
    string(out, id);
    out.extend_from_slice(b",\"name\":");
    string(out, name);
    out.push(b'}');
}

/// Separates the items of a JSON array as they are written.
struct Comma(bool);

impl Comma {
    fn new() -> Comma {
        Comma(true)
    }

    fn next(&mut self, out: &mut Vec<u8>) {
        if !std::mem::take(&mut self.0) {
            out.push(b',');
        }
    }
}

// ---------------------------------------------------------------- the parts rendered at load

/// The constant parts of one policy's decisions, escaped once when the
/// policy is loaded, by index in the manifest.
#[derive(Debug)]
pub struct Parts {
    /// `{"policy":{…},"application_date":`
    policy_head: Vec<u8>,
    /// Each rule whole for a result of `true`, `false` and `null`.
    rules: Vec<[Vec<u8>; 3]>,
    /// Each material's `{"id":…,"name":…,"form":…,"copies":…`
    materials: Vec<Vec<u8>>,
    /// Each material's head with `,"status":"required","condition":null,"depends_on":[]`.
    required: Vec<Vec<u8>>,
    /// Each material's `,"status":"conditional","condition":…,"depends_on":[`
    conditional: Vec<Vec<u8>>,
    /// Each material's tail when fetched from its dataset:
    /// `,"provided_by":"shared","dataset":{"id":…,"name":…}}` (empty when
    /// it names no dataset).
    shared_tails: Vec<Vec<u8>>,
    /// Each step's `{"id":…,"title":…,"department":{…},"after":`
    step_heads: Vec<Vec<u8>>,
    /// Each step's `"name"`, for the `after` lists of others.
    step_names: Vec<Vec<u8>>,
    /// Each step's `,"days":…,"day_kind":…,"start_date":`
    step_tails: Vec<Vec<u8>>,
    /// Each step up to its `"start_date":` as it is when every step is
    /// planned (the usual case): one copy.
    step_wholes: Vec<Vec<u8>>,
    /// Each value's `{"name":…,"title":…,"value":`
    values: Vec<Vec<u8>>,
    /// Room for a decision with every rule, material and step (reserved
    /// once, so the writer's copies never grow the buffer).
    typical_len: usize,
}

fn rendered(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out);
    out
}

fn rule_whole(out: &mut Vec<u8>, id: Option<&str>, title: &str, cite: Option<&str>, result: Tri) {
    out.extend_from_slice(b"{\"id\":");
    null_or_string(out, id);
    out.extend_from_slice(b",\"title\":");
    string(out, title);
    out.extend_from_slice(b",\"cite\":");
    null_or_string(out, cite);
    out.extend_from_slice(match result {
        Tri::True => b",\"result\":true}",
        Tri::False => b",\"result\":false}",
        Tri::Unknown => b",\"result\":null}",
    });
}

impl Parts {
    /// `plan`: the policy's step plan, made at load beside these parts.
    pub fn new(manifest: &Manifest, plan: &StepPlan) -> Parts {
        let policy = &manifest.policy;
        let policy_head = rendered(|out| {
            out.extend_from_slice(b"{\"policy\":{\"id\":");
            string(out, &policy.id);
            out.extend_from_slice(b",\"title\":");
            string(out, &policy.title);
            out.extend_from_slice(b",\"version\":");
            integer(out, policy.version);
            out.extend_from_slice(b",\"hash\":");
            string(out, &manifest.source_hash);
            out.extend_from_slice(b",\"department\":");
            named(
                out,
                &policy.department,
                manifest.department_name(&policy.department),
            );
            out.extend_from_slice(b"},\"application_date\":");
        });
        let rules: Vec<[Vec<u8>; 3]> = manifest
            .rules
            .iter()
            .map(|rule| {
                [Tri::True, Tri::False, Tri::Unknown].map(|result| {
                    rendered(|out| {
                        rule_whole(
                            out,
                            Some(&rule.name),
                            &rule.title,
                            rule.cite.as_deref(),
                            result,
                        )
                    })
                })
            })
            .collect();
        let materials: Vec<Vec<u8>> = manifest
            .materials
            .iter()
            .map(|m| {
                rendered(|out| {
                    out.extend_from_slice(b"{\"id\":");
                    string(out, &m.id);
                    out.extend_from_slice(b",\"name\":");
                    string(out, &m.name);
                    out.extend_from_slice(b",\"form\":");
                    string(out, &m.form);
                    out.extend_from_slice(b",\"copies\":");
                    integer(out, m.copies);
                })
            })
            .collect();
        let required: Vec<Vec<u8>> = materials
            .iter()
            .map(|head| {
                let mut whole = head.clone();
                whole.extend_from_slice(
                    b",\"status\":\"required\",\"condition\":null,\"depends_on\":[]",
                );
                whole
            })
            .collect();
        let conditional = manifest
            .materials
            .iter()
            .map(|m| {
                rendered(|out| {
                    out.extend_from_slice(b",\"status\":\"conditional\",\"condition\":");
                    null_or_string(out, m.condition.as_ref().map(|c| c.text.as_str()));
                    out.extend_from_slice(b",\"depends_on\":[");
                })
            })
            .collect();
        let shared_tails = manifest
            .materials
            .iter()
            .map(|m| match &m.source {
                SourceInfo::Shared { dataset, .. } => rendered(|out| {
                    out.extend_from_slice(b",\"provided_by\":\"shared\",\"dataset\":");
                    named(out, dataset, manifest.dataset_name(dataset));
                    out.push(b'}');
                }),
                _ => Vec::new(),
            })
            .collect();
        let step_heads: Vec<Vec<u8>> = manifest
            .steps
            .iter()
            .map(|s| {
                rendered(|out| {
                    out.extend_from_slice(b"{\"id\":");
                    string(out, &s.name);
                    out.extend_from_slice(b",\"title\":");
                    string(out, &s.title);
                    out.extend_from_slice(b",\"department\":");
                    named(out, &s.department, manifest.department_name(&s.department));
                    out.extend_from_slice(b",\"after\":");
                })
            })
            .collect();
        let step_names: Vec<Vec<u8>> = manifest
            .steps
            .iter()
            .map(|s| rendered(|out| string(out, &s.name)))
            .collect();
        let step_tails: Vec<Vec<u8>> = manifest
            .steps
            .iter()
            .map(|s| {
                rendered(|out| {
                    out.extend_from_slice(b",\"days\":");
                    integer(out, s.days);
                    out.extend_from_slice(if s.working_days {
                        b",\"day_kind\":\"working\",\"start_date\":"
                    } else {
                        b",\"day_kind\":\"natural\",\"start_date\":"
                    });
                })
            })
            .collect();
        let all_planned = vec![true; manifest.steps.len()];
        let waits = plan.waits(&all_planned);
        let step_wholes: Vec<Vec<u8>> = (0..manifest.steps.len())
            .map(|i| {
                rendered(|out| {
                    out.extend_from_slice(&step_heads[i]);
                    out.push(b'[');
                    for (j, &before) in waits[i].iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&step_names[before]);
                    }
                    out.push(b']');
                    out.extend_from_slice(&step_tails[i]);
                })
            })
            .collect();
        let values: Vec<Vec<u8>> = manifest
            .values
            .iter()
            .map(|v| {
                rendered(|out| {
                    out.extend_from_slice(b"{\"name\":");
                    string(out, &v.name);
                    out.extend_from_slice(b",\"title\":");
                    string(out, &v.title);
                    out.extend_from_slice(b",\"value\":");
                })
            })
            .collect();
        let typical_len = 1024
            + policy_head.len()
            + rules
                .iter()
                .map(|r: &[Vec<u8>; 3]| r[0].len())
                .sum::<usize>()
            + step_wholes
                .iter()
                .map(|w: &Vec<u8>| w.len() + 64)
                .sum::<usize>()
            + required
                .iter()
                .map(|m: &Vec<u8>| m.len() + 96)
                .sum::<usize>()
            + values.iter().map(|v: &Vec<u8>| v.len() + 64).sum::<usize>();
        Parts {
            policy_head,
            rules,
            materials,
            required,
            conditional,
            shared_tails,
            step_heads,
            step_names,
            step_tails,
            typical_len,
            step_wholes,
            values,
        }
    }
}

// ---------------------------------------------------------------- the writer

/// Everything the writer reads.
pub(crate) struct Source<'a> {
    pub manifest: &'a Manifest,
    pub index: &'a InputIndex,
    pub plan: &'a StepPlan,
    pub parts: &'a Parts,
    /// The instance's memory after `evaluate`.
    pub memory: &'a [u8],
    pub meta: &'a RequestMeta,
    /// Materials another member of a bundle produces for this one through a
    /// link: shown as shared, never asked of the applicant.
    pub linked: &'a [&'a str],
}

/// Appends the decision's JSON to `out`; returns its eligibility.
pub(crate) fn write_decision(source: &Source<'_>, out: &mut Vec<u8>) -> Eligibility {
    let manifest = source.manifest;
    let outputs = Outputs {
        manifest,
        memory: source.memory,
    };
    let eligibility = match outputs.eligibility() {
        Tri::True => Eligibility::Eligible,
        Tri::False => Eligibility::Ineligible,
        Tri::Unknown => Eligibility::Undetermined,
    };
    let parts = source.parts;
    let texts = &source.plan.date_texts;
    out.reserve(parts.typical_len);
    out.extend_from_slice(&parts.policy_head);
    date_from(out, source.meta.application_date, texts);
    out.extend_from_slice(b",\"eligibility\":\"");
    out.extend_from_slice(eligibility.as_str().as_bytes());
    out.extend_from_slice(b"\",\"reasons\":[");
    if eligibility != Eligibility::Eligible {
        let want = if eligibility == Eligibility::Ineligible {
            Tri::False
        } else {
            Tri::Unknown
        };
        let mut comma = Comma::new();
        reasons(&outputs, &manifest.eligibility, want, &mut |reason| {
            comma.next(out);
            match reason {
                Reason::Rule(rule, result) => {
                    out.extend_from_slice(&parts.rules[rule][tri_index(result)])
                }
                Reason::Words(text, result) => rule_whole(out, None, text, None, result),
            }
        });
    }
    out.extend_from_slice(b"],\"rules\":[");
    for (i, wholes) in parts.rules.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&wholes[tri_index(outputs.rule(i))]);
    }
    out.extend_from_slice(b"],\"missing_facts\":");
    let mask = if eligibility == Eligibility::Undetermined {
        outputs.mask()
    } else {
        0
    };
    missing_facts(source, mask, out);
    out.extend_from_slice(b",\"materials\":[");
    if eligibility != Eligibility::Ineligible {
        materials(source, &outputs, out);
    }
    out.extend_from_slice(b"],\"steps\":[");
    let planned: SmallVec<[bool; 32]> = if eligibility == Eligibility::Ineligible {
        smallvec::smallvec![false; manifest.steps.len()]
    } else {
        (0..manifest.steps.len())
            .map(|i| outputs.step(i) != Tri::False)
            .collect()
    };
    let waits = source.plan.waits(&planned);
    let schedule = Schedule::new(
        &source.plan.calendar,
        source.meta.application_date,
        &StepsView {
            planned: &planned,
            waits: &waits,
            days: &|i| manifest.steps[i].days,
            working: &|i| manifest.steps[i].working_days,
        },
    );
    let mut comma = Comma::new();
    for i in (0..manifest.steps.len()).filter(|&i| planned[i]) {
        comma.next(out);
        if matches!(waits, std::borrow::Cow::Borrowed(_)) {
            out.extend_from_slice(&parts.step_wholes[i]);
        } else {
            out.extend_from_slice(&parts.step_heads[i]);
            out.push(b'[');
            for (j, &before) in waits[i].iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&parts.step_names[before]);
            }
            out.push(b']');
            out.extend_from_slice(&parts.step_tails[i]);
        }
        let (start, due) = schedule.dates(i);
        null_or_date_from(out, start, texts);
        out.extend_from_slice(b",\"due_date\":");
        null_or_date_from(out, due, texts);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"schedule\":");
    schedule.write(&manifest.calendar, texts, out);
    out.extend_from_slice(b",\"values\":[");
    values(source, &outputs, out);
    out.extend_from_slice(b"]}");
    eligibility
}

fn tri_index(tri: Tri) -> usize {
    match tri {
        Tri::True => 0,
        Tri::False => 1,
        Tri::Unknown => 2,
    }
}

// ---------------------------------------------------------------- reasons

enum Reason<'m> {
    Rule(usize, Tri),
    Words(&'m str, Tri),
}

/// A rule's result; for a part of the eligibility that is not a rule, the
/// decision does not hold its value (`None`).
fn value_of(outputs: &Outputs<'_>, condition: &Condition) -> Option<Tri> {
    Some(match condition {
        Condition::Rule { rule } => outputs.rule(*rule as usize),
        Condition::Not { of } => match value_of(outputs, of)? {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Condition::And { all } => {
            let values: Vec<Option<Tri>> = all.iter().map(|c| value_of(outputs, c)).collect();
            if values.contains(&Some(Tri::False)) {
                Tri::False
            } else if values.iter().all(|v| *v == Some(Tri::True)) {
                Tri::True
            } else if values.contains(&None) {
                return None;
            } else {
                Tri::Unknown
            }
        }
        Condition::Or { any } => {
            let values: Vec<Option<Tri>> = any.iter().map(|c| value_of(outputs, c)).collect();
            if values.contains(&Some(Tri::True)) {
                Tri::True
            } else if values.iter().all(|v| *v == Some(Tri::False)) {
                Tri::False
            } else if values.contains(&None) {
                return None;
            } else {
                Tri::Unknown
            }
        }
        Condition::Other { .. } => return None,
    })
}

/// The parts of `condition` that make it `want` (false, or unknown), in
/// reading order: of an `and` that fails, every part that fails; of an `or`
/// that fails, every part; of one that is unknown, the unknown parts. A
/// rule decided by an exception brings the exception along.
fn reasons<'m>(
    outputs: &Outputs<'_>,
    condition: &'m Condition,
    want: Tri,
    emit: &mut dyn FnMut(Reason<'m>),
) {
    match condition {
        Condition::Rule { rule } => {
            let rule = *rule as usize;
            let result = outputs.rule(rule);
            emit(Reason::Rule(rule, result));
            if let Some(info) = outputs.manifest.rules.get(rule) {
                if let Some(&exception) = info
                    .exceptions
                    .iter()
                    .find(|&&e| outputs.rule(e as usize) == Tri::True)
                {
                    emit(Reason::Rule(exception as usize, Tri::True));
                }
            }
        }
        Condition::Not { of } => {
            let inverse = match want {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Unknown => Tri::Unknown,
            };
            reasons(outputs, of, inverse, emit);
        }
        Condition::And { all: parts } | Condition::Or { any: parts } => {
            let every = matches!(condition, Condition::Or { .. }) && want == Tri::False
                || matches!(condition, Condition::And { .. }) && want == Tri::True;
            for part in parts {
                match value_of(outputs, part) {
                    Some(value) if value == want || every => reasons(outputs, part, want, emit),
                    Some(_) => {}
                    // Its value is not in the decision: it may be the cause.
                    None => reasons(outputs, part, want, emit),
                }
            }
        }
        Condition::Other { text } => emit(Reason::Words(text, want)),
    }
}

// ---------------------------------------------------------------- facts

/// The fact (or list field) of missing slot `slot` as the request names it:
/// a list's field once per member without it, with the member's index.
fn slot_entries(source: &Source<'_>, slot: &MissingSlot, emit: &mut dyn FnMut(&str, &str)) {
    let memory = source.memory;
    let Some(fact) = source.manifest.input.facts.get(slot.fact as usize) else {
        return;
    };
    match (slot.field, &fact.elements) {
        (Some(field), Some(elements)) => {
            let Some(field_slot) = elements.fields.get(field as usize) else {
                return;
            };
            let count = usize::try_from(read_i64(memory, fact.offset as usize))
                .unwrap_or(0)
                .min(source.manifest.input.max_list_len as usize);
            for i in 0..count {
                let at = elements.area as usize + i * elements.size as usize;
                if memory.get(at + field_slot.presence as usize) == Some(&0) {
                    let path = format!("{}[{i}].{}", fact.name, field_slot.name);
                    let title = format!("{}第{}项的{}", fact.title, i + 1, slot.title);
                    emit(&path, &title);
                }
            }
        }
        _ => {
            if memory.get(fact.presence as usize) != Some(&1) {
                emit(&slot.path, &slot.title);
            }
        }
    }
}

fn fact_ref(out: &mut Vec<u8>, path: &str, title: &str) {
    out.extend_from_slice(b"{\"path\":");
    string(out, path);
    out.extend_from_slice(b",\"title\":");
    string(out, title);
}

/// Whether missing slot `slot` is set in an unknown mask (bit 62 stands
/// for every slot from 62 on).
fn is_missing(mask: u64, slot: usize) -> bool {
    mask & (1u64 << slot.min(62)) != 0
}

/// `{"applicant":[…],"shared":[…],"department":[…]}`
fn missing_facts(source: &Source<'_>, mask: u64, out: &mut Vec<u8>) {
    let slots = &source.manifest.missing_slots;
    // Who answers: a shared fact the platform cannot fetch for this
    // applicant is asked of them.
    fn answered_by<'s>(source: &Source<'_>, supplier: &'s Supplier) -> &'s Supplier {
        match supplier {
            Supplier::Shared { dataset }
                if !source.index.dataset_available(source.meta, dataset) =>
            {
                &Supplier::Applicant
            }
            other => other,
        }
    }
    let who = |supplier| answered_by(source, supplier);
    let group = |out: &mut Vec<u8>, which: fn(&Supplier) -> bool| {
        out.push(b'[');
        let mut comma = Comma::new();
        for (i, slot) in slots.iter().enumerate() {
            if mask == 0 || !is_missing(mask, i) || !which(who(&slot.supplied_by)) {
                continue;
            }
            slot_entries(source, slot, &mut |path, title| {
                comma.next(out);
                fact_ref(out, path, title);
                if let Supplier::Shared { dataset } = who(&slot.supplied_by) {
                    out.extend_from_slice(b",\"dataset\":");
                    named(out, dataset, source.manifest.dataset_name(dataset));
                }
                out.push(b'}');
            });
        }
        out.push(b']');
    };
    out.extend_from_slice(b"{\"applicant\":");
    group(out, |s| matches!(s, Supplier::Applicant));
    out.extend_from_slice(b",\"shared\":");
    group(out, |s| matches!(s, Supplier::Shared { .. }));
    out.extend_from_slice(b",\"department\":");
    group(out, |s| matches!(s, Supplier::Department));
    out.push(b'}');
}

// ---------------------------------------------------------------- materials

fn materials(source: &Source<'_>, outputs: &Outputs<'_>, out: &mut Vec<u8>) {
    let manifest = source.manifest;
    let mut comma = Comma::new();
    for (i, info) in manifest.materials.iter().enumerate() {
        let condition = outputs.material(i);
        if condition == Tri::False {
            continue;
        }
        comma.next(out);
        if condition == Tri::True {
            out.extend_from_slice(&source.parts.required[i]);
        } else {
            out.extend_from_slice(&source.parts.materials[i]);
            // The pre-rendered part ends in `"depends_on":[`.
            out.extend_from_slice(&source.parts.conditional[i]);
            out.pop();
            fact_refs(source, outputs.material_mask(i), out);
        }
        const APPLICANT: &[u8] = b",\"provided_by\":\"applicant\",\"dataset\":null";
        const COMMITMENT: &[u8] = b",\"provided_by\":\"commitment\",\"dataset\":null";
        const LINKED: &[u8] = b",\"provided_by\":\"shared\",\"dataset\":null";
        if !source.linked.is_empty() && source.linked.contains(&info.id.as_str()) {
            out.extend_from_slice(LINKED);
        } else {
            match &info.source {
                SourceInfo::Applicant => out.extend_from_slice(APPLICANT),
                SourceInfo::Commitment => out.extend_from_slice(COMMITMENT),
                SourceInfo::Shared { fallback, .. } => {
                    let bit = source.index.material_bits.get(i).copied().flatten();
                    if bit.is_some_and(|b| source.meta.shared & (1 << b) != 0) {
                        // The whole tail, closing brace included.
                        out.extend_from_slice(&source.parts.shared_tails[i]);
                        continue;
                    } else if fallback == "commitment" {
                        out.extend_from_slice(COMMITMENT);
                    } else {
                        out.extend_from_slice(APPLICANT);
                    }
                }
            }
        }
        out.push(b'}');
    }
}

// ---------------------------------------------------------------- steps and the schedule

/// The steps as the schedule needs them.
pub(crate) struct StepsView<'a> {
    pub planned: &'a [bool],
    /// What each planned step waits for (planned steps only).
    pub waits: &'a [Vec<usize>],
    pub days: &'a dyn Fn(usize) -> u32,
    pub working: &'a dyn Fn(usize) -> bool,
}

/// Each planned step's start and due date on the working-day calendar,
/// and the critical path: the chain of waits that ends last.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// Per step, inline for up to 8 steps, 24 bytes each (a decision
    /// allocated five vectors of larger records for its schedule before,
    /// a quarter of writing it; issue 13).
    timing: SmallVec<[Timing; 8]>,
    pub working_days: u32,
    pub natural_days: u32,
    pub completion: Option<i64>,
    /// The first day a deadline needed that the calendar does not hold.
    pub beyond: Option<i64>,
}

/// No date: the step is not planned, or the calendar does not reach.
const NO_DATE: i64 = i64::MIN;
/// Not settled yet.
const UNSET: u32 = u32::MAX;

/// One step while the schedule is made.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Days from the start as written (orders the chain when there are no
    /// dates); [`UNSET`] until settled.
    finish: u32,
    start: i64,
    due: i64,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            finish: UNSET,
            start: NO_DATE,
            due: NO_DATE,
        }
    }
}

fn date_or_none(day: i64) -> Option<i64> {
    (day != NO_DATE).then_some(day)
}

impl Schedule {
    /// Step `i`'s start and due date: `None` when not planned, or when the
    /// calendar does not reach (dates after a deadline beyond it are not
    /// guessed; the ones before are kept).
    pub(crate) fn dates(&self, i: usize) -> (Option<i64>, Option<i64>) {
        self.timing.get(i).map_or((None, None), |t| {
            (date_or_none(t.start), date_or_none(t.due))
        })
    }

    pub(crate) fn new(
        calendar: &WorkingDays,
        application_date: i64,
        steps: &StepsView<'_>,
    ) -> Schedule {
        let count = steps.planned.len();
        let mut timing: SmallVec<[Timing; 8]> = SmallVec::from_elem(Timing::default(), count);
        let mut beyond: Option<i64> = None;
        // Steps are checked to form a DAG: settle them in rounds (at most `count`).
        for _ in 0..=count {
            let mut changed = false;
            for i in 0..count {
                if !steps.planned[i] || timing[i].finish != UNSET {
                    continue;
                }
                let waits = &steps.waits[i];
                if waits
                    .iter()
                    .any(|&b| timing.get(b).is_none_or(|t| t.finish == UNSET))
                {
                    continue;
                }
                let mut begin_days = 0;
                let mut begin = application_date;
                for &b in waits {
                    begin_days = begin_days.max(timing[b].finish);
                    // A wait without a date leaves this step without one.
                    begin = if begin == NO_DATE || timing[b].due == NO_DATE {
                        NO_DATE
                    } else {
                        begin.max(timing[b].due)
                    };
                }
                let days = (steps.days)(i);
                let due = if begin == NO_DATE {
                    NO_DATE
                } else {
                    let end = if (steps.working)(i) {
                        calendar.add_working_days(begin, days)
                    } else {
                        calendar.add_natural_days(begin, days)
                    };
                    end.unwrap_or_else(|e| {
                        beyond = Some(beyond.map_or(e.day, |b| b.min(e.day)));
                        NO_DATE
                    })
                };
                timing[i] = Timing {
                    finish: begin_days.saturating_add(days),
                    start: begin,
                    due,
                };
                changed = true;
            }
            if !changed {
                break;
            }
        }
        let dated = beyond.is_none();
        // The last step: the latest due date (or the most days when there are no dates).
        let key = |i: usize| -> (i64, u32) {
            let t = &timing[i];
            (if dated { t.due } else { 0 }, t.finish)
        };
        let mut last = (0..count)
            .filter(|&i| timing[i].finish != UNSET)
            .max_by_key(|&i| key(i));
        let completion = last
            .and_then(|i| date_or_none(timing[i].due))
            .filter(|_| dated);
        let (mut working_days, mut natural_days) = (0u32, 0u32);
        let mut guard = 0;
        while let Some(i) = last {
            if (steps.working)(i) {
                working_days = working_days.saturating_add((steps.days)(i));
            } else {
                natural_days = natural_days.saturating_add((steps.days)(i));
            }
            last = steps.waits[i].iter().copied().max_by_key(|&b| key(b));
            guard += 1;
            if guard > count {
                break;
            }
        }
        Schedule {
            timing,
            working_days,
            natural_days,
            completion,
            beyond,
        }
    }

    /// `{"working_days":…,"natural_days":…,"completion_date":…,"calendar_note":…}`
    pub(crate) fn write(&self, calendar: &WorkCalendar, texts: &DateTexts, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"working_days\":");
        integer(out, self.working_days);
        out.extend_from_slice(b",\"natural_days\":");
        integer(out, self.natural_days);
        out.extend_from_slice(b",\"completion_date\":");
        null_or_date_from(out, self.completion, texts);
        out.extend_from_slice(b",\"calendar_note\":");
        match self.beyond {
            Some(day) => string(out, &beyond_note(calendar, day)),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}

/// Why there are no due dates, for the applicant.
pub(crate) fn beyond_note(calendar: &WorkCalendar, day: i64) -> String {
    let (year, _, _) = calendar::civil_from_days(day);
    match calendar.last_year() {
        Some(last) => format!(
            "办理期限需要推算到{year}年，节假日安排只公布到{last}年：到期日暂无法确定，按工作日计的天数以公布后的安排为准"
        ),
        None => "尚无节假日安排数据：到期日暂无法确定".to_string(),
    }
}

// ---------------------------------------------------------------- values

fn values(source: &Source<'_>, outputs: &Outputs<'_>, out: &mut Vec<u8>) {
    let manifest = source.manifest;
    for (i, info) in manifest.values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&source.parts.values[i]);
        let raw = outputs.value(i);
        if raw.mask == 0 {
            match (&raw.value, &info.ty) {
                (RawScalar::Set(ids), _) => {
                    out.push(b'[');
                    for (j, &id) in ids.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        string(out, &text_of(source, id));
                    }
                    out.push(b']');
                }
                (RawScalar::I64(v), ValueType::Bool) => {
                    out.extend_from_slice(if *v != 0 { b"true" } else { b"false" })
                }
                (RawScalar::I64(v), ValueType::Date) => date(out, *v),
                (RawScalar::I64(v), ValueType::Money) => decimal(out, *v, 2),
                (RawScalar::I64(v), ValueType::Decimal { scale }) => decimal(out, *v, *scale),
                (RawScalar::I64(v), ValueType::Text) => string(out, &text_of(source, *v)),
                (RawScalar::I64(v), ValueType::Enum { values, .. }) => {
                    match values.get(usize::try_from(*v).unwrap_or(usize::MAX)) {
                        Some(value) => string(out, value),
                        None => out.extend_from_slice(b"null"),
                    }
                }
                (RawScalar::I64(v), _) => integer(out, *v),
            }
            out.extend_from_slice(b",\"waits_for\":[],\"no_entry\":[]}");
            continue;
        }
        out.extend_from_slice(b"null,\"waits_for\":");
        fact_refs(source, raw.mask, out);
        out.extend_from_slice(b",\"no_entry\":[");
        if raw.mask & (1 << 63) != 0 {
            let mut comma = Comma::new();
            for used in &info.keyed_params {
                // Every key read from a present fact, or nothing to say.
                let Some(keys) = used
                    .key_facts
                    .iter()
                    .map(|f| f.and_then(|f| fact_text(source, f as usize)))
                    .collect::<Option<Vec<Cow<'_, str>>>>()
                else {
                    continue;
                };
                let in_force = used.entries.iter().any(|e| {
                    e.keys.len() == keys.len()
                        && e.keys.iter().zip(&keys).all(|(a, b)| a == b)
                        && e.from <= source.meta.application_date
                });
                let key = keys.join("、");
                if !in_force {
                    comma.next(out);
                    out.extend_from_slice(b"{\"parameter\":");
                    string(out, &used.name);
                    out.extend_from_slice(b",\"title\":");
                    string(out, &used.title);
                    out.extend_from_slice(b",\"key\":");
                    string(out, &key);
                    out.push(b'}');
                }
            }
        }
        out.extend_from_slice(b"]}");
    }
}

/// `[{"path":…,"title":…},…]` for the slots whose bits `mask` sets.
fn fact_refs(source: &Source<'_>, mask: u64, out: &mut Vec<u8>) {
    out.push(b'[');
    let mut comma = Comma::new();
    for (i, slot) in source.manifest.missing_slots.iter().enumerate() {
        if is_missing(mask, i) {
            slot_entries(source, slot, &mut |path, title| {
                comma.next(out);
                fact_ref(out, path, title);
                out.push(b'}');
            });
        }
    }
    out.push(b']');
}

/// A text id as text: a constant of the policy, one of the request's own,
/// or a whole number's digits.
fn text_of<'a>(source: &'a Source<'_>, id: i64) -> Cow<'a, str> {
    if let Some(number) = number_of_text_id(id) {
        return Cow::Owned(number.to_string());
    }
    let index = usize::try_from(id).unwrap_or(usize::MAX);
    let texts = &source.manifest.texts;
    Cow::Borrowed(
        texts
            .get(index)
            .or_else(|| source.meta.fresh_texts.get(index.wrapping_sub(texts.len())))
            .map_or("", String::as_str),
    )
}

/// A present text or enum fact as text (a parameter's key).
fn fact_text<'a>(source: &'a Source<'_>, fact: usize) -> Option<Cow<'a, str>> {
    let slot = source.manifest.input.facts.get(fact)?;
    if source.memory.get(slot.presence as usize) != Some(&1) {
        return None;
    }
    let raw = read_i64(source.memory, slot.offset as usize);
    match &slot.ty {
        ValueType::Text => Some(text_of(source, raw)),
        ValueType::Enum { values, .. } => values
            .get(usize::try_from(raw).ok()?)
            .map(|v| Cow::Borrowed(v.as_str())),
        ValueType::Int => Some(Cow::Owned(raw.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn texts_numbers_and_dates_are_written_as_serde_json_and_the_codecs_write_them() {
        let texts = [
            "",
            "plain",
            "中文标题（第二条）",
            "quote \" and backslash \\",
            "control \u{0} \u{1f} \n \r \t \u{8} \u{c} end",
            "del \u{7f} and emoji 😀 and \u{2028}",
        ];
        for text in texts {
            let mut ours = Vec::new();
            string(&mut ours, text);
            let theirs = serde_json::to_vec(text).expect("serialises");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
        for fen in [0, 5, -5, -1234, 100, i64::MIN, i64::MAX] {
            let mut ours = Vec::new();
            money(&mut ours, fen);
            let theirs = serde_json::to_vec(&contract::codec::money_text(fen)).expect("money");
            assert_eq!(ours, theirs, "{fen}");
        }
        for days in [calendar::MIN_DAY, -1, 0, 20_000, calendar::MAX_DAY] {
            let mut ours = Vec::new();
            date(&mut ours, days);
            let theirs = serde_json::to_vec(&date_text(days)).expect("date");
            assert_eq!(ours, theirs, "{days}");
        }
        for n in [i64::MIN, -1, 0, 7, i64::MAX] {
            let mut ours = Vec::new();
            integer(&mut ours, n);
            assert_eq!(ours, serde_json::to_vec(&n).expect("int"));
        }
    }
}
