//! The formatter: source → the one canonical layout, comments kept.
//!
//! Input: a file's text. Output: the same items printed canonically, or the
//! syntax errors that prevent formatting (a file that does not parse is never
//! rewritten). The layout: header clauses indented under `policy`/`bundle`;
//! a blank line around every multi-line item and wherever the source had one;
//! expressions on one line unless longer than [`MAX_WIDTH`], then broken before
//! each top-level `and`/`or`; table cells aligned in columns. Comments before an
//! item stay before it, a comment at the end of a line stays there, comments
//! inside `facts`, `param` and `table` blocks stay with their line, and any
//! other comment inside an item moves to just before the item.
//!
//! Properties (tested over the corpus): `format(format(x)) == format(x)`, and
//! the typed IR of `format(x)` equals that of `x`.

use unicode_width::UnicodeWidthStr;

use crate::syntax::ast::*;
use crate::syntax::{self, Comment, SyntaxError};

/// Lines longer than this break their expression.
pub const MAX_WIDTH: usize = 100;

const INDENT: &str = "  ";

/// Formats a whole file, or returns why it cannot.
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = syntax::parse(text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut printer = Printer {
        text,
        comments: parsed.comments,
        next_comment: 0,
        out: String::new(),
    };
    printer.file(&parsed.file);
    Ok(printer.out)
}

/// An expression on one line, as the formatter prints it.
pub fn expr_text(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(expr, &mut out);
    out
}

struct Printer<'a> {
    text: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: String,
}

fn is_header_clause(kind: &ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Department { name: None, .. }
            | ItemKind::Basis(_)
            | ItemKind::Version { .. }
            | ItemKind::Effective { .. }
    )
}

fn is_multiline(kind: &ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Facts(_)
            | ItemKind::Param(_)
            | ItemKind::Table(_)
            | ItemKind::Rule(_)
            | ItemKind::Exception(_)
    )
}

