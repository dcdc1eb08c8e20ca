//! The `Store` contract, one suite on both stores: every case runs on the
//! embedded SQLite store and on PostgreSQL (a database of its own per test;
//! see `support`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers stop the test with their message"
)]

mod support;

use std::sync::Arc;

use host::store::postgres::{PgSettings, PgStore};
use host::store::review::{NewReview, ReviewQuery, ReviewStatus, Verdict};
use host::store::sqlite::SqliteStore;
use host::store::{
    DecisionQuery, DecisionRecord, Document, Kind, NodeState, Notice, ScenarioText, Status, Store,
    StoreError,
};
use support::TestDatabase;

/// A store to test and what to clean up after it.
struct Backend {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    database: Option<TestDatabase>,
}

impl Backend {
    async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        Backend {
            store: Arc::new(store),
            _dir: Some(dir),
            database: None,
        }
    }

    async fn postgres() -> Backend {
        let database = TestDatabase::create("store").await;
        let store = PgStore::open(&PgSettings {
            url: database.url.clone(),
            max_connections: 8,
            acquire_timeout: std::time::Duration::from_secs(5),
        })
        .await
        .expect("opens");
        Backend {
            store: Arc::new(store),
            _dir: None,
            database: Some(database),
        }
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some(database) = self.database {
            database.remove().await;
        }
    }
}

/// Each case as an async function over a store, run once per backend.
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = super::Backend::sqlite().await;
                    super::$case(&backend.store).await;
                    backend.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = super::Backend::postgres().await;
                    super::$case(&backend.store).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

on_both_stores!(
    versions_changes_and_audit,
    a_version_is_published_once_and_never_below_the_newest,
    two_publishes_of_one_version_at_once_one_wins,
    withdrawal_is_a_change,
    the_decision_log_reads_newest_first_with_filters,
    retention_removes_old_decisions_and_old_facts,
    nodes_report_and_leave,
    texts_with_quotes_and_controls_round_trip,
    a_catalogue_is_stored_with_the_artifacts_compiled_against_it,
    kinds_never_reach_each_other_in_the_log,
    a_review_waits_then_its_approval_publishes_in_one_transaction,
    a_review_is_decided_once,
    a_bundle_review_is_kept_by_kind,
);

fn document(kind: Kind, id: &str, version: i64, at: i64) -> Document {
    Document {
        kind,
        id: id.to_string(),
        version,
        department: "hz.public_security".to_string(),
        title: format!("{id} 第{version}版"),
        source: format!("policy {id} \"题\"\n  version {version}\n"),
        artifact: (kind == Kind::Policy).then(|| vec![0, 97, 115, 109, version as u8]),
        hash: format!("{:064}", version),
        effective_from: "2026-01-01".to_string(),
        status: Status::Active,
        publisher: "科员'引号\"".to_string(),
        published_at: at,
    }
}

fn scenario(id: &str, name: &str) -> ScenarioText {
    ScenarioText {
        kind: Kind::Policy,
        policy_id: id.to_string(),
        name: name.to_string(),
        toml: format!("# {name}\n[expect]\neligibility = \"eligible\"\n"),
    }
}

async fn seeded(store: &Arc<dyn Store>) -> i64 {
    assert!(store.is_empty().await.unwrap());
    store
        .seed(
            &[
                document(Kind::Catalogue, "catalogue", 1, 10),
                document(Kind::Policy, "hz.residence_permit", 1, 10),
                document(Kind::Bundle, "zj.birth", 1, 10),
            ],
            &[scenario("hz.residence_permit", "01.toml")],
        )
        .await
        .unwrap();
    assert!(!store.is_empty().await.unwrap());
    store.latest_change().await.unwrap()
}

