//! Encoding: request JSON → the module's input memory, by the manifest's
//! input layout.
//!
//! Input: the request's bytes. Output: the input region of linear memory
//! filled in place (no `serde_json::Value` in between; text is interned
//! against the manifest's constants), and the request's [`RequestMeta`].
//! Every mistake in the request is an [`EvalError`] naming its JSON path;
//! a syntax error names its line and column.
//!
//! The request is read by [`crate::reader`], a pull reader: each key is
//! looked up in the table of the object it is in (built once per policy),
//! and each value is written to its slot as it is read.

use std::borrow::Cow;

use contract::calendar;
use contract::codec::{
    DecimalProblem, canonical_number, decimal_text, number_text_id, parse_decimal,
};
use contract::manifest::{FactSlot, Manifest, ValueType};

use crate::config::Limits;
use crate::derived::{InputIndex, Member, REQUEST_FIELDS};
use crate::error::EvalError;
use crate::names::Names;
use crate::outcome::RequestMeta;
use crate::reader::{self, Kind, Number, Reader, SyntaxError};

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
    let mut ctx = Ctx::new(manifest, index, limits, memory);
    // Validating the UTF-8 once, up front, lets the reader slice `str`s freely.
    let text = utf8(json)?;
    let mut reader = Reader::new(text);
    request(&mut reader, &mut ctx)
        .and_then(|()| reader.end().map_err(Fail::from))
        .map_err(|fail| fail.into_error(text))?;
    finish(ctx, true)
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
    let mut ctx = Ctx::new(manifest, index, limits, memory);
    ctx.set_date(application_date, "application_date")?;
    let mut hint = 0;
    for dataset in shared_available {
        hint = ctx.share(dataset, hint);
    }
    let text = utf8(facts_json)?;
    let mut reader = Reader::new(text);
    facts(&mut reader, &mut ctx, 0)
        .and_then(|()| reader.end().map_err(Fail::from))
        .map_err(|fail| fail.into_error(text))?;
    finish(ctx, false)
}

/// The request's `application_date`, found without reading further when it
/// comes before `facts` (as the platform sends it), so the service can pick
/// the version in force and let the engine read the request once. `None`
/// when the bytes are not an object with that field as plain text (no
/// escapes): the caller then reads the request the ordinary way, which says
/// what is wrong.
pub fn application_date(json: &[u8]) -> Option<&str> {
    let text = simdutf8::basic::from_utf8(json).ok()?;
    let mut reader = Reader::new(text);
    if reader.peek().ok()? != Kind::Object {
        return None;
    }
    reader.begin_object().ok()?;
    let mut first = true;
    while let Some(key) = reader.next_key(&mut first).ok()? {
        if *key == *b"application_date" {
            if reader.peek().ok()? != Kind::String {
                return None;
            }
            return match reader.string().ok()? {
                std::borrow::Cow::Borrowed(date) => Some(date),
                std::borrow::Cow::Owned(_) => None,
            };
        }
        reader.skip().ok()?;
    }
    None
}

fn utf8(json: &[u8]) -> Result<&str, EvalError> {
    // SIMD validation: twice as fast as the standard library's on a request
    // (which then only says where the first bad byte is).
    if let Ok(text) = simdutf8::basic::from_utf8(json) {
        return Ok(text);
    }
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

/// Why encoding stopped: the JSON itself, or what it says.
enum Fail {
    Syntax(SyntaxError),
    Request(EvalError),
}

impl From<SyntaxError> for Fail {
    fn from(error: SyntaxError) -> Fail {
        Fail::Syntax(error)
    }
}

impl From<EvalError> for Fail {
    fn from(error: EvalError) -> Fail {
        Fail::Request(error)
    }
}

impl Fail {
    fn into_error(self, text: &str) -> EvalError {
        match self {
            Fail::Request(error) => error,
            Fail::Syntax(error) => {
                let (line, column) = reader::line_column(text, error.offset);
                EvalError::Json {
                    message: error.message.into(),
                    line,
                    column,
                }
            }
        }
    }
}

fn finish(ctx: Ctx<'_>, need_date: bool) -> Result<RequestMeta, EvalError> {
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
        // Only a reported text or set value reads them back.
        fresh_texts: if ctx.index.keeps_fresh_texts {
            ctx.fresh.into_owned()
        } else {
            Vec::new()
        },
        facts: ctx.facts,
        foreign_datasets: ctx.foreign_datasets,
    })
}