impl Printer<'_> {
    /// Whether the source has an empty line between two offsets.
    fn blank_between(&self, start: usize, end: usize) -> bool {
        let Some(between) = self.text.get(start..end) else {
            return false;
        };
        let mut after_newline = false;
        for ch in between.chars() {
            if ch == '\n' {
                if after_newline {
                    return true;
                }
                after_newline = true;
            } else if !ch.is_whitespace() {
                after_newline = false;
            }
        }
        false
    }

    fn same_line(&self, end: usize, start: usize) -> bool {
        self.text
            .get(end..start)
            .is_some_and(|between| !between.contains('\n'))
    }

    /// Comments that start before `offset` and have not been printed.
    fn take_before(&mut self, offset: usize) -> Vec<Comment> {
        let mut taken = Vec::new();
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.span.start >= offset {
                break;
            }
            taken.push(comment.clone());
            self.next_comment += 1;
        }
        taken
    }

    /// The comment at the end of the line on which `end` lies, if any.
    fn take_trailing(&mut self, end: usize) -> Option<Comment> {
        let comment = self.comments.get(self.next_comment)?;
        if comment.span.start >= end && self.same_line(end, comment.span.start) {
            self.next_comment += 1;
            return Some(comment.clone());
        }
        None
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn line(&mut self, indent: &str, text: &str, trailing: Option<Comment>) {
        self.out.push_str(indent);
        self.out.push_str(text);
        if let Some(comment) = trailing {
            self.out.push_str("  ");
            self.out.push_str(comment.text.trim_end());
        }
        self.out.push('\n');
    }

    fn comment_lines(
        &mut self,
        indent: &str,
        comments: Vec<Comment>,
        mut previous_end: Option<usize>,
    ) {
        for comment in comments {
            if let Some(end) = previous_end {
                if self.blank_between(end, comment.span.start) {
                    self.blank_line();
                }
            }
            self.line(indent, comment.text.trim_end(), None);
            previous_end = Some(comment.span.end);
        }
    }

    fn file(&mut self, file: &SourceFile) {
        let mut previous: Option<(usize, bool)> = None; // (end offset, was multi-line)
        let mut in_header = false;
        for item in &file.items {
            let header_clause = in_header && is_header_clause(&item.kind);
            if !header_clause {
                in_header = false;
            }
            let multiline = is_multiline(&item.kind);
            let leading = self.take_before(item.span.start);
            let first_start = leading.first().map_or(item.span.start, |c| c.span.start);
            if let Some((end, was_multiline)) = previous {
                if !header_clause
                    && (was_multiline || multiline || self.blank_between(end, first_start))
                {
                    self.blank_line();
                }
            }
            let indent = if header_clause { INDENT } else { "" };
            let mut comment_end = None;
            if let Some(last) = leading.last() {
                comment_end = Some(last.span.end);
            }
            self.comment_lines(indent, leading, previous.map(|(end, _)| end));
            if let Some(end) = comment_end {
                if self.blank_between(end, item.span.start) && !header_clause {
                    self.blank_line();
                }
            }
            self.item(item, indent);
            previous = Some((item.span.end, multiline));
            if matches!(item.kind, ItemKind::Policy { .. } | ItemKind::Bundle { .. }) {
                in_header = true;
            }
        }
        let rest = self.take_before(usize::MAX);
        if !rest.is_empty() {
            if let Some((end, _)) = previous {
                if self.blank_between(end, rest[0].span.start) {
                    self.blank_line();
                }
            }
            self.comment_lines("", rest, None);
        }
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    /// Comments inside an item that no line of it keeps move before the item.
    fn hoist_interior(&mut self, indent: &str, end: usize) {
        let interior = self.take_before(end);
        self.comment_lines(indent, interior, None);
    }

    fn item(&mut self, item: &Item, indent: &str) {
        match &item.kind {
            ItemKind::Facts(facts) => return self.facts(item, facts),
            ItemKind::Param(param) => return self.param(item, param),
            ItemKind::Table(table) => return self.table(item, table),
            _ => {}
        }
        self.hoist_interior(indent, item.span.end);
        let lines: Vec<String> = match &item.kind {
            ItemKind::Policy { id, title } => {
                vec![format!("policy {} {}", id.text, quote(&title.value))]
            }
            ItemKind::Bundle { id, title } => {
                vec![format!("bundle {} {}", id.text, quote(&title.value))]
            }
            ItemKind::Element(fact) => vec![format!(
                "element {}: {}{}",
                fact.name.text,
                type_text(&fact.ty),
                title_and_source(fact)
            )],
            ItemKind::UseParams(names) => {
                let names: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
                vec![format!("use param {}", names.join(", "))]
            }
            ItemKind::Department { id, name } => vec![match name {
                Some(name) => format!("department {} {}", id.text, quote(&name.value)),
                None => format!("department {}", id.text),
            }],
            ItemKind::Dataset {
                id,
                name,
                department,
            } => {
                vec![format!(
                    "dataset {} {} by {}",
                    id.text,
                    quote(&name.value),
                    department.text
                )]
            }
            ItemKind::Material(material) => vec![material_line(material)],
            ItemKind::Basis(text) => vec![format!("basis {}", quote(&text.value))],
            ItemKind::Version { value, .. } => vec![format!("version {value}")],
            ItemKind::Effective { from, until } => vec![match until {
                Some(until) => format!("effective from {} until {}", from.value, until.value),
                None => format!("effective from {}", from.value),
            }],
            ItemKind::Let(decl) => {
                let head = match &decl.title {
                    Some(title) => format!("let {} {} = ", decl.name.text, quote(&title.value)),
                    None => format!("let {} = ", decl.name.text),
                };
                broken(&head, &decl.value, INDENT)
            }
            ItemKind::Rule(decl) => {
                let mut head = format!("rule {} {}", decl.name.text, quote(&decl.title.value));
                if let Some(cite) = &decl.cite {
                    head.push_str(&format!(" cite {}", quote(&cite.value)));
                }
                head.push(':');
                let mut lines = vec![head];
                lines.extend(broken(INDENT, &decl.body, INDENT));
                lines
            }
            ItemKind::Exception(decl) => {
                let mut head = format!("exception {} {}", decl.name.text, quote(&decl.title.value));
                if let Some(cite) = &decl.cite {
                    head.push_str(&format!(" cite {}", quote(&cite.value)));
                }
                let mut lines = vec![
                    head,
                    format!("{INDENT}overrides {} to {}", decl.target.text, decl.value),
                ];
                lines.extend(broken(
                    &format!("{INDENT}when "),
                    &decl.condition,
                    &format!("{INDENT}{INDENT}"),
                ));
                lines
            }
            ItemKind::Eligible(expr) => broken("eligible when ", expr, INDENT),
            ItemKind::Entry(expr) => broken("entry when ", expr, INDENT),
            ItemKind::Step(step) => vec![step_line(step)],
            ItemKind::Member(name) => vec![format!("member {}", name.text)],
            ItemKind::Link { material, from, to } => {
                vec![format!(
                    "link {} from {} to {}",
                    material.text, from.text, to.text
                )]
            }
            ItemKind::Calendar(decl) => {
                let mut lines = vec![format!(
                    "calendar {} {} {{",
                    decl.year,
                    quote(&decl.notice.value)
                )];
                for entry in &decl.entries {
                    let mut line = format!(
                        "{INDENT}{} {}",
                        if entry.holiday { "holiday" } else { "workday" },
                        entry.from.value
                    );
                    if let Some(until) = entry.until {
                        line.push_str(&format!("..{}", until.value));
                    }
                    if let Some(note) = &entry.note {
                        line.push_str(&format!(" {}", quote(&note.value)));
                    }
                    lines.push(line);
                }
                lines.push("}".into());
                lines
            }
            ItemKind::Facts(_) | ItemKind::Param(_) | ItemKind::Table(_) => Vec::new(),
        };
        let trailing = self.take_trailing(item.span.end);
        let count = lines.len();
        for (index, text) in lines.into_iter().enumerate() {
            let comment = if index + 1 == count {
                trailing.clone()
            } else {
                None
            };
            self.line(indent, &text, comment);
        }
    }

    fn block_end(&mut self, item: &Item) {
        // Comments between the last line and `}` stay inside the block.
        let close = item.span.end.saturating_sub(1);
        let inside = self.take_before(close);
        self.comment_lines(INDENT, inside, None);
        let trailing = self.take_trailing(item.span.end);
        self.line("", "}", trailing);
    }

    fn facts(&mut self, item: &Item, facts: &[FactDecl]) {
        let open = facts.first().map_or(item.span.end, |f| f.span.start);
        self.hoist_interior("", open.min(item.span.start + "facts".len()));
        let head_trailing = self.take_trailing(item.span.start + "facts".len());
        self.line("", "facts {", head_trailing);
        let mut previous_end = None;
        for fact in facts {
            let leading = self.take_before(fact.span.start);
            if let Some(end) = previous_end {
                let first = leading.first().map_or(fact.span.start, |c| c.span.start);
                if self.blank_between(end, first) {
                    self.blank_line();
                }
            }
            self.comment_lines(INDENT, leading, None);
            let title = title_and_source(fact);
            let one_line = fact_line(fact, &title);
            let trailing_end = fact.span.end;
            if INDENT.len() + one_line.width() > MAX_WIDTH {
                if let TypeExpr::List { fields, .. } = &fact.ty {
                    let interior = self.take_before(fact.span.end);
                    self.comment_lines(INDENT, interior, None);
                    self.line(INDENT, &format!("{}: list of {{", fact.name.text), None);
                    for field in fields {
                        self.line(&format!("{INDENT}{INDENT}"), &field_text(field), None);
                    }
                    let trailing = self.take_trailing(trailing_end);
                    self.line(INDENT, &format!("}}{title}"), trailing);
                    previous_end = Some(fact.span.end);
                    continue;
                }
            }
            let interior = self.take_before(fact.span.end);
            self.comment_lines(INDENT, interior, None);
            let trailing = self.take_trailing(trailing_end);
            self.line(INDENT, &one_line, trailing);
            previous_end = Some(fact.span.end);
        }
        self.block_end(item);
    }

    fn param(&mut self, item: &Item, param: &ParamDecl) {
        let head_end = param
            .entries
            .first()
            .map_or(item.span.start, |e| e.span.start);
        let mut head = format!("param {}", param.name.text);
        if let Some(key) = &param.key {
            let types: Vec<String> = key.types.iter().map(|t| t.as_str().into_owned()).collect();
            head.push_str(&format!("[{}]", types.join(", ")));
        }
        head.push_str(&format!(": {}", param.ty.as_str()));
        if let Some(title) = &param.title {
            head.push_str(&format!(" {}", quote(&title.value)));
        }
        head.push_str(" {");
        let before_open = self.text[item.span.start..]
            .find('{')
            .map_or(head_end, |n| item.span.start + n);
        self.hoist_interior("", before_open);
        let trailing = self.take_trailing(before_open + 1);
        self.line("", &head, trailing);
        for entry in &param.entries {
            let leading = self.take_before(entry.span.start);
            self.comment_lines(INDENT, leading, None);
            let key = if entry.keys.is_empty() {
                String::new()
            } else {
                let keys: Vec<String> = entry.keys.iter().map(|k| literal_text(&k.kind)).collect();
                format!("{} ", keys.join(", "))
            };
            let text = format!(
                "{key}from {} = {}",
                entry.from.value,
                literal_text(&entry.value.kind)
            );
            let interior = self.take_before(entry.span.end);
            self.comment_lines(INDENT, interior, None);
            let trailing = self.take_trailing(entry.span.end);
            self.line(INDENT, &text, trailing);
        }
        self.block_end(item);
    }

    fn table(&mut self, item: &Item, table: &TableDecl) {
        let mut head = format!("table {}", table.name.text);
        if let Some(title) = &table.title {
            head.push_str(&format!(" {}", quote(&title.value)));
        }
        let hit = match table.hit {
            HitPolicy::Unique => "unique".to_string(),
            HitPolicy::First => "first".to_string(),
            HitPolicy::Priority => "priority".to_string(),
            HitPolicy::Collect(None) => "collect".to_string(),
            HitPolicy::Collect(Some(op)) => format!("collect {}", op.as_str()),
        };
        head.push_str(&format!(": {} hit {hit} {{", table.ty.as_str()));
        let inputs_start = table.inputs.first().map_or(item.span.end, |i| i.span.start);
        let open = self.text[item.span.start..inputs_start]
            .rfind('{')
            .map_or(inputs_start, |n| item.span.start + n);
        self.hoist_interior("", open);
        let trailing = self.take_trailing(open + 1);
        self.line("", &head, trailing);

        let inputs_end = table.inputs.last().map_or(inputs_start, |i| i.span.end);
        let inputs: Vec<String> = table.inputs.iter().map(expr_text).collect();
        let leading = self.take_before(inputs_start);
        self.comment_lines(INDENT, leading, None);
        let interior = self.take_before(inputs_end);
        self.comment_lines(INDENT, interior, None);
        let trailing = self.take_trailing(inputs_end);
        self.line(INDENT, &format!("inputs {}", inputs.join(", ")), trailing);

        if let Some(TableOrder { values: order, .. }) = &table.order {
            let end = order.last().map_or(inputs_end, |v| v.span().end);
            let interior = self.take_before(end);
            self.comment_lines(INDENT, interior, None);
            let values: Vec<String> = order.iter().map(value_text).collect();
            let trailing = self.take_trailing(end);
            self.line(INDENT, &format!("order {}", values.join(", ")), trailing);
        }

        // Align the cells in columns.
        let rows: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| cell_text(&c.kind)).collect())
            .collect();
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in &rows {
            for (column, cell) in row.iter().enumerate() {
                let width = cell.width() + usize::from(column + 1 < row.len());
                widths[column] = widths[column].max(width);
            }
        }
        for (row, cells) in table.rows.iter().zip(&rows) {
            let leading = self.take_before(row.span.start);
            self.comment_lines(INDENT, leading, None);
            let mut text = String::from("row ");
            for (column, cell) in cells.iter().enumerate() {
                let cell = if column + 1 < cells.len() {
                    format!("{cell},")
                } else {
                    cell.clone()
                };
                text.push_str(&cell);
                let pad = widths[column].saturating_sub(cell.width());
                text.push_str(&" ".repeat(pad + 1));
            }
            text.push_str(&format!("=> {}", value_text(&row.output)));
            let interior = self.take_before(row.span.end);
            self.comment_lines(INDENT, interior, None);
            let trailing = self.take_trailing(row.span.end);
            self.line(INDENT, &text, trailing);
        }
        if let Some(default) = &table.default {
            let span = default.span();
            let leading = self.take_before(span.start);
            self.comment_lines(INDENT, leading, None);
            let trailing = self.take_trailing(span.end);
            self.line(
                INDENT,
                &format!("default => {}", value_text(default)),
                trailing,
            );
        }
        self.block_end(item);
    }
}

