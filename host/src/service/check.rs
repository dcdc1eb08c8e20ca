//! Checking a draft without publishing it: the officers' editor sends its
//! source as they type and shows each diagnostic where it points. The
//! source is checked with the catalogue in force (and, for a bundle, with
//! its members in force); nothing is compiled or stored.

use rules_dsl::check::FileKind;
use rules_dsl::{Diagnostic, Lang, Severity, SourceSet};
use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use super::error::ServiceError;
use super::registry::Registry;
use super::rights::{Action, Principal};

impl Service {
    /// Who may check a draft: a department's officers, and the catalogue's
    /// keeper; asked before the draft is read.
    pub fn require_check_rights(&self, caller: &Principal) -> Result<(), ServiceError> {
        if caller.keeps_catalogue {
            return Ok(());
        }
        caller.department(Action::Check)?;
        Ok(())
    }

    /// The checker's diagnostics of a draft, in the configured language.
    pub fn check_draft(&self, source: &str) -> CheckReport {
        check_draft(&self.registry.load(), source, self.config.lang)
    }
}

/// What the checker says of a draft, in the configured language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckReport {
    /// `policy`, `bundle`, `catalogue`, or `unknown` when the draft declares none.
    pub kind: &'static str,
    /// The id the draft declares, when it declares one.
    pub id: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    /// In source order: errors and warnings about the draft itself.
    pub diagnostics: Vec<DiagnosticDoc>,
    /// What the draft names, for hover and completion: its facts (a `use`d
    /// data element with the catalogue's title and type), `let`s, rules,
    /// exceptions, parameters (a `use param` with the catalogue's), tables
    /// and steps, in source order. Read from the draft as it parses, so an
    /// editor has them while the draft still has errors.
    pub symbols: Vec<SymbolDoc>,
}

/// One name the draft declares or brings in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SymbolDoc {
    /// As written in expressions (`applicant.birth_date`, `low_income`).
    pub name: String,
    /// `fact`, `let`, `rule`, `exception`, `param`, `table` or `step`.
    pub kind: &'static str,
    pub title: Option<String>,
    /// For a fact, a parameter or a table: its type as written
    /// (`int 1..4`, `money`, `decimal(2)`, `money [text, int]`).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// For a rule or an exception: its citation.
    pub cite: Option<String>,
    /// Where the draft declares it (or `use`s it).
    pub at: Place,
}

/// One diagnostic with the place it points at: byte offsets into the draft
/// and 1-based lines and columns (columns count characters).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosticDoc {
    /// Stable code, explained in docs/diagnostics.md and docs/diagnostics.zh.md.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub message: String,
    /// Text under the place, may be empty.
    pub label: String,
    pub help: Option<String>,
    pub at: Place,
    /// Other places that explain it ("first declared here"); in the draft
    /// or in the catalogue (`in_catalogue`).
    pub related: Vec<RelatedDoc>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Place {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedDoc {
    pub label: String,
    pub in_catalogue: bool,
    pub at: Place,
}

/// Checks `source` as a draft: with the catalogue in force, and with every
/// policy in force when it declares a bundle (its members).
pub fn check_draft(registry: &Registry, source: &str, lang: Lang) -> CheckReport {
    let catalogue = registry
        .catalogue()
        .map(|c| c.source.clone())
        .unwrap_or_default();
    let mut sources = SourceSet::new();
    let catalogue_file = sources.add("catalogue.rules", catalogue.clone());
    let draft = sources.add("draft.rules", source.to_string());
    let mut checked = rules_dsl::check(&sources);
    if checked.files[draft].kind == FileKind::Bundle {
        sources = SourceSet::new();
        sources.add("catalogue.rules", catalogue.clone());
        sources.add("draft.rules", source.to_string());
        // The members: the newest active version of every policy.
        for id in registry.policies.keys() {
            if let Some(version) = registry.newest_active(id) {
                sources.add(format!("{id}.rules"), version.document.source.clone());
            }
        }
        checked = rules_dsl::check(&sources);
    }
    let texts = [(catalogue_file, catalogue.as_str()), (draft, source)];
    let text_of = |file: usize| {
        texts
            .iter()
            .find(|(f, _)| *f == file)
            .map_or("", |(_, t)| *t)
    };
    let mut diagnostics: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.file == draft)
        .collect();
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let docs: Vec<DiagnosticDoc> = diagnostics
        .into_iter()
        .map(|d| DiagnosticDoc {
            code: d.code,
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: d.message.get(lang).to_string(),
            label: d.label.get(lang).to_string(),
            help: d.help.as_ref().map(|h| h.get(lang).to_string()),
            at: place(source, d.span.start, d.span.end),
            related: d
                .related
                .iter()
                .filter(|r| r.file == draft || r.file == catalogue_file)
                .map(|r| RelatedDoc {
                    label: r.label.get(lang).to_string(),
                    in_catalogue: r.file == catalogue_file,
                    at: place(text_of(r.file), r.span.start, r.span.end),
                })
                .collect(),
        })
        .collect();
    let symbols = symbols(source, &checked.workspace.catalogue);
    let summary = &checked.files[draft];
    CheckReport {
        kind: match summary.kind {
            FileKind::Policy => "policy",
            FileKind::Bundle => "bundle",
            FileKind::Catalogue => "catalogue",
            FileKind::Unknown => "unknown",
        },
        id: summary.id.clone(),
        errors: docs.iter().filter(|d| d.severity == "error").count(),
        warnings: docs.iter().filter(|d| d.severity == "warning").count(),
        diagnostics: docs,
        symbols,
    }
}

