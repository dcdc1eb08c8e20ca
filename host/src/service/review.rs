//! Publishing with review (maker–checker): an officer submits a version of
//! a policy of its department, or of a bundle it leads — checked and
//! compiled, so a reviewer never sees a draft that cannot be published, but
//! stored as a pending review, not published; a reviewer of the same
//! department (a token with `reviewer = true`), never the submitter, sees
//! the source's diff against the newest version and the impact preview (a
//! bundle: its scenarios on the members in force), then approves — the
//! version goes through the whole publish path (scenarios, bundles, one
//! transaction that also records the approval, the audit entry naming the
//! approver) — or rejects it with a comment. With
//! `publishing.review_required` (the default) this is the only way a
//! department's version is published. Rights first, as everywhere.

use super::Service;
use super::bundles::BundleInput;
use super::clock::now_micros;
use super::error::ServiceError;
use super::pipeline;
use super::preview::PreviewReport;
use super::publish::{
    Approval, PublishInput, Published, ScenarioUpload, parse_day, validate_scenarios,
};
use super::rights::{Action, Principal};
use crate::store::review::{NewReview, Review, ReviewQuery, ReviewStatus, Verdict};
use crate::store::{Kind, ScenarioText, StoreError};

/// What an officer submits for review.
#[derive(Debug, Clone)]
pub struct SubmitInput {
    pub source: String,
    pub effective_from: Option<String>,
    pub scenarios: Option<Vec<ScenarioUpload>>,
    pub allow_untested: bool,
    pub note: String,
}

/// What a bundle's lead department submits for review.
#[derive(Debug, Clone)]
pub struct BundleSubmitInput {
    pub source: String,
    /// The version the source was edited from; when given, it must still be the newest.
    pub base_version: Option<i64>,
    pub scenarios: Option<Vec<ScenarioUpload>>,
    pub allow_untested: bool,
    pub note: String,
}

fn scenario_texts(
    kind: Kind,
    id: &str,
    uploads: Option<Vec<ScenarioUpload>>,
) -> Option<Vec<ScenarioText>> {
    uploads.map(|list| {
        list.into_iter()
            .map(|s| ScenarioText {
                kind,
                policy_id: id.to_string(),
                name: s.name,
                toml: s.toml,
            })
            .collect()
    })
}

fn scenario_uploads(texts: Option<Vec<ScenarioText>>) -> Option<Vec<ScenarioUpload>> {
    texts.map(|list| {
        list.into_iter()
            .map(|s| ScenarioUpload {
                name: s.name,
                toml: s.toml,
            })
            .collect()
    })
}

/// The most reviews one list returns.
pub const REVIEWS_LIMIT: u32 = 200;
/// The longest comment or note accepted, in characters.
pub const COMMENT_LIMIT: usize = 2000;

/// A review with what a reviewer needs to decide.
#[derive(Debug)]
pub struct ReviewDetail {
    pub review: Review,
    /// The newest stored version's number, the one the diff is against.
    pub base_version: Option<i64>,
    /// A unified diff of the newest version's source and the submitted one.
    pub diff: String,
    /// The submitted source against the scenarios and recent decisions
    /// (a policy's, only while the review is pending).
    pub impact: Option<PreviewReport>,
    /// A pending bundle version's scenarios (the submitted ones, else the
    /// stored ones) run with each member at its version in force: what its
    /// approval will run.
    pub bundle_scenarios: Option<BundleScenarios>,
}

/// How a submitted bundle version fares against its scenarios today.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BundleScenarios {
    pub run: usize,
    /// Each failing scenario with its differences.
    #[schema(value_type = Vec<Object>)]
    pub failures: Vec<pipeline::ScenarioFailure>,
}

fn check_comment(text: &str, path: &str) -> Result<(), ServiceError> {
    if text.chars().count() > COMMENT_LIMIT {
        return Err(ServiceError::InvalidRequest {
            path: path.to_string(),
            message: format!("`{path}` is longer than {COMMENT_LIMIT} characters"),
        });
    }
    Ok(())
}

impl Service {
    /// A department's token (any, to read its reviews).
    pub fn require_review_reader(&self, caller: &Principal) -> Result<(), ServiceError> {
        caller.department(Action::Review)?;
        Ok(())
    }

    /// A reviewer of some department (before a decision's body is read).
    pub fn require_reviewer(&self, caller: &Principal) -> Result<(), ServiceError> {
        caller.require_reviewer_of(caller.department(Action::Review)?, "")?;
        Ok(())
    }