struct Ctx<'m> {
    manifest: &'m Manifest,
    index: &'m InputIndex,
    limits: &'m Limits,
    memory: &'m mut [u8],
    application_date: i64,
    date_seen: bool,
    shared: u64,
    foreign_datasets: u32,
    fresh: FreshTexts<'m>,
    facts: Option<std::ops::Range<usize>>,
}

/// The request's texts that are not constants of the policy, in the order
/// first met (text id `texts.len() + i` is the `i`-th). Borrowed from the
/// request where they need no unescaping, and the first few kept inline:
/// a usual request allocates nothing for them.
struct FreshTexts<'r> {
    inline: [Cow<'r, str>; 4],
    len: usize,
    more: Vec<Cow<'r, str>>,
}

impl<'r> FreshTexts<'r> {
    fn new() -> FreshTexts<'r> {
        FreshTexts {
            inline: Default::default(),
            len: 0,
            more: Vec::new(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Cow<'r, str>> {
        self.inline[..self.len.min(4)].iter().chain(&self.more)
    }

    /// The index of `text`, added if new.
    fn index(&mut self, text: Cow<'r, str>) -> usize {
        if let Some(found) = self.iter().position(|t| *t == text) {
            return found;
        }
        if self.len < 4 {
            self.inline[self.len] = text;
        } else {
            self.more.push(text);
        }
        self.len += 1;
        self.len - 1
    }

    fn into_owned(self) -> Vec<String> {
        let inline = self.inline.into_iter().take(self.len.min(4));
        inline.chain(self.more).map(Cow::into_owned).collect()
    }
}

impl<'m> Ctx<'m> {
    fn new(
        manifest: &'m Manifest,
        index: &'m InputIndex,
        limits: &'m Limits,
        memory: &'m mut [u8],
    ) -> Ctx<'m> {
        let fixed_end = index.fixed_end.min(memory.len());
        // The whole fixed input region is rewritten on every call.
        memory[..fixed_end].fill(0);
        Ctx {
            manifest,
            index,
            limits,
            memory,
            application_date: 0,
            date_seen: false,
            shared: 0,
            foreign_datasets: 0,
            fresh: FreshTexts::new(),
            facts: None,
        }
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

    fn share(&mut self, dataset: &str, hint: usize) -> usize {
        match self.index.dataset_names.find(dataset.as_bytes(), hint) {
            Some(bit) => {
                if bit < 64 {
                    self.shared |= 1 << bit;
                }
                bit + 1
            }
            None => {
                self.foreign_datasets = self.foreign_datasets.saturating_add(1);
                hint
            }
        }
    }

