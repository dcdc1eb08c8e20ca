//! Cedar: `policies/residence_permit.cedar`, one `permit` whose `when` is the
//! eligibility. Cedar reads requests, not arbitrary JSON, and its language
//! has no division, remainder, calendar months or quantifiers, so the glue
//! does inside the timed work what the rule language cannot: serde_json into
//! the floor's borrowed structs, age and "registered + 6 months" with the
//! floor's calendar functions, the household as a set of records, and a
//! `Context` of Cedar values. Cedar decides everything else.

use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, RestrictedExpression,
};

use crate::Evaluator;
use crate::floor::{self, Relation};

pub const POLICY: &str = include_str!("../../policies/residence_permit.cedar");

pub struct Cedar {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
}

impl std::fmt::Debug for Cedar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cedar").finish_non_exhaustive()
    }
}

impl Cedar {
    pub fn new() -> anyhow::Result<Cedar> {
        Ok(Cedar {
            authorizer: Authorizer::new(),
            policies: PolicySet::from_str(POLICY)?,
            entities: Entities::empty(),
            principal: EntityUid::from_str(r#"Applicant::"applicant""#)?,
            action: EntityUid::from_str(r#"Action::"apply""#)?,
            resource: EntityUid::from_str(r#"Permit::"hz.residence_permit""#)?,
        })
    }
}

fn text(value: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(value.to_string())
}

fn relation(relation: Relation) -> &'static str {
    match relation {
        Relation::Spouse => "spouse",
        Relation::Child => "child",
        Relation::Parent => "parent",
    }
}

/// The request's Cedar context.
pub fn context(request_json: &[u8]) -> anyhow::Result<Context> {
    let request: floor::Request<'_> = serde_json::from_str(std::str::from_utf8(request_json)?)?;
    let derived = floor::derive(&request)?;
    let a = &request.facts.applicant;
    let mut household = Vec::with_capacity(request.facts.household.members.len());
    for member in &request.facts.household.members {
        household.push(RestrictedExpression::new_record([
            ("relation".to_string(), text(relation(member.relation))),
            ("hukou_city".to_string(), text(&member.hukou_city)),
        ])?);
    }
    Ok(Context::from_pairs([
        (
            "age".to_string(),
            RestrictedExpression::new_long(derived.age),
        ),
        ("hukou_city".to_string(), text(&a.hukou_city)),
        (
            "registered_six_months".to_string(),
            RestrictedExpression::new_bool(derived.registered_half_year),
        ),
        (
            "household".to_string(),
            RestrictedExpression::new_set(household),
        ),
        (
            "social_insurance_months".to_string(),
            RestrictedExpression::new_long(a.social_insurance_months),
        ),
        (
            "has_labour_contract".to_string(),
            RestrictedExpression::new_bool(a.has_labour_contract),
        ),
        (
            "owns_home".to_string(),
            RestrictedExpression::new_bool(a.owns_home),
        ),
        (
            "lease_filed".to_string(),
            RestrictedExpression::new_bool(a.lease_filed),
        ),
        (
            "lease_months".to_string(),
            RestrictedExpression::new_long(a.lease_months),
        ),
        (
            "enrolled_student".to_string(),
            RestrictedExpression::new_bool(a.enrolled_student),
        ),
    ])?)
}

impl Evaluator for Cedar {
    fn name(&self) -> &'static str {
        "Cedar"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        let request = Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context(request_json)?,
            None,
        )?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &self.entities);
        if let Some(error) = response.diagnostics().errors().next() {
            anyhow::bail!("{error}");
        }
        Ok(response.decision() == Decision::Allow)
    }
}
