//! How long after the last keystroke a diagnostic appears in the console's
//! editor, in Debian's Chromium, on a 200-rule policy: the editor's pause
//! before it checks, `POST /v1/check`, and drawing the underline and the
//! list. Measures and prints; asserts nothing about time (docs/benchmarks.md).
//!
//! `cargo run --release -p host --example console_keystroke` (needs
//! chromium and chromium-driver, as the browser tests do).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a measuring tool: it stops with its message and prints its figures"
)]

#[path = "../tests/browser/mod.rs"]
mod browser;

use browser::{Site, Viewport, repository};
use host::config::{TokenConfig, hash_token};
use serde_json::{Value, json};

const OFFICER: &str = "keystroke-officer-token";
const ROUNDS: usize = 40;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Types one character at `at` as a keystroke would (one transaction), then
/// answers the milliseconds until the page shows `text` in `#diags` (or,
/// removing it, until the error is gone): the DOM is changed then, the
/// browser paints it on its next frame.
const TYPE_AND_WAIT: &str = r#"
const [insert, at, remove, text, done] = arguments;
const view = window.yiciEditor;
const summary = document.querySelector('#check-summary');
const diags = document.querySelector('#diags');
// The 200-rule draft has warnings of its own: only the error comes and goes.
const ready = () => remove
  ? summary.textContent.includes('没有错误') && !diags.textContent.includes(text)
  : diags.textContent.includes(text);
const started = performance.now();
const observer = new MutationObserver(() => {
  if (ready()) { observer.disconnect(); done(performance.now() - started); }
});
observer.observe(document.querySelector('main'), { subtree: true, childList: true, characterData: true });
view.dispatch({ changes: remove ? { from: at, to: at + 1 } : { from: at, insert }, userEvent: remove ? 'delete' : 'input.type' });
setTimeout(() => { observer.disconnect(); done(-1 - diags.textContent.length); }, 5000);
"#;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let site = Site::start_with(|config| {
        config.tokens.push(TokenConfig {
            name: "officer".into(),
            sha256: hash_token(OFFICER),
            department: Some("hz.public_security".into()),
            platform: false,
            catalogue: false,
            reviewer: false,
        });
    })
    .await;
    let page = site.open("console-keystroke", Viewport::DESK).await;
    page.goto("/console/").await;
    page.fill("#token", OFFICER).await;
    page.click("#signin button[type=submit]").await;
    page.wait_for("a[href='#/policy/hz.residence_permit']")
        .await;
    page.click("a[href='#/policy/hz.residence_permit']").await;
    page.wait_until(
        "the first check",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;

    // The same 200-rule policy as the check endpoint's measurement (console_latency).
    let mut source =
        std::fs::read_to_string(repository().join("policies/hz-residence-permit/policy.rules"))
            .unwrap();
    for i in 0..200 {
        source.push_str(&format!(
            "\nrule extra_{i} \"附加条件{i}\" cite \"《居住证暂行条例》第九条\":\n  months_resident >= {} and applicant.first_application\n",
            i % 24
        ));
    }
    let at = source.find("applicant.hukou_city != ").unwrap() + "applicant.hukou_city".len();
    // CodeMirror counts UTF-16 units.
    let at = source[..at].encode_utf16().count();
    page.client
        .execute(
            "const v = window.yiciEditor; v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: arguments[0]}});",
            vec![json!(source)],
        )
        .await
        .unwrap();
    page.wait_until(
        "the 200-rule draft checks",
        "document.querySelector('#check-summary').textContent.includes('没有错误')",
    )
    .await;

    let mut appear = Vec::new();
    let mut go = Vec::new();
    for round in 0..ROUNDS {
        let shown: Value = page
            .client
            .execute_async(
                TYPE_AND_WAIT,
                vec![
                    json!("x"),
                    json!(at),
                    json!(false),
                    json!("applicant.hukou_cityx"),
                ],
            )
            .await
            .unwrap();
        let gone: Value = page
            .client
            .execute_async(
                TYPE_AND_WAIT,
                vec![
                    json!(""),
                    json!(at),
                    json!(true),
                    json!("applicant.hukou_cityx"),
                ],
            )
            .await
            .unwrap();
        let (shown, gone) = (shown.as_f64().unwrap(), gone.as_f64().unwrap());
        assert!(
            shown >= 0.0 && gone >= 0.0,
            "round {round}: no diagnostic change within 5 s ({shown}, {gone})"
        );
        // The first rounds warm the browser's and the service's caches.
        if round >= 5 {
            appear.push(shown);
            go.push(gone);
        }
    }
    for (what, times) in [("appears", &mut appear), ("goes", &mut go)] {
        times.sort_by(f64::total_cmp);
        println!(
            "diagnostic {what} after the keystroke, 200-rule policy, {} rounds: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            times.len(),
            percentile(times, 0.5),
            percentile(times, 0.99),
            times[times.len() - 1]
        );
    }
    site.stop(page).await;
}
