//! Encoding: request JSON → the module's input memory, by the manifest's
//! input layout.
//!
//! Input: the request's bytes. Output: the input region of linear memory
//! filled in place (no `serde_json::Value` in between; text is interned
//! against the manifest's constants), and the request's [`RequestMeta`].
//! Every mistake in the request is an [`EvalError`] naming its JSON path.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;

use rules_dsl::calendar;
use rules_dsl::manifest::{FactSlot, Manifest, ValueType};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::config::Limits;
use crate::error::EvalError;

/// Lookup tables for one manifest, built once when the policy is loaded.
#[derive(Debug)]
pub struct InputIndex {
    facts: HashMap<String, usize>,
    prefixes: HashSet<String>,
    texts: HashMap<String, i64>,
    /// The shared datasets the policy's materials name; bit `i` of
    /// [`RequestMeta::shared`] is dataset `i`.
    pub datasets: Vec<String>,
    /// Bytes `0..fixed_end` are the fixed input region, cleared on every call.
    fixed_end: usize,
    /// All fact names, for "did you mean".
    names: Vec<String>,
}

impl InputIndex {
    pub fn new(manifest: &Manifest) -> InputIndex {
        let mut facts = HashMap::default();
        let mut prefixes = HashSet::default();
        let mut fixed_end = 8;
        for (index, fact) in manifest.input.facts.iter().enumerate() {
            facts.insert(fact.name.clone(), index);
            let mut prefix = String::new();
            let segments: Vec<&str> = fact.name.split('.').collect();
            for segment in &segments[..segments.len().saturating_sub(1)] {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(segment);
                prefixes.insert(prefix.clone());
            }
            fixed_end = fixed_end
                .max(fact.offset as usize + 8)
                .max(fact.presence as usize + 1);
        }
        let texts = manifest
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as i64))
            .collect();
        let mut datasets: Vec<String> = Vec::new();
        for material in &manifest.materials {
            if let rules_dsl::manifest::SourceInfo::Shared { dataset, .. } = &material.source {
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
            facts,
            prefixes,
            texts,
            datasets,
            fixed_end,
            names,
        }
    }
}

/// What the request says besides its facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// Days since 1970-01-01.
    pub application_date: i64,
    /// Bit `i`: the platform can fetch `InputIndex::datasets[i]` for this applicant.
    pub shared: u64,
    /// Input texts that are not constants of the policy; text id
    /// `texts.len() + i` is `fresh_texts[i]`.
    pub fresh_texts: Vec<String>,
}

/// An encoded request in a memory image of its own (for tests and the oracle).
#[derive(Debug, Clone)]
pub struct Encoded {
    pub memory: Vec<u8>,
    pub meta: RequestMeta,
}

/// Encodes a whole request `{application_date, facts, shared_available}`
/// into a fresh memory image.
pub fn encode_request(
    manifest: &Manifest,
    json: &[u8],
    limits: &Limits,
) -> Result<Encoded, EvalError> {
    let index = InputIndex::new(manifest);
    let mut memory = vec![0u8; manifest.memory_pages as usize * 65_536];
    let meta = encode_into(manifest, &index, json, limits, &mut memory)?;
    Ok(Encoded { memory, meta })
}

/// Encodes a whole request into `memory` (the module's linear memory).
pub fn encode_into(
    manifest: &Manifest,
    index: &InputIndex,
    json: &[u8],
    limits: &Limits,
    memory: &mut [u8],
) -> Result<RequestMeta, EvalError> {
    let mut ctx = Ctx::new(manifest, index, limits, memory)?;
    // Validating the UTF-8 once, up front, is faster than serde_json checking every string.
    let text = utf8(json)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = deserializer
        .deserialize_map(RequestVisitor { ctx: &mut ctx })
        .and_then(|()| deserializer.end());
    finish(ctx, result, true)
}

/// Encodes a facts object with the application date and the available
/// datasets given separately (the command line's `--date` and `--shared`).
pub fn encode_facts_into(
    manifest: &Manifest,
    index: &InputIndex,
    facts_json: &[u8],
    application_date: &str,
    shared_available: &[&str],
    limits: &Limits,
    memory: &mut [u8],
) -> Result<RequestMeta, EvalError> {
    let mut ctx = Ctx::new(manifest, index, limits, memory)?;
    ctx.set_date(application_date, "application_date")?;
    for dataset in shared_available {
        ctx.share(dataset);
    }
    let text = utf8(facts_json)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = deserializer
        .deserialize_map(FactsVisitor {
            ctx: &mut ctx,
            prefix_len: 0,
        })
        .and_then(|()| deserializer.end());
    finish(ctx, result, false)
}