    fn text_id(&mut self, text: Cow<'m, str>) -> i64 {
        if let Some(&id) = self.index.texts.get(text.as_ref()) {
            return id;
        }
        // A whole number's digits have one id wherever they come from, so
        // a text fact "3" equals `text(3)` in the policy.
        if text
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-')
        {
            if let Some(id) = canonical_number(&text).and_then(number_text_id) {
                return id;
            }
        }
        (self.manifest.texts.len() + self.fresh.index(text)) as i64
    }
}

/// A key's text, for a message (the request was checked to be UTF-8).
fn text_of_key(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn wrong(path: impl Into<String>, expected: impl Into<String>, found: &str) -> Fail {
    Fail::Request(EvalError::WrongType {
        path: path.into(),
        expected: expected.into(),
        found: found.into(),
    })
}

/// `{application_date, facts, shared_available}`.
fn request<'m>(r: &mut Reader<'m>, ctx: &mut Ctx<'m>) -> Result<(), Fail> {
    // Valid JSON of another kind is a wrong type, not malformed JSON (the
    // request-reader fuzz target holds the two apart).
    match r.peek()? {
        Kind::Object => {}
        other => {
            return Err(wrong(
                "request",
                "an object with `application_date`, `facts` and `shared_available`",
                other.found(),
            ));
        }
    }
    r.begin_object()?;
    let mut seen = [false; 3];
    let mut first = true;
    let mut hint = 0;
    while let Some(key) = r.next_key(&mut first)? {
        let Some(field) = ctx.index.request_fields.find(&key, hint) else {
            let key = text_of_key(&key);
            let suggestion = contract::codec::did_you_mean(&key, REQUEST_FIELDS);
            return Err(EvalError::UnknownField {
                path: key,
                suggestion,
            }
            .into());
        };
        hint = field + 1;
        if std::mem::replace(&mut seen[field], true) {
            return Err(EvalError::Duplicate {
                path: text_of_key(&key),
            }
            .into());
        }
        match field {
            0 => match r.peek()? {
                Kind::String => {
                    let text = r.string()?;
                    ctx.set_date(&text, "application_date")?;
                }
                other => {
                    return Err(wrong(
                        "application_date",
                        "a date `YYYY-MM-DD`",
                        other.found(),
                    ));
                }
            },
            1 => {
                let start = r.offset();
                facts(r, ctx, 0)?;
                ctx.facts = Some(start..r.position());
            }
            _ => shared_available(r, ctx)?,
        }
    }
    Ok(())
}

/// `shared_available`: a list of dataset ids (leave it out for none).
fn shared_available<'m>(r: &mut Reader<'m>, ctx: &mut Ctx<'m>) -> Result<(), Fail> {
    match r.peek()? {
        Kind::Array => {
            r.begin_array()?;
            let mut first = true;
            let mut position = 0;
            let mut hint = 0;
            while r.next_item(&mut first)? {
                match r.peek()? {
                    Kind::String => {
                        let dataset = r.string()?;
                        hint = ctx.share(&dataset, hint);
                    }
                    other => {
                        return Err(wrong(
                            format!("shared_available[{position}]"),
                            "a dataset id (text)",
                            other.found(),
                        ));
                    }
                }
                position += 1;
            }
            Ok(())
        }
        other => Err(wrong(
            "shared_available",
            "a list of dataset ids",
            other.found(),
        )),
    }
}

/// An object of facts (`object` 0 is `facts` itself): each key is a fact or
/// a nested object of facts under a longer prefix. `null` is no facts.
fn facts<'m>(r: &mut Reader<'m>, ctx: &mut Ctx<'m>, object: usize) -> Result<(), Fail> {
    let index = ctx.index;
    let this = &index.objects[object];
    match r.peek()? {
        Kind::Object => r.begin_object()?,
        Kind::Null => {
            r.literal()?;
            return Ok(());
        }
        other => {
            let path = if this.prefix.is_empty() {
                "facts".to_string()
            } else {
                format!("facts.{}", this.prefix)
            };
            return Err(wrong(path, "an object of facts", other.found()));
        }
    }
    let mut first = true;
    let mut hint = 0;
    while let Some(key) = r.next_key(&mut first)? {
        let found = this.keys.find(&key, hint);
        if let Some(at) = found {
            hint = at + 1;
        }
        match found.map(|at| this.members[at]) {
            Some(Member::Fact(fact)) => fact_value(r, ctx, fact)?,
            Some(Member::Object(nested)) => facts(r, ctx, nested)?,
            None if ctx.limits.reject_unknown_fields => {
                let key = text_of_key(&key);
                let name = if this.prefix.is_empty() {
                    key
                } else {
                    format!("{}.{key}", this.prefix)
                };
                let suggestion =
                    contract::codec::did_you_mean(&name, index.names.iter().map(String::as_str));
                return Err(EvalError::UnknownField {
                    path: format!("facts.{name}"),
                    suggestion,
                }
                .into());
            }
            None => r.skip()?,
        }
    }
    Ok(())
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

fn fact_value<'m>(r: &mut Reader<'m>, ctx: &mut Ctx<'m>, fact: usize) -> Result<(), Fail> {
    let manifest = ctx.manifest;
    let slot: &FactSlot = &manifest.input.facts[fact];
    let place = Place {
        fact,
        within: None,
        slot: slot.offset as usize,
        presence: slot.presence as usize,
        optional: slot.optional,
    };
    if ctx.read_u8(place.presence) != 0 {
        return Err(EvalError::Duplicate {
            path: place.path(manifest),
        }
        .into());
    }
    value(r, ctx, place, &slot.ty)
}

