//! Parse + check of a generated policy with 20, 200 and 2,000 rules.
//! Run: `cargo bench -p rules-dsl --bench check`. Figures: docs/benchmarks.md.

use rules_dsl::SourceSet;

fn main() {
    divan::main();
}

const CATALOGUE: &str = "department bench.department \"基准部门\"\n\
dataset bench.dataset \"基准数据\" by bench.department\n\
material bench.material \"基准材料\"\n";

/// A policy in the shape of real ones: facts of every kind, lets, tables,
/// rules with aggregates and date arithmetic, materials and steps.
pub fn generated_policy(rules: usize) -> String {
    let mut text = String::from(
        "policy bench.generated \"生成的基准政策\"\n  department bench.department\n  basis \"《基准条例》\"\n\nfacts {\n",
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
    text.push_str("  applicant.housing: enum { owned, rented, none }\n");
    text.push_str("  household.members: list of { relation: enum { spouse, child, parent }, income: money }\n}\n\n");
    text.push_str("param threshold: money \"收入标准\" {\n  from 2020-01-01 = 1000.00\n  from 2025-01-01 = 1200.00\n}\n\n");
    text.push_str("let age = age_on(applicant.birth_date, application_date)\n");
    text.push_str("let household_income \"家庭收入\" = sum(m.income for m in household.members where m.relation != parent)\n\n");
    text.push_str(
        "table level \"档次\": int hit unique {\n  inputs age, applicant.housing\n  row < 18, -\t=> 1\n  row >= 18, owned => 2\n  row >= 18, {rented, none} => 3\n}\n\n",
    );
    for i in 0..rules {
        let fact = i % 50;
        text.push_str(&format!(
            "rule rule_{i} \"第{i}条规则\" cite \"《基准条例》第{i}条\":\n  applicant.number_{fact} >= {i} and (applicant.income > threshold or age >= 18) and count(m in household.members where m.income > {i}.00) < 5 and applicant.city != \"杭州\" and level >= 1\n\n"
        ));
    }
    text.push_str("eligible when ");
    let names: Vec<String> = (0..rules).map(|i| format!("rule_{i}")).collect();
    text.push_str(&names.join(" and "));
    text.push_str("\n\nmaterial bench.material when household_income > 0.00 source shared bench.dataset else applicant\n");
    text.push_str("step accept \"受理\" by bench.department within 1 working day\n");
    text.push_str("step decide \"决定\" by bench.department after accept within 5 working days\n");
    text
}

#[divan::bench(args = [20, 200, 2000])]
fn parse_and_check(bencher: divan::Bencher, rules: usize) {
    let policy = generated_policy(rules);
    bencher
        .counter(divan::counter::BytesCount::new(policy.len()))
        .bench(|| {
            let mut sources = SourceSet::new();
            sources.add("catalogue.rules", CATALOGUE);
            sources.add("generated.rules", policy.as_str());
            let checked = rules_dsl::check(divan::black_box(&sources));
            assert_eq!(checked.error_count(), 0);
            checked
        });
}

#[divan::bench(args = [2000])]
fn parse_only(bencher: divan::Bencher, rules: usize) {
    let policy = generated_policy(rules);
    bencher.bench(|| rules_dsl::syntax::parse(divan::black_box(&policy)));
}

#[divan::bench(args = [2000])]
fn format_only(bencher: divan::Bencher, rules: usize) {
    let policy = generated_policy(rules);
    bencher.bench(|| rules_dsl::format::format(divan::black_box(&policy)));
}
