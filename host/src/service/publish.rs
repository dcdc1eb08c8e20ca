//! Publishing and withdrawing a policy's versions. Rights are checked
//! first (before anything is compiled or read), then the source is checked,
//! compiled and loaded on the heavy pool, its scenarios run, every bundle it
//! belongs to rebuilt; the version, its audit entry and its scenarios are
//! stored in one transaction, and only then is the registry swapped.

use std::sync::Arc;

use super::Service;
use super::clock::{day_text, now_micros};
use super::cluster::Propagation;
use super::error::ServiceError;
use super::pipeline::{self, CompiledPolicy};
use super::registry::{BundleEntry, PolicyVersion, Registry};
use super::rights::{Action, Principal};
use crate::store::{Document, Kind, ScenarioText, Status};
use rules_dsl::{Lang, words};

/// A scenario sent with a publish.
#[derive(Debug, Clone)]
pub struct ScenarioUpload {
    pub name: String,
    pub toml: String,
}

/// What a department asks to publish.
#[derive(Debug, Clone)]
pub struct PublishInput {
    pub source: String,
    /// `YYYY-MM-DD`; defaults to the source's `effective from`.
    pub effective_from: Option<String>,
    /// When given, these replace the policy's scenarios.
    pub scenarios: Option<Vec<ScenarioUpload>>,
    /// Publish even when no scenario is dated on or after `effective_from`
    /// (recorded in the audit trail).
    pub allow_untested: bool,
    /// Set when a reviewer approves a submitted version: the approval is
    /// stored with the publish, whose publisher is the submitter.
    pub approval: Option<Approval>,
}

/// A reviewer's approval of a submitted version (maker–checker).
#[derive(Debug, Clone)]
pub struct Approval {
    pub review_id: i64,
    /// Who submitted the version: its publisher.
    pub submitter: String,
    pub comment: String,
}

impl Approval {
    /// The reviewer's decision as stored with the publish.
    pub fn verdict(&self, reviewer: &str, at: i64) -> crate::store::review::Verdict {
        crate::store::review::Verdict {
            review_id: self.review_id,
            reviewer: reviewer.to_string(),
            comment: self.comment.clone(),
            at,
        }
    }
}

/// A stored version, how many scenarios ran against it and on which nodes
/// it is in force.
#[derive(Debug)]
pub struct Published {
    pub document: Document,
    pub scenarios_run: usize,
    pub propagation: Propagation,
}

/// A withdrawn version and on which nodes the withdrawal is in force.
#[derive(Debug)]
pub struct Withdrawn {
    pub document: Document,
    pub propagation: Propagation,
}

/// The longest scenario name accepted.
const SCENARIO_NAME_LIMIT: usize = 120;

/// Scenario names are file names: unique, `[A-Za-z0-9._-]`, ending in
/// `.toml`; each scenario's TOML must read as a scenario.
pub fn validate_scenarios(uploads: &[ScenarioUpload]) -> Result<(), ServiceError> {
    let mut seen = std::collections::BTreeSet::new();
    for (index, upload) in uploads.iter().enumerate() {
        let bad_name = |message: String| ServiceError::InvalidScenario {
            index,
            name: upload.name.clone(),
            field: "name",
            message,
        };
        let name = upload.name.as_str();
        if name.is_empty() {
            return Err(bad_name(
                "a scenario needs a file name, e.g. `01-eligible.toml`".into(),
            ));
        }
        if name.len() > SCENARIO_NAME_LIMIT
            || !name.ends_with(".toml")
            || name.starts_with('.')
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(bad_name(format!(
                "`{name}` is not a scenario file name: use letters, digits, `.`, `_` and `-`, \
                 end with `.toml`, at most {SCENARIO_NAME_LIMIT} characters"
            )));
        }
        if !seen.insert(name) {
            return Err(bad_name(format!(
                "`{name}` is sent twice; each scenario needs its own name"
            )));
        }
    }
    for (index, upload) in uploads.iter().enumerate() {
        if let Err(message) = crate::scenario::parse(&upload.toml) {
            return Err(ServiceError::InvalidScenario {
                index,
                name: upload.name.clone(),
                field: "toml",
                message: format!("the scenario file is not valid: {message}"),
            });
        }
    }
    Ok(())
}

/// `YYYY-MM-DD` → days since 1970-01-01.
pub fn parse_day(text: &str, path: &str) -> Result<i64, ServiceError> {
    engine::encode::parse_date(text).ok_or_else(|| ServiceError::InvalidRequest {
        path: path.to_string(),
        message: format!("`{text}` is not a date; write `YYYY-MM-DD`"),
    })
}

