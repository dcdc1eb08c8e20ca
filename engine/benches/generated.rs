//! The generated policy of the compile benchmarks: `rules` rules in the
//! shape of real ones (facts of several types, a dated parameter, a `let`,
//! and per rule four conditions with an aggregate). Shared by
//! `benches/evaluate.rs` and `examples/compile_split.rs`; `salt` makes the
//! source (and so the compiled bytes) differ between calls.

pub fn generated(rules: usize, salt: u64) -> String {
    let mut text = format!(
        "policy bench.generated \"生成的基准政策\"\n  department hz.public_security\n  basis \"《基准条例》\"\n  version {}\n\nfacts {{\n",
        salt + 1
    );
    for i in 0..50 {
        text.push_str(&format!(
            "  applicant.number_{i}: int{}\n",
            if i % 5 == 0 { "?" } else { "" }
        ));
    }
    text.push_str(
        "  applicant.birth_date: date\n  applicant.income: money\n  applicant.city: text\n",
    );
    text.push_str("  household.members: list of { relation: enum { spouse, child, parent }, income: money }\n}\n\n");
    text.push_str(
        "param threshold: money {\n  from 2020-01-01 = 1000.00\n  from 2025-01-01 = 1200.00\n}\n\n",
    );
    text.push_str("let age = age_on(applicant.birth_date, application_date)\n\n");
    for i in 0..rules {
        text.push_str(&format!(
            "rule rule_{i} \"第{i}条\" cite \"第{i}条\":\n  applicant.number_{} >= {i} and (applicant.income > threshold or age >= 18) and count(m in household.members where m.income > {i}.00) < 5 and applicant.city != \"杭州\"\n\n",
            i % 50
        ));
    }
    let names: Vec<String> = (0..rules).map(|i| format!("rule_{i}")).collect();
    text.push_str(&format!("eligible when {}\n", names.join(" and ")));
    text
}
