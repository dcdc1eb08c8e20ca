//! What the engine derives from a manifest once, when the policy is loaded,
//! for every request after: the encoder's lookup tables ([`InputIndex`]),
//! the plan when every step is planned, the working-day calendar as a table,
//! and the decision's constant parts, escaped once (`write::Parts`). Neither
//! the encoder nor the writer builds any of it per request.

use rustc_hash::FxHashMap as HashMap;

use contract::manifest::{Manifest, ValueType};

use crate::names::Names;

/// Lookup tables for one manifest, built once when the policy is loaded.
#[derive(Debug)]
pub struct InputIndex {
    /// Object 0 is the facts object; the others are the objects that group
    /// facts by a dotted prefix (`applicant` of `applicant.birth_date`).
    pub(crate) objects: Vec<FactsObject>,
    /// By fact: the names of its record fields and of its enum values.
    pub(crate) facts: Vec<FactNames>,
    pub(crate) texts: HashMap<String, i64>,
    /// The shared datasets the policy's materials name; bit `i` of
    /// [`RequestMeta::shared`] is dataset `i`.
    pub datasets: Vec<String>,
    pub(crate) dataset_names: Names,
    /// By material: its dataset's bit, if it is shared.
    pub(crate) material_bits: Vec<Option<u32>>,
    /// Whether a reported value is a text or a set of texts, or may name a
    /// parameter's key, which may be one of the request's own texts (then
    /// kept in [`RequestMeta`]).
    pub(crate) keeps_fresh_texts: bool,
    pub(crate) request_fields: Names,
    /// Bytes `0..fixed_end` are the fixed input region, cleared on every call.
    pub(crate) fixed_end: usize,
    /// All fact names, for "did you mean".
    pub(crate) names: Vec<String>,
}

/// The keys an object of facts may have: the rest of a fact's dotted name
/// after the object's prefix (`birth_date` in `applicant`, and also
/// `applicant.birth_date` at the top), or a longer prefix.
#[derive(Debug, Default)]
pub(crate) struct FactsObject {
    /// `applicant` (empty for the facts object itself).
    pub(crate) prefix: String,
    /// In declaration order (a request usually follows it).
    pub(crate) keys: Names,
    /// What each key is.
    pub(crate) members: Vec<Member>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Member {
    Fact(usize),
    Object(usize),
}

/// One fact's names besides its own.
#[derive(Debug, Default)]
pub(crate) struct FactNames {
    /// An enum fact's values.
    pub(crate) values: Names,
    /// A list's record fields, and each enum field's values.
    pub(crate) fields: Names,
    pub(crate) field_values: Vec<Names>,
}

fn enum_names(ty: &ValueType) -> Names {
    match ty {
        ValueType::Enum { values, .. } => Names::new(values.iter().map(String::as_str)),
        _ => Names::default(),
    }
}

impl InputIndex {
    /// Whether the request says the platform can fetch `dataset` for this
    /// applicant.
    pub fn dataset_available(&self, meta: &crate::outcome::RequestMeta, dataset: &str) -> bool {
        self.datasets
            .iter()
            .position(|d| d == dataset)
            .is_some_and(|bit| bit < 64 && meta.shared & (1 << bit) != 0)
    }

    pub fn new(manifest: &Manifest) -> InputIndex {
        // Keys in the order they are first met, each object's own.
        let mut objects: Vec<(String, Vec<(String, Member)>)> = vec![(String::new(), Vec::new())];
        let mut object_of: HashMap<String, usize> = HashMap::default();
        object_of.insert(String::new(), 0);
        let mut fixed_end = 8;
        for (index, fact) in manifest.input.facts.iter().enumerate() {
            let segments: Vec<&str> = fact.name.split('.').collect();
            // Every prefix of the name is an object (the empty one is the
            // facts object); within each, the rest of the name is a key.
            for cut in 0..segments.len() {
                let prefix = segments[..cut].join(".");
                let object = match object_of.get(&prefix) {
                    Some(&object) => object,
                    None => {
                        objects.push((prefix.clone(), Vec::new()));
                        object_of.insert(prefix.clone(), objects.len() - 1);
                        objects.len() - 1
                    }
                };
                objects[object]
                    .1
                    .push((segments[cut..].join("."), Member::Fact(index)));
            }
            fixed_end = fixed_end
                .max(fact.offset as usize + 8)
                .max(fact.presence as usize + 1);
        }
        // Each longer prefix is also a key of every shorter one — unless a
        // fact has that very name (`applicant` beside `applicant.city`): the
        // fact keeps the key, as it always has (the first of repeated names
        // is the one found); the other facts are then given with dotted names.
        for object in 1..objects.len() {
            let prefix = objects[object].0.clone();
            let segments: Vec<&str> = prefix.split('.').collect();
            for cut in 0..segments.len() {
                if let Some(&outer) = object_of.get(&segments[..cut].join(".")) {
                    objects[outer]
                        .1
                        .push((segments[cut..].join("."), Member::Object(object)));
                }
            }
        }
        let objects = objects
            .into_iter()
            .map(|(prefix, keys)| FactsObject {
                prefix,
                keys: Names::new(keys.iter().map(|(key, _)| key.as_str())),
                members: keys.iter().map(|&(_, member)| member).collect(),
            })
            .collect();
        let facts = manifest
            .input
            .facts
            .iter()
            .map(|fact| {
                let fields = fact.elements.as_ref().map_or(&[][..], |e| &e.fields[..]);
                FactNames {
                    values: enum_names(&fact.ty),
                    fields: Names::new(fields.iter().map(|f| f.name.as_str())),
                    field_values: fields.iter().map(|f| enum_names(&f.ty)).collect(),
                }
            })
            .collect();
        let texts = manifest
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as i64))
            .collect();
        let mut datasets: Vec<String> = Vec::new();
        let mut material_bits = Vec::new();
        for material in &manifest.materials {
            let mut bit = None;
            if let contract::manifest::SourceInfo::Shared { dataset, .. } = &material.source {
                let at = match datasets.iter().position(|d| d == dataset) {
                    Some(at) => at,
                    None => {
                        datasets.push(dataset.clone());
                        datasets.len() - 1
                    }
                };
                // Only 64 datasets fit the request's bit set.
                bit = u32::try_from(at).ok().filter(|&b| b < 64);
            }
            material_bits.push(bit);
        }
        // The datasets facts are fetched from (when missing, a fact the
        // platform cannot fetch for this applicant is asked of them).
        for fact in &manifest.input.facts {
            if let contract::manifest::Supplier::Shared { dataset } = &fact.supplied_by {
                if !datasets.contains(dataset) {
                    datasets.push(dataset.clone());
                }
            }
        }
        let names = manifest
            .input
            .facts
            .iter()
            .map(|f| f.name.clone())
            .collect();
        InputIndex {
            objects,
            facts,
            texts,
            dataset_names: Names::new(datasets.iter().map(String::as_str)),
            datasets,
            material_bits,
            // A text value, or a key a value's "no entry" names, may be one
            // of the request's own texts.
            keeps_fresh_texts: manifest.values.iter().any(|v| {
                matches!(v.ty, ValueType::Text | ValueType::Set) || !v.keyed_params.is_empty()
            }),
            request_fields: Names::new(REQUEST_FIELDS),
            fixed_end,
            names,
        }
    }
}

