//! The differential test's generator: well-typed policy SOURCE TEXT and
//! requests for it, from a stream of choices that proptest shrinks toward 0
//! (0 always picks the simplest option, so a failing case shrinks to a small
//! policy).

#![expect(
    clippy::needless_range_loop,
    reason = "rows are built by index across several parallel vectors"
)]

use crate::policy::{In, Request, date_text, day, money_text};

// ---------------------------------------------------------------- choices

/// The generator's source of decisions; 0 (also once exhausted) is always
/// the simplest choice.
#[derive(Debug)]
pub struct Choices<'a> {
    pub data: &'a [u32],
    pub position: usize,
}

impl Choices<'_> {
    fn below(&mut self, n: usize) -> usize {
        let x = self.data.get(self.position).copied().unwrap_or(0);
        self.position += 1;
        if n == 0 { 0 } else { x as usize % n }
    }

    /// True with about `percent` % probability; false for choice 0.
    fn flag(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1) as usize;
        low + self.below(span) as i64
    }
}

/// Bug 1 (see the report): a keyed parameter whose key may be unknown but is
/// known, with no entry in force for it, gives a known 0 instead of no value.
/// While it stands, keys are literals or required facts.
const AVOID_NULLABLE_PARAM_KEYS: bool = false;

// ---------------------------------------------------------------- types and pools

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    Bool,
    Int,
    Money,
    /// `decimal(3)`.
    Dec,
    Date,
    Text,
    /// `f.e1`'s enum.
    Color,
    /// The enum of the list field `k`.
    Kind,
    Set,
}

const COLORS: [&str; 3] = ["red", "green", "blue"];
const KINDS: [&str; 3] = ["x", "y", "z"];
/// Text constants the policies use.
const TEXTS: [&str; 6] = ["杭州", "宁波", "a", "b", "温州", "3"];
/// Texts inputs use: the constants and some the policies never mention
/// (numbers among them, which `text(n)` must equal).
const INPUT_TEXTS: [&str; 11] = [
    "杭州", "宁波", "a", "b", "温州", "zz", "上海", "3", "42", "-1", "007",
];
const DATES: [&str; 16] = [
    "2024-02-29",
    "2023-02-28",
    "2023-03-01",
    "2024-01-31",
    "2025-08-31",
    "2026-02-28",
    "2000-02-29",
    "2020-01-01",
    "2024-03-01",
    "2025-01-01",
    "2019-12-31",
    "2024-12-31",
    "1970-01-01",
    "2100-02-28",
    "2008-02-29",
    "1900-03-01",
];
const ROUNDINGS: [&str; 4] = ["down", "up", "half_up", "half_even"];

fn literal(c: &mut Choices, t: T) -> String {
    match t {
        T::Bool => c.pick(&["false", "true"]).to_string(),
        T::Int => {
            let n = match c.below(10) {
                0 => 0,
                1 => 1,
                2 => 2,
                3 => -1,
                4 => c.range(-20, 100),
                5 => c.pick(&[12, 18, 60, 365, 1000]),
                6 => c.range(-100_000, 100_000),
                7 => 3,
                8 => c.pick(&[4_611_686_018_427_387_904, i64::MAX, 10_000_000]),
                _ => c.range(0, 40),
            };
            if n < 0 {
                format!("({n})")
            } else {
                n.to_string()
            }
        }
        T::Money => {
            let fen = money_fen(c);
            if fen < 0 {
                format!("({})", money_text(fen))
            } else {
                money_text(fen)
            }
        }
        T::Dec => {
            // Three decimals, so the literal is a `decimal(3)` in any context.
            let units = decimal_units(c);
            let text = contract::codec::decimal_text(units, 3);
            if units < 0 { format!("({text})") } else { text }
        }
        T::Date => date_literal(c),
        T::Text => format!("\"{}\"", c.pick(&TEXTS)),
        T::Color => c.pick(&COLORS).to_string(),
        T::Kind => c.pick(&KINDS).to_string(),
        T::Set => "f.s1".to_string(),
    }
}

/// A `decimal(3)` value in thousandths.
fn decimal_units(c: &mut Choices) -> i64 {
    match c.below(6) {
        0 => 0,
        1 => c.range(-2_000, 2_000),
        2 => c.pick(&[1_500, 89_570, 125, 1_000, 999]),
        3 => c.range(-1_000_000_000, 1_000_000_000),
        4 => c.pick(&[i64::MAX / 7, 4_611_686_018_427_387_904]),
        _ => c.range(0, 100_000),
    }
}

fn money_fen(c: &mut Choices) -> i64 {
    match c.below(8) {
        0 => 0,
        1 => 100,
        2 => c.pick(&[1, 5, 7, 50, 25, 35]),
        3 => c.range(-500, 500),
        4 => c.range(0, 2_000_000),
        5 => 125_500,
        6 => c.pick(&[-5, -1_000, 4_611_686_018_427_387_904]),
        _ => c.range(0, 10_000),
    }
}

