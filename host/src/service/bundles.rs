//! Publishing and withdrawing a bundle's (一件事) versions. Only the
//! bundle's lead department may — the `department` line of its source, and
//! for a bundle already stored, the department of its newest version —
//! checked before the source is checked or compiled. A new version is
//! checked against the catalogue and the newest active version of each
//! member, its scenarios (the ones sent, else the stored ones) run with each
//! member at its version in force on the scenario's date; the version, its
//! audit entry and its scenarios are stored in one transaction, and only
//! then is the registry swapped: the next bundle evaluation uses it. A
//! bundle's newest active version is the one in force, for every date.

use std::sync::Arc;

use super::Service;
use super::clock::{day_text, now_micros, today_day};
use super::error::ServiceError;
use super::pipeline;
use super::publish::{Approval, Published, ScenarioUpload, Withdrawn, check_base_version};
use super::registry::{BundleEntry, Registry};
use super::rights::{Action, Principal};
use crate::store::{Document, Kind, ScenarioText, Status};

/// What a bundle's lead department asks to publish.
#[derive(Debug, Clone)]
pub struct BundleInput {
    /// The whole bundle source.
    pub source: String,
    /// The version the source was edited from; when given, it must still
    /// be the newest.
    pub base_version: Option<i64>,
    /// When given, these replace the bundle's scenarios.
    pub scenarios: Option<Vec<ScenarioUpload>>,
    /// Publish even though the bundle has no scenario (recorded in the
    /// audit trail).
    pub allow_untested: bool,
    /// Set when a reviewer approves a submitted version (maker–checker).
    pub approval: Option<Approval>,
}

impl Service {
    /// `caller` may act on bundle `id`: a department, and if anything holds
    /// `id`, a bundle that department leads. Checked before any work.
    pub fn require_bundle_rights(
        &self,
        caller: &Principal,
        action: Action,
        id: &str,
    ) -> Result<(), ServiceError> {
        caller.department(action)?;
        if let Some(holder) = self.registry.load().holder(id) {
            if holder.kind != Kind::Bundle {
                return Err(ServiceError::IdHeld {
                    id: id.to_string(),
                    holder,
                });
            }
            caller.require_owner(action, id, &holder)?;
        }
        Ok(())
    }

    /// Checks and compiles a bundle's `source` on the heavy pool against
    /// the catalogue of `current` and the newest active version of each
    /// member (one without: left out, the checker names it).
    pub(super) async fn compile_bundle_on(
        &self,
        current: &Registry,
        id: &str,
        members: &[String],
        source: String,
    ) -> Result<pipeline::CompiledBundle, ServiceError> {
        let catalogue = current
            .catalogue()
            .map(|c| c.source.clone())
            .ok_or(ServiceError::NoCatalogue)?;
        let members: Vec<(String, String)> = members
            .iter()
            .filter_map(|member| {
                current
                    .newest_active(member)
                    .map(|v| (member.clone(), v.document.source.clone()))
            })
            .collect();
        let engine = Arc::clone(&self.engine);
        let id = id.to_string();
        let lang = self.config.lang;
        self.heavy
            .run(move || {
                pipeline::compile_bundle(&engine, &catalogue, &id, &source, &members, lang)
            })
            .await?
            .map_err(ServiceError::Source)
    }

