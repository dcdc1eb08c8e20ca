//! The citizen guide (`/guide/`) in Debian's Chromium at a 360×640 phone
//! viewport, as a person uses it: the residence permit from an empty
//! interview to its result, a path with "不知道" and an earlier answer
//! changed (with the earliest date a refusal of time turns), the birth
//! bundle's one interview, and the screener. Every page visited is scanned
//! with axe-core (no serious or critical violation), also in the large-text
//! and high-contrast modes. Screenshots go to `target/browser-screenshots/`.
//! The harness is `browser/mod.rs`, shared with the console's tests.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers stop the test with their message"
)]

mod browser;

use browser::{Page, Site, Viewport};

/// How a person answers a question, by its title.
#[derive(Debug, Clone, Copy)]
enum Say {
    /// A choice by its label (是, 否, an enum value's title).
    Choose(&'static str),
    /// A text, a number or an amount typed in.
    Type(&'static str),
    /// A date (`YYYY-MM-DD`).
    Date(&'static str),
}

/// Answers the interview on the page until the result shows, by title;
/// a question not in `script` is answered 不知道. Returns the titles asked.
async fn answer_until_result(page: &Page, script: &[(&str, Say)], most: usize) -> Vec<String> {
    let mut asked = Vec::new();
    loop {
        page.wait_until(
            "a question or the result",
            "document.querySelector('#verdict') || document.querySelector('form legend')",
        )
        .await;
        let done = page
            .run("return !!document.querySelector('#verdict');")
            .await;
        if done == serde_json::Value::Bool(true) {
            return asked;
        }
        let title = page.text("form legend").await;
        let progress = page.text(".progress").await;
        assert!(
            asked.len() < most,
            "more than {most} questions; asked so far: {asked:?}, now `{title}`"
        );
        match script.iter().find(|(t, _)| *t == title).map(|(_, s)| *s) {
            Some(Say::Choose(label)) => {
                let clicked = page
                    .run(&format!(
                        "const l = [...document.querySelectorAll('label.choice')].find((l) => l.textContent.trim() === {label:?});
                         if (l) {{ l.click(); return true; }} return false;"
                    ))
                    .await;
                assert_eq!(
                    clicked,
                    serde_json::Value::Bool(true),
                    "`{title}` has no choice `{label}`"
                );
                page.click("#next").await;
            }
            Some(Say::Type(text)) => {
                page.fill("form input:not([type=radio]), form textarea", text)
                    .await;
                page.click("#next").await;
            }
            Some(Say::Date(date)) => {
                page.fill("form input[type=date]", date).await;
                page.click("#next").await;
            }
            None => page.click("#unknown").await,
        }
        asked.push(title.clone());
        page.wait_until(
            &format!("the question after `{title}`"),
            &format!(
                "document.querySelector('#verdict') || document.querySelector('#question-error')?.textContent \
                 || (document.querySelector('.progress') && document.querySelector('.progress').textContent !== {progress:?})"
            ),
        )
        .await;
        let error = page
            .run("return document.querySelector('#question-error')?.textContent || '';")
            .await;
        assert_eq!(
            error,
            serde_json::Value::String(String::new()),
            "`{title}` was refused"
        );
    }
}

const RENTER: &[(&str, Say)] = &[
    ("出生日期", Say::Date("1992-05-10")),
    ("常住户口所在城市", Say::Type("宁波")),
    ("居住登记日期", Say::Date("2025-06-01")),
    ("首次申领", Say::Choose("是")),
    ("在本市拥有合法产权住房", Say::Choose("否")),
    ("在本市连续就读", Say::Choose("否")),
    ("房屋租赁合同已登记备案", Say::Choose("是")),
    ("租赁期起", Say::Date("2025-06-01")),
    ("租赁期止", Say::Date("2026-05-31")),
    ("与用人单位签订劳动合同", Say::Choose("是")),
    ("在本市连续缴纳社会保险月数", Say::Type("3")),
];

/// Home → search → the service page → the interview → 符合, with what to
/// bring, what is fetched, the timeline and the visits; large text and
/// high contrast; the printable notice.
async fn residence_permit_from_empty_to_result(page: &mut Page) {
    page.goto("/guide/?date=2026-01-15#/").await;
    page.wait_for(".card").await;
    let width = page.run("return window.innerWidth;").await;
    assert_eq!(width, serde_json::json!(360), "the phone viewport");
    page.screenshot("home").await;
    page.assert_accessible("the home page").await;
    page.fill("#search", "居住证").await;
    page.wait_until(
        "the search finds the residence permit",
        "document.querySelectorAll('#results .card').length === 1",
    )
    .await;
    page.click("#results .card").await;
    page.wait_for("#start").await;
    assert!(page.text("main").await.contains("离开常住户口所在地"));
    page.screenshot("service-page").await;
    page.assert_accessible("the residence permit's page").await;
    page.click("#start").await;
    page.wait_for("form legend").await;
    page.screenshot("first-question").await;
    page.assert_accessible("a question").await;
    let asked = answer_until_result(page, RENTER, 12).await;
    let verdict = page.text("#verdict").await;
    assert!(verdict.starts_with("符合"), "{verdict}");
    // Decided at the ninth (租赁期止); 出生日期 and 首次申领 decide only a
    // material and the fee, so they come last (host/tests/interview.rs).
    assert_eq!(asked.len(), 11, "{asked:?}");
    assert_eq!(asked[8], "租赁期止", "{asked:?}");
    assert_eq!(&asked[9..], ["出生日期", "首次申领"], "{asked:?}");
    let bring = page.text("#bring").await;
    assert!(
        bring.contains("照片") && bring.contains("劳动合同"),
        "{bring}"
    );
    let fetched = page.text("#fetched").await;
    assert!(fetched.contains("居民身份证"), "{fetched}");
    assert!(page.text("#timeline").await.contains("2026年1月30日"));
    assert!(page.text("#visits").await.contains("最多跑一次"));
    page.screenshot("result").await;
    page.assert_accessible("the result").await;
    page.click("#mode-large").await;
    page.click("#mode-contrast").await;
    page.screenshot("result-large-contrast").await;
    page.assert_accessible("the result in large text and high contrast")
        .await;
    page.click("#mode-large").await;
    page.click("#mode-contrast").await;
    // The printable notice: the print style shows its heading and hides the buttons.
    let print = page
        .run(
            "const sheet = [...document.styleSheets].find((s) => s.href && s.href.includes('guide.css'));
             return [...sheet.cssRules].some((r) => r.media && r.media.mediaText === 'print'
               && r.cssText.includes('.notice-head'));",
        )
        .await;
    assert_eq!(print, serde_json::Value::Bool(true));
    assert!(page.text("#print").await.contains("一次性告知单"));
}

/// 不知道 carried through to "若…则符合"; an earlier answer changed; a refusal
/// of time with the date it turns.
async fn dont_know_and_changed_answers(page: &mut Page) {
    page.run("sessionStorage.clear();").await;
    page.goto("/guide/?date=2026-01-15#/ask/hz.residence_permit")
        .await;
    let script: Vec<(&str, Say)> = RENTER
        .iter()
        .copied()
        .filter(|(t, _)| !["在本市拥有合法产权住房", "房屋租赁合同已登记备案"].contains(t))
        .collect();
    answer_until_result(page, &script, 12).await;
    let verdict = page.text("#verdict").await;
    assert!(verdict.starts_with("还需补充"), "{verdict}");
    assert!(
        verdict.contains("若「在本市拥有合法产权住房」为「是」，则符合"),
        "{verdict}"
    );
    page.screenshot("dont-know-result").await;
    page.assert_accessible("an undetermined result").await;
    // Change the registration date: five months before the application.
    page.goto(
        "/guide/?date=2026-01-15#/ask/hz.residence_permit?edit=applicant.residence_registered_on",
    )
    .await;
    page.wait_until(
        "the registration date is asked again",
        "document.querySelector('form legend')?.textContent === '居住登记日期'",
    )
    .await;
    page.fill("form input[type=date]", "2025-09-01").await;
    page.click("#next").await;
    // Nothing is left to ask: the result shows at once.
    page.wait_for("#verdict").await;
    let verdict = page.text("#verdict").await;
    assert!(verdict.starts_with("不符合"), "{verdict}");
    assert!(verdict.contains("居住登记满六个月"), "{verdict}");
    assert!(verdict.contains("2026年3月1日起可申请"), "{verdict}");
    page.screenshot("earliest-date").await;
    page.assert_accessible("a refusal of time").await;
}

const BIRTH: &[(&str, Say)] = &[
    ("出生日期", Say::Date("2026-03-08")),
    ("出生地点", Say::Choose("取得助产许可的医疗机构")),
    ("出生地所在省份", Say::Type("浙江")),
    ("申请类别", Say::Choose("首次签发")),
    ("已签发过出生医学证明", Say::Choose("否")),
    ("母亲户籍所在省份", Say::Type("浙江")),
    ("父亲户籍所在省份", Say::Type("浙江")),
    ("父母已登记结婚", Say::Choose("是")),
    ("申报落户方式", Say::Choose("随母亲落户")),
    ("已登记常住户口", Say::Choose("否")),
    ("已在其他统筹地区参加基本医疗保险", Say::Choose("否")),
    ("已持有有效社会保障卡", Say::Choose("否")),
    ("选择的社会保障卡合作银行", Say::Type("中国工商银行")),
    ("已办理预防接种证", Say::Choose("否")),
    ("儿童居住地所在省份", Say::Type("浙江")),
];

/// 出生一件事: one interview for five services, the merged result.
async fn birth_bundle(page: &mut Page) {
    page.goto("/guide/?date=2026-03-15#/service/zj.birth_one_thing")
        .await;
    page.wait_for("#start").await;
    page.screenshot("birth-bundle-page").await;
    page.assert_accessible("the birth bundle's page").await;
    page.click("#start").await;
    let asked = answer_until_result(page, BIRTH, 20).await;
    let mut unique = asked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        asked.len(),
        "a shared fact asked twice: {asked:?}"
    );
    // 母亲身份 is verified by the department at the window: every answer
    // qualifies, pending that check.
    let verdict = page.text("#verdict").await;
    assert!(
        verdict.starts_with("待部门核验") && verdict.contains("母亲身份已核验"),
        "{verdict}; asked {asked:?}"
    );
    let members = page.text("#members").await;
    for member in [
        "出生医学证明签发",
        "新生儿出生登记（入户）",
        "预防接种证办理",
    ] {
        assert!(members.contains(member), "{members}");
    }
    assert!(page.text("#visits").await.contains("最多跑一次"));
    page.screenshot("birth-bundle-result").await;
    page.assert_accessible("the birth bundle's result").await;
}

/// 我能办什么: one interview across every policy in force.
async fn screener(page: &mut Page) {
    page.goto("/guide/?date=2026-01-15#/").await;
    page.click("#start-screen").await;
    page.wait_for("form legend").await;
    page.screenshot("screener-question").await;
    page.assert_accessible("the screener's question").await;
    let mut script: Vec<(&str, Say)> = RENTER.to_vec();
    script.extend([
        ("户籍所在省", Say::Type("安徽")),
        ("户籍所在城市", Say::Type("合肥")),
        ("受理申请的县（市、区）", Say::Type("西湖区")),
    ]);
    // Twelve answers, then the result so far.
    for _ in 0..12 {
        let title = page.text("form legend").await;
        let progress = page.text(".progress").await;
        match script.iter().find(|(t, _)| *t == title).map(|(_, s)| *s) {
            Some(Say::Choose(label)) => {
                page.run(&format!(
                    "[...document.querySelectorAll('label.choice')].find((l) => l.textContent.trim() === {label:?})?.click();"
                ))
                .await;
                page.click("#next").await;
            }
            Some(Say::Type(text)) => {
                page.fill("form input:not([type=radio]), form textarea", text)
                    .await;
                page.click("#next").await;
            }
            Some(Say::Date(date)) => {
                page.fill("form input[type=date]", date).await;
                page.click("#next").await;
            }
            None => page.click("#unknown").await,
        }
        page.wait_until(
            "the next question",
            &format!(
                "location.hash.includes('result') || document.querySelector('#question-error')?.textContent \
                 || (document.querySelector('.progress') && document.querySelector('.progress').textContent !== {progress:?})"
            ),
        )
        .await;
        if page.run("return location.hash.includes('result');").await
            == serde_json::Value::Bool(true)
        {
            break;
        }
    }
    page.goto("/guide/?date=2026-01-15#/screen/result").await;
    page.wait_for("#eligible").await;
    let text = page.text("main").await;
    assert!(text.contains("共 17 个事项"), "{text}");
    // Born in 1992: too young for the resident pension, with the reason.
    let refused = page.text("#ineligible").await;
    assert!(
        refused.contains("城乡居民基本养老保险待遇领取") && refused.contains("原因"),
        "{refused}"
    );
    let open = page.text("#undetermined").await;
    assert!(open.contains("还需回答"), "{open}");
    page.screenshot("screener-result").await;
    page.assert_accessible("the screener's result").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_in_chromium_at_a_phone_viewport() {
    let site = Site::start().await;
    let mut page = site.open("guide", Viewport::PHONE).await;
    residence_permit_from_empty_to_result(&mut page).await;
    dont_know_and_changed_answers(&mut page).await;
    birth_bundle(&mut page).await;
    screener(&mut page).await;
    site.stop(page).await;
}