async fn versions_changes_and_audit(store: &Arc<dyn Store>) {
    let seeded = seeded(store).await;
    let changes = store.changes_since(0).await.unwrap();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(changes.iter().all(|c| c.action == "seed"));
    assert_eq!(changes.last().unwrap().seq, seeded);
    let seq = store
        .publish(
            &document(Kind::Policy, "hz.residence_permit", 2, 20),
            Some(&[scenario("hz.residence_permit", "02.toml")]),
            false,
        )
        .await
        .unwrap();
    assert!(seq > seeded);
    assert_eq!(store.latest_change().await.unwrap(), seq);
    let after = store.changes_since(seeded).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(
        (
            after[0].seq,
            after[0].kind,
            after[0].id.as_str(),
            after[0].version,
            after[0].action.as_str()
        ),
        (seq, Kind::Policy, "hz.residence_permit", 2, "publish")
    );
    let subject = store
        .subject(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    let versions: Vec<i64> = subject.documents.iter().map(|d| d.version).collect();
    assert_eq!(versions, [1, 2]);
    assert_eq!(
        subject.documents[1],
        document(Kind::Policy, "hz.residence_permit", 2, 20),
        "stored as given, quotes and Chinese included"
    );
    let names: Vec<&str> = subject.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["02.toml"], "a publish with scenarios replaces them");
    // Kinds never reach each other.
    assert!(
        store
            .subject(Kind::Bundle, "hz.residence_permit")
            .await
            .unwrap()
            .documents
            .is_empty()
    );
    let audit = store
        .audit(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    let actions: Vec<(&str, i64)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.version))
        .collect();
    assert_eq!(actions, [("seed", 1), ("publish", 2)]);
    let everything = store.documents().await.unwrap();
    assert_eq!(everything.len(), 4);
}

async fn a_version_is_published_once_and_never_below_the_newest(store: &Arc<dyn Store>) {
    seeded(store).await;
    store
        .publish(
            &document(Kind::Policy, "hz.residence_permit", 3, 20),
            None,
            false,
        )
        .await
        .unwrap();
    for version in [3, 2] {
        let before = store.latest_change().await.unwrap();
        let refused = store
            .publish(
                &document(Kind::Policy, "hz.residence_permit", version, 30),
                None,
                false,
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "version {version}: {refused:?}"
        );
        assert_eq!(
            store.latest_change().await.unwrap(),
            before,
            "a refused publish leaves no change"
        );
    }
    // Another kind's id space is its own.
    store
        .publish(&document(Kind::Bundle, "zj.birth", 2, 40), None, true)
        .await
        .unwrap();
    let audit = store.audit(Kind::Bundle, "zj.birth").await.unwrap();
    assert!(audit.last().unwrap().untested);
}

