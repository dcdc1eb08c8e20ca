//! Decision tables: inputs, cells, outputs, hit policies, and the static
//! checks that cells make decidable (overlap in `unique`, unreachable rows
//! in `first`).

use super::error::{CheckError, Warning};
use super::expr::{Scope, Symbol, literal_ir_as, literal_type};
use super::policy::base_type;
use crate::calendar;
use crate::ir::{self, Cell, HitPolicy, Literal, Type};
use crate::lang::{Lang, Words};
use crate::syntax::ast::{self, CellKind, CompareOp};
use crate::words;

/// Checks a table; returns it with the warnings about unreachable rows.
pub fn check_table(
    scope: &mut Scope,
    decl: &ast::TableDecl,
    warnings: &mut Vec<Warning>,
) -> Option<(ir::Table, Vec<Warning>)> {
    let output = base_type(decl.ty);
    let mut failed = false;
    let mut inputs = Vec::with_capacity(decl.inputs.len());
    for input in &decl.inputs {
        match scope.expr(input, None) {
            Some(checked) if matches!(checked.ty, Type::Set | Type::List(_)) => {
                scope.errors.push(CheckError::BadCell {
                    message: words!(
                        "决策表的输入必须是单个值，实际为{found}",
                        "a table input must be a single value, found {found}",
                        found = scope.type_name(checked.ty)
                    ),
                    span: input.span,
                    help: Some(words!(
                        "先对列表作聚合（`count(…)`、`sum(…)`），或用`in`判断是否属于集合",
                        "aggregate the list first (`count(…)`, `sum(…)`) or test membership with `in`"
                    )),
                });
                failed = true;
            }
            Some(checked) => inputs.push(checked),
            None => failed = true,
        }
    }
    if failed {
        return None;
    }
    let input_types: Vec<Type> = inputs.iter().map(|i| i.ty).collect();

    let (hit, ty) = match decl.hit {
        ast::HitPolicy::Unique => (HitPolicy::Unique, output),
        ast::HitPolicy::First => (HitPolicy::First, output),
        ast::HitPolicy::Priority => {
            let Some(order) = &decl.order else {
                let name = &decl.name.text;
                scope.errors.push(CheckError::BadPriority {
                    message: words!(
                        "`priority`决策表`{name}`缺少`order`行",
                        "the priority table `{name}` has no `order` line"
                    ),
                    span: decl.hit_span,
                });
                return None;
            };
            let mut literals = Vec::with_capacity(order.values.len());
            for value in &order.values {
                match output_value(scope, value, output) {
                    Some(literal) => literals.push(literal),
                    None => failed = true,
                }
            }
            (HitPolicy::Priority { order: literals }, output)
        }
        ast::HitPolicy::Collect(op) => {
            let ty = match (op, output) {
                (None, Type::Text) => Some(Type::Set),
                (Some(ast::CollectOp::Count), _) => Some(Type::Int),
                (Some(ast::CollectOp::Sum), Type::Int | Type::Money | Type::Decimal(_)) => {
                    Some(output)
                }
                (
                    Some(ast::CollectOp::Min | ast::CollectOp::Max),
                    Type::Int | Type::Money | Type::Decimal(_) | Type::Date,
                ) => Some(output),
                _ => None,
            };
            let Some(ty) = ty else {
                let what = op.map_or("collect".to_string(), |op| {
                    format!("collect {}", op.as_str())
                });
                scope.errors.push(CheckError::BadCollect {
                    message: words!(
                        "`{what}`不适用于{ty}类型的输出",
                        "`{what}` does not apply to {ty} outputs",
                        ty = scope.type_name(output)
                    ),
                    span: decl.hit_span,
                });
                return None;
            };
            if let Some(default) = &decl.default {
                scope.errors.push(CheckError::BadClause {
                    message: words!(
                        "`collect`决策表不写`default`",
                        "a `collect` table has no `default`"
                    ),
                    span: default.span(),
                    help: Some(words!(
                        "没有行命中时，`collect`得到空集合，`sum`和`count`得到 0，`min`和`max`没有值（未知）",
                        "when no row matches, `collect` gives an empty set, `sum` and `count` give 0, and `min` and `max` give no value (unknown)"
                    )),
                });
                failed = true;
            }
            (HitPolicy::Collect(op), ty)
        }
    };
    if let (Some(order), false) = (&decl.order, matches!(decl.hit, ast::HitPolicy::Priority)) {
        scope.errors.push(CheckError::BadClause {
            message: words!(
                "只有`priority`决策表才写`order`",
                "`order` is only for `priority` tables"
            ),
            span: order.span,
            help: Some(words!(
                "删除`order`行，或改用`hit priority`",
                "remove the `order` line, or use `hit priority`"
            )),
        });
        failed = true;
    }

    let mut rows = Vec::with_capacity(decl.rows.len());
    let mut row_spans = Vec::with_capacity(decl.rows.len());
    for row in &decl.rows {
        if row.cells.len() != input_types.len() {
            scope.errors.push(CheckError::CellCount {
                expected: input_types.len(),
                found: row.cells.len(),
                span: row.span,
            });
            failed = true;
            continue;
        }
        let mut cells = Vec::with_capacity(row.cells.len());
        for (cell, &input) in row.cells.iter().zip(&input_types) {
            match check_cell(scope, cell, input) {
                Some(c) => cells.push(c),
                None => failed = true,
            }
        }
        let Some(out) = output_value(scope, &row.output, output) else {
            failed = true;
            continue;
        };
        if cells.len() == row.cells.len() {
            rows.push(ir::Row { cells, output: out });
            row_spans.push(row.span);
        }
    }
    let default = match &decl.default {
        Some(value) if !matches!(hit, HitPolicy::Collect(_)) => {
            let checked = output_value(scope, value, output);
            failed |= checked.is_none();
            checked
        }
        _ => None,
    };
    if let HitPolicy::Priority { order } = &hit {
        let outputs = rows.iter().map(|r| &r.output).chain(default.iter());
        for (value, span) in outputs.zip(
            row_spans
                .iter()
                .copied()
                .chain(decl.default.iter().map(|d| d.span())),
        ) {
            if !order.contains(value) {
                scope.errors.push(CheckError::BadPriority {
                    message: words!(
                        "决策表的`order`中缺少这个输出",
                        "this output is missing from the table's `order`"
                    ),
                    span,
                });
                failed = true;
            }
        }
    }
    if failed {
        return None;
    }

    // A `unique` table is proved to have no overlapping rows when written,
    // which a cell naming a value (known only when evaluated) prevents.
    if matches!(hit, HitPolicy::Unique) {
        for (row, span) in rows.iter().zip(&row_spans) {
            if row.cells.iter().any(|c| matches!(c, Cell::Named { .. })) {
                scope.errors.push(CheckError::BadCell {
                    message: words!(
                        "`unique`表的单元格须是写在表里的值",
                        "a `unique` table's cells are values written in the table"
                    ),
                    span: *span,
                    help: Some(words!(
                        "引用参数或`let`的单元格要到计算时才知道取值，两行可能同时匹配：请改用`hit first`",
                        "a cell that names a parameter or a `let` is known only when evaluated, so two rows might both match: use `hit first`"
                    )),
                });
                failed = true;
            }
        }
        if failed {
            return None;
        }
    }

    // Static checks over the cells.
    let sets: Vec<Vec<CellSet>> = rows
        .iter()
        .map(|row| {
            row.cells
                .iter()
                .zip(&input_types)
                .map(|(c, &t)| cell_set(scope, c, t))
                .collect()
        })
        .collect();
    let mut unreachable = Vec::new();
    match hit {
        HitPolicy::Unique => {
            for later in 0..rows.len() {
                for earlier in 0..later {
                    if let Some(example) = overlap(
                        scope,
                        &sets[earlier],
                        &sets[later],
                        &decl.inputs,
                        &input_types,
                    ) {
                        scope.errors.push(CheckError::TableOverlap {
                            table: decl.name.text.clone(),
                            first_row: earlier + 1,
                            second_row: later + 1,
                            span: row_spans[later],
                            first: row_spans[earlier],
                            example,
                        });
                        failed = true;
                    }
                }
            }
        }
        HitPolicy::First => {
            let later_sets: Vec<Vec<CellSet>> = rows
                .iter()
                .map(|row| {
                    row.cells
                        .iter()
                        .zip(&input_types)
                        .map(|(c, &t)| cell_set_as(scope, c, t, true))
                        .collect()
                })
                .collect();
            for later in 0..rows.len() {
                if let Some(earlier) = (0..later).find(|&e| covers(&sets[e], &later_sets[later])) {
                    unreachable.push(Warning::UnreachableRow {
                        table: decl.name.text.clone(),
                        row: later + 1,
                        span: row_spans[later],
                        earlier: row_spans[earlier],
                    });
                }
            }
        }
        _ => {}
    }
    if default.is_none()
        && !matches!(hit, HitPolicy::Collect(_))
        && !rows_cover_every_input(scope, &rows, &input_types)
    {
        warnings.push(Warning::MissingDefault {
            name: decl.name.text.clone(),
            span: decl.name.span,
        });
    }
    if failed {
        return None;
    }
    Some((
        ir::Table {
            name: decl.name.text.clone(),
            title: decl.title.as_ref().map(|t| t.value.clone()),
            output,
            ty,
            hit,
            inputs,
            rows,
            default,
        },
        unreachable,
    ))
}