pub(crate) const REQUEST_FIELDS: [&str; 3] = ["application_date", "facts", "shared_available"];

/// The waits between steps — as written (every step planned, the usual
/// case, made once) and, when some step is left out, through it — and the
/// working-day calendar they are counted on.
#[derive(Debug, Default)]
pub struct StepPlan {
    /// What each step waits for, sorted, without repeats.
    after: Vec<Vec<usize>>,
    /// The manifest's working-day calendar as a table.
    pub calendar: contract::calendar::WorkingDays,
    /// Each day the calendar covers as `"YYYY-MM-DD"`, quoted: the dates a
    /// decision writes (application, start and due dates) are copied, not
    /// worked out from day numbers each time (that was a fifth of writing a
    /// decision; docs/benchmarks.md, issue 13).
    pub date_texts: DateTexts,
}

/// Quoted `YYYY-MM-DD` texts for a run of days.
#[derive(Debug, Default)]
pub struct DateTexts {
    first: i64,
    texts: Vec<[u8; 12]>,
}

impl DateTexts {
    /// The years `first_year ..= last_year`.
    fn new(first_year: i64, last_year: i64) -> DateTexts {
        let first = contract::calendar::days_from_civil(first_year, 1, 1);
        let end = contract::calendar::days_from_civil(last_year + 1, 1, 1);
        let texts = (first..end)
            .map(|day| {
                let mut text = [b'"'; 12];
                text[1..11].copy_from_slice(contract::codec::date_text(day).as_bytes());
                text
            })
            .collect();
        DateTexts { first, texts }
    }

    /// `"YYYY-MM-DD"` of `day`, if it is in the run.
    pub fn get(&self, day: i64) -> Option<&[u8; 12]> {
        usize::try_from(day - self.first)
            .ok()
            .and_then(|i| self.texts.get(i))
    }
}

impl StepPlan {
    pub fn new(manifest: &Manifest) -> StepPlan {
        let count = manifest.steps.len();
        let after = manifest
            .steps
            .iter()
            .map(|step| {
                let mut after: Vec<usize> =
                    step.after.iter().copied().filter(|&b| b < count).collect();
                after.sort_unstable();
                after.dedup();
                after
            })
            .collect();
        // The calendar's years and the year before (applications made late
        // in a year have their first steps due early in the next).
        let years = &manifest.calendar.years;
        let date_texts = match (years.first(), years.last()) {
            (Some(first), Some(last)) => DateTexts::new(first.year - 1, last.year),
            _ => DateTexts::default(),
        };
        StepPlan {
            after,
            calendar: contract::calendar::WorkingDays::new(&manifest.calendar),
            date_texts,
        }
    }

    /// What each planned step waits for among the planned steps: a wait on
    /// a step left out becomes a wait on what that step waited for.
    pub fn waits(&self, planned: &[bool]) -> std::borrow::Cow<'_, [Vec<usize>]> {
        if planned.iter().all(|&p| p) {
            return std::borrow::Cow::Borrowed(&self.after);
        }
        let count = self.after.len();
        let mut resolved: Vec<Option<Vec<usize>>> = vec![None; count];
        // Steps are checked to form a DAG; resolve in rounds (at most `count`).
        for _ in 0..=count {
            let mut changed = false;
            for i in 0..count {
                if resolved[i].is_some() {
                    continue;
                }
                let mut waits = Vec::new();
                let mut ready = true;
                for &before in &self.after[i] {
                    if planned.get(before).copied().unwrap_or(false) {
                        waits.push(before);
                    } else {
                        match &resolved[before] {
                            Some(through) => waits.extend(through.iter().copied()),
                            None => ready = false,
                        }
                    }
                }
                if ready {
                    waits.sort_unstable();
                    waits.dedup();
                    resolved[i] = Some(waits);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        std::borrow::Cow::Owned(
            resolved
                .into_iter()
                .enumerate()
                .map(|(i, w)| {
                    if planned.get(i).copied().unwrap_or(false) {
                        w.unwrap_or_default()
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        )
    }
}