/// `head` followed by the expression; broken before each top-level
/// `and`/`or` when the line would be too long.
fn broken(head: &str, expr: &Expr, continuation: &str) -> Vec<String> {
    let one_line = format!("{head}{}", expr_text(expr));
    if one_line.width() <= MAX_WIDTH {
        return vec![one_line];
    }
    let (operands, word) = match &expr.kind {
        ExprKind::And(operands) => (operands, "and"),
        ExprKind::Or(operands) => (operands, "or"),
        _ => return vec![one_line],
    };
    let mut lines = vec![format!("{head}{}", expr_text(&operands[0]))];
    for operand in &operands[1..] {
        lines.push(format!("{continuation}{word} {}", expr_text(operand)));
    }
    lines
}

fn material_line(material: &MaterialDecl) -> String {
    let mut text = format!("material {}", material.id.text);
    if let Some(name) = &material.name {
        text.push_str(&format!(" {}", quote(&name.value)));
    }
    // Canonical clause order; a clause given twice is kept (the checker reports it).
    let rank = |clause: &MaterialClause| match clause {
        MaterialClause::When { .. } => 0,
        MaterialClause::Form { .. } => 1,
        MaterialClause::Copies { .. } => 2,
        MaterialClause::Source { .. } => 3,
        MaterialClause::IssuedBy { .. } => 4,
    };
    let mut clauses: Vec<&MaterialClause> = material.clauses.iter().collect();
    clauses.sort_by_key(|c| rank(c));
    for clause in clauses {
        text.push(' ');
        match clause {
            MaterialClause::When { when, .. } => text.push_str(&when_text(when)),
            MaterialClause::Form { form, .. } => text.push_str(&format!("form {}", form.as_str())),
            MaterialClause::Copies { copies, .. } => text.push_str(&format!("copies {copies}")),
            MaterialClause::Source { source, .. } => text.push_str(&match source {
                Source::Applicant => "source applicant".to_string(),
                Source::Commitment => "source commitment".to_string(),
                Source::Shared { dataset, fallback } => format!(
                    "source shared {} else {}",
                    dataset.text,
                    match fallback {
                        Fallback::Applicant => "applicant",
                        Fallback::Commitment => "commitment",
                    }
                ),
            }),
            MaterialClause::IssuedBy { department, .. } => {
                text.push_str(&format!("issued by {}", department.text))
            }
        }
    }
    text
}

