// The residence-permit rules written by hand in Rust, from serde_json into
// borrowed structs: the floor the engine is measured against. Shared by
// `benches/evaluate.rs` and `examples/paired.rs`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    #[serde(borrow)]
    pub application_date: &'a str,
    #[serde(borrow)]
    pub facts: Facts<'a>,
    #[serde(borrow, default)]
    pub shared_available: Vec<&'a str>,
}

#[derive(Debug, Deserialize)]
pub struct Facts<'a> {
    #[serde(borrow)]
    pub applicant: Applicant<'a>,
    pub household: Household,
}

#[derive(Debug, Deserialize)]
pub struct Applicant<'a> {
    pub birth_date: &'a str,
    pub hukou_city: &'a str,
    pub residence_registered_on: &'a str,
    pub housing: &'a str,
    pub lease_years: Option<i64>,
    pub social_insurance_months: Option<i64>,
    pub has_labour_contract: bool,
    pub enrolled_student: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct Household {
    pub members: Vec<Member>,
}

#[derive(Debug, Deserialize)]
pub struct Member {
    pub relation: String,
    pub income: f64,
    pub disabled: Option<bool>,
}

fn day(text: &str) -> i64 {
    engine::encode::parse_date(text).unwrap_or(0)
}

/// Kleene and/or over Option<bool>.
fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub household_income: i64,
    pub eligible: Option<bool>,
    pub fee: i64,
    pub months: i64,
}

pub fn decide(request: &Request<'_>) -> Outcome {
    use contract::calendar::{add_months, age_on, months_between};
    let today = day(request.application_date);
    let a = &request.facts.applicant;
    let registered = day(a.residence_registered_on);
    let not_local = Some(a.hukou_city != "杭州");
    let mut half_year = Some(add_months(registered, 6) <= today);
    let mut veteran = Some(false);
    for member in &request.facts.household.members {
        veteran = or(veteran, member.disabled);
    }
    if veteran == Some(true) {
        half_year = Some(true);
    } else if veteran.is_none() && half_year != Some(true) {
        half_year = None;
    }
    let stable_job = and(
        a.social_insurance_months.map(|m| m >= 12),
        Some(a.has_labour_contract),
    );
    let stable_home = or(
        Some(a.housing == "owned"),
        and(Some(a.housing == "rented"), a.lease_years.map(|y| y >= 1)),
    );
    let age = age_on(day(a.birth_date), today);
    let adult = Some(age >= 16);
    let eligible = and(
        and(
            and(not_local, half_year),
            or(or(stable_job, stable_home), a.enrolled_student),
        ),
        adult,
    );
    let fee = if age < 16 {
        0
    } else if (16..=59).contains(&age) && a.housing == "owned" {
        1000
    } else if age >= 60 {
        0
    } else {
        2000
    };
    // The policy also computes the household's income (a `let`), and the
    // engine reads every fact; so does the floor.
    let household_income: i64 = request
        .facts
        .household
        .members
        .iter()
        .filter(|m| m.relation != "parent")
        .map(|m| (m.income * 100.0).round() as i64)
        .sum();
    Outcome {
        eligible,
        fee,
        months: months_between(registered, today),
        household_income,
    }
}
