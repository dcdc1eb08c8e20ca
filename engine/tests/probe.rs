mod common;
#[test]
fn probe() {
    let header = "policy t.p \"测试\"\n  department t.dept\n  basis \"b\"\n\nfacts {\n  f.s1: set of text\n  f.e1: enum { red, green, blue }?\n  f.i1: int\n  f.m1: money\n  f.t1: text\n  f.l1: list of { k: enum { x, y }, n: int?, d: date }\n}\n\n";
    let probes = [
        "let a = f.s1\nrule r \"r\" cite \"c\":\n  \"x\" in a\neligible when r\n",
        "let a = if f.i1 > 0 then red else green\nrule r \"r\" cite \"c\":\n  a == red\neligible when r\n",
        "let a = if f.i1 > 0 then f.e1 else f.e1\nrule r \"r\" cite \"c\":\n  a == red\neligible when r\n",
        "let a = (f.i1) * (f.m1)\nrule r \"r\" cite \"c\":\n  a > 0.00\neligible when r\n",
        "let a = ((f.m1) / (f.i1) round down)\nrule r \"r\" cite \"c\":\n  a > 0.00\neligible when r\n",
        "let a = any((any((m2.n) > (m.n) for m2 in f.l1)) for m in f.l1 where (m.k) == x)\nrule r \"r\" cite \"c\":\n  a\neligible when r\n",
        "param pt: text { from 2020-01-01 = \"a\" }\nparam pb: bool { from 2020-01-01 = true }\nparam pd: date { from 2020-01-01 = 2024-02-29 }\nrule r \"r\" cite \"c\":\n  pt == \"a\" and pb and pd > application_date\neligible when r\n",
        "rule r \"r\" cite \"c\":\n  (f.i1) in {1, 2} and (f.t1) in f.s1 and (f.t1) not in {\"a\"} and (f.e1) in {red}\neligible when r\n",
        "table t: int hit unique {\n  inputs f.t1, f.i1\n  row \"a\", - => 1\n  row \"b\", >= 3 => 2\n  row {\"c\", \"d\"}, -3..5 => 3\n}\nrule r \"r\" cite \"c\":\n  t > 0\neligible when r\n",
        "table t: int hit unique {\n  inputs f.i1, f.t1\n  row < -3, \"a\" => 1\n  row -3..4, - => 2\n  row 5, - => 3\n  row >= 6, \"b\" => 3\n}\nrule r \"r\" cite \"c\":\n  t > 0\neligible when r\n",
        "let a = ((application_date) + (f.i1) months)\nlet b = ((application_date) - (f.i1 * 2) years)\nrule r \"r\" cite \"c\":\n  (a) > (b)\neligible when r\n",
        "let a = (- (f.i1))\nlet b = (-3)\nlet c = max((f.i1), (a), (b))\nlet d = min((m.d) for m in f.l1 where (m.n) > (0))\nrule r \"r\" cite \"c\":\n  (c) > (b) and d > application_date\neligible when r\n",
        "table t: bool hit first {\n  inputs f.e1\n  row red => true\n}\nrule r \"r\" cite \"c\":\n  t\neligible when r\n",
        "let a = if f.i1 > 0 then f.s1 else f.s1\nrule r \"r\" cite \"c\":\n  \"x\" in a\neligible when r\n",
        "rule r \"r\" cite \"c\":\n  (f.m1) == (f.m1) and (true) == (false) and (f.e1) != (f.e1)\neligible when r\n",
    ];
    for p in probes {
        match common::try_check(&format!("{header}{p}")) {
            Ok(_) => println!("OK   {p:?}"),
            Err(e) => println!("FAIL {p:?}\n{e}"),
        }
    }
}