fn step_line(step: &StepDecl) -> String {
    let mut text = format!(
        "step {} {} by {}",
        step.name.text,
        quote(&step.title.value),
        step.department.text
    );
    if !step.after.is_empty() {
        let after: Vec<&str> = step.after.iter().map(|a| a.text.as_str()).collect();
        text.push_str(&format!(" after {}", after.join(", ")));
    }
    let unit = if step.days == 1 { "day" } else { "days" };
    let working = if step.working_days { "working " } else { "" };
    text.push_str(&format!(" within {} {working}{unit}", step.days));
    if let Some(material) = &step.produces {
        text.push_str(&format!(" produces {}", material.text));
    }
    if let Some(when) = &step.condition {
        text.push(' ');
        text.push_str(&when_text(when));
    }
    text
}

fn when_text(when: &When) -> String {
    match when {
        When::Always(_) => "when always".to_string(),
        When::Condition(expr) => format!("when {}", expr_text(expr)),
    }
}

/// A fact's line: `path: type "title" from …`, or `use path?` for a data
/// element of the catalogue.
fn fact_line(fact: &FactDecl, title: &str) -> String {
    match fact.ty {
        TypeExpr::Element { optional, .. } => {
            format!("use {}{}", fact.name.text, if optional { "?" } else { "" })
        }
        _ => format!("{}: {}{}", fact.name.text, type_text(&fact.ty), title),
    }
}

