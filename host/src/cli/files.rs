//! Finding and reading `.rules` files.

use std::fs;
use std::path::{Path, PathBuf};

use rules_dsl::{Words, words};

/// The name of the catalogue file searched for next to and above the paths.
pub const CATALOGUE_FILE: &str = "catalogue.rules";

/// Expands files and folders into `.rules` files, sorted within each folder.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Words> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|e| cannot_read(path, &e))?;
        if metadata.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), Words> {
    files.extend(host::files::walk(dir, |p| {
        host::files::has_extension(p, "rules")
    })?);
    Ok(())
}

/// The folder that holds `path`. A bare file name (`policy.rules`) has the
/// empty path as its parent, which names no folder: it is in `.`.
pub fn folder_of(path: &Path) -> Option<PathBuf> {
    match path.parent()? {
        parent if parent.as_os_str().is_empty() => Some(PathBuf::from(".")),
        parent => Some(parent.to_path_buf()),
    }
}

/// The nearest `catalogue.rules` in the folder of `path` or above it.
pub fn find_catalogue(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() {
        path.to_path_buf()
    } else {
        folder_of(path)?
    };
    let start = fs::canonicalize(&start).unwrap_or(start);
    start
        .ancestors()
        .map(|dir| dir.join(CATALOGUE_FILE))
        .find(|candidate| candidate.is_file())
}

/// A file's text, or the offset of its first byte that is not UTF-8.
pub enum Contents {
    Text(String),
    NotUtf8 { lossy: String, offset: usize },
}

/// "cannot read `path`: why" (the reason is the system's, in English).
pub fn cannot_read(path: &Path, error: &dyn std::fmt::Display) -> Words {
    let path = path.display();
    words!("无法读取`{path}`：{error}", "cannot read `{path}`: {error}")
}

/// `--catalogue` names a file that is not there.
pub fn no_catalogue_file(path: &Path) -> Words {
    let path = path.display();
    words!(
        "无法读取目录`{path}`：文件不存在",
        "cannot read catalogue `{path}`: no such file"
    )
}

/// "cannot write `path`: why".
pub fn cannot_write(path: &Path, error: &dyn std::fmt::Display) -> Words {
    let path = path.display();
    words!(
        "无法写入`{path}`：{error}",
        "cannot write `{path}`: {error}"
    )
}

pub fn read(path: &Path) -> Result<Contents, Words> {
    let bytes = fs::read(path).map_err(|e| cannot_read(path, &e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Contents::Text(text)),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            Ok(Contents::NotUtf8 {
                lossy: String::from_utf8_lossy(error.as_bytes()).into_owned(),
                offset,
            })
        }
    }
}

/// Shows paths relative to the working folder when they are under it.
pub fn display(path: &Path) -> String {
    let current = std::env::current_dir()
        .ok()
        .and_then(|d| fs::canonicalize(d).ok());
    let absolute = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    match current.as_ref().and_then(|c| absolute.strip_prefix(c).ok()) {
        Some(relative) => relative.display().to_string(),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_in_the_current_folder() {
        assert_eq!(
            folder_of(Path::new("policy.rules")),
            Some(PathBuf::from("."))
        );
        assert_eq!(
            folder_of(Path::new("policies/policy.rules")),
            Some(PathBuf::from("policies"))
        );
        assert_eq!(folder_of(Path::new("/")), None);
    }
}