/// `base_version`, when a request gives it, must still be the newest
/// version of `id` (none stored: it must be left out).
pub fn check_base_version(
    kind: Kind,
    id: &str,
    base: Option<i64>,
    newest: Option<i64>,
) -> Result<(), ServiceError> {
    match base {
        Some(base) if Some(base) != newest => Err(ServiceError::BaseVersionMoved {
            kind,
            id: id.to_string(),
            base,
            newest,
        }),
        _ => Ok(()),
    }
}

impl Service {
    /// The catalogue in force (its version and source), which every policy
    /// is checked against.
    fn catalogue_in_force(&self) -> Result<(i64, String), ServiceError> {
        self.registry
            .load()
            .catalogue()
            .map(|c| (c.version, c.source.clone()))
            .ok_or(ServiceError::NoCatalogue)
    }

    /// `caller` may act on policy `id`: a department, and if anything holds
    /// `id`, a policy of that department. Checked before any work.
    pub fn require_policy_rights(
        &self,
        caller: &Principal,
        action: Action,
        id: &str,
    ) -> Result<(), ServiceError> {
        caller.department(action)?;
        if let Some(holder) = self.registry.load().holder(id) {
            if holder.kind != Kind::Policy {
                return Err(ServiceError::IdHeld {
                    id: id.to_string(),
                    holder,
                });
            }
            caller.require_owner(action, id, &holder)?;
        }
        Ok(())
    }

    /// Checks and compiles `source` as policy `id` on the heavy pool.
    pub async fn compile(&self, id: &str, source: String) -> Result<CompiledPolicy, ServiceError> {
        let (_, catalogue) = self.catalogue_in_force()?;
        self.compile_against(catalogue, id, source).await
    }

    /// Checks and compiles `source` as policy `id` with `catalogue`.
    async fn compile_against(
        &self,
        catalogue: String,
        id: &str,
        source: String,
    ) -> Result<CompiledPolicy, ServiceError> {
        let engine = Arc::clone(&self.engine);
        let id = id.to_string();
        let lang = self.config.lang;
        self.heavy
            .run(move || pipeline::compile_policy(&engine, &catalogue, &source, &id, lang))
            .await?
            .map_err(ServiceError::Source)
    }

    /// Stores a version, its audit entry and its scenarios in one
    /// transaction — with the reviewer's approval when there is one — and
    /// answers its change number.
    pub(super) async fn store_version(
        &self,
        caller: &Principal,
        approval: Option<&Approval>,
        document: &Document,
        scenarios: Option<&[ScenarioText]>,
        untested: bool,
    ) -> Result<i64, ServiceError> {
        Ok(match approval {
            None => self.store.publish(document, scenarios, untested).await?,
            Some(approval) => {
                self.store
                    .approve_review(
                        &approval.verdict(&caller.name, document.published_at),
                        document,
                        scenarios,
                        untested,
                    )
                    .await?
            }
        })
    }