fn date_literal(c: &mut Choices) -> String {
    if c.flag(30) {
        date_text(c.range(day("1950-01-01"), day("2040-12-31")))
    } else {
        c.pick(&DATES).to_string()
    }
}

/// A literal as a table cell or output (no brackets around negatives).
fn cell_literal(c: &mut Choices, t: T) -> String {
    literal(c, t)
        .trim_start_matches('(')
        .trim_end_matches(')')
        .to_string()
}

// ---------------------------------------------------------------- facts

#[derive(Debug)]
struct FactDecl {
    name: &'static str,
    t: T,
    optional: bool,
}

#[derive(Debug)]
struct FieldDecl {
    name: &'static str,
    t: T,
    optional: bool,
}

const SCALAR_FACTS: [(&str, T); 13] = [
    ("f.b1", T::Bool),
    ("f.b2", T::Bool),
    ("f.i1", T::Int),
    ("f.i2", T::Int),
    ("f.m1", T::Money),
    ("f.m2", T::Money),
    ("f.x1", T::Dec),
    ("f.x2", T::Dec),
    ("f.d1", T::Date),
    ("f.d2", T::Date),
    ("f.t1", T::Text),
    ("f.t2", T::Text),
    ("f.e1", T::Color),
];

const FIELDS: [(&str, T); 6] = [
    ("k", T::Kind),
    ("n", T::Int),
    ("a", T::Money),
    ("d", T::Date),
    ("ok", T::Bool),
    ("t", T::Text),
];

fn type_source(t: T) -> &'static str {
    match t {
        T::Bool => "bool",
        T::Int => "int",
        T::Money => "money",
        T::Dec => "decimal(3)",
        T::Date => "date",
        T::Text => "text",
        T::Color => "enum { red, green, blue }",
        T::Kind => "enum { x, y, z }",
        T::Set => "set of text",
    }
}

/// `12.50`, `(-3.00)`: a literal the checker types by its context.
fn is_number_literal(text: &str) -> bool {
    let inner = text.trim_start_matches('(').trim_start_matches('-');
    inner.starts_with(|c: char| c.is_ascii_digit())
}

/// Money facts take negative values too, which the generator's requests
/// send: declared, as a policy must (money is otherwise at least 0.00).
fn wide_range(t: T) -> &'static str {
    match t {
        T::Money => " >= -92233720368547758.07",
        _ => "",
    }
}

// ---------------------------------------------------------------- the policy generator

struct Gen<'c, 'd> {
    c: &'c mut Choices<'d>,
    facts: Vec<FactDecl>,
    fields: Vec<FieldDecl>,
    /// Definitions usable so far: (name, type).
    names: Vec<(String, T)>,
    /// Plain parameters (name, type) and keyed ones (text key).
    params: Vec<(String, T)>,
    keyed: Vec<(String, T, bool)>,
    /// Text-keyed parameters whose keys are the names of `f.e1`'s values.
    color_keyed: Vec<(String, T)>,
    /// Aggregate variables in scope.
    vars: Vec<String>,
    /// How many names an exception of each rule may use (those before it).
    rules: Vec<(String, usize)>,
}