/// Whether the table's value may be unknown.
pub fn nullable(scope: &Scope, table: &ir::Table) -> bool {
    let inputs = table.inputs.iter().any(|i| i.nullable)
        || table.rows.iter().flat_map(|r| &r.cells).any(|c| match c {
            Cell::Named { value, .. } => value.nullable,
            _ => false,
        });
    let input_types: Vec<Type> = table.inputs.iter().map(|i| i.ty).collect();
    // `collect`, `collect sum` and `collect count` have a value when no row
    // matches (an empty set, 0); `collect min`/`max` have none.
    let always_valued = matches!(
        table.hit,
        HitPolicy::Collect(None | Some(ast::CollectOp::Sum | ast::CollectOp::Count))
    );
    let may_miss = !always_valued
        && table.default.is_none()
        && !rows_cover_every_input(scope, &table.rows, &input_types);
    inputs || may_miss
}

/// Whether some row matches whatever the inputs are: one row of `-` cells,
/// or rows that leave every column but one `-` and together cover that
/// column's values (`true` and `false`; every value of an enum; `< 18` and
/// `>= 18`).
fn rows_cover_every_input(scope: &Scope, rows: &[ir::Row], types: &[Type]) -> bool {
    if rows.iter().any(|r| r.cells.iter().all(|c| *c == Cell::Any)) {
        return true;
    }
    (0..types.len()).any(|column| {
        if types[column] == Type::Text {
            return false; // text has no end of values to cover
        }
        let mut ranges = Vec::new();
        for row in rows {
            let others_any = row
                .cells
                .iter()
                .enumerate()
                .all(|(other, cell)| other == column || *cell == Cell::Any);
            if !others_any {
                continue;
            }
            if let CellSet::Ranges(r) = cell_set(scope, &row.cells[column], types[column]) {
                ranges.extend(r);
            }
        }
        merge(&ranges) == vec![domain(scope, types[column])]
    })
}

