//! The `yici` command line end to end: exit codes, messages (in Chinese by
//! default, in English with `--lang en` or `YICI_LANG=en`) and bad input.

#![allow(
    clippy::expect_used,
    reason = "test helpers stop the test with their message"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn yici(args: &[&str], dir: &Path) -> Output {
    yici_with(args, dir, None)
}

/// `yici` with `YICI_LANG` set to `lang`, or unset (whatever the caller's
/// environment says).
fn yici_with(args: &[&str], dir: &Path, lang: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yici"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("YICI_LANG");
    if let Some(lang) = lang {
        command.env("YICI_LANG", lang);
    }
    command.output().expect("runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch folder with the shipped catalogue in it.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yici-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(
        repository().join("policies/catalogue.rules"),
        dir.join("catalogue.rules"),
    )
    .expect("catalogue");
    dir
}

const GOOD: &str = "policy t.good \"测试\"\n  department hz.public_security\n  basis \"《测试》\"\n\nfacts {\n  applicant.age: int\n}\n\nrule adult \"成年\" cite \"第一条\":\n  applicant.age >= 18\n\neligible when adult\n";

#[test]
fn check_exit_codes() {
    let dir = scratch("check");
    std::fs::write(dir.join("good.rules"), GOOD).expect("write");
    std::fs::write(
        dir.join("bad.rules"),
        GOOD.replace("applicant.age >= 18", "applicant.agee >= 18"),
    )
    .expect("write");
    let clean = yici(&["check", "good.rules"], &dir);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(
        stderr(&clean).contains("已检查 1 个文件：0 个错误，0 个警告"),
        "{}",
        stderr(&clean)
    );
    let broken = yici(&["check", "bad.rules"], &dir);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("error[E0204]: 未定义的名称 `applicant.agee`"),
        "{}",
        stderr(&broken)
    );
    assert!(stderr(&broken).contains("提示：是否应为 `applicant.age`？"));
    let missing = yici(&["check", "nowhere.rules"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("错误：无法读取 `nowhere.rules`"),
        "{}",
        stderr(&missing)
    );
    let usage = yici(&["check"], &dir);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn english_on_request_by_flag_or_environment() {
    let dir = scratch("lang");
    std::fs::write(
        dir.join("bad.rules"),
        GOOD.replace("applicant.age >= 18", "applicant.agee >= 18"),
    )
    .expect("write");
    for output in [
        yici(&["check", "--lang", "en", "bad.rules"], &dir),
        yici(&["--lang", "EN", "check", "bad.rules"], &dir),
        yici_with(&["check", "bad.rules"], &dir, Some("en")),
    ] {
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains("error[E0204]: unknown name `applicant.agee`"),
            "{text}"
        );
        assert!(
            text.contains("help: did you mean `applicant.age`?"),
            "{text}"
        );
        assert!(
            text.contains("checked 1 file: 1 error, 0 warnings"),
            "{text}"
        );
    }
    // The flag wins over the environment.
    let chinese = yici_with(&["check", "--lang", "zh", "bad.rules"], &dir, Some("en"));
    assert!(
        stderr(&chinese).contains("未定义的名称"),
        "{}",
        stderr(&chinese)
    );
    let missing = yici(&["check", "--lang", "en", "nowhere.rules"], &dir);
    assert!(
        stderr(&missing).contains("error: cannot read `nowhere.rules`"),
        "{}",
        stderr(&missing)
    );
    // An unknown language is a usage mistake that names it, in both languages.
    for output in [
        yici(&["check", "--lang", "fr", "bad.rules"], &dir),
        yici_with(&["check", "bad.rules"], &dir, Some("fr")),
    ] {
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(text.contains("不支持的语言 `fr`"), "{text}");
        assert!(text.contains("unknown language `fr`"), "{text}");
    }
}