    /// Checks and compiles the version and stores it as a pending review.
    pub async fn submit_review(
        &self,
        caller: &Principal,
        id: &str,
        input: SubmitInput,
    ) -> Result<Review, ServiceError> {
        self.require_policy_rights(caller, Action::Submit, id)?;
        if let Some(uploads) = &input.scenarios {
            validate_scenarios(uploads)?;
        }
        if let Some(given) = &input.effective_from {
            parse_day(given, "effective_from")?;
        }
        check_comment(&input.note, "note")?;
        let compiled = self.compile(id, input.source.clone()).await?;
        caller.require_source_department(Action::Submit, &compiled.department)?;
        let registry = self.registry.load_full();
        if let Some(newest) = registry.policies.get(id).and_then(|v| v.last()) {
            if compiled.version <= newest.document.version {
                return Err(ServiceError::VersionNotHigher {
                    id: id.to_string(),
                    declared: compiled.version,
                    stored: newest.document.version,
                });
            }
        }
        if input.effective_from.is_none() && compiled.effective_from.is_none() {
            return Err(ServiceError::InvalidRequest {
                path: "effective_from".into(),
                message: "say when the version takes effect: `effective_from` in the request \
                          or `effective from` in the source"
                    .into(),
            });
        }
        let review = NewReview {
            kind: Kind::Policy,
            id: id.to_string(),
            department: compiled.department.clone(),
            version: compiled.version,
            title: compiled.title.clone(),
            source: input.source,
            // The source's date when the request gives none, so the reviewer sees it.
            effective_from: input.effective_from.or(compiled.effective_from.clone()),
            scenarios: scenario_texts(Kind::Policy, id, input.scenarios),
            allow_untested: input.allow_untested,
            note: input.note,
            submitted_by: caller.name.clone(),
            submitted_at: now_micros(),
        };
        let review_id = self.store.submit_review(&review).await?;
        tracing::info!(policy = id, review_id, submitter = %caller.name, "submitted for review");
        Ok(self.store.review(review_id).await?)
    }

    /// Checks and compiles a bundle's version against the members in force
    /// and stores it as a pending review; its number is the next one.
    pub async fn submit_bundle_review(
        &self,
        caller: &Principal,
        id: &str,
        input: BundleSubmitInput,
    ) -> Result<Review, ServiceError> {
        self.require_bundle_rights(caller, Action::Submit, id)?;
        // Another department's bundle is refused before any work.
        let header = pipeline::read_header(&input.source);
        if let Some(declared) = &header.department {
            caller.require_source_department(Action::Submit, declared)?;
        }
        if let Some(uploads) = &input.scenarios {
            validate_scenarios(uploads)?;
        }
        check_comment(&input.note, "note")?;
        let current = self.registry.load_full();
        let newest = current.bundle_versions.get(id).and_then(|v| v.last());
        let compiled = self
            .compile_bundle_version(
                caller,
                Action::Submit,
                &current,
                id,
                input.base_version,
                &header.members,
                input.source.clone(),
            )
            .await?;
        let review = NewReview {
            kind: Kind::Bundle,
            id: id.to_string(),
            department: compiled.department.clone(),
            version: newest.map_or(0, |d| d.version) + 1,
            title: compiled.title.clone(),
            source: input.source,
            // A bundle's version is in force from its publish.
            effective_from: None,
            scenarios: scenario_texts(Kind::Bundle, id, input.scenarios),
            allow_untested: input.allow_untested,
            note: input.note,
            submitted_by: caller.name.clone(),
            submitted_at: now_micros(),
        };
        let review_id = self.store.submit_review(&review).await?;
        tracing::info!(bundle = id, review_id, submitter = %caller.name, "submitted for review");
        Ok(self.store.review(review_id).await?)
    }

    /// The caller's department's reviews, newest first.
    pub async fn list_reviews(
        &self,
        caller: &Principal,
        policy: Option<&str>,
        status: Option<ReviewStatus>,
    ) -> Result<Vec<Review>, ServiceError> {
        let own = caller.department(Action::Review)?;
        // A bundle's id lists the bundle's reviews.
        let subject = match policy {
            Some(id) if self.registry.load().bundle_versions.contains_key(id) => {
                self.require_bundle_rights(caller, Action::Review, id)?;
                Some((Kind::Bundle, id.to_string()))
            }
            Some(id) => {
                self.require_policy_rights(caller, Action::Review, id)?;
                Some((Kind::Policy, id.to_string()))
            }
            None => None,
        };
        Ok(self
            .store
            .reviews(&ReviewQuery {
                department: Some(own.to_string()),
                subject,
                status,
                limit: REVIEWS_LIMIT,
            })
            .await?)
    }