fn utf8(json: &[u8]) -> Result<&str, EvalError> {
    std::str::from_utf8(json).map_err(|error| {
        let valid = &json[..error.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        EvalError::Json {
            message: "the request is not valid UTF-8".into(),
            line,
            column,
        }
    })
}

fn finish(
    ctx: Ctx<'_>,
    result: Result<(), serde_json::Error>,
    need_date: bool,
) -> Result<RequestMeta, EvalError> {
    if let Err(error) = result {
        return Err(ctx.error.unwrap_or_else(|| EvalError::Json {
            message: json_message(&error),
            line: error.line(),
            column: error.column(),
        }));
    }
    let mut missing = Vec::new();
    if need_date && !ctx.date_seen {
        missing.push("application_date".to_string());
    }
    for fact in &ctx.manifest.input.facts {
        if !fact.optional && ctx.memory.get(fact.presence as usize).copied().unwrap_or(0) == 0 {
            missing.push(format!("facts.{}", fact.name));
        }
    }
    if !missing.is_empty() {
        return Err(EvalError::MissingFacts { paths: missing });
    }
    Ok(RequestMeta {
        application_date: ctx.application_date,
        shared: ctx.shared,
        fresh_texts: ctx.fresh,
    })
}

/// serde_json's message without its " at line … column …" suffix.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

struct Ctx<'m> {
    manifest: &'m Manifest,
    index: &'m InputIndex,
    limits: &'m Limits,
    memory: &'m mut [u8],
    error: Option<EvalError>,
    /// The dotted fact name being read (reused buffer).
    name: String,
    application_date: i64,
    date_seen: bool,
    shared: u64,
    fresh: Vec<String>,
}

impl<'m> Ctx<'m> {
    fn new(
        manifest: &'m Manifest,
        index: &'m InputIndex,
        limits: &'m Limits,
        memory: &'m mut [u8],
    ) -> Result<Ctx<'m>, EvalError> {
        let fixed_end = index.fixed_end.min(memory.len());
        // The whole fixed input region is rewritten on every call.
        memory[..fixed_end].fill(0);
        Ok(Ctx {
            manifest,
            index,
            limits,
            memory,
            error: None,
            name: String::with_capacity(64),
            application_date: 0,
            date_seen: false,
            shared: 0,
            fresh: Vec::new(),
        })
    }

    fn fail<E: de::Error>(&mut self, error: EvalError) -> E {
        let message = error.to_string();
        self.error.get_or_insert(error);
        E::custom(message)
    }

    fn write_i64(&mut self, offset: usize, value: i64) {
        if let Some(slot) = self.memory.get_mut(offset..offset + 8) {
            slot.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn write_u8(&mut self, offset: usize, value: u8) {
        if let Some(byte) = self.memory.get_mut(offset) {
            *byte = value;
        }
    }

    fn read_u8(&self, offset: usize) -> u8 {
        self.memory.get(offset).copied().unwrap_or(0)
    }

    fn set_date(&mut self, text: &str, path: &str) -> Result<(), EvalError> {
        let days = parse_date(text).ok_or_else(|| EvalError::BadDate {
            path: path.into(),
            value: text.into(),
        })?;
        self.application_date = days;
        self.date_seen = true;
        let offset = self.manifest.input.application_date as usize;
        self.write_i64(offset, days);
        Ok(())
    }

    fn share(&mut self, dataset: &str) {
        if let Some(bit) = self.index.datasets.iter().position(|d| d == dataset) {
            if bit < 64 {
                self.shared |= 1 << bit;
            }
        }
    }

    fn text_id(&mut self, text: &str) -> i64 {
        if let Some(&id) = self.index.texts.get(text) {
            return id;
        }
        let base = self.manifest.texts.len();
        match self.fresh.iter().position(|t| t == text) {
            Some(i) => (base + i) as i64,
            None => {
                self.fresh.push(text.to_string());
                (base + self.fresh.len() - 1) as i64
            }
        }
    }
}

/// A JSON object key, borrowed from the input when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

struct RequestVisitor<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
}

