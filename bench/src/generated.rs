//! Generated policies and requests for the scaling tables (the idea of
//! `engine/benches/generated.rs`): `rules` rules of the shape of real ones
//! (a comparison with a number fact, an age or text test, and an aggregate
//! over the household), and requests with any number of household members.

use std::fmt::Write as _;

pub const GENERATED_ID: &str = "bench.scaling";

const NUMBER_FACTS: usize = 20;

/// A policy of `rules` rules; `salt` changes a constant (and the version), so
/// two salts give different sources, artifacts and hashes.
pub fn policy(rules: usize, salt: u64) -> String {
    let mut text = String::new();
    let _ = write!(
        text,
        "policy {GENERATED_ID} \"生成的规模基准政策\"\n  department hz.public_security\n  basis \"《基准条例》\"\n  version {}\n\nfacts {{\n",
        salt + 1
    );
    for i in 0..NUMBER_FACTS {
        let _ = writeln!(text, "  applicant.number_{i}: int");
    }
    text.push_str("  applicant.birth_date: date\n  applicant.city: text\n");
    text.push_str(
        "  household.members: list of { relation: enum { spouse, child, parent }, income: money }\n}\n\n",
    );
    let _ = write!(
        text,
        "param income_limit: money {{\n  from 2016-01-01 = {}.00\n}}\n\n",
        100_000 + salt
    );
    text.push_str("let age = age_on(applicant.birth_date, application_date)\n\n");
    for i in 0..rules {
        let _ = write!(
            text,
            "rule rule_{i} \"第{i}条\" cite \"第{i}条\":\n  applicant.number_{} >= {} and (age >= 18 or applicant.city != \"杭州\") and count(m in household.members where m.income > income_limit) < 1\n\n",
            i % NUMBER_FACTS,
            i % 7
        );
    }
    let names: Vec<String> = (0..rules).map(|i| format!("rule_{i}")).collect();
    let _ = writeln!(text, "eligible when {}", names.join(" and "));
    text
}

/// A request for [`policy`] with `members` household members; eligible.
pub fn request(members: usize) -> String {
    let mut text = String::from("{\"application_date\":\"2026-01-15\",\"facts\":{\"applicant\":{");
    for i in 0..NUMBER_FACTS {
        let _ = write!(text, "\"number_{i}\":{},", 10 + i);
    }
    text.push_str("\"birth_date\":\"1990-02-28\",\"city\":\"宁波\"},\"household\":{\"members\":[");
    const RELATIONS: [&str; 3] = ["spouse", "child", "parent"];
    for m in 0..members {
        if m > 0 {
            text.push(',');
        }
        let _ = write!(
            text,
            "{{\"relation\":\"{}\",\"income\":{}.{:02}}}",
            RELATIONS[m % 3],
            1000 + m * 37,
            m % 100
        );
    }
    text.push_str("]}}}");
    text
}