async fn two_publishes_of_one_version_at_once_one_wins(store: &Arc<dyn Store>) {
    seeded(store).await;
    let mut tasks = Vec::new();
    for publisher in 0..4 {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            let mut document = document(Kind::Policy, "hz.residence_permit", 2, 50);
            document.publisher = format!("node-{publisher}");
            store.publish(&document, None, false).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::Conflict(_) | StoreError::Database(_)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one publish of version 2 wins");
    let subject = store
        .subject(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    assert_eq!(subject.documents.len(), 2);
    let audit = store
        .audit(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "one audit entry for the one stored version");
}

async fn withdrawal_is_a_change(store: &Arc<dyn Store>) {
    let seeded = seeded(store).await;
    let seq = store
        .withdraw(Kind::Policy, "hz.residence_permit", 1, "审核员", 60)
        .await
        .unwrap();
    assert_eq!(seq, seeded + 1);
    let again = store
        .withdraw(Kind::Policy, "hz.residence_permit", 1, "审核员", 61)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let unknown = store
        .withdraw(Kind::Policy, "hz.unknown", 1, "审核员", 61)
        .await;
    assert!(
        matches!(unknown, Err(StoreError::Conflict(_))),
        "{unknown:?}"
    );
    let subject = store
        .subject(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    assert_eq!(subject.documents[0].status, Status::Withdrawn);
    let changes = store.changes_since(seeded).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].action, "withdraw");
    assert_eq!(store.latest_change().await.unwrap(), seq);
}

const DAY: i64 = 86_400_000_000;
/// 2026-11-30T00:00:00Z, and a day either side: across a month boundary.
const NOV_30: i64 = 1_796_083_200_000_000;

fn record(policy: &str, at: i64, kept: bool) -> DecisionRecord {
    DecisionRecord {
        at,
        kind: Kind::Policy,
        policy_id: policy.to_string(),
        version: 1,
        hash: String::new(),
        application_date: "2026-11-30".to_string(),
        eligibility: "eligible".to_string(),
        facts_sha256: format!("{at:064}"),
        request: kept.then(|| format!("{{\"facts\":{{\"name\":\"张\\\"三\"}},\"at\":{at}}}")),
        request_id: Some(format!("req-{at}")),
    }
}

async fn the_decision_log_reads_newest_first_with_filters(store: &Arc<dyn Store>) {
    seeded(store).await;
    let times = [NOV_30 - DAY, NOV_30 - 1, NOV_30, NOV_30 + 2 * DAY];
    let mut records: Vec<DecisionRecord> = times
        .iter()
        .enumerate()
        .map(|(i, at)| record("hz.residence_permit", *at, i % 2 == 0))
        .collect();
    records.push(record("zj.other", NOV_30 + DAY, true));
    store.append_decisions(&records[..2]).await.unwrap();
    store.append_decisions(&records[2..]).await.unwrap();
    store.append_decisions(&[]).await.unwrap();
    let read = |subjects: Option<Vec<(Kind, String)>>, since, limit, with_request| {
        let store = Arc::clone(store);
        async move {
            store
                .decisions(&DecisionQuery {
                    subjects,
                    since,
                    limit,
                    with_request,
                })
                .await
                .unwrap()
        }
    };
    let permit = || Some(vec![(Kind::Policy, "hz.residence_permit".to_string())]);
    let all = read(permit(), None, 100, false).await;
    let ats: Vec<i64> = all.iter().map(|r| r.at).collect();
    assert_eq!(ats, [NOV_30 + 2 * DAY, NOV_30, NOV_30 - 1, NOV_30 - DAY]);
    assert_eq!(all[1], {
        let mut expected = record("hz.residence_permit", NOV_30, true);
        expected.hash = format!("{:064}", 1);
        expected
    });
    let since = read(permit(), Some(NOV_30), 100, false).await;
    assert_eq!(since.len(), 2);
    let kept = read(permit(), None, 100, true).await;
    assert!(kept.iter().all(|r| r.request.is_some()));
    assert_eq!(kept.len(), 2);
    assert_eq!(read(permit(), None, 1, false).await.len(), 1);
    assert!(read(permit(), None, 0, false).await.is_empty());
    let everyone = read(None, None, 100, false).await;
    assert_eq!(everyone.len(), 5);
    let bundle_with_that_id = Some(vec![(Kind::Bundle, "hz.residence_permit".to_string())]);
    assert!(read(bundle_with_that_id, None, 100, false).await.is_empty());
}

async fn retention_removes_old_decisions_and_old_facts(store: &Arc<dyn Store>) {
    seeded(store).await;
    // Two months back, last month's end, this month.
    let records = vec![
        record("hz.residence_permit", NOV_30 - 40 * DAY, true),
        record("hz.residence_permit", NOV_30 - 20 * DAY, true),
        record("hz.residence_permit", NOV_30 - 2 * DAY, true),
        record("hz.residence_permit", NOV_30 + DAY, true),
    ];
    store.append_decisions(&records).await.unwrap();
    let pruned = store
        .prune_decisions(Some(NOV_30 - 10 * DAY), Some(NOV_30))
        .await
        .unwrap();
    assert_eq!(pruned.decisions, 2);
    assert_eq!(pruned.facts, 1);
    let left = store
        .decisions(&DecisionQuery {
            subjects: None,
            since: None,
            limit: 100,
            with_request: false,
        })
        .await
        .unwrap();
    let shape: Vec<(i64, bool)> = left.iter().map(|r| (r.at, r.request.is_some())).collect();
    assert_eq!(shape, [(NOV_30 + DAY, true), (NOV_30 - 2 * DAY, false)]);
    // Nothing more to do: a second pass removes nothing.
    let again = store
        .prune_decisions(Some(NOV_30 - 10 * DAY), Some(NOV_30))
        .await
        .unwrap();
    assert_eq!((again.decisions, again.facts), (0, 0));
    // New records are still taken after their month's partition was dropped.
    store
        .append_decisions(&[record("hz.residence_permit", NOV_30 - 40 * DAY, false)])
        .await
        .unwrap();
}

async fn nodes_report_and_leave(store: &Arc<dyn Store>) {
    let node = |name: &str, applied: i64| NodeState {
        node: name.to_string(),
        addr: "127.0.0.1:8080".to_string(),
        started_at: 1,
        applied_seq: applied,
        heartbeat_at: 2,
        listening: true,
    };
    store.heartbeat(&node("b", 3)).await.unwrap();
    store.heartbeat(&node("a", 1)).await.unwrap();
    store.heartbeat(&node("a", 7)).await.unwrap();
    let nodes = store.nodes().await.unwrap();
    assert_eq!(nodes, [node("a", 7), node("b", 3)]);
    store.leave("a").await.unwrap();
    store.leave("nobody").await.unwrap();
    assert_eq!(store.nodes().await.unwrap(), [node("b", 3)]);
}

/// Texts that need escaping come back as written.
async fn texts_with_quotes_and_controls_round_trip(store: &Arc<dyn Store>) {
    let mut odd = record("a", NOV_30, true);
    odd.application_date = "2026-\"01\"-15\\".into();
    odd.eligibility = "line\nbreak\t\u{1}".into();
    odd.facts_sha256 = "中文 and \u{7f}".into();
    odd.request = Some("{\"text\":\"\\\"\"}".into());
    odd.request_id = None;
    let plain = record("a", NOV_30 + 1, false);
    store
        .append_decisions(&[odd.clone(), plain.clone()])
        .await
        .unwrap();
    let all = store
        .decisions(&DecisionQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all, vec![plain, odd]);
}

async fn a_catalogue_is_stored_with_the_artifacts_compiled_against_it(store: &Arc<dyn Store>) {
    let seeded = seeded(store).await;
    let rebuilt = |id: &str| host::store::Rebuilt {
        id: id.into(),
        version: 1,
        artifact: b"new".to_vec(),
    };
    // One artifact names a version that is not stored: nothing is written.
    let refused = store
        .publish_catalogue(
            &document(Kind::Catalogue, "catalogue", 2, 20),
            &[rebuilt("hz.residence_permit"), rebuilt("missing")],
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotFound(_))),
        "{refused:?}"
    );
    assert_eq!(store.latest_change().await.unwrap(), seeded);
    let artifact = |documents: &[Document]| {
        documents
            .iter()
            .find(|d| d.kind == Kind::Policy)
            .and_then(|d| d.artifact.clone())
    };
    let before = artifact(&store.documents().await.unwrap());
    assert_ne!(before.as_deref(), Some(&b"new"[..]));
    let seq = store
        .publish_catalogue(
            &document(Kind::Catalogue, "catalogue", 2, 20),
            &[rebuilt("hz.residence_permit")],
        )
        .await
        .unwrap();
    assert_eq!(seq, seeded + 1);
    assert_eq!(
        artifact(&store.documents().await.unwrap()).as_deref(),
        Some(&b"new"[..])
    );
    let audit = store.audit(Kind::Catalogue, "catalogue").await.unwrap();
    let actions: Vec<(&str, i64)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.version))
        .collect();
    assert_eq!(actions, [("seed", 1), ("publish", 2)]);
    let changes = store.changes_since(seeded).await.unwrap();
    assert_eq!(changes[0].kind, Kind::Catalogue);
}

