//! The floor: serde_json into borrowed structs, then the rules by hand. No
//! engine can do less work from the same bytes; the Cedar glue reuses these
//! structs (Cedar has no calendar arithmetic, see `peers::cedar`).

use std::borrow::Cow;

use rules_dsl::calendar::{add_months, age_on};
use serde::Deserialize;

use crate::Evaluator;

#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    #[serde(borrow)]
    pub application_date: Cow<'a, str>,
    #[serde(borrow)]
    pub facts: Facts<'a>,
}

#[derive(Debug, Deserialize)]
pub struct Facts<'a> {
    #[serde(borrow)]
    pub applicant: Applicant<'a>,
    #[serde(borrow)]
    pub household: Household<'a>,
}

#[derive(Debug, Deserialize)]
pub struct Applicant<'a> {
    #[serde(borrow)]
    pub birth_date: Cow<'a, str>,
    #[serde(borrow)]
    pub hukou_city: Cow<'a, str>,
    #[serde(borrow)]
    pub residence_registered_on: Cow<'a, str>,
    pub social_insurance_months: i64,
    pub has_labour_contract: bool,
    pub owns_home: bool,
    pub lease_filed: bool,
    pub lease_months: i64,
    pub enrolled_student: bool,
}

#[derive(Debug, Deserialize)]
pub struct Household<'a> {
    #[serde(borrow)]
    pub members: Vec<Member<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Member<'a> {
    pub relation: Relation,
    #[serde(borrow)]
    pub hukou_city: Cow<'a, str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
}

/// A date as a day number (days since 1970-01-01).
pub fn day(text: &str) -> anyhow::Result<i64> {
    engine::encode::parse_date(text).ok_or_else(|| anyhow::anyhow!("`{text}` is not a date"))
}

/// The values the rules need that only calendar arithmetic gives.
#[derive(Debug, Clone, Copy)]
pub struct Derived {
    pub age: i64,
    /// `residence_registered_on + 6 months <= application_date`.
    pub registered_half_year: bool,
}

pub fn derive(request: &Request<'_>) -> anyhow::Result<Derived> {
    let today = day(&request.application_date)?;
    let applicant = &request.facts.applicant;
    Ok(Derived {
        age: age_on(day(&applicant.birth_date)?, today),
        registered_half_year: add_months(day(&applicant.residence_registered_on)?, 6) <= today,
    })
}

/// The rules of `bench/residence_permit.rules`, by hand.
pub fn decide(request: &Request<'_>) -> anyhow::Result<bool> {
    let derived = derive(request)?;
    let applicant = &request.facts.applicant;
    let adult = derived.age >= 16;
    let away_from_hukou = applicant.hukou_city != "杭州";
    let joins_spouse = request
        .facts
        .household
        .members
        .iter()
        .any(|m| m.relation == Relation::Spouse && m.hukou_city == "杭州");
    let registered_half_year = joins_spouse || derived.registered_half_year;
    let stable_employment =
        applicant.social_insurance_months >= 12 && applicant.has_labour_contract;
    let stable_residence =
        applicant.owns_home || (applicant.lease_filed && applicant.lease_months >= 12);
    let continuous_study = applicant.enrolled_student;
    Ok(adult
        && away_from_hukou
        && registered_half_year
        && (stable_employment || stable_residence || continuous_study))
}

/// The floor as an [`Evaluator`].
#[derive(Debug, Default)]
pub struct Floor;

impl Evaluator for Floor {
    fn name(&self) -> &'static str {
        "floor (hand-written Rust)"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        // UTF-8 checked once for the whole document, then read as `str`:
        // faster than `from_slice`, which checks every string by itself.
        let request: Request<'_> = serde_json::from_str(std::str::from_utf8(request_json)?)?;
        decide(&request)
    }
}