impl<'de> Visitor<'de> for RequestVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `application_date`, `facts` and `shared_available`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = [false; 3];
        while let Some(key) = map.next_key_seed(Key)? {
            let slot = match key.as_ref() {
                "application_date" => 0,
                "facts" => 1,
                "shared_available" => 2,
                other => {
                    let suggestion = rules_dsl::diagnostic::did_you_mean(
                        other,
                        ["application_date", "facts", "shared_available"],
                    );
                    return Err(self.ctx.fail(EvalError::UnknownField {
                        path: other.to_string(),
                        suggestion,
                    }));
                }
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(self.ctx.fail(EvalError::Duplicate {
                    path: key.into_owned(),
                }));
            }
            match slot {
                0 => {
                    let text: Cow<'de, str> = map.next_value_seed(TextValue {
                        ctx: self.ctx,
                        path: "application_date",
                    })?;
                    if let Err(error) = self.ctx.set_date(&text, "application_date") {
                        return Err(self.ctx.fail(error));
                    }
                }
                1 => map.next_value_seed(FactsSeed { ctx: self.ctx })?,
                _ => map.next_value_seed(SharedSeed { ctx: self.ctx })?,
            }
        }
        Ok(())
    }
}

/// A string value (the application date), with a typed error otherwise.
struct TextValue<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    path: &'static str,
}

impl<'de> DeserializeSeed<'de> for TextValue<'_, '_> {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextValue<'_, '_> {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(wrong(
            self.ctx,
            self.path,
            "a date `YYYY-MM-DD`",
            "an object",
        ))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(wrong(self.ctx, self.path, "a date `YYYY-MM-DD`", "a list"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(wrong(
            self.ctx,
            self.path,
            "a date `YYYY-MM-DD`",
            "true/false",
        ))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(wrong(
            self.ctx,
            self.path,
            "a date `YYYY-MM-DD`",
            "a number",
        ))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(wrong(
            self.ctx,
            self.path,
            "a date `YYYY-MM-DD`",
            "a number",
        ))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(wrong(
            self.ctx,
            self.path,
            "a date `YYYY-MM-DD`",
            "a number",
        ))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(wrong(self.ctx, self.path, "a date `YYYY-MM-DD`", "null"))
    }
}

fn wrong_nested<E: de::Error>(visitor: NestedVisitor<'_, '_>, expected: &str, found: &str) -> E {
    let path = visitor.path();
    wrong(visitor.inner.ctx, &path, expected, found)
}

fn wrong<E: de::Error>(ctx: &mut Ctx<'_>, path: &str, expected: &str, found: &str) -> E {
    ctx.fail(EvalError::WrongType {
        path: path.into(),
        expected: expected.into(),
        found: found.into(),
    })
}

struct SharedSeed<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
}

impl<'de> DeserializeSeed<'de> for SharedSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SharedSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of dataset ids")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut position = 0;
        while let Some(value) = seq.next_element_seed(Key).inspect_err(|_| {
            let path = format!("shared_available[{position}]");
            self.ctx.error.get_or_insert(EvalError::WrongType {
                path,
                expected: "a dataset id (text)".into(),
                found: "something that is not text".into(),
            });
        })? {
            self.ctx.share(&value);
            position += 1;
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "an object",
        ))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "text",
        ))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "true/false",
        ))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "a number",
        ))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "a number",
        ))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(wrong(
            self.ctx,
            "shared_available",
            "a list of dataset ids",
            "a number",
        ))
    }
}

struct FactsSeed<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
}

impl<'de> DeserializeSeed<'de> for FactsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(FactsVisitor {
            ctx: self.ctx,
            prefix_len: 0,
        })
    }
}

/// The facts object, or a nested object under a prefix of fact names
/// (`{"applicant": {"birth_date": …}}` is `applicant.birth_date`).
struct FactsVisitor<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    prefix_len: usize,
}

impl<'de> Visitor<'de> for FactsVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of facts")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            self.ctx.name.truncate(self.prefix_len);
            if self.prefix_len > 0 {
                self.ctx.name.push('.');
            }
            self.ctx.name.push_str(&key);
            let name_len = self.ctx.name.len();
            if let Some(&fact) = self.ctx.index.facts.get(self.ctx.name.as_str()) {
                map.next_value_seed(FactSeed {
                    ctx: self.ctx,
                    fact,
                })?;
            } else if self.ctx.index.prefixes.contains(self.ctx.name.as_str()) {
                map.next_value_seed(NestedFacts {
                    ctx: self.ctx,
                    prefix_len: name_len,
                })?;
            } else if self.ctx.limits.reject_unknown_fields {
                let name = self.ctx.name.clone();
                let suggestion = rules_dsl::diagnostic::did_you_mean(
                    &name,
                    self.ctx.index.names.iter().map(String::as_str),
                );
                return Err(self.ctx.fail(EvalError::UnknownField {
                    path: format!("facts.{name}"),
                    suggestion,
                }));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct NestedFacts<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    prefix_len: usize,
}

