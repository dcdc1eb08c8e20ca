//! Maker–checker reviews as stored: a submitted version waiting for a
//! reviewer of its department, and what the reviewer decided. Both stores
//! keep them in a `reviews` table; an approval is stored in the same
//! transaction as the publish it causes.

use super::{Kind, ScenarioText, StoreError};

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewStatus> {
        match text {
            "pending" => Some(ReviewStatus::Pending),
            "approved" => Some(ReviewStatus::Approved),
            "rejected" => Some(ReviewStatus::Rejected),
            _ => None,
        }
    }
}

/// A version submitted for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub kind: Kind,
    pub id: String,
    pub department: String,
    /// The version the source declares.
    pub version: i64,
    pub title: String,
    pub source: String,
    pub effective_from: Option<String>,
    /// `None`: the stored scenarios stay.
    pub scenarios: Option<Vec<ScenarioText>>,
    pub allow_untested: bool,
    /// The submitter's words to the reviewer.
    pub note: String,
    pub submitted_by: String,
    /// Unix microseconds.
    pub submitted_at: i64,
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub review_id: i64,
    pub submitted: NewReview,
    pub status: ReviewStatus,
    pub reviewed_by: Option<String>,
    /// Unix microseconds.
    pub reviewed_at: Option<i64>,
    pub comment: Option<String>,
    /// The publish's change (audit `seq`), when approved.
    pub published_seq: Option<i64>,
}

/// A reviewer's decision, stored with the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub review_id: i64,
    pub reviewer: String,
    pub comment: String,
    /// Unix microseconds.
    pub at: i64,
}

/// Which reviews to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct ReviewQuery {
    pub department: Option<String>,
    /// A subject (kind and id).
    pub subject: Option<(Kind, String)>,
    pub status: Option<ReviewStatus>,
    pub limit: u32,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredScenario {
    name: String,
    toml: String,
}

/// The scenarios column: JSON `[{name, toml}]`.
pub(super) fn scenarios_json(scenarios: Option<&[ScenarioText]>) -> Option<String> {
    scenarios.map(|list| {
        let stored: Vec<StoredScenario> = list
            .iter()
            .map(|s| StoredScenario {
                name: s.name.clone(),
                toml: s.toml.clone(),
            })
            .collect();
        serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_string())
    })
}

pub(super) fn scenarios_of(
    json: Option<&str>,
    kind: Kind,
    id: &str,
) -> Result<Option<Vec<ScenarioText>>, StoreError> {
    let Some(json) = json else { return Ok(None) };
    let stored: Vec<StoredScenario> = serde_json::from_str(json)
        .map_err(|e| StoreError::Database(format!("a review's scenarios do not read: {e}")))?;
    Ok(Some(
        stored
            .into_iter()
            .map(|s| ScenarioText {
                kind,
                policy_id: id.to_string(),
                name: s.name,
                toml: s.toml,
            })
            .collect(),
    ))
}

/// A decision on a review that is no longer pending.
pub fn not_pending_error(review_id: i64) -> StoreError {
    not_pending(review_id)
}

pub(super) fn not_pending(review_id: i64) -> StoreError {
    StoreError::Conflict(format!(
        "review {review_id} is not waiting for a decision (already approved or rejected)"
    ))
}

pub(super) fn unknown(review_id: i64) -> StoreError {
    StoreError::NotFound(format!("there is no review {review_id}"))
}