async fn kinds_never_reach_each_other_in_the_log(store: &Arc<dyn Store>) {
    let mut bundle = record("x", NOV_30 + 2, true);
    bundle.kind = Kind::Bundle;
    store
        .append_decisions(&[record("x", NOV_30 + 1, true), bundle])
        .await
        .unwrap();
    for (kind, at) in [(Kind::Policy, NOV_30 + 1), (Kind::Bundle, NOV_30 + 2)] {
        let found = store
            .decisions(&DecisionQuery {
                subjects: Some(vec![(kind, "x".into())]),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{kind:?}");
        assert_eq!((found[0].kind, found[0].at), (kind, at));
    }
}

/// PostgreSQL only: committed changes and pings reach a listener; the
/// embedded store has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_hear_changes_and_pings() {
    let sqlite = Backend::sqlite().await;
    assert!(sqlite.store.listen().await.unwrap().is_none());
    sqlite.finish().await;

    let backend = Backend::postgres().await;
    let store = &backend.store;
    let mut listener = store.listen().await.unwrap().expect("a listener");
    let seeded = seeded(store).await;
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), listener.next())
        .await
        .expect("heard in time")
        .unwrap();
    assert_eq!(heard, Some(Notice::Change(seeded)));
    store.ping("node-a").await.unwrap();
    let seq = store
        .publish(
            &document(Kind::Policy, "hz.residence_permit", 2, 20),
            None,
            false,
        )
        .await
        .unwrap();
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(
            tokio::time::timeout(std::time::Duration::from_secs(5), listener.next())
                .await
                .expect("heard in time")
                .unwrap()
                .expect("a notice"),
        );
    }
    assert_eq!(
        heard,
        [Notice::Ping("node-a".to_string()), Notice::Change(seq)]
    );
    // A refused publish announces nothing: the next notice is the next ping.
    let _ = store
        .publish(
            &document(Kind::Policy, "hz.residence_permit", 2, 30),
            None,
            false,
        )
        .await
        .unwrap_err();
    store.ping("node-b").await.unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), listener.next())
        .await
        .expect("heard in time")
        .unwrap();
    assert_eq!(next, Some(Notice::Ping("node-b".to_string())));
    drop(listener);
    backend.finish().await;
}