impl<'de> DeserializeSeed<'de> for NestedFacts<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let ctx = self.ctx;
        deserializer.deserialize_any(NestedVisitor {
            inner: FactsVisitor {
                ctx,
                prefix_len: self.prefix_len,
            },
        })
    }
}

struct NestedVisitor<'c, 'm> {
    inner: FactsVisitor<'c, 'm>,
}

impl NestedVisitor<'_, '_> {
    /// The path of the nested object, built only for an error message.
    fn path(&self) -> String {
        format!("facts.{}", &self.inner.ctx.name[..self.inner.prefix_len])
    }
}

impl<'de> Visitor<'de> for NestedVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of facts")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.inner.visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(wrong_nested(self, "an object of facts", "a list"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(wrong_nested(self, "an object of facts", "text"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(wrong_nested(self, "an object of facts", "true/false"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(wrong_nested(self, "an object of facts", "a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(wrong_nested(self, "an object of facts", "a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(wrong_nested(self, "an object of facts", "a number"))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Where a scalar goes and how to name it in errors.
#[derive(Clone, Copy)]
struct Place {
    fact: usize,
    /// `Some((element, field))` for a record field; `Some((element, usize::MAX))` for a set item.
    within: Option<(usize, usize)>,
    slot: usize,
    presence: usize,
    optional: bool,
}

impl Place {
    fn path(&self, manifest: &Manifest) -> String {
        let fact: &FactSlot = &manifest.input.facts[self.fact];
        match self.within {
            None => format!("facts.{}", fact.name),
            Some((element, usize::MAX)) => format!("facts.{}[{element}]", fact.name),
            Some((element, field)) => {
                let field_name = fact
                    .elements
                    .as_ref()
                    .and_then(|e| e.fields.get(field))
                    .map_or("", |f| f.name.as_str());
                format!("facts.{}[{element}].{field_name}", fact.name)
            }
        }
    }
}

struct FactSeed<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    fact: usize,
}

impl<'de> DeserializeSeed<'de> for FactSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let slot: &FactSlot = &self.ctx.manifest.input.facts[self.fact];
        let place = Place {
            fact: self.fact,
            within: None,
            slot: slot.offset as usize,
            presence: slot.presence as usize,
            optional: slot.optional,
        };
        if self.ctx.read_u8(place.presence) != 0 {
            let path = place.path(self.ctx.manifest);
            return Err(self.ctx.fail(EvalError::Duplicate { path }));
        }
        let manifest = self.ctx.manifest;
        deserializer.deserialize_any(ValueVisitor {
            ctx: self.ctx,
            place,
            ty: &manifest.input.facts[self.fact].ty,
        })
    }
}

struct ValueVisitor<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    place: Place,
    ty: &'m ValueType,
}

impl ValueVisitor<'_, '_> {
    fn expected(&self) -> String {
        match self.ty {
            ValueType::Bool => "true or false".into(),
            ValueType::Int => "a whole number".into(),
            ValueType::Money => "an amount of money (a number with at most two decimals)".into(),
            ValueType::Date => "a date `YYYY-MM-DD`".into(),
            ValueType::Text => "text".into(),
            ValueType::Enum { values } => format!("one of {}", quoted_list(values)),
            ValueType::Set => "a list of texts".into(),
            ValueType::List => "a list of records".into(),
        }
    }

    fn mismatch<E: de::Error>(self, found: &str) -> E {
        let path = self.place.path(self.ctx.manifest);
        let expected = self.expected();
        self.ctx.fail(EvalError::WrongType {
            path,
            expected,
            found: found.into(),
        })
    }

    fn store(self, value: i64) {
        self.ctx.write_i64(self.place.slot, value);
        self.ctx.write_u8(self.place.presence, 1);
    }

