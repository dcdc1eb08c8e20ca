//! The officers' console (`/console/`, issue 15): its assets (hashed,
//! compressed, cached; the committed CodeMirror bundle matches its
//! sources), and in Debian's Chromium the officer's and the reviewer's
//! flows — sign in, open a policy, type an error and see the Chinese
//! diagnostic appear and go, build a scenario, preview the impact, submit,
//! a reviewer approves on a phone, an evaluation uses the new version —,
//! the same with the keyboard only, and an axe-core scan of every screen.
//! Screenshots go to `target/browser-screenshots/`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers stop the test with their message"
)]

mod browser;

use browser::{PLATFORM_TOKEN, Page, Site, Viewport, repository};
use fantoccini::key::Key;
use host::config::{TokenConfig, hash_token};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const OFFICER: &str = "console-officer-token";
const REVIEWER: &str = "console-reviewer-token";
const CIVIL_AFFAIRS: &str = "console-civil-affairs-token";
const BIRTH_WINDOW: &str = "console-birth-window-token";
const BIRTH_REVIEWER: &str = "console-birth-window-reviewer-token";
const POLICY: &str = "hz.residence_permit";

async fn site() -> Site {
    Site::start_with(|config| {
        config.decision_log.keep_facts = true;
        for (name, token, department, reviewer) in [
            ("officer.wang", OFFICER, "hz.public_security", false),
            ("reviewer.li", REVIEWER, "hz.public_security", true),
            (
                "officer.zhao",
                CIVIL_AFFAIRS,
                "zj.county_civil_affairs",
                false,
            ),
            ("officer.chen", BIRTH_WINDOW, "zj.birth_one_window", false),
            ("reviewer.zhou", BIRTH_REVIEWER, "zj.birth_one_window", true),
        ] {
            config.tokens.push(TokenConfig {
                name: name.into(),
                sha256: hash_token(token),
                department: Some(department.into()),
                platform: false,
                catalogue: false,
                reviewer,
            });
        }
    })
    .await
}

fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// An application to 杭州市居住证 on `date`, registered since `registered`.
fn application(date: &str, registered: &str) -> Value {
    json!({
        "application_date": date,
        "facts": {"applicant": {
            "birth_date": "1990-01-01", "hukou_city": "宁波", "residence_registered_on": registered,
            "first_application": true, "lease_filed": true,
            "lease_start": "2026-06-01", "lease_end": "2027-12-31"}},
        "shared_available": []
    })
}

async fn evaluate(site: &Site, body: &Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/policies/{POLICY}/evaluate", site.base))
        .bearer_auth(PLATFORM_TOKEN)
        .json(body)
        .send()
        .await
        .expect("the evaluation answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a decision")
}

async fn sign_in(page: &Page, token: &str) {
    page.goto("/console/").await;
    page.fill("#token", token).await;
    page.click("#signin button[type=submit]").await;
    page.wait_until(
        "signed in",
        "document.querySelector('#who').textContent.length > 0",
    )
    .await;
}

/// Replaces `from` by `to` in the editor's text (a whole-text edit, as a paste would).
async fn edit(page: &Page, from: &str, to: &str) {
    page.client
        .execute(
            "const v = window.yiciEditor; const text = v.state.doc.toString();
             const at = text.indexOf(arguments[0]); if (at < 0) throw new Error('not in the source: ' + arguments[0]);
             v.dispatch({changes: {from: at, to: at + arguments[0].length, insert: arguments[1]}});",
            vec![json!(from), json!(to)],
        )
        .await
        .expect("the editor takes the edit");
}