fn output_value(scope: &mut Scope, value: &ast::Value, ty: Type) -> Option<Literal> {
    value_of_type(
        scope,
        value,
        ty,
        &words!("决策表的输出", "the table's output"),
    )
}

/// What a cell's value is checked against, for the help line.
fn this_input() -> Words {
    words!("这个输入", "this input")
}

/// A cell value or output of type `ty`, with the usual money/int help.
fn value_of_type(scope: &mut Scope, value: &ast::Value, ty: Type, what: &Words) -> Option<Literal> {
    let what_is = |scope: &Scope| {
        words!(
            "{what}是{ty}",
            "{what} is {ty}",
            what = what,
            ty = scope.type_name(ty)
        )
    };
    match value {
        ast::Value::Literal(literal) => {
            let ir_literal = literal_ir_as(&literal.kind, Some(ty));
            let found = literal_type(&ir_literal);
            if found == ty {
                return Some(ir_literal);
            }
            let help =
                super::expr::literal_help(&literal.kind, ty).unwrap_or_else(|| what_is(scope));
            scope.errors.push(CheckError::BadCell {
                message: words!(
                    "应为{expected}，实际为{found}",
                    "expected {expected}, found {found}",
                    expected = scope.type_name(ty),
                    found = scope.type_name(found)
                ),
                span: literal.span,
                help: Some(help),
            });
            None
        }
        ast::Value::Variant(name) => match ty {
            Type::Enum(enum_id) => scope.variant(enum_id, &name.text, name.span),
            _ => {
                let word = &name.text;
                let help = match ty {
                    Type::Text => words!(
                        "文本要加引号：`\"{word}\"`",
                        "write text in quotes: `\"{word}\"`"
                    ),
                    _ => what_is(scope),
                };
                scope.errors.push(CheckError::BadCell {
                    message: words!(
                        "`{word}`不是{ty}类型的值",
                        "`{word}` is not a value of {ty}",
                        ty = scope.type_name(ty)
                    ),
                    span: name.span,
                    help: Some(help),
                });
                None
            }
        },
    }
}