fn expected(ty: &ValueType) -> String {
    match ty {
        ValueType::Bool => "true or false".into(),
        ValueType::Int => "a whole number".into(),
        ValueType::Money => "an amount of money (a number with at most two decimals)".into(),
        ValueType::Decimal { scale } => format!("a number with at most {scale} decimals"),
        ValueType::Date => "a date `YYYY-MM-DD`".into(),
        ValueType::Text => "text".into(),
        ValueType::Enum { values, .. } => format!("one of {}", quoted_list(values)),
        ValueType::Set => "a list of texts".into(),
        ValueType::List => "a list of records".into(),
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mismatch(ctx: &Ctx<'_>, place: Place, ty: &ValueType, found: &str) -> Fail {
    wrong(place.path(ctx.manifest), expected(ty), found)
}

fn store(ctx: &mut Ctx<'_>, place: Place, value: i64) {
    ctx.write_i64(place.slot, value);
    ctx.write_u8(place.presence, 1);
}

/// One fact's or field's value, by its type.
fn value<'m>(
    r: &mut Reader<'m>,
    ctx: &mut Ctx<'m>,
    place: Place,
    ty: &ValueType,
) -> Result<(), Fail> {
    match r.peek()? {
        Kind::Null => {
            r.literal()?;
            if place.optional {
                // Unknown: the presence byte stays 0.
                return Ok(());
            }
            Err(mismatch(
                ctx,
                place,
                ty,
                "null (a required fact cannot be unknown)",
            ))
        }
        Kind::Bool => {
            let value = r.literal()?;
            match (ty, value) {
                (ValueType::Bool, Some(v)) => {
                    store(ctx, place, i64::from(v));
                    Ok(())
                }
                _ => Err(mismatch(ctx, place, ty, "true/false")),
            }
        }
        Kind::Number => {
            let number = r.number()?;
            number_value(ctx, place, ty, number)
        }
        Kind::String => {
            let text = r.string()?;
            text_value(ctx, place, ty, text)
        }
        Kind::Array => match ty {
            ValueType::List | ValueType::Set if place.within.is_none() => list(r, ctx, place, ty),
            _ => Err(mismatch(ctx, place, ty, "a list")),
        },
        Kind::Object => Err(mismatch(ctx, place, ty, "an object")),
    }
}

fn number_value(
    ctx: &mut Ctx<'_>,
    place: Place,
    ty: &ValueType,
    number: Number<'_>,
) -> Result<(), Fail> {
    let scale = match ty {
        ValueType::Int if number.integer => 0,
        ValueType::Int => return Err(mismatch(ctx, place, ty, "a number with decimals")),
        ValueType::Money => 2,
        ValueType::Decimal { scale } => *scale,
        _ => return Err(mismatch(ctx, place, ty, "a number")),
    };
    if number.text.contains(['e', 'E']) {
        // An exponent: the decimal it stands for must fit the scale.
        let v: f64 = number.text.parse().unwrap_or(f64::NAN);
        let factor = 10_f64.powi(i32::from(scale));
        let scaled = (v * factor).round();
        if v.is_finite() && scaled.abs() < 9.0e15 && scaled / factor == v {
            return store_number(ctx, place, scaled as i64, number.text);
        }
        return scaled_text(ctx, place, ty, scale, &v.to_string());
    }
    if number.integer || scale == 0 {
        return scaled_text(ctx, place, ty, scale, number.text);
    }
    // A JSON number's trailing zeros say nothing: 12.500 is 12.5.
    let trimmed = number.text.trim_end_matches('0').trim_end_matches('.');
    scaled_text(ctx, place, ty, scale, trimmed)
}

/// A number written as text (in JSON, a string or a number's digits) at
/// `scale` decimals, then checked against the fact's range.
fn scaled_text(
    ctx: &mut Ctx<'_>,
    place: Place,
    ty: &ValueType,
    scale: u8,
    text: &str,
) -> Result<(), Fail> {
    match parse_decimal(text, scale) {
        Ok(units) => store_number(ctx, place, units, text),
        Err(problem) => {
            let path = place.path(ctx.manifest);
            let value = text.to_string();
            Err(Fail::Request(match problem {
                DecimalProblem::Precision => EvalError::Precision {
                    path,
                    value,
                    decimals: scale,
                },
                DecimalProblem::Range => EvalError::OutOfRange { path, value },
                DecimalProblem::Invalid => EvalError::WrongType {
                    path,
                    expected: expected(ty),
                    found: format!("`{value}`"),
                },
            }))
        }
    }
}

/// Stores a number after checking it against the range the policy declares
/// for it (money is never negative unless declared otherwise).
fn store_number(ctx: &mut Ctx<'_>, place: Place, units: i64, text: &str) -> Result<(), Fail> {
    let fact = &ctx.manifest.input.facts[place.fact];
    let (bounds, ty) = match place.within {
        Some((_, field)) if field != usize::MAX => {
            match fact.elements.as_ref().and_then(|e| e.fields.get(field)) {
                Some(slot) => (slot.bounds, &slot.ty),
                None => (None, &fact.ty),
            }
        }
        _ => (fact.bounds, &fact.ty),
    };
    if let Some(bounds) = bounds {
        if !bounds.contains(units) {
            let scale = match ty {
                ValueType::Money => 2,
                ValueType::Decimal { scale } => *scale,
                _ => 0,
            };
            let bound = |b: Option<i64>| b.map(|b| decimal_text(b, scale));
            return Err(Fail::Request(EvalError::OutOfBounds {
                path: place.path(ctx.manifest),
                value: text.to_string(),
                min: bound(bounds.min),
                max: bound(bounds.max),
            }));
        }
    }
    store(ctx, place, units);
    Ok(())
}

/// The enum values of the fact or record field at `place`.
fn enum_values(index: &InputIndex, place: Place) -> &Names {
    let names = &index.facts[place.fact];
    match place.within {
        Some((_, field)) if field != usize::MAX => &names.field_values[field],
        _ => &names.values,
    }
}

fn text_value<'m>(
    ctx: &mut Ctx<'m>,
    place: Place,
    ty: &ValueType,
    text: Cow<'m, str>,
) -> Result<(), Fail> {
    match ty {
        ValueType::Text => {
            let id = ctx.text_id(text);
            store(ctx, place, id);
            Ok(())
        }
        ValueType::Enum { values, .. } => {
            match enum_values(ctx.index, place).find(text.as_bytes(), 0) {
                Some(index) => {
                    store(ctx, place, index as i64);
                    Ok(())
                }
                None => Err(Fail::Request(EvalError::UnknownEnumValue {
                    path: place.path(ctx.manifest),
                    value: text.into_owned(),
                    allowed: quoted_list(values),
                })),
            }
        }
        ValueType::Date => match parse_date(&text) {
            Some(days) => {
                store(ctx, place, days);
                Ok(())
            }
            None => Err(Fail::Request(EvalError::BadDate {
                path: place.path(ctx.manifest),
                value: text.into_owned(),
            })),
        },
        ValueType::Money => scaled_text(ctx, place, ty, 2, &text),
        ValueType::Decimal { scale } => scaled_text(ctx, place, ty, *scale, &text),
        _ => Err(mismatch(ctx, place, ty, "text")),
    }
}