#[test]
fn the_shipped_policies_check_without_warnings() {
    let output = yici(&["check", "--deny-warnings", "policies"], &repository());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn bad_files_get_a_diagnostic_and_exit_1() {
    let dir = scratch("bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "gbk.rules",
            b"policy t.x \"\xb2\xe2\xca\xd4\"\n".to_vec(),
            "E0100",
        ),
        ("empty.rules", Vec::new(), "E0101"),
        (
            "unterminated.rules",
            b"policy t.x \"title\n  department hz.public_security\n".to_vec(),
            "E0103",
        ),
        (
            "cycle.rules",
            GOOD.replace("applicant.age >= 18", "adult and applicant.age >= 18")
                .into_bytes(),
            "E0206",
        ),
        (
            "parens.rules",
            GOOD.replace("applicant.age >= 18", &"(".repeat(10 * 1024 * 1024))
                .into_bytes(),
            "E0105",
        ),
    ];
    for (name, bytes, code) in cases {
        std::fs::write(dir.join(name), bytes).expect("write");
        let output = yici(&["check", name], &dir);
        assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(&format!("[{code}]")),
            "{name}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn fmt_check_and_write() {
    let dir = scratch("fmt");
    let messy = GOOD
        .replace("  applicant.age >= 18", "      applicant.age>=18")
        .replace("eligible when adult", "eligible   when adult");
    std::fs::write(dir.join("messy.rules"), &messy).expect("write");
    let check = yici(&["fmt", "--check", "messy.rules"], &dir);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("需要重新格式化 messy.rules"),
        "{}",
        stdout(&check)
    );
    let english = yici(&["fmt", "--check", "--lang", "en", "messy.rules"], &dir);
    assert!(stdout(&english).contains("would reformat messy.rules"));
    // The diff shows what would change.
    assert!(
        stdout(&check).contains("-      applicant.age>=18\n+  applicant.age >= 18"),
        "{}",
        stdout(&check)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.rules")).expect("read"),
        messy,
        "--check writes nothing"
    );
    let write = yici(&["fmt", "messy.rules"], &dir);
    assert_eq!(write.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.rules")).expect("read"),
        GOOD
    );
    assert_eq!(
        yici(&["fmt", "--check", "messy.rules"], &dir).status.code(),
        Some(0)
    );
    std::fs::write(
        dir.join("broken.rules"),
        "policy t.x \"t\"\nrule a \"b\": (1 +\n",
    )
    .expect("write");
    let broken = yici(&["fmt", "broken.rules"], &dir);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("无法格式化 `broken.rules`：请先修正上面的错误"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn compile_then_eval() {
    let dir = scratch("eval");
    std::fs::write(dir.join("good.rules"), GOOD).expect("write");
    let compiled = yici(&["compile", "good.rules", "-o", "good.wasm"], &dir);
    assert_eq!(compiled.status.code(), Some(0), "{}", stderr(&compiled));
    assert!(dir.join("good.wasm").is_file());
    std::fs::write(dir.join("adult.json"), r#"{"applicant": {"age": 30}}"#).expect("write");
    for policy in ["good.wasm", "good.rules"] {
        let output = yici(
            &[
                "eval",
                policy,
                "--facts",
                "adult.json",
                "--date",
                "2026-01-01",
            ],
            &dir,
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let decision: serde_json::Value =
            serde_json::from_str(&stdout(&output)).expect("JSON decision");
        assert_eq!(decision["eligibility"], "eligible");
        assert_eq!(decision["policy"]["id"], "t.good");
        assert_eq!(decision["application_date"], "2026-01-01");
    }
    std::fs::write(
        dir.join("wrong.json"),
        r#"{"applicant": {"age": "thirty"}}"#,
    )
    .expect("write");
    let wrong = yici(
        &[
            "eval",
            "good.wasm",
            "--facts",
            "wrong.json",
            "--date",
            "2026-01-01",
        ],
        &dir,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("facts.applicant.age"),
        "{}",
        stderr(&wrong)
    );
    std::fs::write(dir.join("typo.json"), r#"{"applicant": {"agee": 30}}"#).expect("write");
    let typo = yici(
        &[
            "eval",
            "good.wasm",
            "--facts",
            "typo.json",
            "--date",
            "2026-01-01",
        ],
        &dir,
    );
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        stderr(&typo).contains("是否应为 `applicant.age`？"),
        "{}",
        stderr(&typo)
    );
    let bad_date = yici(
        &[
            "eval",
            "good.wasm",
            "--facts",
            "adult.json",
            "--date",
            "2026-02-30",
        ],
        &dir,
    );
    assert_eq!(bad_date.status.code(), Some(1));
    let not_json = yici(
        &[
            "eval",
            "good.wasm",
            "--facts",
            "good.rules",
            "--date",
            "2026-01-01",
        ],
        &dir,
    );
    assert_eq!(not_json.status.code(), Some(1));
    // The engine's refusal, in Chinese by default.
    assert!(
        stderr(&not_json).contains("错误：请求不是有效的 JSON"),
        "{}",
        stderr(&not_json)
    );
}

#[test]
fn test_runs_past_a_broken_sibling_and_shows_each_rule_of_a_failed_scenario() {
    let dir = scratch("test");
    for (folder, source) in [
        ("good", GOOD),
        // A draft with an error, beside the good policy.
        (
            "draft",
            "policy t.draft \"草稿\"\n  department hz.public_security\n  basis \"《测试》\"\n\nfacts {\n  applicant.age: int\n}\n\nrule adult \"成年\" cite \"第一条\":\n  applicant.agee >= 18\n\neligible when adult\n",
        ),
    ] {
        std::fs::create_dir_all(dir.join(folder).join("scenarios")).expect("folder");
        std::fs::write(dir.join(folder).join("policy.rules"), source).expect("write");
    }
    let scenario = |eligibility: &str| {
        format!(
            "name = \"三十岁\"\napplication_date = 2026-01-01\n\n[expect]\neligibility = \"{eligibility}\"\n\n[facts.applicant]\nage = 30\n"
        )
    };
    std::fs::write(dir.join("good/scenarios/adult.toml"), scenario("eligible")).expect("write");
    std::fs::write(
        dir.join("good/scenarios/wrong_expectation.toml"),
        scenario("ineligible"),
    )
    .expect("write");
    std::fs::write(dir.join("draft/scenarios/adult.toml"), scenario("eligible")).expect("write");

    // The good folder alone: its scenarios run although the draft is broken.
    let good = yici(&["test", "good"], &dir);
    assert_eq!(good.status.code(), Some(1), "{}", stdout(&good));
    assert!(
        stderr(&good).contains("applicant.agee"),
        "{}",
        stderr(&good)
    );
    assert!(
        stderr(&good).contains("其余场景照常运行"),
        "{}",
        stderr(&good)
    );
    let out = stdout(&good);
    assert!(out.contains("1 个通过，1 个未通过"), "{out}");
    assert!(
        out.contains("未通过 good/scenarios/wrong_expectation.toml"),
        "{out}"
    );
    assert!(out.contains("- 预期：\"ineligible\""), "{out}");
    // The failed scenario says which rule went which way, on what values.
    assert!(
        out.contains("adult = true（读取：applicant.age = 30）"),
        "{out}"
    );
    let english = stdout(&yici(&["test", "--lang", "en", "good"], &dir));
    assert!(english.contains("1 passed, 1 failed"), "{english}");
    assert!(
        english.contains("adult = true (read: applicant.age = 30)"),
        "{english}"
    );

    // The draft's own scenario fails, naming why.
    let draft = yici(&["test", "draft"], &dir);
    assert_eq!(draft.status.code(), Some(1));
    assert!(stdout(&draft).contains("未能构建"), "{}", stdout(&draft));
}
