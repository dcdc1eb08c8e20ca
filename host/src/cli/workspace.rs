//! Reading a set of policy files with their context (the catalogue and the
//! policies beside it) and checking them together.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rules_dsl::check::{Checked, check_parsed};
use rules_dsl::syntax::{self, Parsed, SyntaxError};
use rules_dsl::{SourceSet, Words};

use super::Output;
use super::files::{self, Contents};

/// Checked files: the requested ones first, then their context.
pub struct Loaded {
    pub sources: SourceSet,
    pub checked: Checked,
    pub requested: usize,
}

impl Loaded {
    /// Renders the diagnostics of the requested files.
    pub fn render_requested(&self, output: Output) -> (String, usize, usize) {
        let shown: Vec<_> = self
            .checked
            .diagnostics
            .iter()
            .filter(|d| d.file < self.requested)
            .cloned()
            .collect();
        let errors = shown.iter().filter(|d| d.is_error()).count();
        (
            output.render(&self.sources, &shown),
            errors,
            shown.len() - errors,
        )
    }
}

/// Reads `requested` and the catalogue found beside or above them (or
/// `catalogue`), plus every `.rules` file under the catalogue's folder.
pub fn load(requested: &[PathBuf], catalogue: Option<&Path>) -> Result<Loaded, Words> {
    let catalogue = match catalogue {
        Some(path) if !path.is_file() => return Err(files::no_catalogue_file(path)),
        Some(path) => Some(path.to_path_buf()),
        None => requested.iter().find_map(|p| files::find_catalogue(p)),
    };
    let canonical = |p: &PathBuf| fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    let mut seen: HashSet<PathBuf> = requested.iter().map(canonical).collect();
    let mut paths: Vec<PathBuf> = requested.to_vec();
    if let Some(catalogue) = &catalogue {
        let mut context = vec![catalogue.clone()];
        let dir = catalogue
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        context.extend(files::collect(&[dir.to_path_buf()])?);
        for path in context {
            if seen.insert(canonical(&path)) {
                paths.push(path);
            }
        }
    }
    let mut sources = SourceSet::new();
    let mut parsed: Vec<Parsed> = Vec::with_capacity(paths.len());
    for path in &paths {
        match files::read(path)? {
            Contents::Text(text) => {
                parsed.push(syntax::parse(&text));
                sources.add(files::display(path), text);
            }
            Contents::NotUtf8 { lossy, offset } => {
                parsed.push(Parsed {
                    errors: vec![SyntaxError::InvalidUtf8 { offset }],
                    ..Parsed::default()
                });
                sources.add(files::display(path), lossy);
            }
        }
    }
    let checked = check_parsed(&parsed);
    Ok(Loaded {
        sources,
        checked,
        requested: requested.len(),
    })
}