    fn money_text<E: de::Error>(self, text: &str) -> Result<(), E> {
        match parse_decimal(text) {
            Ok(fen) => {
                self.store(fen);
                Ok(())
            }
            Err(problem) => {
                let path = self.place.path(self.ctx.manifest);
                let value = text.to_string();
                let error = match problem {
                    Decimal::Precision => EvalError::MoneyPrecision { path, value },
                    Decimal::Range => EvalError::OutOfRange { path, value },
                    Decimal::Invalid => EvalError::WrongType {
                        path,
                        expected: "an amount of money (a number with at most two decimals)".into(),
                        found: format!("`{value}`"),
                    },
                };
                Err(self.ctx.fail(error))
            }
        }
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'de> Visitor<'de> for ValueVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expected())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.place.optional {
            // Unknown: the presence byte stays 0.
            return Ok(());
        }
        Err(self.mismatch("null (a required fact cannot be unknown)"))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.ty {
            ValueType::Bool => {
                self.store(i64::from(v));
                Ok(())
            }
            _ => Err(self.mismatch("true/false")),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.ty {
            ValueType::Int => {
                self.store(v);
                Ok(())
            }
            ValueType::Money => match v.checked_mul(100) {
                Some(fen) => {
                    self.store(fen);
                    Ok(())
                }
                None => {
                    let path = self.place.path(self.ctx.manifest);
                    Err(self.ctx.fail(EvalError::OutOfRange {
                        path,
                        value: v.to_string(),
                    }))
                }
            },
            _ => Err(self.mismatch("a number")),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => {
                let path = self.place.path(self.ctx.manifest);
                Err(self.ctx.fail(EvalError::OutOfRange {
                    path,
                    value: v.to_string(),
                }))
            }
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.ty {
            ValueType::Money => {
                // Fast path: `v` came from a decimal with at most two places
                // exactly when fen / 100 reads back as `v`.
                let scaled = (v * 100.0).round();
                if v.is_finite() && scaled.abs() < 9.0e15 && scaled / 100.0 == v {
                    self.store(scaled as i64);
                    return Ok(());
                }
                // Otherwise the shortest text that reads back as `v` is the
                // decimal the request wrote; report it as written.
                let mut buffer = [0u8; 64];
                let mut cursor = std::io::Cursor::new(&mut buffer[..]);
                if write!(cursor, "{v}").is_err() || !v.is_finite() {
                    let path = self.place.path(self.ctx.manifest);
                    return Err(self.ctx.fail(EvalError::OutOfRange {
                        path,
                        value: v.to_string(),
                    }));
                }
                let length = usize::try_from(cursor.position()).unwrap_or(0);
                let text = std::str::from_utf8(&buffer[..length]).unwrap_or("");
                self.money_text(text)
            }
            ValueType::Int => Err(self.mismatch("a number with decimals")),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.ty {
            ValueType::Text => {
                let id = self.ctx.text_id(v);
                self.store(id);
                Ok(())
            }
            ValueType::Enum { values } => match values.iter().position(|x| x == v) {
                Some(index) => {
                    self.store(index as i64);
                    Ok(())
                }
                None => {
                    let path = self.place.path(self.ctx.manifest);
                    let allowed = quoted_list(values);
                    Err(self.ctx.fail(EvalError::UnknownEnumValue {
                        path,
                        value: v.into(),
                        allowed,
                    }))
                }
            },
            ValueType::Date => match parse_date(v) {
                Some(days) => {
                    self.store(days);
                    Ok(())
                }
                None => {
                    let path = self.place.path(self.ctx.manifest);
                    Err(self.ctx.fail(EvalError::BadDate {
                        path,
                        value: v.into(),
                    }))
                }
            },
            ValueType::Money => self.money_text(v),
            _ => Err(self.mismatch("text")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let fact = &self.ctx.manifest.input.facts[self.place.fact];
        let (Some(elements), true) = (fact.elements.as_ref(), self.place.within.is_none()) else {
            return Err(self.mismatch("a list"));
        };
        let limit = self
            .ctx
            .limits
            .max_list_len
            .min(self.ctx.manifest.input.max_list_len);
        let (area, size) = (elements.area as usize, elements.size as usize);
        let is_set = matches!(self.ty, ValueType::Set);
        let mut count = 0usize;
        loop {
            if count >= limit as usize {
                // One more element is one too many.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    let path = self.place.path(self.ctx.manifest);
                    return Err(self.ctx.fail(EvalError::ListTooLong {
                        path,
                        len: count + 1,
                        limit,
                    }));
                }
                break;
            }
            let base = area + count * size;
            let place = Place {
                within: Some((count, usize::MAX)),
                slot: base,
                presence: usize::MAX,
                ..self.place
            };
            let more = if is_set {
                seq.next_element_seed(SetItem {
                    ctx: self.ctx,
                    place,
                })?
            } else {
                seq.next_element_seed(Record {
                    ctx: self.ctx,
                    place,
                })?
            };
            if more.is_none() {
                break;
            }
            count += 1;
        }
        self.ctx.write_i64(self.place.slot, count as i64);
        self.ctx.write_u8(self.place.presence, 1);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.mismatch("an object"))
    }
}

struct SetItem<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    place: Place,
}

impl<'de> DeserializeSeed<'de> for SetItem<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SetItem<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let id = self.ctx.text_id(v);
        self.ctx.write_i64(self.place.slot, id);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "true/false"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "null"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "text", "an object"))
    }
}

