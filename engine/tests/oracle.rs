//! The reference interpreter on small policies written out by hand: each
//! test checks and compiles a policy, fills the input memory per the
//! manifest's layout, runs `test_support::oracle::run` and asserts the result.

#![expect(clippy::type_complexity, reason = "a table of test cases")]

use engine::{RawOutcome, RawScalar, RawValue, Tri};
use test_support::oracle::{self, NO_VALUE, OracleError};
use test_support::policy::{In, Request, compile, day, image};

const HEADER: &str = "policy t.p \"测试\"\n  department t.dept\n  basis \"测试依据\"\n\n";

fn eval(body: &str, request: &Request) -> Result<RawOutcome, OracleError> {
    let source = format!("{HEADER}{body}");
    let (policy, artifact) = compile(&source, 16);
    let memory = image(&artifact.manifest, request);
    oracle::run(&policy, &artifact.manifest, &memory)
}

fn ok(body: &str, request: &Request) -> RawOutcome {
    eval(body, request).unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn known(value: i64) -> RawValue {
    RawValue {
        value: RawScalar::I64(value),
        mask: 0,
    }
}

fn set(ids: &[i64]) -> RawValue {
    RawValue {
        value: RawScalar::Set(ids.to_vec()),
        mask: 0,
    }
}

/// Asserts a value: known and equal, or unknown with exactly `mask`.
fn assert_value(actual: &RawValue, expected: &RawValue) {
    assert!(
        actual.agrees_with(expected),
        "got {actual:?}, expected {expected:?}"
    );
}

fn unknown(mask: u64) -> RawValue {
    RawValue {
        value: RawScalar::I64(0),
        mask,
    }
}

fn tri(value: Option<bool>) -> Tri {
    match value {
        Some(true) => Tri::True,
        Some(false) => Tri::False,
        None => Tri::Unknown,
    }
}

fn bool_fact(request: Request, name: &str, value: Option<bool>) -> Request {
    match value {
        Some(b) => request.with(name, In::Bool(b)),
        None => request.absent(name),
    }
}

const KLEENE: &str = r#"
facts {
  x.a: bool?
  x.b: bool?
}

rule r_and "且" cite "c":
  x.a and x.b

rule r_or "或" cite "c":
  x.a or x.b

rule r_not "非" cite "c":
  not x.a

eligible when r_and or r_or
"#;

#[test]
fn and_or_not_follow_kleene_logic_with_the_masks_of_the_unknown_operands() {
    let values = [Some(true), Some(false), None];
    let (bit_a, bit_b) = (1u64, 2u64);
    for a in values {
        for b in values {
            let request = bool_fact(bool_fact(Request::new("2026-01-01"), "x.a", a), "x.b", b);
            let outcome = ok(KLEENE, &request);
            let and = match (a, b) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            let or = match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
            assert_eq!(outcome.rules[0], tri(and), "and of {a:?} {b:?}");
            assert_eq!(outcome.rules[1], tri(or), "or of {a:?} {b:?}");
            assert_eq!(outcome.rules[2], tri(a.map(|a| !a)), "not {a:?}");
            // Both unknown: the eligibility depends on both facts.
            if a.is_none() && b.is_none() {
                assert_eq!(outcome.eligibility, Tri::Unknown);
                assert_eq!(outcome.mask, bit_a | bit_b);
            }
            // a true, b unknown: `and` is unknown because of b only.
            if a == Some(true) && b.is_none() {
                assert_eq!(outcome.eligibility, Tri::True, "the `or` decides");
                assert_eq!(outcome.mask, 0);
            }
            if a == Some(false) && b.is_none() {
                assert_eq!(outcome.eligibility, Tri::Unknown);
                assert_eq!(outcome.mask, bit_b);
            }
        }
    }
}

#[test]
fn and_stops_at_a_known_false_operand_so_a_guarded_division_never_traps() {
    let guarded = "facts {\n  x.n: int\n}\n\nrule r \"r\" cite \"c\":\n  x.n != 0 and 10 / x.n round down > 2\n\neligible when r\n";
    let request = Request::new("2026-01-01").with("x.n", In::Int(0));
    assert_eq!(ok(guarded, &request).eligibility, Tri::False);
    let request = Request::new("2026-01-01").with("x.n", In::Int(3));
    assert_eq!(ok(guarded, &request).eligibility, Tri::True);

    let unguarded = "facts {\n  x.n: int\n}\n\nrule r \"r\" cite \"c\":\n  10 / x.n round down > 2 or true\n\neligible when r\n";
    let request = Request::new("2026-01-01").with("x.n", In::Int(0));
    assert!(matches!(
        eval(unguarded, &request),
        Err(OracleError::Trap { .. })
    ));

    let or_guard = "facts {\n  x.n: int\n}\n\nrule r \"r\" cite \"c\":\n  x.n == 0 or 10 / x.n round down > 2\n\neligible when r\n";
    let request = Request::new("2026-01-01").with("x.n", In::Int(0));
    assert_eq!(ok(or_guard, &request).eligibility, Tri::True);
}

#[test]
fn overflow_division_by_zero_and_dates_out_of_range_trap() {
    let cases = [
        ("x.n: int", "x.n * 4611686018427387904 > 0", In::Int(2)),
        ("x.n: int", "- x.n > 0", In::Int(i64::MIN)),
        ("x.n: int", "x.n / 0 round half_even > 0", In::Int(2)),
        (
            "x.n: int",
            "application_date + x.n years > application_date",
            In::Int(8000),
        ),
        (
            "x.n: int",
            "application_date - x.n days > application_date",
            In::Int(5_000_000),
        ),
        (
            "x.n: int",
            "application_date + x.n months > application_date",
            In::Int(i64::MAX),
        ),
    ];
    for (fact, condition, value) in cases {
        let body = format!(
            "facts {{\n  {fact}\n}}\n\nrule r \"r\" cite \"c\":\n  {condition}\n\neligible when r\n"
        );
        let request = Request::new("2026-01-01").with("x.n", value);
        let result = eval(&body, &request);
        assert!(
            matches!(result, Err(OracleError::Trap { .. })),
            "{condition}: {result:?}"
        );
    }
    // An unknown operand means nothing is computed, so nothing traps.
    let body = "facts {\n  x.n: int?\n}\n\nrule r \"r\" cite \"c\":\n  max(x.n * 4611686018427387904, 1) > 0\n\neligible when r\n";
    let outcome = ok(body, &Request::new("2026-01-01").absent("x.n"));
    assert_eq!((outcome.eligibility, outcome.mask), (Tri::Unknown, 1));
}

const EXCEPTIONS: &str = r#"
facts {
  h.vehicles: int
  h.disabled: bool?
  h.other: bool?
}

rule no_vehicle "家庭无机动车辆" cite "c":
  h.vehicles == 0

exception mobility "残疾人代步车不计入" cite "c"
  overrides no_vehicle to true
  when h.vehicles == 1 and h.disabled

exception seized "车辆被扣押另计" cite "c"
  overrides no_vehicle to false
  when h.other

eligible when no_vehicle
"#;

#[test]
fn exceptions_decide_in_written_order_and_unknown_conditions_make_the_rule_unknown_unless_it_cannot_matter()
 {
    let (bit_disabled, bit_other) = (1u64, 2u64);
    // (vehicles, disabled, other) → (no_vehicle, mask, mobility, seized)
    let cases: [(
        i64,
        Option<bool>,
        Option<bool>,
        Option<bool>,
        u64,
        Option<bool>,
        Option<bool>,
    ); 8] = [
        // One car, disability unknown: the exception might apply → unknown.
        (1, None, Some(false), None, bit_disabled, None, Some(false)),
        // No car: the first exception's condition is false, the body decides.
        (
            0,
            None,
            Some(false),
            Some(true),
            0,
            Some(false),
            Some(false),
        ),
        // Both exceptions hold: the first written decides.
        (
            1,
            Some(true),
            Some(true),
            Some(true),
            0,
            Some(true),
            Some(true),
        ),
        (
            1,
            Some(false),
            Some(true),
            Some(false),
            0,
            Some(false),
            Some(true),
        ),
        // No car, `other` unknown: the body says true, the exception false → unknown.
        (0, None, None, None, bit_other, Some(false), None),
        // `seized` applies for sure but `mobility` (written first) might → unknown.
        (1, None, Some(true), None, bit_disabled, None, Some(true)),
        // Two cars: the body is false, `seized` would give false anyway → known.
        (2, None, None, Some(false), 0, Some(false), None),
        (
            2,
            Some(true),
            Some(false),
            Some(false),
            0,
            Some(false),
            Some(false),
        ),
    ];
    for (vehicles, disabled, other, expected, mask, mobility, seized) in cases {
        let request = Request::new("2026-01-01").with("h.vehicles", In::Int(vehicles));
        let request = bool_fact(bool_fact(request, "h.disabled", disabled), "h.other", other);
        let outcome = ok(EXCEPTIONS, &request);
        let case = format!("vehicles {vehicles}, disabled {disabled:?}, other {other:?}");
        assert_eq!(
            outcome.rules,
            vec![tri(expected), tri(mobility), tri(seized)],
            "{case}"
        );
        assert_eq!(outcome.eligibility, tri(expected), "{case}");
        assert_eq!(outcome.mask, mask, "{case}");
    }
}

const TABLES: &str = r#"
facts {
  p.age: int?
  p.low: bool?
}

table band "年龄段": int hit unique {
  inputs p.age
  row < 18 => 1
  row 18..59 => 2
  row >= 60 => 3
}

table care "照护": text hit first {
  inputs p.age, p.low
  row >= 80, - => "高龄"
  row -, true => "低保"
  default => "一般"
}

table level "等级": text hit priority {
  inputs p.age, p.low
  order "高", "中", "低"
  row -, true => "中"
  row >= 90, - => "高"
  row -, - => "低"
}

table extra "加发": money hit collect sum {
  inputs p.age, p.low
  row >= 80, - => 100.00
  row -, true => 200.00
}

table items "项目": text hit collect {
  inputs p.age, p.low
  row >= 80, - => "高龄"
  row -, true => "低保"
}

table lowest "最低": int hit collect min {
  inputs p.age, p.low
  row >= 80, - => 5
  row -, true => 7
}

table count_rows "项数": int hit collect count {
  inputs p.age, p.low
  row >= 80, - => 1
  row -, true => 1
}

rule r "r" cite "c":
  band > 0

eligible when r
"#;

fn tables(age: Option<i64>, low: Option<bool>) -> (RawOutcome, Vec<String>) {
    let request = Request::new("2026-01-01");
    let request = match age {
        Some(age) => request.with("p.age", In::Int(age)),
        None => request.absent("p.age"),
    };
    let request = bool_fact(request, "p.low", low);
    let (_, artifact) = compile(&format!("{HEADER}{TABLES}"), 16);
    (ok(TABLES, &request), artifact.manifest.texts)
}

#[test]
fn every_hit_policy_with_undecided_rows() {
    let (bit_age, bit_low) = (1u64, 2u64);
    let (outcome, texts) = tables(Some(85), None);
    let id = |t: &str| texts.iter().position(|x| x == t).expect("a constant") as i64;
    let [band, care, level, extra, items, lowest, count] = &outcome.values[..] else {
        panic!("seven values")
    };
    assert_value(band, &known(3));
    // first: row 1 matches before the undecided row 2.
    assert_value(care, &known(id("高龄")));
    // priority: nothing "高" matches, the "中" row is undecided, "低" matches → unknown.
    assert_value(level, &unknown(bit_low));
    // collect: an undecided row makes every collect unknown.
    assert_value(extra, &unknown(bit_low));
    assert_value(items, &unknown(bit_low));
    assert_value(lowest, &unknown(bit_low));
    assert_value(count, &unknown(bit_low));

    let (outcome, _) = tables(None, Some(true));
    let [band, care, level, extra, ..] = &outcome.values[..] else {
        panic!("seven values")
    };
    // unique: every row undecided, no default.
    assert_value(band, &unknown(bit_age));
    assert_eq!(outcome.eligibility, Tri::Unknown);
    // first: row 1 undecided above the matching row 2.
    assert_value(care, &unknown(bit_age));
    // priority: the "高" row is undecided, stronger than the matching "中".
    assert_value(level, &unknown(bit_age));
    assert_value(extra, &unknown(bit_age));

    let (outcome, _) = tables(Some(95), None);
    // priority: the strongest output matches; the undecided weaker row cannot matter.
    assert_value(&outcome.values[2], &known(id("高")));

    let (outcome, _) = tables(Some(85), Some(true));
    let [band, care, level, extra, items, lowest, count] = &outcome.values[..] else {
        panic!("seven values")
    };
    assert_value(band, &known(3));
    assert_value(care, &known(id("高龄")));
    assert_value(level, &known(id("中")));
    assert_value(extra, &known(30_000));
    let mut both = vec![id("高龄"), id("低保")];
    both.sort_unstable();
    assert_value(items, &set(&both));
    assert_value(lowest, &known(5));
    assert_value(count, &known(2));

    let (outcome, _) = tables(Some(30), Some(false));
    let [band, care, level, extra, items, lowest, count] = &outcome.values[..] else {
        panic!("seven values")
    };
    assert_value(band, &known(2));
    assert_value(care, &known(id("一般")));
    assert_value(level, &known(id("低")));
    assert_value(extra, &known(0));
    assert_value(items, &set(&[]));
    assert_value(lowest, &unknown(NO_VALUE));
    assert_value(count, &known(0));
}

const AGGREGATES: &str = r#"
facts {
  h.members: list of { age: int, income: money?, dis: bool? }
}

let n "人数" = count(m in h.members)
let s "收入" = sum(m.income for m in h.members)
let lo "最小" = min(m.age for m in h.members)
let hi "残疾最大" = max(m.age for m in h.members where m.dis)

rule any_dis "有残疾" cite "c":
  any(m.dis for m in h.members)

rule all_adult "残疾者均成年" cite "c":
  all(m.age >= 18 for m in h.members where m.dis)

rule any_adult_dis "成年残疾" cite "c":
  any(m.age >= 18 for m in h.members where m.dis)

eligible when any_dis and all_adult and n > 0 and lo > 0 and hi > 0 and s > 0.00
"#;

fn member(age: i64, income: Option<i64>, dis: Option<bool>) -> Vec<(String, Option<In>)> {
    vec![
        ("age".into(), Some(In::Int(age))),
        ("income".into(), income.map(In::Money)),
        ("dis".into(), dis.map(In::Bool)),
    ]
}

#[test]
fn aggregates_on_an_empty_list() {
    let request = Request::new("2026-01-01").with("h.members", In::List(Vec::new()));
    let outcome = ok(AGGREGATES, &request);
    let [n, s, lo, hi] = &outcome.values[..] else {
        panic!("four values")
    };
    assert_value(n, &known(0));
    assert_value(s, &known(0));
    assert_value(lo, &unknown(NO_VALUE));
    assert_value(hi, &unknown(NO_VALUE));
    assert_eq!(outcome.rules, vec![Tri::False, Tri::True, Tri::False]);
    assert_eq!(outcome.eligibility, Tri::False);
}

#[test]
fn aggregates_with_unknown_fields_and_filters() {
    let (bit_income, bit_dis) = (1u64, 2u64);
    let members = vec![member(20, None, None), member(10, Some(500), Some(true))];
    let request = Request::new("2026-01-01").with("h.members", In::List(members));
    let outcome = ok(AGGREGATES, &request);
    let [n, s, lo, hi] = &outcome.values[..] else {
        panic!("four values")
    };
    assert_value(n, &known(2));
    assert_value(s, &unknown(bit_income));
    assert_value(lo, &known(10));
    // The first member might be disabled: the max is unknown.
    assert_value(hi, &unknown(bit_dis));
    // any: the second member decides. all: the first would pass anyway, the second fails.
    assert_eq!(outcome.rules[0], Tri::True);
    assert_eq!(outcome.rules[1], Tri::False);
    // any(age >= 18 where dis): the first member might count (unknown filter, true value).
    assert_eq!(outcome.rules[2], Tri::Unknown);
    assert_eq!(outcome.eligibility, Tri::False);

    // Only unknown records: any is unknown; all skips a record whose value is true anyway.
    let members = vec![member(20, Some(100), None)];
    let request = Request::new("2026-01-01").with("h.members", In::List(members));
    let outcome = ok(AGGREGATES, &request);
    assert_eq!(outcome.rules, vec![Tri::Unknown, Tri::True, Tri::Unknown]);
    assert_value(&outcome.values[3], &unknown(bit_dis));
    assert_value(&outcome.values[1], &known(100));
}

const DECIDED_UNDER_UNKNOWNS: &str = r#"
facts {
  x.flag: bool?
  h.members: list of { age: int, income: money?, dis: bool? }
}

let same "相同分支" = if x.flag then 5 else 5
let differ "不同分支" = if x.flag then 5 else 6
let guarded "可能出错的分支" = if x.flag then 5 + 0 else 5

rule at_least_one "至少一人残疾" cite "c":
  count(m in h.members where m.dis) >= 1
rule none "无人残疾" cite "c":
  count(m in h.members where m.dis) == 0
rule fewer_than_three "残疾少于三人" cite "c":
  3 > count(m in h.members where m.dis)
rule at_least_two "至少二人残疾" cite "c":
  count(m in h.members where m.dis) >= 2

eligible when at_least_one
"#;

#[test]
fn equal_branches_and_counts_in_range_are_decided_under_unknowns() {
    let bit_flag = 1u64;
    let members = vec![member(30, None, Some(true)), member(40, None, None)];
    let request = Request::new("2026-01-01")
        .absent("x.flag")
        .with("h.members", In::List(members));
    let outcome = ok(DECIDED_UNDER_UNKNOWNS, &request);
    let [same, differ, guarded] = &outcome.values[..] else {
        panic!("three values")
    };
    assert_value(same, &known(5));
    assert_value(differ, &unknown(bit_flag));
    // A branch that could fail is not worked out: the condition decides.
    assert_value(guarded, &unknown(bit_flag));
    // One member is disabled, one may be: the count is 1 or 2.
    assert_eq!(
        outcome.rules,
        vec![Tri::True, Tri::False, Tri::True, Tri::Unknown]
    );
    assert_eq!(outcome.eligibility, Tri::True);
    // The compiled module agrees.
    let source = format!("{HEADER}{DECIDED_UNDER_UNKNOWNS}");
    let (_, artifact) = compile(&source, 16);
    let engine = engine::Engine::new(engine::Limits::default()).expect("engine");
    let loaded = engine.load(&artifact.wasm).expect("loads");
    let module = loaded
        .run_raw(&image(&artifact.manifest, &request))
        .expect("runs");
    assert!(module.agrees_with(&outcome), "{module:#?}\n{outcome:#?}");
}

const PARAMS: &str = r#"
facts {
  x.city: text?
}

param standard: money "标准" {
  from 2024-01-01 = 100.00
  from 2025-01-01 = 120.00
}

param local[text]: money "地方标准" {
  "杭州" from 2024-01-01 = 10.00
  "杭州" from 2025-01-01 = 12.00
  "宁波" from 2024-07-01 = 9.00
}

let a "全省" = standard
let b "地方" = local[x.city]

rule r "r" cite "c":
  a > b

eligible when r
"#;

#[test]
fn parameters_before_their_first_date_and_for_keys_without_entries_have_no_value() {
    let text = |city: &str| Some(In::Text(city.to_string()));
    let cases: [(&str, Option<In>, RawValue, RawValue); 7] = [
        (
            "2023-12-31",
            text("杭州"),
            unknown(NO_VALUE),
            unknown(NO_VALUE),
        ),
        ("2024-01-01", text("杭州"), known(10_000), known(1_000)),
        ("2024-12-31", text("杭州"), known(10_000), known(1_000)),
        ("2025-06-01", text("杭州"), known(12_000), known(1_200)),
        ("2024-06-30", text("宁波"), known(10_000), unknown(NO_VALUE)),
        ("2024-07-01", text("宁波"), known(10_000), known(900)),
        ("2025-06-01", None, known(12_000), unknown(1)),
    ];
    for (date, city, a, b) in cases {
        let mut request = Request::new(date);
        request.facts.push(("x.city".into(), city.clone()));
        let outcome = ok(PARAMS, &request);
        assert_value(&outcome.values[0], &a);
        assert_value(&outcome.values[1], &b);
    }
    let request = Request::new("2025-06-01").with("x.city", In::Text("温州".into()));
    let outcome = ok(PARAMS, &request);
    assert_value(&outcome.values[1], &unknown(NO_VALUE));
    assert_eq!(
        (outcome.eligibility, outcome.mask),
        (Tri::Unknown, NO_VALUE)
    );
}

const DATES: &str = r#"
facts {
  x.birth: date
}

let age "周岁" = age_on(x.birth, application_date)
let next_year "一年后" = x.birth + 1 years
let months "满月数" = months_between(x.birth, application_date)
let days "天数" = days_between(x.birth, application_date)
let back "一月前" = application_date - 1 months

rule adult "年满十八周岁" cite "c":
  age >= 18

eligible when adult
"#;

#[test]
fn a_29_february_birthday_is_reached_on_1_march_in_common_years() {
    let birth = In::Date(day("2008-02-29"));
    let cases = [
        ("2026-02-28", 17, Tri::False),
        ("2026-03-01", 18, Tri::True),
        ("2028-02-28", 19, Tri::True),
        ("2028-02-29", 20, Tri::True),
    ];
    for (on, age, adult) in cases {
        let outcome = ok(DATES, &Request::new(on).with("x.birth", birth.clone()));
        assert_value(&outcome.values[0], &known(age));
        assert_value(&outcome.values[1], &known(day("2009-02-28")));
        assert_eq!(outcome.eligibility, adult, "{on}");
    }
    let outcome = ok(
        DATES,
        &Request::new("2024-03-31").with("x.birth", In::Date(day("2023-08-31"))),
    );
    assert_value(&outcome.values[2], &known(7));
    assert_value(&outcome.values[4], &known(day("2024-02-29")));
    let outcome = ok(
        DATES,
        &Request::new("2000-03-01").with("x.birth", In::Date(day("2000-02-28"))),
    );
    assert_value(&outcome.values[3], &known(2));
    let outcome = ok(
        DATES,
        &Request::new("2026-01-01").with("x.birth", In::Date(day("2026-03-01"))),
    );
    assert_value(&outcome.values[2], &known(-2));
    assert_value(&outcome.values[0], &known(-1));
}

const MISC: &str = r#"
facts {
  x.city: text
  x.kind: enum { a, b, c }?
  x.permits: set of text
  x.amount: money
}

let half "一半" = x.amount / 2 round half_even
let up "进一" = x.amount / 3 round up
let pick "选择" = if x.kind == a then 1 else 2
let least "较小" = min(x.amount, 10.00, 2 * x.amount)

rule local "本地" cite "c":
  x.city in {"杭州", "宁波"}

rule licensed "持照" cite "c":
  "营业执照" in x.permits and x.city not in {"上海"}

rule kind_ok "类别" cite "c":
  x.kind in {a, b}

material doc_a when licensed
material doc_b
step accept "受理" by t.office within 1 working days when kind_ok
step decide "决定" by t.dept after accept within 5 days

eligible when local and licensed
"#;

#[test]
fn membership_if_rounding_materials_and_steps() {
    let request = Request::new("2026-01-01")
        .with("x.city", In::Text("杭州".into()))
        .with("x.permits", In::Set(vec!["其他".into(), "营业执照".into()]))
        .with("x.amount", In::Money(5))
        .absent("x.kind");
    let outcome = ok(MISC, &request);
    assert_eq!(outcome.eligibility, Tri::True);
    assert_eq!(outcome.rules, vec![Tri::True, Tri::True, Tri::Unknown]);
    assert_eq!(outcome.materials, vec![Tri::True, Tri::True]);
    assert_eq!(outcome.steps, vec![Tri::Unknown, Tri::True]);
    let [half, up, pick, least] = &outcome.values[..] else {
        panic!("four values")
    };
    assert_value(half, &known(2));
    assert_value(up, &known(2));
    assert_value(pick, &unknown(1));
    assert_value(least, &known(5));

    let request = Request::new("2026-01-01")
        .with("x.city", In::Text("温州".into()))
        .with("x.permits", In::Set(Vec::new()))
        .with("x.amount", In::Money(-7))
        .with("x.kind", In::Enum("a".into()));
    let outcome = ok(MISC, &request);
    assert_eq!(outcome.eligibility, Tri::False);
    assert_eq!(outcome.rules, vec![Tri::False, Tri::False, Tri::True]);
    assert_eq!(outcome.materials, vec![Tri::False, Tri::True]);
    let [half, up, pick, least] = &outcome.values[..] else {
        panic!("four values")
    };
    assert_value(half, &known(-4));
    assert_value(up, &known(-3));
    assert_value(pick, &known(1));
    assert_value(least, &known(-14));
}