fn check_cell(scope: &mut Scope, cell: &ast::Cell, input: Type) -> Option<Cell> {
    let ordered = matches!(
        input,
        Type::Int | Type::Money | Type::Decimal(_) | Type::Date
    );
    let need_order = |scope: &mut Scope, what: Words| {
        scope.errors.push(CheckError::BadCell {
            message: words!(
                "{what}要求输入有大小之分，但这个输入是{ty}",
                "{what} needs an input with an order, but this input is {ty}",
                what = what,
                ty = scope.type_name(input)
            ),
            span: cell.span,
            help: Some(words!(
                "文本、枚举和真/假输入按值匹配：`rented`或`{{owned, rented}}`",
                "text, enum and true/false inputs are matched by value: `rented` or `{{owned, rented}}`"
            )),
        });
    };
    Some(match &cell.kind {
        CellKind::Any => Cell::Any,
        CellKind::Equals(ast::Value::Variant(name)) if names_a_value(scope, name, input) => {
            named_cell(scope, CompareOp::Eq, name, input)?
        }
        CellKind::Compare(op, ast::Value::Variant(name)) if names_a_value(scope, name, input) => {
            if !ordered && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                need_order(scope, Words::same(format!("`{}`", op.as_str())));
                return None;
            }
            named_cell(scope, *op, name, input)?
        }
        CellKind::Equals(value) => Cell::Equals(value_of_type(scope, value, input, &this_input())?),
        CellKind::OneOf(values) => {
            let mut literals = Vec::with_capacity(values.len());
            for value in values {
                literals.push(value_of_type(scope, value, input, &this_input()));
            }
            Cell::OneOf(literals.into_iter().collect::<Option<_>>()?)
        }
        CellKind::Compare(op, value) => {
            if !ordered {
                need_order(scope, Words::same(format!("`{}`", op.as_str())));
                return None;
            }
            let value = value_of_type(scope, value, input, &this_input())?;
            Cell::Compare(*op, value)
        }
        CellKind::Range(low, high) => {
            if !ordered {
                need_order(scope, words!("区间", "a range"));
                return None;
            }
            let low_value = value_of_type(
                scope,
                &ast::Value::Literal(low.clone()),
                input,
                &this_input(),
            )?;
            let high_value = value_of_type(
                scope,
                &ast::Value::Literal(high.clone()),
                input,
                &this_input(),
            )?;
            if ordinal(&low_value) > ordinal(&high_value) {
                scope.errors.push(CheckError::EmptyRange {
                    text: format!(
                        "{}..{}",
                        literal_text(scope, &low_value),
                        literal_text(scope, &high_value)
                    ),
                    span: cell.span,
                });
                return None;
            }
            Cell::Range(low_value, high_value)
        }
    })
}

/// Whether a bare name in a cell names a `let` or an unkeyed parameter
/// rather than a value of the input's enum (an enum value wins).
fn names_a_value(scope: &Scope, name: &ast::Name, input: Type) -> bool {
    if let Type::Enum(id) = input {
        if scope
            .enums
            .get(id)
            .is_some_and(|e| e.variants.contains(&name.text))
        {
            return false;
        }
    }
    matches!(
        scope.symbols.get(name.text.as_str()),
        Some((Symbol::Let(_) | Symbol::Param(_), _))
    )
}