/// `"title" from shared DATASET` after a fact's type, with a leading space.
fn title_and_source(fact: &FactDecl) -> String {
    let mut text = fact
        .title
        .as_ref()
        .map(|t| format!(" {}", quote(&t.value)))
        .unwrap_or_default();
    match &fact.source {
        None => {}
        Some(FactSource::Applicant) => text.push_str(" from applicant"),
        Some(FactSource::Shared(dataset)) => {
            text.push_str(&format!(" from shared {}", dataset.text))
        }
        Some(FactSource::Department) => text.push_str(" from department"),
    }
    text
}

/// A type as written: `int 1..4`, `money?`, `list of { … }`.
pub fn type_text(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Scalar {
            ty,
            optional,
            range,
            ..
        } => format!(
            "{}{}{}",
            scalar_text(ty),
            if *optional { "?" } else { "" },
            range_text(range.as_ref())
        ),
        TypeExpr::Set { element, .. } => format!("set of {}", element.as_str()),
        TypeExpr::Element { optional, .. } => (if *optional { "?" } else { "" }).to_string(),
        TypeExpr::List { fields, .. } => {
            let fields: Vec<String> = fields.iter().map(field_text).collect();
            format!("list of {{ {} }}", fields.join(", "))
        }
    }
}

fn field_text(field: &FieldDecl) -> String {
    let mut text = format!(
        "{}: {}{}{}",
        field.name.text,
        scalar_text(&field.ty),
        if field.optional { "?" } else { "" },
        range_text(field.range.as_ref())
    );
    if let Some(title) = &field.title {
        text.push_str(&format!(" {}", quote(&title.value)));
    }
    text
}