impl Gen<'_, '_> {
    fn expr(&mut self, t: T, depth: usize) -> String {
        if depth == 0 || !self.c.flag(70) {
            return self.leaf(t);
        }
        let d = depth - 1;
        match t {
            T::Bool => match self.c.below(12) {
                0 => format!("not ({})", self.expr(T::Bool, d)),
                1 | 2 => {
                    let n = 2 + self.c.below(2);
                    let op = if self.c.flag(50) { " or " } else { " and " };
                    let parts: Vec<String> = (0..n)
                        .map(|_| format!("({})", self.expr(T::Bool, d)))
                        .collect();
                    parts.join(op)
                }
                3 | 4 => {
                    let ty = self.c.pick(&[T::Int, T::Money, T::Date, T::Int, T::Dec]);
                    let op = self.c.pick(&["<", "<=", ">", ">=", "==", "!="]);
                    // A decimal meets a whole number at its scale.
                    let other = if ty == T::Dec && self.c.flag(30) {
                        T::Int
                    } else {
                        ty
                    };
                    format!("({}) {op} ({})", self.expr(ty, d), self.expr(other, d))
                }
                5 => {
                    let mut types = vec![T::Text, T::Bool, T::Color, T::Text];
                    if !self.vars.is_empty() {
                        types.push(T::Kind);
                    }
                    let ty = self.c.pick(&types);
                    let op = self.c.pick(&["==", "!="]);
                    let enum_literal = matches!(ty, T::Color | T::Kind) && self.c.flag(50);
                    let rhs = if enum_literal {
                        literal(self.c, ty)
                    } else {
                        format!("({})", self.expr(ty, d))
                    };
                    format!("({}) {op} {rhs}", self.expr(ty, d))
                }
                6 => {
                    let mut types = vec![T::Text, T::Color, T::Int];
                    if !self.vars.is_empty() {
                        types.push(T::Kind);
                    }
                    let ty = self.c.pick(&types);
                    let n = 1 + self.c.below(3);
                    // A negative number in braces is read as a computed value (E0310).
                    let items: Vec<String> = (0..n)
                        .map(|_| cell_literal(self.c, ty).trim_start_matches('-').to_string())
                        .collect();
                    let not = if self.c.flag(40) { "not in" } else { "in" };
                    format!("({}) {not} {{{}}}", self.expr(ty, d), items.join(", "))
                }
                7 => {
                    let set = self.set_name();
                    let not = if self.c.flag(30) { "not in" } else { "in" };
                    format!("({}) {not} {set}", self.expr(T::Text, d))
                }
                8 | 9 => self.aggregate(T::Bool, d),
                10 => self.if_expr(T::Bool, d),
                _ => self.leaf(T::Bool),
            },
            T::Int => match self.c.below(13) {
                0 | 1 => {
                    let op = self.c.pick(&["+", "-", "*"]);
                    format!("({}) {op} ({})", self.expr(T::Int, d), self.expr(T::Int, d))
                }
                2 => {
                    let ty = self.c.pick(&[T::Int, T::Money]);
                    let mode = self.c.pick(&ROUNDINGS);
                    format!(
                        "(({}) / ({}) round {mode})",
                        self.expr(ty, d),
                        self.expr(ty, d)
                    )
                }
                3 => format!("(- ({}))", self.expr(T::Int, d)),
                9 => {
                    let mode = self.c.pick(&ROUNDINGS);
                    format!(
                        "(({}) * ({}) round {mode})",
                        self.expr(T::Int, d),
                        self.expr(T::Dec, d)
                    )
                }
                4 => {
                    let f = self.c.pick(&["age_on", "months_between", "days_between"]);
                    format!(
                        "{f}(({}), ({}))",
                        self.expr(T::Date, d),
                        self.expr(T::Date, d)
                    )
                }
                5 | 6 => self.aggregate(T::Int, d),
                7 => self.extreme(T::Int, d),
                8 => self.if_expr(T::Int, d),
                _ => self.leaf(T::Int),
            },
            T::Money => match self.c.below(11) {
                0 => {
                    let op = self.c.pick(&["+", "-"]);
                    format!(
                        "({}) {op} ({})",
                        self.expr(T::Money, d),
                        self.expr(T::Money, d)
                    )
                }
                1 => {
                    if self.c.flag(50) {
                        format!("({}) * ({})", self.expr(T::Money, d), self.expr(T::Int, d))
                    } else {
                        format!("({}) * ({})", self.expr(T::Int, d), self.expr(T::Money, d))
                    }
                }
                2 => {
                    let mode = self.c.pick(&ROUNDINGS);
                    format!(
                        "(({}) / ({}) round {mode})",
                        self.expr(T::Money, d),
                        self.expr(T::Int, d)
                    )
                }
                3 => format!("(- ({}))", self.expr(T::Money, d)),
                8 => {
                    let mode = self.c.pick(&ROUNDINGS);
                    let factor = if self.c.flag(50) {
                        self.expr(T::Dec, d)
                    } else {
                        self.c
                            .pick(&["30%", "12.5%", "100%", "0.5%", "-3%"])
                            .to_string()
                    };
                    // A bare amount beside a decimal value reads as a factor
                    // (`1.5 * area`), so the money side is never a literal here.
                    let mut amount = self.expr(T::Money, d);
                    if is_number_literal(&amount) {
                        amount = "f.m1".to_string();
                    }
                    format!("(({amount}) * ({factor}) round {mode})")
                }
                4 | 5 => self.aggregate(T::Money, d),
                6 => self.extreme(T::Money, d),
                7 => self.if_expr(T::Money, d),
                _ => self.leaf(T::Money),
            },
            T::Dec => match self.c.below(10) {
                0 => {
                    let op = self.c.pick(&["+", "-"]);
                    let other = if self.c.flag(30) { T::Int } else { T::Dec };
                    format!("({}) {op} ({})", self.expr(T::Dec, d), self.expr(other, d))
                }
                1 => {
                    if self.c.flag(50) {
                        format!("({}) * ({})", self.expr(T::Dec, d), self.expr(T::Int, d))
                    } else {
                        format!("({}) * ({})", self.expr(T::Int, d), self.expr(T::Dec, d))
                    }
                }
                2 => {
                    let mode = self.c.pick(&ROUNDINGS);
                    let factor = if self.c.flag(50) {
                        self.expr(T::Dec, d)
                    } else {
                        self.c.pick(&["30%", "12.5%", "150%"]).to_string()
                    };
                    format!("(({}) * ({factor}) round {mode})", self.expr(T::Dec, d))
                }
                3 => {
                    let mode = self.c.pick(&ROUNDINGS);
                    let divisor = self.c.pick(&[T::Int, T::Dec]);
                    format!(
                        "(({}) / ({}) round {mode})",
                        self.expr(T::Dec, d),
                        self.expr(divisor, d)
                    )
                }
                4 => format!("(- ({}))", self.expr(T::Dec, d)),
                5 => self.extreme(T::Dec, d),
                6 => self.if_expr(T::Dec, d),
                _ => self.leaf(T::Dec),
            },
            T::Date => match self.c.below(8) {
                0..=2 => {
                    let sign = self.c.pick(&["+", "-"]);
                    let unit = self
                        .c
                        .pick(&["days", "months", "years", "day", "month", "year"]);
                    let amount = if self.c.flag(50) {
                        self.leaf(T::Int)
                    } else {
                        self.expr(T::Int, d)
                    };
                    format!("(({}) {sign} ({amount}) {unit})", self.expr(T::Date, d))
                }
                3 => self.extreme(T::Date, d),
                4 => self.aggregate(T::Date, d),
                5 => self.if_expr(T::Date, d),
                _ => self.leaf(T::Date),
            },
            T::Text if self.c.flag(20) => format!("text({})", self.expr(T::Int, d)),
            T::Text | T::Color | T::Kind | T::Set => {
                if self.c.flag(30) {
                    self.if_expr(t, d)
                } else {
                    self.leaf(t)
                }
            }
        }
    }

