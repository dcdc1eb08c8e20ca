//! The fact documents every engine evaluates: `bench/data/*.json`, each
//! named `eligible_*.json` or `ineligible_*.json` after its expected answer.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// One request, as bytes, with the eligibility its name promises.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub expected_eligible: bool,
    pub json: Vec<u8>,
}

/// The folder of the documents.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Every document in `bench/data`, sorted by name.
pub fn documents() -> anyhow::Result<Vec<Document>> {
    let dir = data_dir();
    let mut documents = Vec::new();
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let expected_eligible = if name.starts_with("eligible_") {
            true
        } else if name.starts_with("ineligible_") {
            false
        } else {
            anyhow::bail!(
                "`{}`: name must start with `eligible_` or `ineligible_`",
                path.display()
            );
        };
        let json =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        documents.push(Document {
            name,
            expected_eligible,
            json,
        });
    }
    documents.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(documents)
}