    /// One review of the caller's department, with its diff and impact.
    pub async fn review_detail(
        &self,
        caller: &Principal,
        review_id: i64,
        decisions: u32,
    ) -> Result<ReviewDetail, ServiceError> {
        let own = caller.department(Action::Review)?.to_string();
        let review = self.own_review(&own, review_id).await?;
        let registry = self.registry.load();
        let base: Option<(i64, String)> = match review.submitted.kind {
            Kind::Bundle => registry
                .bundle_versions
                .get(&review.submitted.id)
                .and_then(|versions| versions.last())
                .map(|d| (d.version, d.source.clone())),
            _ => registry
                .policies
                .get(&review.submitted.id)
                .and_then(|versions| versions.last())
                .map(|v| (v.document.version, v.document.source.clone())),
        };
        drop(registry);
        let old = base
            .as_ref()
            .map(|(_, source)| source.clone())
            .unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, &review.submitted.source)
            .unified_diff()
            .context_radius(3)
            .header(
                &base.as_ref().map_or_else(
                    || "（无）".to_string(),
                    |(version, _)| format!("版本 {version}"),
                ),
                &format!("版本 {}（待审核）", review.submitted.version),
            )
            .to_string();
        // The impact replays a policy's decisions; a bundle's scenarios run on approval.
        let impact =
            if review.status == ReviewStatus::Pending && review.submitted.kind == Kind::Policy {
                Some(
                    self.preview(
                        caller,
                        &review.submitted.id,
                        review.submitted.source.clone(),
                        decisions,
                    )
                    .await?,
                )
            } else {
                None
            };
        let bundle_scenarios =
            if review.status == ReviewStatus::Pending && review.submitted.kind == Kind::Bundle {
                Some(self.run_submitted_bundle(&review).await?)
            } else {
                None
            };
        Ok(ReviewDetail {
            bundle_scenarios,
            base_version: base.map(|(version, _)| version),
            review,
            diff,
            impact,
        })
    }

    /// Builds a submitted bundle version on the members in force and runs
    /// its scenarios, as its approval would; nothing is stored.
    async fn run_submitted_bundle(&self, review: &Review) -> Result<BundleScenarios, ServiceError> {
        let submitted = &review.submitted;
        let current = self.registry.load_full();
        let header = pipeline::read_header(&submitted.source);
        let compiled = self
            .compile_bundle_on(
                &current,
                &submitted.id,
                &header.members,
                submitted.source.clone(),
            )
            .await?;
        let scenarios = submitted
            .scenarios
            .clone()
            .or_else(|| {
                current
                    .scenarios
                    .get(&(Kind::Bundle, submitted.id.clone()))
                    .cloned()
            })
            .unwrap_or_default();
        let lang = self.config.lang;
        let (run, failures) = self
            .heavy
            .run(move || {
                pipeline::run_bundle_scenarios(&compiled.built, &current, &scenarios, lang)
            })
            .await?;
        Ok(BundleScenarios { run, failures })
    }

    /// A review of department `own` (another department's is not found, so
    /// its existence is not told).
    async fn own_review(&self, own: &str, review_id: i64) -> Result<Review, ServiceError> {
        let review = self.store.review(review_id).await?;
        if review.submitted.department != own {
            return Err(StoreError::NotFound(format!("there is no review {review_id}")).into());
        }
        Ok(review)
    }

    /// A reviewer approves: the version is published (the whole publish path).
    pub async fn approve_review(
        &self,
        caller: &Principal,
        review_id: i64,
        comment: String,
    ) -> Result<(Review, Published), ServiceError> {
        caller.require_reviewer_of(caller.department(Action::Review)?, "")?;
        check_comment(&comment, "comment")?;
        let own = caller.department(Action::Review)?.to_string();
        let review = self.own_review(&own, review_id).await?;
        caller.require_reviewer_of(&review.submitted.department, &review.submitted.submitted_by)?;
        if review.status != ReviewStatus::Pending {
            return Err(crate::store::review::not_pending_error(review_id).into());
        }
        let submitted = review.submitted.clone();
        let approval = Some(Approval {
            review_id,
            submitter: submitted.submitted_by,
            comment,
        });
        let published = match submitted.kind {
            Kind::Bundle => {
                self.publish_bundle(
                    caller,
                    &submitted.id,
                    BundleInput {
                        source: submitted.source,
                        // Another version published since the submission: refused.
                        base_version: (submitted.version > 1).then_some(submitted.version - 1),
                        scenarios: scenario_uploads(submitted.scenarios),
                        allow_untested: submitted.allow_untested,
                        approval,
                    },
                )
                .await?
            }
            _ => {
                self.publish(
                    caller,
                    &submitted.id,
                    PublishInput {
                        source: submitted.source,
                        effective_from: submitted.effective_from,
                        scenarios: scenario_uploads(submitted.scenarios),
                        allow_untested: submitted.allow_untested,
                        approval,
                    },
                )
                .await?
            }
        };
        tracing::info!(review_id, approver = %caller.name, "review approved");
        Ok((self.store.review(review_id).await?, published))
    }

    /// A reviewer rejects, saying why.
    pub async fn reject_review(
        &self,
        caller: &Principal,
        review_id: i64,
        comment: String,
    ) -> Result<Review, ServiceError> {
        caller.require_reviewer_of(caller.department(Action::Review)?, "")?;
        if comment.trim().is_empty() {
            return Err(ServiceError::InvalidRequest {
                path: "comment".into(),
                message: "a rejection needs a `comment` saying what to change".into(),
            });
        }
        check_comment(&comment, "comment")?;
        let own = caller.department(Action::Review)?.to_string();
        let review = self.own_review(&own, review_id).await?;
        caller.require_reviewer_of(&review.submitted.department, &review.submitted.submitted_by)?;
        self.store
            .reject_review(&Verdict {
                review_id,
                reviewer: caller.name.clone(),
                comment,
                at: now_micros(),
            })
            .await?;
        tracing::info!(review_id, reviewer = %caller.name, "review rejected");
        Ok(self.store.review(review_id).await?)
    }
}