/// ` 1..4`, ` >= 0.00`, ` <= 100`, or nothing.
fn range_text(range: Option<&ValueRange>) -> String {
    let Some(range) = range else {
        return String::new();
    };
    match (&range.min, &range.max) {
        (Some(min), Some(max)) => {
            format!(" {}..{}", literal_text(&min.kind), literal_text(&max.kind))
        }
        (Some(min), None) => format!(" >= {}", literal_text(&min.kind)),
        (None, Some(max)) => format!(" <= {}", literal_text(&max.kind)),
        (None, None) => String::new(),
    }
}

fn scalar_text(ty: &ScalarType) -> String {
    match ty {
        ScalarType::Base(base) => base.as_str().to_string(),
        ScalarType::Enum(variants) => {
            let values: Vec<String> = variants
                .iter()
                .map(|v| match &v.title {
                    Some(title) => format!("{} {}", v.name.text, quote(&title.value)),
                    None => v.name.text.clone(),
                })
                .collect();
            format!("enum {{ {} }}", values.join(", "))
        }
    }
}

fn cell_text(cell: &CellKind) -> String {
    match cell {
        CellKind::Any => "-".into(),
        CellKind::Equals(value) => value_text(value),
        CellKind::Compare(op, value) => format!("{} {}", op.as_str(), value_text(value)),
        CellKind::Range(low, high) => {
            format!("{}..{}", literal_text(&low.kind), literal_text(&high.kind))
        }
        CellKind::OneOf(values) => {
            let values: Vec<String> = values.iter().map(value_text).collect();
            format!("{{{}}}", values.join(", "))
        }
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Literal(literal) => literal_text(&literal.kind),
        Value::Variant(name) => name.text.clone(),
    }
}

