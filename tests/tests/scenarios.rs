//! Every scenario of every shipped policy: the full decision is snapshotted
//! (insta, beside this file in `snapshots/`), and the scenario's expected
//! eligibility (and whatever else it states) is asserted.
//!
//! A tester adds `policies/<service>/scenarios/<name>.toml` and runs
//! `cargo insta test --review -p workspace-tests` (docs/testing.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rules_dsl::SourceSet;
use rules_dsl::codegen::{self, CompileOptions};

fn policies_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

fn rules_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("policies folder").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rules_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rules") {
            out.push(path);
        }
    }
}

/// Checks every shipped `.rules` file together and compiles each policy.
struct Project {
    engine: engine::Engine,
    by_folder: HashMap<PathBuf, Arc<engine::LoadedPolicy>>,
}

impl Project {
    fn load() -> Project {
        let mut files = Vec::new();
        rules_files(&policies_root(), &mut files);
        let mut sources = SourceSet::new();
        for file in &files {
            sources.add(file.display().to_string(), std::fs::read_to_string(file).expect("UTF-8 policy"));
        }
        let checked = rules_dsl::check(&sources);
        assert_eq!(checked.error_count(), 0, "{}", sources.render(&checked.diagnostics, false));
        let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
        let mut by_folder = HashMap::new();
        for (index, file) in files.iter().enumerate() {
            let Some(id) = &checked.files[index].id else { continue };
            let Some(policy) = checked.workspace.policy(id) else { continue };
            let source = sources.get(index).map(|s| s.text.as_str()).unwrap_or("");
            let options = CompileOptions { source_hash: codegen::source_hash(source), ..CompileOptions::default() };
            let artifact = codegen::compile(policy, &options).expect("compiles");
            let loaded = engine.load(&artifact.wasm).expect("loads");
            by_folder.insert(file.parent().expect("folder").canonicalize().expect("folder exists"), loaded);
        }
        Project { engine, by_folder }
    }
}

#[test]
fn scenarios() {
    let project = Project::load();
    let _ = &project.engine;
    insta::glob!("../../policies", "**/scenarios/*.toml", |path| {
        let text = std::fs::read_to_string(path).expect("scenario file");
        let scenario = host::scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let folder = path.parent().and_then(Path::parent).expect("policy folder").canonicalize().expect("exists");
        let policy = project.by_folder.get(&folder).unwrap_or_else(|| panic!("no policy for {}", path.display()));
        let decision = policy
            .evaluate(scenario.request_json().as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let actual = serde_json::to_value(&decision).expect("serialises");
        insta::assert_json_snapshot!(actual);
        let mismatches = scenario.mismatches(&actual);
        assert!(
            mismatches.is_empty(),
            "{} ({}):\n{}",
            path.display(),
            scenario.name,
            mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        );
    });
}