    pub async fn publish(
        &self,
        caller: &Principal,
        id: &str,
        input: PublishInput,
    ) -> Result<Published, ServiceError> {
        self.require_policy_rights(caller, Action::Publish, id)?;
        if input.approval.is_none() {
            self.require_direct_publish(Kind::Policy, id)?;
        }
        if let Some(uploads) = &input.scenarios {
            validate_scenarios(uploads)?;
        }
        if let Some(given) = &input.effective_from {
            parse_day(given, "effective_from")?;
        }
        let started = std::time::Instant::now();
        let (compiled_with, catalogue) = self.catalogue_in_force()?;
        let compiled = self
            .compile_against(catalogue, id, input.source.clone())
            .await?;
        let compiled_after = started.elapsed();
        caller.require_source_department(Action::Publish, &compiled.department)?;
        let effective_from = match (&input.effective_from, &compiled.effective_from) {
            (Some(given), Some(declared)) if given != declared => {
                return Err(ServiceError::InvalidRequest {
                    path: "effective_from".into(),
                    message: format!(
                        "`effective_from` is {given} but the source says `effective from \
                         {declared}`; give one date (or leave `effective_from` out)"
                    ),
                });
            }
            (Some(given), _) => given.clone(),
            (None, Some(declared)) => declared.clone(),
            (None, None) => {
                return Err(ServiceError::InvalidRequest {
                    path: "effective_from".into(),
                    message: "say when the version takes effect: `effective_from` in the request \
                              or `effective from` in the source"
                        .into(),
                });
            }
        };
        let effective_day = parse_day(&effective_from, "effective_from")?;
        let uploaded: Option<Vec<ScenarioText>> = input.scenarios.as_ref().map(|list| {
            list.iter()
                .map(|s| ScenarioText {
                    kind: Kind::Policy,
                    policy_id: id.to_string(),
                    name: s.name.clone(),
                    toml: s.toml.clone(),
                })
                .collect()
        });

        let one_at_a_time = self.publishing.lock().await;
        // What other nodes published is applied first.
        self.catch_up_locked().await?;
        // Rights again under the lock: the id may have been taken meanwhile.
        self.require_policy_rights(caller, Action::Publish, id)?;
        let current = self.registry.load_full();
        // A catalogue published since the compile: compiled again against it.
        let compiled = match current.catalogue() {
            Some(catalogue) if catalogue.version != compiled_with => {
                self.compile_against(catalogue.source.clone(), id, input.source.clone())
                    .await?
            }
            _ => compiled,
        };
        let existing = current.policies.get(id).cloned().unwrap_or_default();
        if let Some(newest) = existing.last() {
            if newest.document.department != compiled.department {
                return Err(ServiceError::MovesDepartment {
                    id: id.to_string(),
                    owner: newest.document.department.clone(),
                    declared: compiled.department.clone(),
                });
            }
            if compiled.version <= newest.document.version {
                return Err(ServiceError::VersionNotHigher {
                    id: id.to_string(),
                    declared: compiled.version,
                    stored: newest.document.version,
                });
            }
        }
        let scenarios = uploaded
            .clone()
            .or_else(|| {
                current
                    .scenarios
                    .get(&(Kind::Policy, id.to_string()))
                    .cloned()
            })
            .unwrap_or_default();
        let loaded = Arc::clone(&compiled.loaded);
        let lang = self.config.lang;
        let (scenarios_run, failures) = self
            .heavy
            .run(move || pipeline::run_scenarios(&loaded, &scenarios, effective_day, lang))
            .await?;
        if !failures.is_empty() {
            return Err(ServiceError::ScenariosFailed {
                run: scenarios_run,
                failures,
            });
        }
        let untested = scenarios_run == 0;
        if untested && !input.allow_untested {
            return Err(ServiceError::Untested { effective_from });
        }
        let CompiledPolicy {
            version,
            department,
            title,
            hash,
            artifact,
            loaded,
            ..
        } = compiled;
        let document = Document {
            kind: Kind::Policy,
            id: id.to_string(),
            version,
            department,
            title,
            source: input.source,
            artifact: Some(artifact),
            hash,
            effective_from,
            status: Status::Active,
            publisher: input
                .approval
                .as_ref()
                .map_or_else(|| caller.name.clone(), |a| a.submitter.clone()),
            published_at: now_micros(),
        };
        let mut versions = existing;
        versions.push(Arc::new(PolicyVersion {
            document: Document {
                artifact: None,
                ..document.clone()
            },
            effective_day,
            loaded,
        }));
        let next = {
            let engine = Arc::clone(&self.engine);
            let current = Arc::clone(&current);
            let id = id.to_string();
            let uploaded = uploaded.clone();
            let lang = self.config.lang;
            self.heavy
                .run(move || next_registry(&engine, &current, &id, versions, uploaded, lang))
                .await??
        };
        let seq = self
            .store_version(
                caller,
                input.approval.as_ref(),
                &document,
                uploaded.as_deref(),
                untested,
            )
            .await?;
        let propagation = self.put_in_force(seq, Arc::new(next), one_at_a_time).await;
        tracing::info!(
            policy = id,
            version = document.version,
            publisher = %document.publisher,
            hash = %document.hash,
            untested,
            compile_ms = compiled_after.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "published"
        );
        Ok(Published {
            document: Document {
                artifact: None,
                ..document
            },
            scenarios_run,
            propagation,
        })
    }

    pub async fn withdraw(
        &self,
        caller: &Principal,
        id: &str,
        version: i64,
    ) -> Result<Withdrawn, ServiceError> {
        caller.department(Action::Withdraw)?;
        let one_at_a_time = self.publishing.lock().await;
        self.catch_up_locked().await?;
        let current = self.registry.load_full();
        let holder = current
            .holder(id)
            .filter(|h| h.kind == Kind::Policy)
            .ok_or_else(|| ServiceError::UnknownPolicy { id: id.to_string() })?;
        caller.require_owner(Action::Withdraw, id, &holder)?;
        let versions = current
            .policies
            .get(id)
            .ok_or_else(|| ServiceError::UnknownPolicy { id: id.to_string() })?;
        let found = current
            .version(id, version)
            .ok_or_else(|| ServiceError::UnknownVersion {
                kind: Kind::Policy,
                id: id.to_string(),
                version,
            })?;
        if found.document.status == Status::Withdrawn {
            return Err(ServiceError::AlreadyWithdrawn {
                id: id.to_string(),
                version,
            });
        }
        let at = now_micros();
        let mut document = found.document.clone();
        document.status = Status::Withdrawn;
        let replaced: Vec<Arc<PolicyVersion>> = versions
            .iter()
            .map(|v| {
                if v.document.version == version {
                    Arc::new(PolicyVersion {
                        document: document.clone(),
                        effective_day: v.effective_day,
                        loaded: Arc::clone(&v.loaded),
                    })
                } else {
                    Arc::clone(v)
                }
            })
            .collect();
        let mut after = (*current).clone();
        after.policies.insert(id.to_string(), replaced.clone());
        refuse_stranding(&current, &after, id, version)?;
        let next = {
            let engine = Arc::clone(&self.engine);
            let current = Arc::clone(&current);
            let id = id.to_string();
            let lang = self.config.lang;
            self.heavy
                .run(move || next_registry(&engine, &current, &id, replaced, None, lang))
                .await??
        };
        let seq = self
            .store
            .withdraw(Kind::Policy, id, version, &caller.name, at)
            .await?;
        let propagation = self.put_in_force(seq, Arc::new(next), one_at_a_time).await;
        self.metrics
            .withdrawals
            .get_or_create(&metrics_labels(&self.metrics, id))
            .inc();
        tracing::info!(policy = %id, version, by = %caller.name, "withdrawn");
        Ok(Withdrawn {
            document,
            propagation,
        })
    }
}

