//! `yici fmt`: rewrite policies in the canonical layout.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use rules_dsl::syntax::SyntaxError;
use rules_dsl::{SourceSet, words};

use super::files::{self, Contents};
use super::{FmtArgs, Output, io_failure};

pub fn run(args: &FmtArgs, output: Output) -> ExitCode {
    let paths = match files::collect(&args.paths) {
        Ok(paths) => paths,
        Err(message) => return io_failure(output, &message),
    };
    let mut unformatted = 0;
    let mut broken = 0;
    for path in &paths {
        let (text, problem) = match files::read(path) {
            Ok(Contents::Text(text)) => (text, None),
            Ok(Contents::NotUtf8 { lossy, offset }) => {
                (lossy, Some(vec![SyntaxError::InvalidUtf8 { offset }]))
            }
            Err(message) => return io_failure(output, &message),
        };
        let formatted = match problem {
            Some(errors) => Err(errors),
            None => rules_dsl::format::format(&text),
        };
        match formatted {
            Err(errors) => {
                let mut sources = SourceSet::new();
                let file = sources.add(files::display(path), text);
                let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic(file)).collect();
                eprint!("{}", output.render(&sources, &diagnostics));
                let path = files::display(path);
                eprintln!(
                    "{}",
                    output.say(&words!(
                        "无法格式化`{path}`：请先修正上面的错误",
                        "cannot format `{path}`: fix the errors above first"
                    ))
                );
                broken += 1;
            }
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                let name = files::display(path);
                if args.check {
                    println!(
                        "{}",
                        output.say(&words!("需要重新格式化 {name}", "would reformat {name}"))
                    );
                    // What would change, as a unified diff.
                    let diff = similar::TextDiff::from_lines(&text, &formatted);
                    let after = words!("{name}（格式化后）", "{name} (formatted)");
                    print!(
                        "{}",
                        diff.unified_diff()
                            .context_radius(2)
                            .header(&name, output.say(&after))
                    );
                } else if let Err(e) = write_atomically(path, &formatted) {
                    return io_failure(output, &files::cannot_write(path, &e));
                } else {
                    println!(
                        "{}",
                        output.say(&words!("已格式化 {name}", "formatted {name}"))
                    );
                }
            }
        }
    }
    if broken > 0 || (args.check && unformatted > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes beside the file and renames over it, so a failure never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".yici-fmt.tmp");
    let temporary = std::path::PathBuf::from(temporary);
    fs::write(&temporary, text)?;
    if let Ok(metadata) = fs::metadata(path) {
        let _ = fs::set_permissions(&temporary, metadata.permissions());
    }
    fs::rename(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}