/// The names the draft declares, from its syntax (see [`CheckReport::symbols`]).
fn symbols(source: &str, catalogue: &rules_dsl::ir::Catalogue) -> Vec<SymbolDoc> {
    use rules_dsl::format::type_text;
    use rules_dsl::syntax::ast::{ItemKind, ParamDecl, TypeExpr};
    let parsed = rules_dsl::syntax::parse(source);
    let at = |span: rules_dsl::Span| place(source, span.start, span.end);
    let symbol =
        |name: &str, kind, title: Option<&str>, ty: Option<String>, cite: Option<&str>, span| {
            SymbolDoc {
                name: name.to_string(),
                kind,
                title: title.map(str::to_string),
                ty,
                cite: cite.map(str::to_string),
                at: at(span),
            }
        };
    let param_type = |decl: &ParamDecl| {
        let keys = decl.key.as_ref().map_or(String::new(), |k| {
            let keys: Vec<String> = k.types.iter().map(|t| t.as_str().into_owned()).collect();
            format!(" [{}]", keys.join(", "))
        });
        format!("{}{keys}", decl.ty.as_str())
    };
    let mut symbols = Vec::new();
    for item in &parsed.file.items {
        match &item.kind {
            ItemKind::Facts(facts) => {
                for fact in facts {
                    let declared = match fact.ty {
                        TypeExpr::Element { .. } => catalogue.element(&fact.name.text),
                        _ => Some(fact),
                    };
                    symbols.push(symbol(
                        &fact.name.text,
                        "fact",
                        declared
                            .and_then(|d| d.title.as_ref())
                            .map(|t| t.value.as_str()),
                        declared.map(|d| type_text(&d.ty)),
                        None,
                        fact.name.span,
                    ));
                }
            }
            ItemKind::Let(decl) => symbols.push(symbol(
                &decl.name.text,
                "let",
                decl.title.as_ref().map(|t| t.value.as_str()),
                None,
                None,
                decl.name.span,
            )),
            ItemKind::Rule(decl) => symbols.push(symbol(
                &decl.name.text,
                "rule",
                Some(&decl.title.value),
                None,
                decl.cite.as_ref().map(|c| c.value.as_str()),
                decl.name.span,
            )),
            ItemKind::Exception(decl) => symbols.push(symbol(
                &decl.name.text,
                "exception",
                Some(&decl.title.value),
                None,
                decl.cite.as_ref().map(|c| c.value.as_str()),
                decl.name.span,
            )),
            ItemKind::Param(decl) => symbols.push(symbol(
                &decl.name.text,
                "param",
                decl.title.as_ref().map(|t| t.value.as_str()),
                Some(param_type(decl)),
                None,
                decl.name.span,
            )),
            ItemKind::UseParams(names) => {
                for name in names {
                    let declared = catalogue.param(&name.text);
                    symbols.push(symbol(
                        &name.text,
                        "param",
                        declared
                            .and_then(|d| d.title.as_ref())
                            .map(|t| t.value.as_str()),
                        declared.map(param_type),
                        None,
                        name.span,
                    ));
                }
            }
            ItemKind::Table(decl) => symbols.push(symbol(
                &decl.name.text,
                "table",
                decl.title.as_ref().map(|t| t.value.as_str()),
                Some(decl.ty.as_str().into_owned()),
                None,
                decl.name.span,
            )),
            ItemKind::Step(decl) => symbols.push(symbol(
                &decl.name.text,
                "step",
                Some(&decl.title.value),
                None,
                None,
                decl.name.span,
            )),
            _ => {}
        }
    }
    symbols
}

/// Offsets clamped into `text` and on character boundaries, with lines and
/// columns counted from 1.
fn place(text: &str, start: usize, end: usize) -> Place {
    let clamp = |mut at: usize| {
        at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let (start, end) = (clamp(start), clamp(end.max(start)));
    let line_column = |at: usize| {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        (line, text[line_start..at].chars().count() + 1)
    };
    let (line, column) = line_column(start);
    let (end_line, end_column) = line_column(end);
    Place {
        start,
        end,
        line,
        column,
        end_line,
        end_column,
    }
}

#[cfg(test)]
mod tests {
    use super::place;

    #[test]
    fn places_count_lines_and_characters_from_one() {
        let text = "policy a \"甲\"\n  department 部门\n";
        let at = text.find("部门").unwrap();
        let p = place(text, at, at + "部门".len());
        assert_eq!((p.line, p.column, p.end_line, p.end_column), (2, 14, 2, 16));
        // Past the end and inside a character: clamped, never a panic.
        let p = place(text, 1000, 2000);
        assert_eq!((p.start, p.end), (text.len(), text.len()));
        let p = place(text, at + 1, at + 2);
        assert_eq!(p.start, at);
    }
}
