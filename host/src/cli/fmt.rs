//! `yici fmt`: rewrite policies in the canonical layout.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use rules_dsl::SourceSet;
use rules_dsl::syntax::SyntaxError;

use super::files::{self, Contents};
use super::{FmtArgs, io_failure};

pub fn run(args: &FmtArgs, color: bool) -> ExitCode {
    let paths = match files::collect(&args.paths) {
        Ok(paths) => paths,
        Err(message) => return io_failure(&message),
    };
    let mut unformatted = 0;
    let mut broken = 0;
    for path in &paths {
        let (text, problem) = match files::read(path) {
            Ok(Contents::Text(text)) => (text, None),
            Ok(Contents::NotUtf8 { lossy, offset }) => {
                (lossy, Some(vec![SyntaxError::InvalidUtf8 { offset }]))
            }
            Err(message) => return io_failure(&message),
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
                eprint!(
                    "{}",
                    sources.render(&diagnostics, color, rules_dsl::Lang::En)
                );
                eprintln!(
                    "cannot format `{}`: fix the errors above first",
                    files::display(path)
                );
                broken += 1;
            }
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                unformatted += 1;
                if args.check {
                    println!("would reformat {}", files::display(path));
                    // What would change, as a unified diff.
                    let name = files::display(path);
                    let diff = similar::TextDiff::from_lines(&text, &formatted);
                    print!(
                        "{}",
                        diff.unified_diff()
                            .context_radius(2)
                            .header(&name, &format!("{name} (formatted)"))
                    );
                } else if let Err(e) = write_atomically(path, &formatted) {
                    return io_failure(&format!("cannot write `{}`: {e}", path.display()));
                } else {
                    println!("formatted {}", files::display(path));
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
