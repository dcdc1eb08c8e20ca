//! A policy source, checked with the shipped catalogue: parsing and
//! checking never panic, whatever the text (the invariant ARCHITECTURE.md
//! states). Seeds: every `.rules` file of the repository.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CATALOGUE: &str = include_str!("../../../policies/catalogue.rules");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = rules_dsl::SourceSet::new();
    sources.add("catalogue.rules", CATALOGUE);
    sources.add("fuzzed.rules", text);
    let checked = rules_dsl::check(&sources);
    // Rendering every diagnostic must not panic either (spans inside the text).
    for lang in [rules_dsl::Lang::Zh, rules_dsl::Lang::En] {
        let _ = sources.render(&checked.diagnostics, false, lang);
    }
});