pub(crate) fn literal_text(literal: &LiteralKind) -> String {
    match literal {
        LiteralKind::Bool(b) => b.to_string(),
        LiteralKind::Int(n) => n.to_string(),
        LiteralKind::Money(fen) => crate::codec::money_text(*fen),
        LiteralKind::Decimal {
            units,
            scale,
            percent: false,
        } => crate::codec::decimal_text(*units, *scale),
        LiteralKind::Decimal {
            units,
            scale,
            percent: true,
        } => format!(
            "{}%",
            crate::codec::decimal_text(*units, scale.saturating_sub(2))
        ),
        LiteralKind::Date(date) => date.to_string(),
        LiteralKind::Text(text) => quote(text),
    }
}

pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || invisible(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters that look like a plain space or like nothing at all: written
/// as escapes, so a reviewer sees them (`"杭州\u{3000}"` is not `"杭州"`).
fn invisible(c: char) -> bool {
    (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
        )
}

fn write_expr(expr: &Expr, out: &mut String) {
    match &expr.kind {
        ExprKind::Literal(literal) => out.push_str(&literal_text(literal)),
        ExprKind::Path(path) => out.push_str(path),
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Or(operands) | ExprKind::And(operands) => {
            let word = if matches!(expr.kind, ExprKind::Or(_)) {
                " or "
            } else {
                " and "
            };
            for (index, operand) in operands.iter().enumerate() {
                if index > 0 {
                    out.push_str(word);
                }
                write_expr(operand, out);
            }
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(inner, out);
        }
        ExprKind::Compare { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push_str(&format!(" {} ", op.as_str()));
            write_expr(rhs, out);
        }
        ExprKind::In {
            negated,
            element,
            set,
        } => {
            write_expr(element, out);
            out.push_str(if *negated { " not in " } else { " in " });
            write_expr(set, out);
        }
        ExprKind::Arith {
            op,
            lhs,
            rhs,
            rounding,
        } => {
            write_expr(lhs, out);
            out.push_str(&format!(" {} ", op.as_str()));
            write_expr(rhs, out);
            if let Some(rounding) = rounding {
                out.push_str(&format!(" round {}", rounding.as_str()));
            }
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write_expr(inner, out);
        }
        ExprKind::Index { base, keys } => {
            write_expr(base, out);
            out.push('[');
            for (index, key) in keys.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_expr(key, out);
            }
            out.push(']');
        }
        ExprKind::Duration { amount, unit } => {
            write_expr(amount, out);
            out.push(' ');
            let one = matches!(amount.kind, ExprKind::Literal(LiteralKind::Int(1)));
            out.push_str(if one { unit.singular() } else { unit.as_str() });
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            out.push_str("if ");
            write_expr(condition, out);
            out.push_str(" then ");
            write_expr(then, out);
            out.push_str(" else ");
            write_expr(otherwise, out);
        }
        ExprKind::Aggregate {
            kind,
            value,
            var,
            list,
            filter,
        } => {
            out.push_str(kind.as_str());
            out.push('(');
            if let Some(value) = value {
                write_expr(value, out);
                out.push_str(" for ");
            }
            out.push_str(&format!("{} in {}", var.text, list.text));
            if let Some(filter) = filter {
                out.push_str(" where ");
                write_expr(filter, out);
            }
            out.push(')');
        }
        ExprKind::Call { function, args } => {
            out.push_str(&function.text);
            out.push('(');
            for (index, arg) in args.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_expr(arg, out);
            }
            out.push(')');
        }
        ExprKind::Set(elements) => {
            out.push('{');
            for (index, element) in elements.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_expr(element, out);
            }
            out.push('}');
        }
        ExprKind::Error => out.push_str("<error>"),
    }
}