    fn if_expr(&mut self, t: T, d: usize) -> String {
        format!(
            "(if ({}) then ({}) else ({}))",
            self.expr(T::Bool, d),
            self.expr(t, d),
            self.expr(t, d)
        )
    }

    fn extreme(&mut self, t: T, d: usize) -> String {
        let f = self.c.pick(&["min", "max"]);
        let n = 2 + self.c.below(2);
        let parts: Vec<String> = (0..n).map(|_| format!("({})", self.expr(t, d))).collect();
        format!("{f}({})", parts.join(", "))
    }

    fn set_name(&mut self) -> String {
        let mut sets: Vec<String> = vec!["f.s1".to_string()];
        sets.extend(
            self.names
                .iter()
                .filter(|(_, t)| *t == T::Set)
                .map(|(n, _)| n.clone()),
        );
        self.c.pick(&sets)
    }

    fn aggregate(&mut self, t: T, d: usize) -> String {
        if self.vars.len() >= 2 {
            return self.leaf(t);
        }
        let var = if self.vars.is_empty() {
            "m".to_string()
        } else {
            "m2".to_string()
        };
        self.vars.push(var.clone());
        let (kind, value) = match t {
            T::Bool => {
                let kind = self.c.pick(&["any", "all"]);
                (kind, Some(self.expr(T::Bool, d)))
            }
            T::Int if self.c.flag(50) => ("count", None),
            T::Int | T::Money => {
                let kind = self.c.pick(&["sum", "min", "max"]);
                (kind, Some(self.expr(t, d)))
            }
            _ => {
                let kind = self.c.pick(&["min", "max"]);
                (kind, Some(self.expr(t, d)))
            }
        };
        let filter = if self.c.flag(50) {
            format!(" where ({})", self.expr(T::Bool, d))
        } else {
            String::new()
        };
        self.vars.pop();
        match value {
            Some(value) => format!("{kind}(({value}) for {var} in f.l1{filter})"),
            None => format!("{kind}({var} in f.l1{filter})"),
        }
    }

    fn leaf(&mut self, t: T) -> String {
        let mut options: Vec<String> = Vec::new();
        for fact in &self.facts {
            if fact.t == t {
                options.push(fact.name.to_string());
            }
        }
        for var in &self.vars {
            for field in &self.fields {
                if field.t == t {
                    options.push(format!("{var}.{}", field.name));
                }
            }
        }
        for (name, ty) in &self.names {
            if *ty == t {
                options.push(name.clone());
            }
        }
        for (name, ty) in &self.params {
            if *ty == t {
                options.push(name.clone());
            }
        }
        let keyed: Vec<String> = self
            .keyed
            .iter()
            .filter(|(_, ty, _)| *ty == t)
            .map(|(n, _, two)| if *two { format!("{n}#2") } else { n.clone() })
            .chain(
                self.color_keyed
                    .iter()
                    .filter(|(_, ty)| *ty == t)
                    .map(|(n, _)| format!("{n}#c")),
            )
            .collect();
        if t == T::Date {
            options.push("application_date".to_string());
        }
        match t {
            T::Color | T::Kind | T::Set => {
                if t == T::Kind && self.vars.is_empty() {
                    unreachable!("enum of a field outside an aggregate");
                }
                return self.c.pick(&options);
            }
            _ => {}
        }
        // Literal first (choice 0), then names, then keyed parameters.
        let choice = self.c.below(1 + options.len() + keyed.len());
        if choice == 0 {
            literal(self.c, t)
        } else if choice <= options.len() {
            options[choice - 1].clone()
        } else {
            let name = &keyed[choice - 1 - options.len()];
            let key = if self.c.flag(50) {
                self.expr(T::Text, 0)
            } else {
                literal(self.c, T::Text)
            };
            let never_unknown =
                key.starts_with('"') || self.facts.iter().any(|f| !f.optional && f.name == key);
            let nullable_key = !never_unknown;
            let key = if AVOID_NULLABLE_PARAM_KEYS && nullable_key {
                literal(self.c, T::Text)
            } else {
                key
            };
            if let Some(name) = name.strip_suffix("#c") {
                // Keyed by the names of an enum's values: an enum fact, or its name as text.
                let key = if self.c.flag(60) {
                    "f.e1".to_string()
                } else {
                    format!("\"{}\"", self.c.pick(&COLORS))
                };
                return format!("{name}[{key}]");
            }
            match name.strip_suffix("#2") {
                // A second key: a whole number (a grade, a band).
                Some(name) => {
                    let second = if self.c.flag(50) {
                        self.c.range(1, 3).to_string()
                    } else {
                        self.expr(T::Int, 0)
                    };
                    format!("{name}[{key}, {second}]")
                }
                None => format!("{name}[{key}]"),
            }
        }
    }