fn submitted(version: i64, by: &str, at: i64) -> NewReview {
    NewReview {
        kind: Kind::Policy,
        id: "hz.residence_permit".to_string(),
        department: "hz.public_security".to_string(),
        version,
        title: "杭州市居住证申领".to_string(),
        source: format!("policy hz.residence_permit \"题\"\n  version {version}\n"),
        effective_from: Some("2027-01-01".to_string()),
        scenarios: Some(vec![scenario("hz.residence_permit", "03-新'引号\".toml")]),
        allow_untested: false,
        note: "改为 12 个月".to_string(),
        submitted_by: by.to_string(),
        submitted_at: at,
    }
}

async fn a_review_waits_then_its_approval_publishes_in_one_transaction(store: &Arc<dyn Store>) {
    let seeded = seeded(store).await;
    let id = store
        .submit_review(&submitted(2, "officer.wang", 20))
        .await
        .unwrap();
    let other = store
        .submit_review(&NewReview {
            department: "hz.housing_fund".into(),
            ..submitted(2, "officer.zhao", 21)
        })
        .await
        .unwrap();
    assert!(other > id);
    // A submit is no change: nothing is published.
    assert_eq!(store.latest_change().await.unwrap(), seeded);
    let review = store.review(id).await.unwrap();
    assert_eq!(
        review.submitted,
        submitted(2, "officer.wang", 20),
        "stored as given"
    );
    assert_eq!(review.status, ReviewStatus::Pending);
    assert_eq!(
        (review.reviewed_by.as_deref(), review.published_seq),
        (None, None)
    );
    let own = store
        .reviews(&ReviewQuery {
            department: Some("hz.public_security".into()),
            limit: 10,
            ..ReviewQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        own.iter().map(|r| r.review_id).collect::<Vec<_>>(),
        [id],
        "by department only"
    );
    let pending = store
        .reviews(&ReviewQuery {
            status: Some(ReviewStatus::Pending),
            subject: Some((Kind::Policy, "hz.residence_permit".into())),
            limit: 10,
            ..ReviewQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        pending.len(),
        2,
        "newest first across departments when no department is asked"
    );
    assert_eq!(pending[0].review_id, other);
    let verdict = Verdict {
        review_id: id,
        reviewer: "reviewer.li".into(),
        comment: "同意".into(),
        at: 30,
    };
    let document = Document {
        publisher: "officer.wang".into(),
        ..document(Kind::Policy, "hz.residence_permit", 2, 30)
    };
    let scenarios = review.submitted.scenarios.clone().unwrap();
    let seq = store
        .approve_review(&verdict, &document, Some(&scenarios), false)
        .await
        .unwrap();
    assert!(seq > seeded);
    let approved = store.review(id).await.unwrap();
    assert_eq!(approved.status, ReviewStatus::Approved);
    assert_eq!(approved.reviewed_by.as_deref(), Some("reviewer.li"));
    assert_eq!(approved.comment.as_deref(), Some("同意"));
    assert_eq!(approved.published_seq, Some(seq));
    let audit = store
        .audit(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    let last = audit.last().unwrap();
    assert_eq!(
        (
            last.action.as_str(),
            last.version,
            last.actor.as_str(),
            last.approver.as_deref()
        ),
        ("publish", 2, "officer.wang", Some("reviewer.li"))
    );
    assert_eq!(
        audit[0].approver, None,
        "a publish without review names no approver"
    );
    let subject = store
        .subject(Kind::Policy, "hz.residence_permit")
        .await
        .unwrap();
    assert_eq!(subject.documents.last().unwrap().version, 2);
    assert_eq!(
        subject.scenarios, scenarios,
        "the review's scenarios are the policy's now"
    );
    // The other review of the same version can no longer be published: all or nothing.
    let late = Verdict {
        review_id: other,
        ..verdict.clone()
    };
    assert!(matches!(
        store.approve_review(&late, &document, None, false).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.review(other).await.unwrap().status,
        ReviewStatus::Pending,
        "the failed approval left it pending"
    );
    assert_eq!(store.latest_change().await.unwrap(), seq);
}

async fn a_bundle_review_is_kept_by_kind(store: &Arc<dyn Store>) {
    seeded(store).await;
    let bundle = NewReview {
        kind: Kind::Bundle,
        id: "zj.new_bundle".into(),
        department: "zj.birth_one_window".into(),
        version: 1,
        title: "出生“一件事”联办".into(),
        source: "bundle zj.new_bundle \"出生\"\n".into(),
        effective_from: None,
        scenarios: None,
        ..submitted(1, "officer.chen", 20)
    };
    let id = store.submit_review(&bundle).await.unwrap();
    assert_eq!(store.review(id).await.unwrap().submitted, bundle);
    let listed = |kind: Kind| ReviewQuery {
        department: Some("zj.birth_one_window".into()),
        subject: Some((kind, "zj.new_bundle".to_string())),
        status: None,
        limit: 10,
    };
    assert_eq!(store.reviews(&listed(Kind::Bundle)).await.unwrap().len(), 1);
    assert!(
        store
            .reviews(&listed(Kind::Policy))
            .await
            .unwrap()
            .is_empty(),
        "a policy's reviews never show a bundle's"
    );
    let verdict = Verdict {
        review_id: id,
        reviewer: "reviewer.zhou".into(),
        comment: "同意".into(),
        at: 30,
    };
    let seq = store
        .approve_review(
            &verdict,
            &document(Kind::Bundle, "zj.new_bundle", 1, 30),
            None,
            true,
        )
        .await
        .unwrap();
    let approved = store.review(id).await.unwrap();
    assert_eq!(
        (approved.status, approved.published_seq),
        (ReviewStatus::Approved, Some(seq))
    );
    let subject = store.subject(Kind::Bundle, "zj.new_bundle").await.unwrap();
    assert_eq!(subject.documents.len(), 1);
}

async fn a_review_is_decided_once(store: &Arc<dyn Store>) {
    seeded(store).await;
    let id = store
        .submit_review(&submitted(2, "officer.wang", 20))
        .await
        .unwrap();
    let verdict = Verdict {
        review_id: id,
        reviewer: "reviewer.li".into(),
        comment: "请补充场景".into(),
        at: 30,
    };
    store.reject_review(&verdict).await.unwrap();
    let rejected = store.review(id).await.unwrap();
    assert_eq!(
        (rejected.status, rejected.comment.as_deref()),
        (ReviewStatus::Rejected, Some("请补充场景"))
    );
    assert!(matches!(
        store.reject_review(&verdict).await,
        Err(StoreError::Conflict(_))
    ));
    let document = document(Kind::Policy, "hz.residence_permit", 2, 30);
    assert!(matches!(
        store.approve_review(&verdict, &document, None, false).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .subject(Kind::Policy, "hz.residence_permit")
            .await
            .unwrap()
            .documents
            .len(),
        1,
        "nothing published"
    );
    assert!(matches!(
        store.review(id + 100).await,
        Err(StoreError::NotFound(_))
    ));
    let missing = Verdict {
        review_id: id + 100,
        ..verdict
    };
    assert!(matches!(
        store.reject_review(&missing).await,
        Err(StoreError::NotFound(_))
    ));
}