fn metrics_labels(metrics: &super::metrics::Metrics, id: &str) -> super::metrics::PolicyLabels {
    super::metrics::PolicyLabels {
        policy: metrics.label(id),
    }
}

/// A withdrawal may not take away a date on which a bundle with `member`
/// could be applied for: a bundle is served on a day when every member has
/// a version in force, i.e. from the latest of its members' first days.
fn refuse_stranding(
    before: &Registry,
    after: &Registry,
    member: &str,
    version: i64,
) -> Result<(), ServiceError> {
    for bundle in before.bundles_with_member(member) {
        let Some(entry) = before.bundles.get(&bundle) else {
            continue;
        };
        let members = &entry.built.plan().members;
        let served_from = |registry: &Registry| -> Option<i64> {
            members
                .iter()
                .map(|m| registry.covered_from(m))
                .try_fold(i64::MIN, |latest, first| first.map(|f| latest.max(f)))
        };
        let Some(was) = served_from(before) else {
            continue; // the bundle was never served; nothing is taken away
        };
        let now = served_from(after);
        if now.is_none_or(|now| now > was) {
            return Err(ServiceError::StrandsBundle {
                bundle,
                member: member.to_string(),
                version,
                uncovered_from: Some(day_text(was)),
                covered_again: now.map(|now| day_text(now - 1)),
            });
        }
    }
    Ok(())
}

/// The registry with `id`'s versions replaced, and every bundle that has
/// `id` as a member rebuilt against the newest active member versions (a
/// bundle that breaks is told in `lang`).
pub fn next_registry(
    engine: &engine::Engine,
    current: &Registry,
    id: &str,
    versions: Vec<Arc<PolicyVersion>>,
    scenarios: Option<Vec<ScenarioText>>,
    lang: Lang,
) -> Result<Registry, ServiceError> {
    let mut next = current.clone();
    next.policies.insert(id.to_string(), versions);
    if let Some(scenarios) = scenarios {
        next.scenarios
            .insert((Kind::Policy, id.to_string()), scenarios);
    }
    let catalogue = next
        .catalogue()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    for bundle_id in next.bundles_with_member(id) {
        let Some(entry) = next.bundles.get(&bundle_id).cloned() else {
            continue;
        };
        let members = bundle_member_sources(&next, &entry, lang)?;
        let built = pipeline::build_bundle(
            engine,
            &catalogue,
            &bundle_id,
            &entry.document.source,
            &members,
            lang,
        )
        .map_err(|problem| ServiceError::BreaksBundle {
            bundle: bundle_id.clone(),
            member: id.to_string(),
            problem,
        })?;
        next.bundles.insert(
            bundle_id,
            Arc::new(BundleEntry {
                document: entry.document.clone(),
                built,
            }),
        );
    }
    Ok(next)
}

/// Each member's newest active source, for building a bundle.
pub fn bundle_member_sources(
    registry: &Registry,
    entry: &BundleEntry,
    lang: Lang,
) -> Result<Vec<(String, String)>, ServiceError> {
    entry
        .built
        .plan()
        .members
        .iter()
        .map(|member| {
            registry
                .newest_active(member)
                .map(|v| (member.clone(), v.document.source.clone()))
                .ok_or_else(|| ServiceError::BreaksBundle {
                    bundle: entry.document.id.clone(),
                    member: member.clone(),
                    problem: {
                        let bundle = &entry.document.id;
                        pipeline::SourceProblem::Wrong(
                            words!(
                                "一件事`{bundle}`需要其成员`{member}`的一个有效版本",
                                "bundle `{bundle}` needs an active version of its member `{member}`"
                            )
                            .get(lang)
                            .to_string(),
                        )
                    },
                })
        })
        .collect()
}