/// `< limit`: the input compared with a `let` or a parameter of its type.
fn named_cell(scope: &mut Scope, op: CompareOp, name: &ast::Name, input: Type) -> Option<Cell> {
    let path = ast::Expr {
        kind: ast::ExprKind::Path(name.text.clone()),
        span: name.span,
    };
    let value = scope.expr(&path, Some(input))?;
    let value = match (
        super::expr::scale_of(input),
        super::expr::scale_of(value.ty),
    ) {
        (Some(to), Some(from)) if to > from && input != value.ty => {
            super::expr::rescaled(value, to - from, to)
        }
        _ => value,
    };
    if value.ty != input {
        scope.errors.push(CheckError::BadCell {
            message: words!(
                "`{name}`是{found}，但这个输入是{input}",
                "`{name}` is {found}, but this input is {input}",
                name = name.text,
                found = scope.type_name(value.ty),
                input = scope.type_name(input)
            ),
            span: name.span,
            help: Some(words!(
                "单元格把输入与同类型的值比较",
                "a cell compares its input with a value of the same type"
            )),
        });
        return None;
    }
    Some(Cell::Named {
        op,
        value: Box::new(value),
    })
}

/// The values a cell accepts, for overlap and coverage.
#[derive(Debug, Clone)]
enum CellSet {
    /// Inclusive ranges over the input's ordinal values.
    Ranges(Vec<(i128, i128)>),
    Texts(Vec<String>),
    AllTexts,
}

fn ordinal(literal: &Literal) -> i128 {
    match literal {
        Literal::Bool(b) => i128::from(*b),
        Literal::Int(n) | Literal::Money(n) | Literal::Decimal { units: n, .. } => i128::from(*n),
        Literal::Date(d) => i128::from(calendar::days_from_date(*d)),
        Literal::Enum { variant, .. } => *variant as i128,
        Literal::Text(_) => 0,
    }
}

fn domain(scope: &Scope, ty: Type) -> (i128, i128) {
    match ty {
        Type::Bool => (0, 1),
        Type::Enum(id) => (
            0,
            scope
                .enums
                .get(id)
                .map_or(0, |e| e.variants.len() as i128 - 1),
        ),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    }
}

fn cell_set(scope: &Scope, cell: &Cell, ty: Type) -> CellSet {
    cell_set_as(scope, cell, ty, false)
}

