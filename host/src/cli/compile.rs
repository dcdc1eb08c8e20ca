//! `yici compile`: a checked policy → its WebAssembly artifact.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rules_dsl::codegen::{self, Artifact, CompileOptions};
use rules_dsl::{Words, words};

use super::{CompileArgs, Output, files, io_failure, workspace};

pub fn run(args: &CompileArgs, output: Output) -> ExitCode {
    let artifact = match compile_file(&args.policy, args.catalogue.as_deref(), output) {
        Ok(artifact) => artifact,
        Err(code) => return code,
    };
    let written = args
        .output
        .clone()
        .unwrap_or_else(|| args.policy.with_extension("wasm"));
    if let Err(e) = std::fs::write(&written, &artifact.wasm) {
        return io_failure(output, &files::cannot_write(&written, &e));
    }
    let (id, version) = (
        &artifact.manifest.policy.id,
        artifact.manifest.policy.version,
    );
    let (to, bytes) = (written.display(), artifact.wasm.len());
    eprintln!(
        "{}",
        output.say(&words!(
            "已将事项规则`{id}`（版本{version}）编译为 {to}（{bytes}字节）",
            "compiled policy `{id}` (version {version}) to {to} ({bytes} bytes)"
        ))
    );
    ExitCode::SUCCESS
}

/// Checks and compiles one policy file; on failure, prints why and gives the exit code.
pub fn compile_file(
    path: &Path,
    catalogue: Option<&Path>,
    output: Output,
) -> Result<Artifact, ExitCode> {
    let loaded =
        workspace::load(&[PathBuf::from(path)], catalogue).map_err(|m| io_failure(output, &m))?;
    let (rendered, errors, _) = loaded.render_requested(output);
    eprint!("{rendered}");
    let shown = path.display();
    if errors > 0 {
        eprintln!(
            "{}",
            output.say(&words!(
                "无法编译`{shown}`：请先修正上面的错误",
                "cannot compile `{shown}`: fix the errors above first"
            ))
        );
        return Err(ExitCode::from(1));
    }
    let Some(id) = loaded.checked.files.first().and_then(|f| f.id.clone()) else {
        output.error(&words!(
            "`{shown}`不是事项规则（没有`policy`行）",
            "`{shown}` is not a policy (it has no `policy` line)"
        ));
        return Err(ExitCode::from(1));
    };
    let Some(policy) = loaded.checked.workspace.policy(&id) else {
        output.error(&words!(
            "`{shown}`是一件事；请分别编译它的成员事项规则",
            "`{shown}` is a bundle; compile its member policies instead"
        ));
        return Err(ExitCode::from(1));
    };
    let source = loaded.sources.get(0).map(|s| s.text.as_str()).unwrap_or("");
    let options = CompileOptions {
        source_hash: codegen::source_hash(source),
        ..CompileOptions::default()
    };
    codegen::compile(policy, &options).map_err(|e| {
        // The code generator's own message (for developers), in English.
        output.error(&Words::same(e.to_string()));
        ExitCode::from(1)
    })
}