struct Record<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    place: Place,
}

impl<'de> DeserializeSeed<'de> for Record<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Record<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let manifest = self.ctx.manifest;
        let fact = &manifest.input.facts[self.place.fact];
        let Some(elements) = fact.elements.as_ref() else {
            return Ok(());
        };
        let base = self.place.slot;
        let element = self.place.within.map_or(0, |(e, _)| e);
        // The record's presence bytes are rewritten for every element.
        let presence_len = elements.fields.first().map_or(0, |f| f.offset as usize);
        if let Some(bytes) = self.ctx.memory.get_mut(base..base + presence_len) {
            bytes.fill(0);
        }
        while let Some(key) = map.next_key_seed(Key)? {
            // Records have a few fields: a scan beats hashing.
            let Some(field) = elements.fields.iter().position(|f| f.name == key.as_ref()) else {
                let path = format!("facts.{}[{element}].{key}", fact.name);
                let suggestion = rules_dsl::diagnostic::did_you_mean(
                    &key,
                    elements.fields.iter().map(|f| f.name.as_str()),
                );
                if self.ctx.limits.reject_unknown_fields {
                    return Err(self.ctx.fail(EvalError::UnknownField { path, suggestion }));
                }
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let slot = &elements.fields[field];
            let place = Place {
                fact: self.place.fact,
                within: Some((element, field)),
                slot: base + slot.offset as usize,
                presence: base + slot.presence as usize,
                optional: slot.optional,
            };
            if self.ctx.read_u8(place.presence) != 0 {
                let path = place.path(manifest);
                return Err(self.ctx.fail(EvalError::Duplicate { path }));
            }
            map.next_value_seed(FieldSeed {
                ctx: self.ctx,
                place,
                ty: &slot.ty,
            })?;
        }
        let mut missing = Vec::new();
        for (index, field) in elements.fields.iter().enumerate() {
            if !field.optional && self.ctx.read_u8(base + field.presence as usize) == 0 {
                missing.push(format!(
                    "facts.{}[{element}].{}",
                    fact.name, elements.fields[index].name
                ));
            }
        }
        if !missing.is_empty() {
            return Err(self.ctx.fail(EvalError::MissingFacts { paths: missing }));
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "a list"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "text"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "true/false"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let path = self.place.path(self.ctx.manifest);
        Err(wrong(self.ctx, &path, "a record (an object)", "null"))
    }
}

struct FieldSeed<'c, 'm> {
    ctx: &'c mut Ctx<'m>,
    place: Place,
    ty: &'m ValueType,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(ValueVisitor {
            ctx: self.ctx,
            place: self.place,
            ty: self.ty,
        })
    }
}

/// Strict `YYYY-MM-DD` with a year from 0001 to 9999, as a day number.
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if year < 1
        || !(1..=12).contains(&month)
        || day < 1
        || day > calendar::days_in_month(year, month)
    {
        return None;
    }
    Some(calendar::days_from_civil(year, month, day))
}

enum Decimal {
    Invalid,
    Precision,
    Range,
}

/// `-12.5` → -1250 fen; at most two decimals.
fn parse_decimal(text: &str) -> Result<i64, Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Decimal::Invalid);
    }
    if fraction.len() > 2 {
        return Err(Decimal::Precision);
    }
    let whole: i64 = whole.parse().map_err(|_| Decimal::Range)?;
    let fen = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| Decimal::Invalid)? * 10,
        _ => fraction.parse::<i64>().map_err(|_| Decimal::Invalid)?,
    };
    let total = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fen))
        .ok_or(Decimal::Range)?;
    Ok(if negative { -total } else { total })
}