/// The values a cell may accept. A cell naming a value is known only when
/// evaluated: as an earlier row it may match nothing, as a later row anything.
fn cell_set_as(scope: &Scope, cell: &Cell, ty: Type, later: bool) -> CellSet {
    let (low, high) = domain(scope, ty);
    if let Cell::Named { .. } = cell {
        return match (ty, later) {
            (Type::Text, true) => CellSet::AllTexts,
            (Type::Text, false) => CellSet::Texts(Vec::new()),
            (_, true) => CellSet::Ranges(vec![(low, high)]),
            (_, false) => CellSet::Ranges(Vec::new()),
        };
    }
    if ty == Type::Text {
        return match cell {
            Cell::Equals(Literal::Text(t)) => CellSet::Texts(vec![t.clone()]),
            Cell::OneOf(values) => CellSet::Texts(
                values
                    .iter()
                    .filter_map(|v| match v {
                        Literal::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => CellSet::AllTexts,
        };
    }
    CellSet::Ranges(match cell {
        Cell::Any | Cell::Named { .. } => vec![(low, high)],
        Cell::Equals(v) => vec![(ordinal(v), ordinal(v))],
        Cell::OneOf(values) => values.iter().map(|v| (ordinal(v), ordinal(v))).collect(),
        Cell::Range(a, b) => vec![(ordinal(a), ordinal(b))],
        Cell::Compare(op, v) => {
            let v = ordinal(v);
            match op {
                CompareOp::Lt => vec![(low, v - 1)],
                CompareOp::Le => vec![(low, v)],
                CompareOp::Gt => vec![(v + 1, high)],
                CompareOp::Ge => vec![(v, high)],
                CompareOp::Eq => vec![(v, v)],
                CompareOp::Ne => vec![(low, v - 1), (v + 1, high)],
            }
        }
    })
}

/// If two rows can match the same input, an example of such an input.
fn overlap(
    scope: &Scope,
    a: &[CellSet],
    b: &[CellSet],
    inputs: &[ast::Expr],
    types: &[Type],
) -> Option<Words> {
    // Each input's value as (the input, the value), put into words at the end.
    let mut example: Vec<(String, String)> = Vec::new();
    for (column, (x, y)) in a.iter().zip(b).enumerate() {
        let (domain_low, domain_high) = domain(scope, types[column]);
        let witness = match (x, y) {
            (CellSet::Ranges(xs), CellSet::Ranges(ys)) => xs.iter().find_map(|&(xl, xh)| {
                ys.iter().find_map(|&(yl, yh)| {
                    let (low, high) = (xl.max(yl), xh.min(yh));
                    (low <= high).then(|| readable_witness(low, high, domain_low, domain_high))
                })
            })?,
            (CellSet::Texts(xs), CellSet::Texts(ys)) => {
                let common = xs.iter().find(|t| ys.contains(t))?;
                example.push((
                    crate::format::expr_text(&inputs[column]),
                    format!("\"{common}\""),
                ));
                continue;
            }
            (CellSet::Texts(ts), CellSet::AllTexts) | (CellSet::AllTexts, CellSet::Texts(ts)) => {
                let first = ts.first()?;
                example.push((
                    crate::format::expr_text(&inputs[column]),
                    format!("\"{first}\""),
                ));
                continue;
            }
            _ => continue,
        };
        let full_domain = vec![(domain_low, domain_high)];
        let full = matches!(x, CellSet::Ranges(r) if r == &full_domain)
            && matches!(y, CellSet::Ranges(r) if r == &full_domain);
        if !full {
            example.push((
                crate::format::expr_text(&inputs[column]),
                ordinal_text(scope, witness, types[column]),
            ));
        }
    }
    if example.is_empty() {
        return Some(words!("输入为任意值", "any input"));
    }
    Some(Words::by(|lang| {
        let parts: Vec<String> = example
            .iter()
            .map(|(input, value)| match lang {
                Lang::Zh => format!("`{input}` 为 {value}"),
                Lang::En => format!("`{input}` is {value}"),
            })
            .collect();
        match lang {
            Lang::Zh => parts.join(" 且 "),
            Lang::En => parts.join(" and "),
        }
    }))
}

/// A value in `low..=high` that reads well in a message: a bound the officer
/// wrote rather than the edge of the type's domain (`< 1000` overlaps
/// `<= 500` at 500, not at -9223372036854775808).
fn readable_witness(low: i128, high: i128, domain_low: i128, domain_high: i128) -> i128 {
    if low != domain_low {
        low
    } else if high != domain_high {
        high
    } else {
        0.clamp(low, high)
    }
}

/// Whether every input that `later` accepts is accepted by `earlier`.
fn covers(earlier: &[CellSet], later: &[CellSet]) -> bool {
    earlier.iter().zip(later).all(|(e, l)| match (e, l) {
        (CellSet::AllTexts, _) => true,
        (CellSet::Texts(_), CellSet::AllTexts) => false,
        (CellSet::Texts(es), CellSet::Texts(ls)) => ls.iter().all(|t| es.contains(t)),
        (CellSet::Ranges(es), CellSet::Ranges(ls)) => {
            let merged = merge(es);
            ls.iter()
                .all(|&(low, high)| merged.iter().any(|&(a, b)| a <= low && high <= b))
        }
        _ => false,
    })
}

fn merge(ranges: &[(i128, i128)]) -> Vec<(i128, i128)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut merged: Vec<(i128, i128)> = Vec::with_capacity(sorted.len());
    for (low, high) in sorted {
        match merged.last_mut() {
            Some(last) if low <= last.1.saturating_add(1) => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

fn ordinal_text(scope: &Scope, value: i128, ty: Type) -> String {
    match ty {
        Type::Bool => (value != 0).to_string(),
        Type::Money | Type::Decimal(_) => {
            let scale = match ty {
                Type::Decimal(scale) => scale,
                _ => 2,
            };
            i64::try_from(value).map_or_else(
                |_| value.to_string(),
                |units| crate::codec::decimal_text(units, scale),
            )
        }
        Type::Date => i64::try_from(value)
            .ok()
            .and_then(calendar::date_from_days)
            .map_or_else(|| value.to_string(), |d| d.to_string()),
        Type::Enum(id) => scope
            .enums
            .get(id)
            .and_then(|e| usize::try_from(value).ok().and_then(|v| e.variants.get(v)))
            .cloned()
            .unwrap_or_default(),
        _ => value.to_string(),
    }
}

fn literal_text(scope: &Scope, literal: &Literal) -> String {
    match literal {
        Literal::Text(t) => format!("\"{t}\""),
        other => ordinal_text(scope, ordinal(other), literal_type(other)),
    }
}