    // ------------------------------------------------------------ items

    fn param(&mut self, out: &mut String, index: usize, keyed: bool) {
        let t = self.c.pick(&[T::Int, T::Money, T::Date, T::Text, T::Bool]);
        let name = format!("p{index}");
        let title = if self.c.flag(50) { " \"参数\"" } else { "" };
        let two_keys = keyed && self.c.flag(40);
        let color_keys = keyed && !two_keys && self.c.flag(30);
        let pool: &[&str] = if color_keys { &COLORS } else { &TEXTS };
        let keys: Vec<&str> = if keyed {
            let mut keys: Vec<&str> = pool.iter().copied().filter(|_| self.c.flag(50)).collect();
            if keys.is_empty() {
                keys.push(pool[0]);
            }
            keys
        } else {
            vec![""]
        };
        let key_type = match (keyed, two_keys) {
            (true, true) => "[text, int]",
            (true, false) => "[text]",
            _ => "",
        };
        out.push_str(&format!(
            "param {name}{key_type}: {}{title} {{\n",
            type_source(t)
        ));
        for key in keys {
            let mut dates: Vec<i64> = (0..1 + self.c.below(3))
                .map(|_| day(&date_literal(self.c)))
                .collect();
            dates.sort_unstable();
            dates.dedup();
            let second: Vec<i64> = if two_keys {
                (1..=3).filter(|_| self.c.flag(60)).collect()
            } else {
                vec![0]
            };
            for (date, second) in dates
                .iter()
                .flat_map(|d| second.iter().map(move |s| (*d, *s)))
            {
                let key = match (keyed, two_keys) {
                    (true, true) => format!("\"{key}\", {second} "),
                    (true, false) => format!("\"{key}\" "),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "  {key}from {} = {}\n",
                    date_text(date),
                    cell_literal(self.c, t)
                ));
            }
        }
        out.push_str("}\n\n");
        if color_keys {
            self.color_keyed.push((name, t))
        } else if keyed {
            self.keyed.push((name, t, two_keys))
        } else {
            self.params.push((name, t))
        }
    }

    fn let_item(&mut self, out: &mut String, index: usize) {
        let t = self.c.pick(&[
            T::Int,
            T::Money,
            T::Bool,
            T::Date,
            T::Text,
            T::Set,
            T::Color,
            T::Int,
            T::Money,
        ]);
        let name = format!("l{index}");
        let title = if self.c.flag(60) {
            format!(" \"值{index}\"")
        } else {
            String::new()
        };
        let depth = 1 + self.c.below(4);
        let value = self.expr(t, depth);
        out.push_str(&format!("let {name}{title} = {value}\n\n"));
        self.names.push((name, t));
    }

    fn rule_item(&mut self, out: &mut String, index: usize) {
        let name = format!("r{index}");
        let depth = 1 + self.c.below(4);
        let body = self.expr(T::Bool, depth);
        out.push_str(&format!(
            "rule {name} \"规则{index}\" cite \"第{index}条\":\n  {body}\n\n"
        ));
        self.rules.push((name.clone(), self.names.len()));
        self.names.push((name, T::Bool));
    }

    fn exception_item(&mut self, out: &mut String, index: usize) {
        if self.rules.is_empty() {
            return;
        }
        let (rule, visible) = self.rules[self.c.below(self.rules.len())].clone();
        let saved = self.names.split_off(visible);
        let depth = 1 + self.c.below(3);
        let condition = self.expr(T::Bool, depth);
        self.names.extend(saved);
        let value = self.c.pick(&["true", "false"]);
        let name = format!("x{index}");
        out.push_str(&format!(
            "exception {name} \"例外{index}\" cite \"第{index}条\"\n  overrides {rule} to {value}\n  when {condition}\n\n"
        ));
        // Later definitions may read an exception's own result (its condition).
        self.names.push((name, T::Bool));
    }

    /// Sometimes a cell that compares its input with a parameter or a `let`
    /// of the same type (`< p0`), which only non-`unique` tables may hold.
    fn named_cell(&mut self, t: T) -> Option<String> {
        if !matches!(t, T::Int | T::Money | T::Date | T::Text) || !self.c.flag(20) {
            return None;
        }
        let names: Vec<String> = self
            .params
            .iter()
            .chain(&self.names)
            .filter(|(_, ty)| *ty == t)
            .map(|(n, _)| n.clone())
            .filter(|n| n.starts_with('p') || n.starts_with('l'))
            .collect();
        if names.is_empty() {
            return None;
        }
        let name = self.c.pick(&names);
        let op = if t == T::Text {
            self.c.pick(&["==", "!="])
        } else {
            self.c.pick(&["<", "<=", ">", ">=", "==", "!="])
        };
        Some(if op == "==" && self.c.flag(50) {
            name
        } else {
            format!("{op} {name}")
        })
    }

    fn table_item(&mut self, out: &mut String, index: usize) {
        let hit = self.c.below(8);
        let (hit_text, output, ty) = match hit {
            0 | 1 => (
                "unique".to_string(),
                self.c.pick(&[T::Int, T::Text, T::Money, T::Bool, T::Date]),
                None,
            ),
            2 | 3 => (
                "first".to_string(),
                self.c.pick(&[T::Text, T::Int, T::Money, T::Bool, T::Date]),
                None,
            ),
            4 => (
                "priority".to_string(),
                self.c.pick(&[T::Text, T::Int, T::Money, T::Date]),
                None,
            ),
            5 => ("collect".to_string(), T::Text, Some(T::Set)),
            6 => {
                let op = self.c.pick(&["sum", "count", "min", "max"]);
                let output = match op {
                    "sum" => self.c.pick(&[T::Int, T::Money]),
                    "count" => T::Int,
                    _ => self.c.pick(&[T::Int, T::Money, T::Date]),
                };
                let ty = if op == "count" { T::Int } else { output };
                (format!("collect {op}"), output, Some(ty))
            }
            _ => ("collect sum".to_string(), T::Money, Some(T::Money)),
        };
        let value_type = ty.unwrap_or(output);
        let collect = ty.is_some();
        let unique = hit_text == "unique";
        let inputs_n = 1 + self.c.below(3);
        let input_types: Vec<T> = (0..inputs_n)
            .map(|_| {
                self.c
                    .pick(&[T::Int, T::Text, T::Money, T::Date, T::Bool, T::Color])
            })
            .collect();
        let inputs: Vec<String> = input_types
            .iter()
            .map(|&t| {
                let depth = self.c.below(3);
                self.expr(t, depth)
            })
            .collect();
        // A small pool of outputs, so that priority order and equal outputs matter.
        let pool: Vec<String> = {
            let mut pool: Vec<String> = (0..3).map(|_| cell_literal(self.c, output)).collect();
            pool.sort();
            pool.dedup();
            pool
        };
        let rows_n = 1 + self.c.below(5);
        let mut rows: Vec<String> = Vec::new();
        // Unique: the first input's cells are disjoint from row to row.
        let first_cells = if unique {
            self.disjoint_cells(input_types[0], rows_n)
        } else {
            Vec::new()
        };
        for r in 0..first_cells.len().max(if unique { 0 } else { rows_n }) {
            let mut cells = Vec::new();
            for (i, &t) in input_types.iter().enumerate() {
                if unique && i == 0 {
                    cells.push(first_cells[r].clone());
                } else if let Some(named) = (!unique).then(|| self.named_cell(t)).flatten() {
                    cells.push(named);
                } else {
                    cells.push(self.cell(t));
                }
            }
            rows.push(format!(
                "  row {} => {}\n",
                cells.join(", "),
                self.c.pick(&pool)
            ));
        }
        let default = if !collect && self.c.flag(50) {
            Some(self.c.pick(&pool))
        } else {
            None
        };
        let name = format!("t{index}");
        let title = if self.c.flag(60) {
            format!(" \"表{index}\"")
        } else {
            String::new()
        };
        let base = match output {
            T::Bool => "bool",
            T::Int => "int",
            T::Money => "money",
            T::Date => "date",
            _ => "text",
        };
        out.push_str(&format!(
            "table {name}{title}: {base} hit {hit_text} {{\n  inputs {}\n",
            inputs.join(", ")
        ));
        if hit_text == "priority" {
            let mut order = pool.clone();
            for i in (1..order.len()).rev() {
                let j = self.c.below(i + 1);
                order.swap(i, j);
            }
            out.push_str(&format!("  order {}\n", order.join(", ")));
        }
        for row in rows {
            out.push_str(&row);
        }
        if let Some(default) = default {
            out.push_str(&format!("  default => {default}\n"));
        }
        out.push_str("}\n\n");
        self.names.push((name, value_type));
    }

    fn cell(&mut self, t: T) -> String {
        if !self.c.flag(60) {
            return "-".to_string();
        }
        let ordered = matches!(t, T::Int | T::Money | T::Date);
        match self.c.below(4) {
            0 => cell_literal(self.c, t),
            1 if ordered => {
                let op = self.c.pick(&["<", "<=", ">", ">=", "==", "!="]);
                format!("{op} {}", cell_literal(self.c, t))
            }
            2 if ordered => {
                let a = cell_literal(self.c, t);
                let b = cell_literal(self.c, t);
                let (low, high) = if order_key(t, &a) <= order_key(t, &b) {
                    (a, b)
                } else {
                    (b, a)
                };
                format!("{low}..{high}")
            }
            _ => {
                let n = 1 + self.c.below(3);
                let mut items: Vec<String> = (0..n).map(|_| cell_literal(self.c, t)).collect();
                items.sort();
                items.dedup();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    /// `n` cells (or fewer) of type `t` that no value satisfies twice.
    fn disjoint_cells(&mut self, t: T, n: usize) -> Vec<String> {
        match t {
            T::Bool => {
                let mut cells = vec!["true".to_string(), "false".to_string()];
                cells.truncate(n.min(2));
                cells
            }
            T::Text | T::Color => {
                let values: Vec<String> = match t {
                    T::Text => TEXTS.iter().map(|s| format!("\"{s}\"")).collect(),
                    _ => COLORS.iter().map(|s| s.to_string()).collect(),
                };
                let mut cells = Vec::new();
                let mut next = 0;
                while cells.len() < n && next < values.len() {
                    let take = 1 + self.c.below(2);
                    let group: Vec<String> = values[next..(next + take).min(values.len())].to_vec();
                    next += take;
                    cells.push(if group.len() == 1 && self.c.flag(50) {
                        group[0].clone()
                    } else {
                        format!("{{{}}}", group.join(", "))
                    });
                }
                cells
            }
            _ => {
                // Increasing breakpoints; row i covers [b_i, b_{i+1}) (as `<`, a range, `>=`).
                let mut points: Vec<i64> = (0..n + 1)
                    .map(|_| match t {
                        T::Date => day(&date_literal(self.c)),
                        T::Money => money_fen(self.c).clamp(-1_000_000_000, 1_000_000_000),
                        _ => self.c.range(-50, 120),
                    })
                    .collect();
                points.sort_unstable();
                points.dedup();
                let show = |v: i64| match t {
                    T::Date => date_text(v),
                    T::Money => money_text(v),
                    _ => v.to_string(),
                };
                let mut cells = Vec::new();
                if points.len() == 1 {
                    return vec![show(points[0])];
                }
                cells.push(format!("< {}", show(points[0])));
                for pair in points.windows(2) {
                    if pair[1] - 1 == pair[0] {
                        cells.push(show(pair[0]));
                    } else {
                        cells.push(format!("{}..{}", show(pair[0]), show(pair[1] - 1)));
                    }
                }
                cells.push(format!(">= {}", show(points[points.len() - 1])));
                // Keep n of them, dropping some at random.
                while cells.len() > n {
                    let i = self.c.below(cells.len());
                    cells.remove(i);
                }
                cells
            }
        }
    }
}

/// An order key for a cell literal, to write ranges low..high.
fn order_key(t: T, literal: &str) -> i64 {
    match t {
        T::Date => day(literal),
        T::Money => {
            let negative = literal.starts_with('-');
            let digits: String = literal.chars().filter(|c| c.is_ascii_digit()).collect();
            let v: i64 = digits.parse().unwrap_or(0);
            if negative { -v } else { v }
        }
        _ => literal.parse().unwrap_or(0),
    }
}

/// A whole policy: its source, and the facts a request has to give.
#[derive(Debug)]
pub struct Generated {
    pub source: String,
    facts: Vec<FactDecl>,
    fields: Vec<FieldDecl>,
}

pub fn generate(c: &mut Choices) -> Generated {
    let facts: Vec<FactDecl> = SCALAR_FACTS
        .iter()
        .map(|&(name, t)| FactDecl {
            name,
            t,
            optional: c.flag(40),
        })
        .chain([FactDecl {
            name: "f.s1",
            t: T::Set,
            optional: false,
        }])
        .collect();
    let fields: Vec<FieldDecl> = FIELDS
        .iter()
        .map(|&(name, t)| FieldDecl {
            name,
            t,
            optional: c.flag(40),
        })
        .collect();
    let mut out = String::from(
        "policy t.gen \"生成的事项\"\n  department t.dept\n  basis \"测试依据\"\n\nfacts {\n",
    );
    for fact in &facts {
        let q = if fact.optional { "?" } else { "" };
        out.push_str(&format!(
            "  {}: {}{q}{}\n",
            fact.name,
            type_source(fact.t),
            wide_range(fact.t)
        ));
    }
    let field_text: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{}: {}{}{}",
                f.name,
                type_source(f.t),
                if f.optional { "?" } else { "" },
                wide_range(f.t)
            )
        })
        .collect();
    out.push_str(&format!(
        "  f.l1: list of {{ {} }}\n}}\n\n",
        field_text.join(", ")
    ));

    let mut g = Gen {
        c,
        facts,
        fields,
        names: Vec::new(),
        params: Vec::new(),
        keyed: Vec::new(),
        color_keyed: Vec::new(),
        vars: Vec::new(),
        rules: Vec::new(),
    };
    for index in 0..g.c.below(3) {
        let keyed = g.c.flag(40);
        g.param(&mut out, index, keyed);
    }
    let items = 1 + g.c.below(9);
    g.rule_item(&mut out, 0);
    for index in 1..=items {
        match g.c.below(8) {
            0 | 1 => g.rule_item(&mut out, index),
            2 | 3 => g.let_item(&mut out, index),
            4 | 5 => g.table_item(&mut out, index),
            _ => g.exception_item(&mut out, index),
        }
    }
    let eligibility = if g.c.flag(60) {
        let op = if g.c.flag(50) { " or " } else { " and " };
        let rules: Vec<String> = g
            .rules
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|_| g.c.flag(60))
            .collect();
        if rules.is_empty() {
            "r0".to_string()
        } else {
            rules.join(op)
        }
    } else {
        let depth = 1 + g.c.below(3);
        g.expr(T::Bool, depth)
    };
    out.push_str(&format!("eligible when {eligibility}\n\n"));
    for material in ["doc_a", "doc_b", "doc_c", "doc_d"] {
        if g.c.flag(50) {
            let when = if g.c.flag(70) {
                format!(" when {}", g.expr(T::Bool, 2))
            } else {
                String::new()
            };
            out.push_str(&format!("material {material}{when}\n"));
        }
    }
    for step in 0..g.c.below(4) {
        let after = if step > 0 && g.c.flag(50) {
            format!(" after s{}", g.c.below(step))
        } else {
            String::new()
        };
        let when = if g.c.flag(60) {
            format!(" when {}", g.expr(T::Bool, 2))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "step s{step} \"环节{step}\" by t.office{after} within 3 days{when}\n"
        ));
    }
    Generated {
        source: out,
        facts: g.facts,
        fields: g.fields,
    }
}

