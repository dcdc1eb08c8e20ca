//! `yici compile`: a checked policy → its WebAssembly artifact.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rules_dsl::codegen::{self, Artifact, CompileOptions};

use super::{CompileArgs, io_failure, workspace};

pub fn run(args: &CompileArgs, color: bool) -> ExitCode {
    let artifact = match compile_file(&args.policy, args.catalogue.as_deref(), color) {
        Ok(artifact) => artifact,
        Err(code) => return code,
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.policy.with_extension("wasm"));
    if let Err(e) = std::fs::write(&output, &artifact.wasm) {
        return io_failure(&format!("cannot write `{}`: {e}", output.display()));
    }
    eprintln!(
        "compiled policy `{}` (version {}) to {} ({} bytes)",
        artifact.manifest.policy.id,
        artifact.manifest.policy.version,
        output.display(),
        artifact.wasm.len()
    );
    ExitCode::SUCCESS
}

/// Checks and compiles one policy file; on failure, prints why and gives the exit code.
pub fn compile_file(
    path: &Path,
    catalogue: Option<&Path>,
    color: bool,
) -> Result<Artifact, ExitCode> {
    let loaded = workspace::load(&[PathBuf::from(path)], catalogue).map_err(|m| io_failure(&m))?;
    let (rendered, errors, _) = loaded.render_requested(color);
    eprint!("{rendered}");
    if errors > 0 {
        eprintln!(
            "cannot compile `{}`: fix the errors above first",
            path.display()
        );
        return Err(ExitCode::from(1));
    }
    let Some(id) = loaded.checked.files.first().and_then(|f| f.id.clone()) else {
        eprintln!(
            "error: `{}` is not a policy (it has no `policy` line)",
            path.display()
        );
        return Err(ExitCode::from(1));
    };
    let Some(policy) = loaded.checked.workspace.policy(&id) else {
        eprintln!(
            "error: `{}` is a bundle; compile its member policies instead",
            path.display()
        );
        return Err(ExitCode::from(1));
    };
    let source = loaded.sources.get(0).map(|s| s.text.as_str()).unwrap_or("");
    let options = CompileOptions {
        source_hash: codegen::source_hash(source),
        ..CompileOptions::default()
    };
    codegen::compile(policy, &options).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(1)
    })
}