#[test]
fn the_committed_codemirror_bundle_matches_its_sources() {
    let dir = repository().join("host/assets/console");
    let mut inputs = Vec::new();
    for file in ["package-lock.json", "src/codemirror.js", "build.sh"] {
        inputs.extend(std::fs::read(dir.join(file)).expect("a bundle input"));
    }
    let expected = hex::encode(Sha256::digest(&inputs));
    let bundle = std::fs::read_to_string(dir.join("vendor/codemirror.js")).expect("the bundle");
    let header = bundle.lines().next().unwrap_or_default();
    assert!(
        header.contains(&format!("inputs-sha256: {expected}")),
        "vendor/codemirror.js was built from other inputs than the committed ones \
         (header: {header}); run host/assets/console/build.sh and commit the bundle"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_assets_are_hashed_compressed_and_cached() {
    let site = site().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/console/", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.unwrap();
    assert!(html.contains("政策办公台"), "{html}");
    let assets: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("assets/"))
        .collect();
    assert_eq!(assets.len(), 3, "{assets:?}");
    for asset in assets {
        let response = client
            .get(format!("{}/console/{asset}", site.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.headers()["content-encoding"], "gzip", "{asset}");
    }
    let stale = client
        .get(format!("{}/console/assets/app.000000000000.js", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
    site.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_changes_a_parameter_and_a_reviewer_approves_it_on_a_phone() {
    let site = site().await;
    // Logged applications of 2027 whose facts were kept: the impact replays them.
    for registered in ["2026-06-01", "2026-07-01", "2025-01-01"] {
        evaluate(&site, &application("2027-03-01", registered)).await;
    }
    let mut page = site.open("console-flow", Viewport::DESK).await;
    page.goto("/console/").await;
    page.wait_for("#token").await;
    page.assert_accessible("the sign-in page").await;
    page.screenshot("sign-in").await;
    sign_in(&page, OFFICER).await;
    assert!(page.text("#who").await.contains("hz.public_security"));
    page.wait_for("a[href='#/policy/hz.residence_permit']")
        .await;
    page.assert_accessible("the home page").await;
    page.screenshot("home").await;

    page.click("a[href='#/policy/hz.residence_permit']").await;
    page.wait_for(".cm-content").await;
    page.wait_until(
        "the first check",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    page.wait_until(
        "the scenarios ran",
        "document.querySelector('#scen-summary').textContent.includes('通过')",
    )
    .await;
    // Type an error at the end of a fact's name: the Chinese diagnostic appears …
    page.run("const v = window.yiciEditor; const at = v.state.doc.toString().indexOf('applicant.hukou_city != ') + 'applicant.hukou_city'.length; v.dispatch({selection: {anchor: at}}); v.focus();").await;
    page.keys("x").await;
    page.wait_until(
        "the diagnostic appears",
        "document.querySelector('#diags').textContent.includes('applicant.hukou_cityx')",
    )
    .await;
    let diagnostic = page.text("#diags li").await;
    assert!(diagnostic.contains("第"), "{diagnostic}");
    assert!(
        diagnostic
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "the diagnostic is in Chinese: {diagnostic}"
    );
    page.wait_for(".cm-lintRange-error").await;
    page.run("window.yiciEditor.dispatch({effects: []}); document.querySelector('#diags').scrollIntoView({block: 'end'});").await;
    page.screenshot("diagnostic").await;
    // … and goes when it is fixed.
    page.keys(&key(Key::Backspace)).await;
    page.wait_until("the diagnostic goes", "document.querySelector('#check-summary').textContent.includes('没有错误') && document.querySelectorAll('#diags li').length === 0").await;

    // The change: 12 months of residence registration from 2027, as version 3.
    edit(&page, "version 2", "version 3").await;
    edit(
        &page,
        "  from 2016-01-01 = 6\n",
        "  from 2016-01-01 = 6\n  from 2027-01-01 = 12\n",
    )
    .await;
    page.wait_until(
        "the draft checks",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    page.wait_until("every scenario passes", "/ 0 个失败/.test(document.querySelector('#scen-summary').textContent) || document.querySelector('#scen-summary').textContent.includes('，0 个失败')").await;

    // A scenario built from the form: registered nine months before an application in 2027.
    page.click("#builder-box summary").await;
    page.fill("#b-date", "2027-03-01").await;
    for (field, value) in [
        ("#f-applicant_birth_date", "1990-01-01"),
        ("#f-applicant_hukou_city", "宁波"),
        ("#f-applicant_residence_registered_on", "2026-06-01"),
        ("#f-applicant_first_application", "true"),
        ("#f-applicant_lease_filed", "true"),
        ("#f-applicant_lease_start", "2026-06-01"),
        ("#f-applicant_lease_end", "2027-12-31"),
    ] {
        page.fill(field, value).await;
    }
    page.click("#builder-form button[type=submit]").await;
    page.wait_until(
        "the citizen's decision",
        "document.querySelector('#citizen').textContent.includes('不符合条件')",
    )
    .await;
    assert!(page.text("#citizen").await.contains("居住登记满六个月"));
    page.screenshot("scenario-builder").await;
    page.fill("#scenario-name", "登记九个月、2027 年申请：不符合")
        .await;
    page.click("#save-scenario").await;
    page.wait_until(
        "the saved scenario runs",
        "document.querySelector('#scenarios').textContent.includes('登记九个月')",
    )
    .await;
    page.wait_until(
        "every scenario passes, the new one too",
        "document.querySelector('#scen-summary').textContent.includes('19 个通过')",
    )
    .await;
    // Registered two years before: eligible, with the materials by source
    // and the steps with departments and due dates as a timeline.
    page.fill("#b-date", "2026-03-02").await;
    page.fill("#f-applicant_residence_registered_on", "2025-01-01")
        .await;
    page.click("#builder-form button[type=submit]").await;
    page.wait_until(
        "an eligible decision",
        "document.querySelector('#citizen .timeline') !== null",
    )
    .await;
    let citizen = page.text("#citizen").await;
    assert!(
        citizen.contains("符合条件")
            && citizen.contains("杭州市公安局")
            && citizen.contains("前办结"),
        "{citizen}"
    );
    page.run("document.querySelector('#toast').textContent = ''; document.querySelector('#citizen').scrollIntoView();").await;
    page.screenshot("citizen-decision").await;

    page.click("#preview").await;
    page.wait_until(
        "the impact",
        "document.querySelector('#impact').textContent.includes('将新被拒绝')",
    )
    .await;
    let impact = page.text("#impact").await;
    assert!(
        impact.contains("申请中 2 份将新被拒绝：规则 registered_half_year"),
        "{impact}"
    );
    page.assert_accessible("the policy page").await;
    page.run("document.querySelector('#toast').textContent = ''; window.scrollTo(0, document.querySelector('#impact').getBoundingClientRect().top + window.scrollY - 120);").await;
    page.screenshot("impact").await;

    page.fill("#note", "2027 年起居住登记最短月数改为 12 个月")
        .await;
    page.click("#submit").await;
    page.wait_until(
        "submitted",
        "document.querySelector('#submit-result').textContent.includes('已提交审核')",
    )
    .await;
    page.screenshot("submitted").await;
    // Nothing is published before the review.
    let before = evaluate(&site, &application("2027-03-01", "2026-06-01")).await;
    assert_eq!(before["policy"]["version"], 2);
    assert_eq!(before["eligibility"], "eligible");
    page.click("#signout").await;
    page.wait_for("#token").await;

    // The reviewer, on a phone.
    let mut phone = site.open("console-review-phone", Viewport::PHONE).await;
    sign_in(&phone, REVIEWER).await;
    phone.goto("/console/#/reviews").await;
    phone.click("a[href^='#/review/']").await;
    phone.wait_for("#verdict").await;
    assert!(
        phone
            .text(".diff")
            .await
            .contains("+  from 2027-01-01 = 12")
    );
    assert!(phone.text("main").await.contains("将新被拒绝"));
    phone
        .assert_accessible("the review screen at 360×640")
        .await;
    let width: Value = phone
        .run("return document.documentElement.scrollWidth;")
        .await;
    assert!(
        width.as_i64().unwrap_or(9999) <= 360,
        "the review screen scrolls sideways at 360 px: {width}"
    );
    phone.screenshot("review").await;
    phone.fill("#comment", "同意，按新条件执行").await;
    phone.click("#approve").await;
    phone
        .wait_until(
            "approved",
            "document.querySelector('#verdict-result').textContent.includes('已批准')",
        )
        .await;
    phone.screenshot("approved").await;

    // The next evaluation uses version 3.
    let after = evaluate(&site, &application("2027-03-01", "2026-06-01")).await;
    assert_eq!(after["policy"]["version"], 3);
    assert_eq!(after["eligibility"], "ineligible");
    // The audit names the publisher and the approver.
    let detail: Value = reqwest::Client::new()
        .get(format!("{}/v1/policies/{POLICY}", site.base))
        .bearer_auth(OFFICER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = detail["audit"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "officer.wang");
    assert_eq!(last["approver"], "reviewer.li");

    // The decision log browser opens a decision and replays it against a draft.
    page.goto("/console/").await;
    sign_in(&page, OFFICER).await;
    page.goto("/console/#/decisions").await;
    page.wait_for("#log .open").await;
    page.fill("#d-outcome", "ineligible").await;
    page.click("#filter button[type=submit]").await;
    page.wait_until("filtered", "[...document.querySelectorAll('#log tbody tr')].length >= 1 && [...document.querySelectorAll('#log tbody td:nth-child(5)')].every((td) => td.textContent === '不符合条件')").await;
    // A draft of the service kept in the tab (here: the shipped version 2's
    // rules) replays the refused application: under it, eligible.
    let shipped =
        std::fs::read_to_string(repository().join("policies/hz-residence-permit/policy.rules"))
            .unwrap();
    page.client
        .execute(
            "sessionStorage.setItem('yici.console.draft.hz.residence_permit', arguments[0]);",
            vec![json!(shipped)],
        )
        .await
        .unwrap();
    page.click("#log .open").await;
    page.wait_for("#log-detail details").await;
    page.click("#replay").await;
    page.wait_until(
        "the replay",
        "document.querySelector('#replayed').textContent.includes('草稿结果：符合条件')",
    )
    .await;
    page.assert_accessible("the decision log").await;
    page.screenshot("decisions").await;
    phone.close().await;
    site.stop(page).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_flow_with_the_keyboard_only() {
    let site = site().await;
    let mut page = site.open("console-keyboard", Viewport::DESK).await;
    page.goto("/console/").await;
    page.wait_for("#token").await;
    // The token field has the focus; Enter signs in.
    page.keys(&format!("{OFFICER}{}", key(Key::Enter))).await;
    page.wait_for("a[href='#/policy/hz.residence_permit']")
        .await;
    page.tab_to("a[href='#/policy/hz.residence_permit']").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_for(".cm-content").await;
    page.wait_until(
        "the first check",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    page.tab_to(".cm-content").await;
    // To line 7 (`version 2`): an error first, then version 3.
    let ctrl_home = format!("{}{}{}", key(Key::Control), key(Key::Home), key(Key::Null));
    page.keys(&ctrl_home).await;
    page.keys(&key(Key::Down).repeat(6)).await;
    page.keys(&key(Key::End)).await;
    page.keys("x").await;
    page.wait_until("the diagnostic appears", "document.querySelector('#check-summary').textContent.includes('错误') && !document.querySelector('#check-summary').textContent.includes('没有错误')").await;
    page.screenshot("keyboard-diagnostic").await;
    page.keys(&key(Key::Backspace).repeat(2)).await;
    page.keys("3").await;
    page.wait_until(
        "the draft checks",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    page.tab_to("#note").await;
    page.keys("只改版本号（键盘测试）").await;
    page.tab_to("#submit").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_until(
        "submitted",
        "document.querySelector('#submit-result').textContent.includes('已提交审核')",
    )
    .await;
    page.tab_to("#signout").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_for("#token").await;

    page.keys(&format!("{REVIEWER}{}", key(Key::Enter))).await;
    page.wait_until(
        "the reviewer is signed in",
        "document.querySelector('#who').textContent.includes('reviewer.li')",
    )
    .await;
    page.tab_to("#nav a[href='#/reviews']").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_for("a[href^='#/review/']").await;
    page.tab_to("a[href^='#/review/']").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_for("#comment").await;
    page.tab_to("#comment").await;
    page.keys("同意").await;
    page.tab_to("#approve").await;
    page.keys(&key(Key::Enter)).await;
    page.wait_until(
        "approved",
        "document.querySelector('#verdict-result').textContent.includes('已批准')",
    )
    .await;
    page.screenshot("keyboard-approved").await;
    let decision = evaluate(&site, &application("2026-03-01", "2025-06-01")).await;
    assert_eq!(decision["policy"]["version"], 3);
    site.stop(page).await;
}

/// The scenario builder asks for a household's members one record at a
/// time, and the scenario it saves (`[[facts.household.members]]`) passes;
/// a bundle's lead department edits the bundle, submits it, and its
/// reviewer approves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_in_the_builder_and_a_bundle_through_review() {
    let site = site().await;
    let mut page = site.open("console-household", Viewport::DESK).await;
    sign_in(&page, CIVIL_AFFAIRS).await;
    page.click("a[href='#/policy/zj.minimum_living_allowance']")
        .await;
    page.wait_until(
        "the scenarios ran",
        "/，0 个失败/.test(document.querySelector('#scen-summary').textContent)",
    )
    .await;
    let stored: Value = page
        .run("return Number(document.querySelector('#scen-summary .pass').textContent.match(/\\d+/)[0]);")
        .await;
    let stored = stored.as_i64().expect("a count of passed scenarios");
    page.click("#builder-box summary").await;
    page.fill("#b-date", "2024-08-01").await;
    for (field, value) in [
        ("#f-applicant_hukou_province", "浙江"),
        ("#f-applicant_hukou_county", "淳安县"),
        ("#f-application_county", "淳安县"),
        ("#f-household_support_received", "0.00"),
        ("#f-household_deposits", "20000.00"),
        ("#f-household_vehicles", "0"),
        ("#f-household_homes", "1"),
    ] {
        page.fill(field, value).await;
    }
    // Two members, then the second removed: one record is left, numbered 1.
    page.click("[data-list='household.members'] .add-record")
        .await;
    page.fill("#f-household_members-1-relation", "self").await;
    page.fill("#f-household_members-1-monthly_income", "1000.00")
        .await;
    page.fill("#f-household_members-1-disabled", "false").await;
    page.click("[data-list='household.members'] .add-record")
        .await;
    page.fill("#f-household_members-2-relation", "spouse").await;
    page.click("[data-list='household.members'] .record:nth-child(2) .remove-record")
        .await;
    assert_eq!(
        page.run(
            "return document.querySelectorAll('[data-list=\"household.members\"] .record').length;"
        )
        .await,
        json!(1)
    );
    page.click("#builder-form button[type=submit]").await;
    page.wait_until(
        "the citizen's decision",
        "document.querySelector('#citizen h3') !== null",
    )
    .await;
    let citizen = page.text("#citizen").await;
    assert!(citizen.contains("判定结果：符合条件"), "{citizen}");
    page.assert_accessible("the builder with a household").await;
    page.run("document.querySelector('#toast').textContent = ''; document.querySelector('[data-list=\"household.members\"]').scrollIntoView();").await;
    page.screenshot("household-builder").await;
    page.fill("#scenario-name", "淳安县单人户（控制台）").await;
    page.click("#save-scenario").await;
    page.wait_until(
        "the saved scenario passes",
        &format!(
            "document.querySelector('#scen-summary').textContent.includes('{} 个通过，0 个失败')",
            stored + 1
        ),
    )
    .await;
    page.click("#signout").await;
    page.wait_for("#token").await;

    // The bundle's lead department.
    sign_in(&page, BIRTH_WINDOW).await;
    page.click("a[href='#/bundle/zj.birth_one_thing']").await;
    page.wait_until(
        "the bundle checks",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    edit(&page, "出生“一件事”联办\"", "出生“一件事”联办（新版）\"").await;
    page.wait_until(
        "the draft checks",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;
    page.assert_accessible("the bundle page").await;
    page.screenshot("bundle").await;
    page.fill("#note", "更名").await;
    page.click("#submit").await;
    page.wait_until(
        "submitted",
        "document.querySelector('#submit-result').textContent.includes('已提交审核')",
    )
    .await;
    page.click("#signout").await;
    page.wait_for("#token").await;
    sign_in(&page, BIRTH_REVIEWER).await;
    page.goto("/console/#/reviews").await;
    page.click("a[href^='#/review/']").await;
    page.wait_for("#verdict").await;
    page.wait_until(
        "the bundle's scenarios ran",
        "document.querySelector('main').textContent.includes('全部通过')",
    )
    .await;
    assert!(page.text("main").await.contains("一件事（联办）的新版本"));
    assert!(page.text(".diff").await.contains("（新版）"));
    page.fill("#comment", "同意").await;
    page.click("#approve").await;
    page.wait_until(
        "approved",
        "document.querySelector('#verdict-result').textContent.includes('已批准')",
    )
    .await;
    // Version 2 is in force; version 1, still active, is superseded.
    page.goto("/console/#/bundle/zj.birth_one_thing").await;
    page.wait_until(
        "the bundle's versions",
        "document.querySelector('main').textContent.includes('已被取代')",
    )
    .await;
    assert!(page.text("h1").await.contains("（新版）"));
    let bundle: Value = reqwest::Client::new()
        .get(format!("{}/v1/bundles/zj.birth_one_thing", site.base))
        .bearer_auth(PLATFORM_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bundle["title"], "出生“一件事”联办（新版）", "{bundle}");
    let last = bundle["audit"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "officer.chen");
    assert_eq!(last["approver"], "reviewer.zhou");
    site.stop(page).await;
}
