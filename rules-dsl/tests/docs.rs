//! The whole-policy examples of docs/language.md (its ```` ```rules ```` blocks)
//! check cleanly against the shipped catalogue, so the reference never shows
//! a policy that the checker refuses.

use rules_dsl::{Lang, SourceSet};

#[test]
fn every_rules_block_in_the_language_reference_checks_cleanly() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let reference =
        std::fs::read_to_string(format!("{root}/docs/language.md")).expect("docs/language.md");
    let catalogue = std::fs::read_to_string(format!("{root}/policies/catalogue.rules"))
        .expect("policies/catalogue.rules");
    let blocks = rules_blocks(&reference);
    assert!(
        blocks.len() >= 2,
        "docs/language.md has {} ```rules blocks",
        blocks.len()
    );
    for (line, block) in blocks {
        let mut sources = SourceSet::new();
        sources.add("catalogue.rules", catalogue.as_str());
        sources.add(format!("docs/language.md:{line}"), block.as_str());
        let checked = rules_dsl::check(&sources);
        assert!(
            checked.diagnostics.is_empty(),
            "the example at docs/language.md:{line} does not check cleanly:\n{}",
            sources.render(&checked.diagnostics, false, Lang::En)
        );
    }
}

/// Each ```` ```rules ```` block with the line its text starts on.
fn rules_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```rules" => current = Some((index + 2, String::new())),
            Some(_) if line.trim() == "```" => blocks.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}