/// A list of records or a set of texts, into the fact's element area.
fn list<'m>(
    r: &mut Reader<'m>,
    ctx: &mut Ctx<'m>,
    place: Place,
    ty: &ValueType,
) -> Result<(), Fail> {
    let manifest = ctx.manifest;
    let fact = &manifest.input.facts[place.fact];
    let Some(elements) = fact.elements.as_ref() else {
        return Err(mismatch(ctx, place, ty, "a list"));
    };
    let limit = ctx.limits.max_list_len.min(manifest.input.max_list_len);
    let (area, size) = (elements.area as usize, elements.size as usize);
    let is_set = matches!(ty, ValueType::Set);
    r.begin_array()?;
    let mut first = true;
    let mut count = 0usize;
    while r.next_item(&mut first)? {
        if count >= limit as usize {
            return Err(EvalError::ListTooLong {
                path: place.path(manifest),
                len: count + 1,
                limit,
            }
            .into());
        }
        let item = Place {
            within: Some((count, usize::MAX)),
            slot: area + count * size,
            presence: usize::MAX,
            ..place
        };
        match (r.peek()?, is_set) {
            (Kind::String, true) => {
                let text = r.string()?;
                let id = ctx.text_id(text);
                ctx.write_i64(item.slot, id);
            }
            (other, true) => return Err(wrong(item.path(manifest), "text", other.found())),
            (Kind::Object, false) => record(r, ctx, item, elements)?,
            (other, false) => {
                return Err(wrong(
                    item.path(manifest),
                    "a record (an object)",
                    other.found(),
                ));
            }
        }
        count += 1;
    }
    ctx.write_i64(place.slot, count as i64);
    ctx.write_u8(place.presence, 1);
    Ok(())
}