// ---------------------------------------------------------------- requests

fn input_value(c: &mut Choices, t: T) -> In {
    match t {
        T::Bool => In::Bool(c.flag(50)),
        T::Int => In::Int(match c.below(10) {
            0 => 0,
            1 => 1,
            2 => -1,
            3 => c.range(-100, 100),
            4 => c.pick(&[12, 18, 60, 100, 2, 3]),
            5 => c.range(-1_000_000, 1_000_000),
            6 => c.pick(&[
                i64::MAX,
                i64::MIN,
                4_611_686_018_427_387_904,
                1_000_000_000_000,
            ]),
            _ => c.range(0, 30),
        }),
        T::Money => In::Money(match c.below(8) {
            6 => c.pick(&[i64::MAX, i64::MIN + 1, 4_611_686_018_427_387_904]),
            _ => money_fen(c).clamp(-1_000_000_000_000, 1_000_000_000_000),
        }),
        T::Dec => In::Decimal(decimal_units(c), 3),
        T::Date => In::Date(day(&date_literal(c))),
        T::Text => In::Text(c.pick(&INPUT_TEXTS).to_string()),
        T::Color => In::Enum(c.pick(&COLORS).to_string()),
        T::Kind => In::Enum(c.pick(&KINDS).to_string()),
        T::Set => {
            // At most 8: the sets' declared limit.
            let items: Vec<String> = INPUT_TEXTS
                .iter()
                .filter(|_| c.flag(30))
                .take(8)
                .map(|s| s.to_string())
                .collect();
            In::Set(items)
        }
    }
}

pub fn request(c: &mut Choices, generated: &Generated) -> Request {
    let date = if c.flag(40) {
        c.range(day("2015-01-01"), day("2030-12-31"))
    } else {
        day(&date_literal(c))
    };
    let mut request = Request {
        date,
        facts: Vec::new(),
    };
    for fact in &generated.facts {
        if fact.optional && c.flag(35) {
            // Absent: left out of the request, or given as null.
            if c.flag(50) {
                request.facts.push((fact.name.to_string(), None));
            }
            continue;
        }
        request
            .facts
            .push((fact.name.to_string(), Some(input_value(c, fact.t))));
    }
    let records = match c.below(6) {
        0 => 0,
        1 => 1,
        n => n - 1,
    };
    let list = (0..records)
        .map(|_| {
            generated
                .fields
                .iter()
                .filter_map(|field| {
                    if field.optional && c.flag(35) {
                        return c.flag(50).then(|| (field.name.to_string(), None));
                    }
                    Some((field.name.to_string(), Some(input_value(c, field.t))))
                })
                .collect()
        })
        .collect();
    request
        .facts
        .push(("f.l1".to_string(), Some(In::List(list))));
    request
}