    /// A new version of bundle `id` edited from `base_version`, checked and
    /// compiled on `current`: still the newest base, the caller's source
    /// department, and the department of the versions before it.
    #[expect(
        clippy::too_many_arguments,
        reason = "one check shared by submit and publish; each argument is a different part of the request"
    )]
    pub(super) async fn compile_bundle_version(
        &self,
        caller: &Principal,
        action: Action,
        current: &Registry,
        id: &str,
        base_version: Option<i64>,
        members: &[String],
        source: String,
    ) -> Result<pipeline::CompiledBundle, ServiceError> {
        let newest = current.bundle_versions.get(id).and_then(|v| v.last());
        check_base_version(Kind::Bundle, id, base_version, newest.map(|d| d.version))?;
        let compiled = self.compile_bundle_on(current, id, members, source).await?;
        caller.require_source_department(action, &compiled.department)?;
        if let Some(newest) = newest
            && newest.department != compiled.department
        {
            return Err(ServiceError::MovesDepartment {
                id: id.to_string(),
                owner: newest.department.clone(),
                declared: compiled.department.clone(),
            });
        }
        Ok(compiled)
    }

    /// A department's version is put in force directly only when
    /// `publishing.review_required` is off; else through an approved review.
    pub fn require_direct_publish(&self, kind: Kind, id: &str) -> Result<(), ServiceError> {
        if self.config.publishing.review_required {
            return Err(ServiceError::ReviewRequired {
                kind,
                id: id.to_string(),
            });
        }
        Ok(())
    }

    pub async fn publish_bundle(
        &self,
        caller: &Principal,
        id: &str,
        input: BundleInput,
    ) -> Result<Published, ServiceError> {
        self.require_bundle_rights(caller, Action::Publish, id)?;
        if input.approval.is_none() {
            self.require_direct_publish(Kind::Bundle, id)?;
        }
        // The lead department the source names, read before it is checked:
        // another department's bundle is refused without any work.
        let header = pipeline::read_header(&input.source);
        if let Some(declared) = &header.department {
            caller.require_source_department(Action::Publish, declared)?;
        }
        if let Some(uploads) = &input.scenarios {
            super::publish::validate_scenarios(uploads)?;
        }
        let uploaded: Option<Vec<ScenarioText>> = input.scenarios.as_ref().map(|list| {
            list.iter()
                .map(|s| ScenarioText {
                    kind: Kind::Bundle,
                    policy_id: id.to_string(),
                    name: s.name.clone(),
                    toml: s.toml.clone(),
                })
                .collect()
        });
        let started = std::time::Instant::now();
        // Under the lock from here: the catalogue and the members it is
        // built on may not change meanwhile.
        let one_at_a_time = self.publishing.lock().await;
        self.catch_up_locked().await?;
        self.require_bundle_rights(caller, Action::Publish, id)?;
        let current = self.registry.load_full();
        let existing = current.bundle_versions.get(id).cloned().unwrap_or_default();
        let newest = existing.last();
        let compiled = self
            .compile_bundle_version(
                caller,
                Action::Publish,
                &current,
                id,
                input.base_version,
                &header.members,
                input.source.clone(),
            )
            .await?;
        let scenarios = uploaded
            .clone()
            .or_else(|| {
                current
                    .scenarios
                    .get(&(Kind::Bundle, id.to_string()))
                    .cloned()
            })
            .unwrap_or_default();
        let (scenarios_run, failures) = {
            let built = Arc::clone(&compiled.built);
            let current = Arc::clone(&current);
            let lang = self.config.lang;
            self.heavy
                .run(move || pipeline::run_bundle_scenarios(&built, &current, &scenarios, lang))
                .await?
        };
        if !failures.is_empty() {
            return Err(ServiceError::ScenariosFailed {
                run: scenarios_run,
                failures,
            });
        }
        let untested = scenarios_run == 0;
        if untested && !input.allow_untested {
            return Err(ServiceError::UntestedBundle { id: id.to_string() });
        }
        let document = Document {
            kind: Kind::Bundle,
            id: id.to_string(),
            version: newest.map_or(0, |d| d.version) + 1,
            department: compiled.department,
            title: compiled.title,
            hash: rules_dsl::codegen::source_hash(&input.source),
            source: input.source,
            artifact: None,
            effective_from: day_text(today_day()),
            status: Status::Active,
            publisher: input
                .approval
                .as_ref()
                .map_or_else(|| caller.name.clone(), |a| a.submitter.clone()),
            published_at: now_micros(),
        };
        let mut next = (*current).clone();
        let mut versions = existing;
        versions.push(document.clone());
        next.bundle_versions.insert(id.to_string(), versions);
        next.bundles.insert(
            id.to_string(),
            Arc::new(BundleEntry {
                document: document.clone(),
                built: compiled.built,
            }),
        );
        if let Some(scenarios) = uploaded.clone() {
            next.scenarios
                .insert((Kind::Bundle, id.to_string()), scenarios);
        }
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
            bundle = id,
            version = document.version,
            publisher = %document.publisher,
            hash = %document.hash,
            untested,
            total_ms = started.elapsed().as_millis() as u64,
            "bundle published"
        );
        Ok(Published {
            document,
            scenarios_run,
            propagation,
        })
    }

    /// Withdraws a bundle version. When it was the one in force, the newest
    /// active version left is built again and put in force (refused if it no
    /// longer builds); with none left, the bundle is not served.
    pub async fn withdraw_bundle(
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
            .filter(|h| h.kind == Kind::Bundle)
            .ok_or_else(|| ServiceError::UnknownBundle { id: id.to_string() })?;
        caller.require_owner(Action::Withdraw, id, &holder)?;
        let found =
            current
                .bundle_version(id, version)
                .ok_or_else(|| ServiceError::UnknownVersion {
                    kind: Kind::Bundle,
                    id: id.to_string(),
                    version,
                })?;
        if found.status == Status::Withdrawn {
            return Err(ServiceError::AlreadyWithdrawn {
                id: id.to_string(),
                version,
            });
        }
        let mut document = found.clone();
        document.status = Status::Withdrawn;
        let mut next = (*current).clone();
        let versions = next
            .bundle_versions
            .get(id)
            .map(|versions| {
                versions
                    .iter()
                    .map(|v| {
                        if v.version == version {
                            document.clone()
                        } else {
                            v.clone()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        next.bundle_versions.insert(id.to_string(), versions);
        let was_in_force = current
            .bundles
            .get(id)
            .is_some_and(|entry| entry.document.version == version);
        if was_in_force {
            match next.newest_active_bundle(id).cloned() {
                Some(fallback) => {
                    let catalogue = next
                        .catalogue()
                        .map(|c| c.source.clone())
                        .ok_or(ServiceError::NoCatalogue)?;
                    let members: Vec<(String, String)> = pipeline::read_header(&fallback.source)
                        .members
                        .iter()
                        .filter_map(|member| {
                            next.newest_active(member)
                                .map(|v| (member.clone(), v.document.source.clone()))
                        })
                        .collect();
                    let built = {
                        let engine = Arc::clone(&self.engine);
                        let source = fallback.source.clone();
                        let bundle = id.to_string();
                        let lang = self.config.lang;
                        self.heavy
                            .run(move || {
                                pipeline::build_bundle(
                                    &engine, &catalogue, &bundle, &source, &members, lang,
                                )
                            })
                            .await?
                            .map_err(|problem| ServiceError::FallbackBroken {
                                bundle: id.to_string(),
                                version,
                                fallback: fallback.version,
                                problem,
                            })?
                    };
                    next.bundles.insert(
                        id.to_string(),
                        Arc::new(BundleEntry {
                            document: fallback,
                            built,
                        }),
                    );
                }
                None => {
                    next.bundles.remove(id);
                }
            }
        }
        let seq = self
            .store
            .withdraw(Kind::Bundle, id, version, &caller.name, now_micros())
            .await?;
        let propagation = self.put_in_force(seq, Arc::new(next), one_at_a_time).await;
        self.metrics
            .withdrawals
            .get_or_create(&super::metrics::PolicyLabels {
                policy: self.metrics.label(id),
            })
            .inc();
        tracing::info!(bundle = %id, version, by = %caller.name, "bundle withdrawn");
        Ok(Withdrawn {
            document,
            propagation,
        })
    }
}