/// One record of a list, at `item.slot`.
fn record<'m>(
    r: &mut Reader<'m>,
    ctx: &mut Ctx<'m>,
    item: Place,
    elements: &contract::manifest::ElementLayout,
) -> Result<(), Fail> {
    let manifest = ctx.manifest;
    let fact = &manifest.input.facts[item.fact];
    let base = item.slot;
    let element = item.within.map_or(0, |(e, _)| e);
    // The record's presence bytes are rewritten for every element.
    let presence_len = elements.fields.first().map_or(0, |f| f.offset as usize);
    if let Some(bytes) = ctx.memory.get_mut(base..base + presence_len) {
        bytes.fill(0);
    }
    r.begin_object()?;
    let field_names = &ctx.index.facts[item.fact].fields;
    let mut first = true;
    let mut hint = 0;
    while let Some(key) = r.next_key(&mut first)? {
        let Some(field) = field_names.find(&key, hint) else {
            if ctx.limits.reject_unknown_fields {
                let key = text_of_key(&key);
                let suggestion = contract::codec::did_you_mean(
                    &key,
                    elements.fields.iter().map(|f| f.name.as_str()),
                );
                return Err(EvalError::UnknownField {
                    path: format!("facts.{}[{element}].{key}", fact.name),
                    suggestion,
                }
                .into());
            }
            r.skip()?;
            continue;
        };
        hint = field + 1;
        let slot = &elements.fields[field];
        let place = Place {
            fact: item.fact,
            within: Some((element, field)),
            slot: base + slot.offset as usize,
            presence: base + slot.presence as usize,
            optional: slot.optional,
        };
        if ctx.read_u8(place.presence) != 0 {
            return Err(EvalError::Duplicate {
                path: place.path(manifest),
            }
            .into());
        }
        value(r, ctx, place, &slot.ty)?;
    }
    let missing: Vec<String> = elements
        .fields
        .iter()
        .filter(|field| !field.optional && ctx.read_u8(base + field.presence as usize) == 0)
        .map(|field| format!("facts.{}[{element}].{}", fact.name, field.name))
        .collect();
    if !missing.is_empty() {
        return Err(EvalError::MissingFacts { paths: missing }.into());
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(facts: &str) -> Manifest {
        let mut sources = rules_dsl::SourceSet::new();
        sources.add("c.rules", "department t.d \"部门\"\n");
        sources.add(
            "p.rules",
            format!(
                "policy t.p \"测试\"\n  department t.d\n  basis \"《测试》\"\n\nfacts {{\n{facts}}}\n\nrule r \"规则\":\n  true\n\neligible when r\n"
            ),
        );
        let checked = rules_dsl::check(&sources);
        assert_eq!(
            checked.error_count(),
            0,
            "{}",
            sources.render(&checked.diagnostics, false, rules_dsl::Lang::default())
        );
        let policy = checked.workspace.policy("t.p").expect("policy");
        rules_dsl::codegen::compile(policy, &Default::default())
            .expect("compiles")
            .manifest
    }

    #[test]
    fn fresh_texts_keep_their_first_index_past_the_inline_ones() {
        let mut fresh = FreshTexts::new();
        let texts = ["a", "b", "c", "d", "e", "f"];
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(fresh.index(Cow::Borrowed(text)), i);
        }
        // Again, borrowed or owned: the same indices, nothing added.
        for (i, text) in texts.iter().enumerate().rev() {
            assert_eq!(fresh.index(Cow::Owned(text.to_string())), i);
        }
        assert_eq!(fresh.into_owned(), texts);
    }

    /// A fact named like the prefix of others (`a` beside `a.b`) keeps its
    /// key: `{"a": "x"}` is that fact, and the others are given dotted.
    #[test]
    fn a_fact_named_like_a_prefix_keeps_its_key() {
        let manifest = manifest("  a: text\n  a.b: int\n");
        let limits = Limits::default();
        let both = br#"{"application_date": "2026-03-01", "facts": {"a": "x", "a.b": 1}}"#;
        assert!(encode_request(&manifest, both, &limits).is_ok());
        let nested = br#"{"application_date": "2026-03-01", "facts": {"a": {"b": 1}}}"#;
        match encode_request(&manifest, nested, &limits) {
            Err(EvalError::WrongType { path, .. }) => assert_eq!(path, "facts.a"),
            other => panic!("{other:?}"),
        }
    }
}
