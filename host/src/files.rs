//! The one directory walker: every file under a folder that a filter keeps,
//! in path order (depth first, each folder's entries by name), and every
//! folder or entry that cannot be read is an error naming it — never
//! skipped.

use std::path::{Path, PathBuf};

use rules_dsl::{Words, words};

/// Files under `root` (or `root` itself when it is a file) that `keep` accepts.
pub fn walk(root: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, Words> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|error| {
            let at = error
                .path()
                .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
            words!("无法读取`{at}`：{error}", "cannot read `{at}`: {error}")
        })?;
        if entry.file_type().is_file() && keep(entry.path()) {
            found.push(entry.into_path());
        }
    }
    Ok(found)
}

/// True for a path ending in `.extension`.
pub fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|e| e == extension)
}
