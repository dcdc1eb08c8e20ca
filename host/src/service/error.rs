//! `ServiceError`: why a service operation (publish, withdraw, preview,
//! reading the log) did not happen. Typed, so the HTTP layer maps each to its
//! status and code in one place (`http::error`), and nothing was stored.

use super::pipeline::{Broken, ScenarioFailure, SourceProblem};
use super::registry::Holder;
use super::rights::{Denied, SubjectError};
use crate::store::{Kind, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("there is no policy `{id}`")]
    UnknownPolicy { id: String },
    #[error("there is no policy or bundle `{id}`")]
    UnknownSubject { id: String },
    #[error("there is no bundle `{id}`")]
    UnknownBundle { id: String },
    #[error("{} has no version {version}", subject(*kind, id))]
    UnknownVersion {
        kind: Kind,
        id: String,
        version: i64,
    },
    #[error(
        "the id `{id}` is held by a {kind} of `{department}`; policies, bundles and the catalogue \
         never share an id, choose another",
        kind = holder.kind.as_str(),
        department = if holder.department.is_empty() { "the catalogue" } else { &holder.department }
    )]
    IdHeld { id: String, holder: Holder },
    #[error(
        "the source declares `version {declared}`, but version {stored} of `{id}` is already \
         stored; write `version {next}`",
        next = stored + 1
    )]
    VersionNotHigher {
        id: String,
        declared: i64,
        stored: i64,
    },
    #[error("`{id}` belongs to `{owner}`; a new version may not move it to `{declared}`")]
    MovesDepartment {
        id: String,
        owner: String,
        declared: String,
    },
    #[error(
        "the source was edited from version {base} of {}, but the newest version is {}; start \
         from the newest (`GET` its source) and send `base_version` {}",
        subject(*kind, id),
        newest.map_or_else(|| "none".to_string(), |n| n.to_string()),
        newest.map_or_else(|| "left out".to_string(), |n| n.to_string())
    )]
    BaseVersionMoved {
        kind: Kind,
        id: String,
        base: i64,
        newest: Option<i64>,
    },
    #[error(
        "the catalogue breaks {} in force: {}; nothing was published",
        count_of(broken.len()),
        broken.iter().map(Broken::name).collect::<Vec<_>>().join(", ")
    )]
    BreaksDependents { broken: Vec<Broken> },
    #[error("version {version} of `{id}` is already withdrawn")]
    AlreadyWithdrawn { id: String, version: i64 },
    #[error("{0}")]
    Source(SourceProblem),
    #[error("{message}")]
    InvalidRequest { path: String, message: String },
    #[error("scenario {index} (`{name}`): {message}")]
    InvalidScenario {
        index: usize,
        name: String,
        /// `name` or `toml`.
        field: &'static str,
        message: String,
    },
    #[error("{} of {run} scenarios fail against the new version; nothing was published", failures.len())]
    ScenariosFailed {
        run: usize,
        failures: Vec<ScenarioFailure>,
    },
    #[error(
        "no scenario is dated on or after {effective_from}, so nothing would test this version; \
         send scenarios for it (`scenarios`), or say `\"allow_untested\": true` (recorded in the \
         audit trail)"
    )]
    Untested { effective_from: String },
    #[error(
        "bundle `{id}` has no scenario, so nothing would test this version; send scenarios for \
         it (`scenarios`), or say `\"allow_untested\": true` (recorded in the audit trail)"
    )]
    UntestedBundle { id: String },
    #[error(
        "withdrawing version {version} of bundle `{bundle}` would put version {fallback} in force \
         again, which no longer builds: {problem}; publish a new version instead"
    )]
    FallbackBroken {
        bundle: String,
        version: i64,
        fallback: i64,
        problem: SourceProblem,
    },
    #[error("this change breaks bundle `{bundle}`, which has `{member}` as a member: {problem}")]
    BreaksBundle {
        bundle: String,
        member: String,
        problem: SourceProblem,
    },
    #[error(
        "withdrawing version {version} of `{member}` would leave bundle `{bundle}` without a \
         version of it for {}; publish a replacement first",
        strand_span(uncovered_from.as_deref(), covered_again.as_deref())
    )]
    StrandsBundle {
        bundle: String,
        member: String,
        version: i64,
        /// The first date the bundle would lose (`None`: every date).
        uncovered_from: Option<String>,
        /// The day before the member is in force again, if it ever is.
        covered_again: Option<String>,
    },
    #[error(
        "此处发布须经审核（maker–checker）：{kind} `{id}` 的新版本不能直接发布。请改为提交审核 \
         `POST /v1/{route}/{id}/reviews`（同一请求体），由本部门的审核人批准后生效；\
         在控制台 /console/ 中点“提交审核”。(`publishing.review_required = true`)",
        kind = if *kind == Kind::Bundle { "一件事" } else { "政策" },
        route = if *kind == Kind::Bundle { "bundles" } else { "policies" }
    )]
    ReviewRequired { kind: Kind, id: String },
    #[error("the store has no catalogue; start the service once with the repository's `policies/`")]
    NoCatalogue,
    #[error("the service is busy with other compilations and batches; try again in a moment")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure of ours (a task that panicked); its cause is logged.
    #[error("the service failed: {0}")]
    Internal(String),
}

impl From<SubjectError> for ServiceError {
    fn from(error: SubjectError) -> ServiceError {
        match error {
            SubjectError::Denied(denied) => ServiceError::Denied(denied),
            SubjectError::Unknown(id) => ServiceError::UnknownSubject { id },
        }
    }
}

/// `policy `x`` / `bundle `x`` / `the catalogue`.
fn subject(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Catalogue => "the catalogue".to_string(),
        Kind::Policy | Kind::Bundle => format!("{} `{id}`", kind.as_str()),
    }
}

fn count_of(count: usize) -> String {
    if count == 1 {
        "1 policy or bundle".to_string()
    } else {
        format!("{count} policies and bundles")
    }
}

/// The dates a withdrawal would take away from a bundle, in words.
fn strand_span(from: Option<&str>, until: Option<&str>) -> String {
    match (from, until) {
        (Some(from), Some(until)) => format!("applications dated {from} to {until}"),
        (Some(from), None) => format!("applications dated {from} or later"),
        (None, _) => "any date".to_string(),
    }
}
