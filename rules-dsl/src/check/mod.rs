//! Checking: ASTs of a set of files → the typed IR of every policy and bundle.
//!
//! Input: a [`SourceSet`] (the catalogue, policies and bundles of one run).
//! Output: an [`ir::Workspace`] holding the IR of each file that has no
//! errors, and the diagnostics of every file: syntax errors, then name,
//! type, table, step and bundle errors, then warnings. All of them, not the
//! first only.

mod bundle;
pub mod error;
mod expr;
mod policy;
mod table;

use std::collections::HashMap;

pub use error::{CheckError, Warning};

use crate::diagnostic::{Diagnostic, FileId, SourceSet, Span};
use crate::ir;
use crate::syntax::{self, Parsed, ast};

/// What checking a set of files produced.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub workspace: ir::Workspace,
    /// Sorted by file, then position.
    pub diagnostics: Vec<Diagnostic>,
    /// For each file: what it declared, and whether its IR is in the workspace.
    pub files: Vec<FileSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub kind: FileKind,
    /// The policy or bundle id, if the file declares one.
    pub id: Option<String>,
    pub has_errors: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Catalogue,
    Policy,
    Bundle,
    Unknown,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Checks every file of `sources` together: the catalogue entries of all
/// files form one catalogue, and bundles see the policies of the set.
pub fn check(sources: &SourceSet) -> Checked {
    let parsed: Vec<Parsed> = sources
        .iter()
        .map(|(_, source)| syntax::parse(&source.text))
        .collect();
    check_parsed(&parsed)
}

/// Like [`check`], for files already parsed (the formatter's tests reuse parses).
pub fn check_parsed(parsed: &[Parsed]) -> Checked {
    let mut per_file: Vec<Vec<Diagnostic>> = vec![Vec::new(); parsed.len()];
    for (file, p) in parsed.iter().enumerate() {
        per_file[file].extend(p.errors.iter().map(|e| e.to_diagnostic(file)));
    }
    let kinds: Vec<FileKind> = parsed
        .iter()
        .enumerate()
        .map(|(file, p)| classify(file, &p.file, &mut per_file[file]))
        .collect();

    let (catalogue, catalogue_found) = build_catalogue(parsed, &kinds, &mut per_file);

    let mut workspace = ir::Workspace {
        catalogue,
        ..ir::Workspace::default()
    };
    let mut files: Vec<FileSummary> = kinds
        .iter()
        .map(|&kind| FileSummary {
            kind,
            id: None,
            has_errors: false,
        })
        .collect();
    let mut ids: HashMap<String, (FileId, Span)> = HashMap::new();

    for (file, p) in parsed.iter().enumerate() {
        if kinds[file] != FileKind::Policy {
            continue;
        }
        let quiet = !p.errors.is_empty();
        let outcome = policy::check_policy(&p.file, &workspace.catalogue, catalogue_found, quiet);
        record_id(file, outcome.id.as_ref(), &mut ids, &mut per_file, "policy");
        files[file].id = outcome.id.as_ref().map(|(id, _)| id.clone());
        per_file[file].extend(outcome.errors.iter().map(|e| e.to_diagnostic(file)));
        per_file[file].extend(outcome.warnings.iter().map(|w| w.to_diagnostic(file)));
        if let Some(policy) = outcome.policy {
            if !per_file[file].iter().any(Diagnostic::is_error) {
                workspace.policies.push(policy);
            }
        }
    }

    // Bundles see every policy checked above; a member whose own file has
    // errors is known by id but has no IR, and is not reported again.
    let known_policies: Vec<String> = files
        .iter()
        .filter(|f| f.kind == FileKind::Policy)
        .filter_map(|f| f.id.clone())
        .collect();
    for (file, p) in parsed.iter().enumerate() {
        if kinds[file] != FileKind::Bundle {
            continue;
        }
        let quiet = !p.errors.is_empty();
        let outcome = bundle::check_bundle(
            &p.file,
            &bundle::BundleContext {
                catalogue: &workspace.catalogue,
                catalogue_found,
                policies: &workspace.policies,
                known_policies: &known_policies,
            },
            quiet,
        );
        record_id(file, outcome.id.as_ref(), &mut ids, &mut per_file, "bundle");
        files[file].id = outcome.id.as_ref().map(|(id, _)| id.clone());
        per_file[file].extend(outcome.errors.iter().map(|e| e.to_diagnostic(file)));
        if let Some(bundle) = outcome.bundle {
            if !per_file[file].iter().any(Diagnostic::is_error) {
                workspace.bundles.push(bundle);
            }
        }
    }

    let mut diagnostics = Vec::new();
    for (file, mut list) in per_file.into_iter().enumerate() {
        files[file].has_errors = list.iter().any(Diagnostic::is_error);
        list.sort_by(|a, b| {
            (a.severity, a.span.start, a.code).cmp(&(b.severity, b.span.start, b.code))
        });
        list.dedup();
        diagnostics.extend(list);
    }
    Checked {
        workspace,
        diagnostics,
        files,
    }
}

fn record_id(
    file: FileId,
    id: Option<&(String, Span)>,
    ids: &mut HashMap<String, (FileId, Span)>,
    per_file: &mut [Vec<Diagnostic>],
    kind: &'static str,
) {
    let Some((id, span)) = id else {
        return;
    };
    match ids.get(id) {
        Some(&(first_file, first_span)) => {
            let error = CheckError::DuplicateId {
                kind,
                id: id.clone(),
                span: *span,
                first: error::Elsewhere {
                    file: first_file,
                    span: first_span,
                },
            };
            per_file[file].push(error.to_diagnostic(file));
        }
        None => {
            ids.insert(id.clone(), (file, *span));
        }
    }
}

/// Decides what a file is by its declarations.
fn classify(file: FileId, source: &ast::SourceFile, diagnostics: &mut Vec<Diagnostic>) -> FileKind {
    let policy = source
        .items
        .iter()
        .find(|i| matches!(i.kind, ast::ItemKind::Policy { .. }));
    let bundle = source
        .items
        .iter()
        .find(|i| matches!(i.kind, ast::ItemKind::Bundle { .. }));
    match (policy, bundle) {
        (Some(p), Some(b)) => {
            let (first, second) = if p.span.start < b.span.start {
                (p, b)
            } else {
                (b, p)
            };
            diagnostics.push(
                CheckError::PolicyAndBundle {
                    span: second.span,
                    other: first.span,
                }
                .to_diagnostic(file),
            );
            FileKind::Unknown
        }
        (Some(_), None) => FileKind::Policy,
        (None, Some(_)) => FileKind::Bundle,
        (None, None) => {
            let catalogue_like = source.items.iter().any(|i| {
                matches!(
                    &i.kind,
                    ast::ItemKind::Department { name: Some(_), .. }
                        | ast::ItemKind::Dataset { .. }
                        | ast::ItemKind::Material(ast::MaterialDecl { name: Some(_), .. })
                        | ast::ItemKind::Calendar(_)
                )
            });
            if catalogue_like {
                FileKind::Catalogue
            } else {
                if let Some(first) = source.items.first() {
                    diagnostics.push(CheckError::NoHeader { span: first.span }.to_diagnostic(file));
                }
                FileKind::Unknown
            }
        }
    }
}

fn build_catalogue(
    parsed: &[Parsed],
    kinds: &[FileKind],
    per_file: &mut [Vec<Diagnostic>],
) -> (ir::Catalogue, bool) {
    let mut catalogue = ir::Catalogue::default();
    let mut seen: HashMap<(&'static str, String), (FileId, Span)> = HashMap::new();
    let mut found = false;
    // Datasets and materials refer to departments: resolve after collecting all.
    let mut department_refs: Vec<(FileId, ast::Name)> = Vec::new();
    for (file, p) in parsed.iter().enumerate() {
        if kinds[file] != FileKind::Catalogue {
            continue;
        }
        found = true;
        for item in &p.file.items {
            let mut errors = Vec::new();
            let declared: Option<(&'static str, &ast::Name)> = match &item.kind {
                ast::ItemKind::Department { id, name } => match name {
                    Some(name) => {
                        catalogue.departments.push(ir::Department {
                            id: id.text.clone(),
                            name: name.value.clone(),
                        });
                        Some(("department", id))
                    }
                    None => {
                        errors.push(CheckError::BadClause {
                            message: format!("department `{}` needs its name", id.text),
                            span: item.span,
                            help: Some(format!("write `department {} \"名称\"`", id.text)),
                        });
                        None
                    }
                },
                ast::ItemKind::Dataset {
                    id,
                    name,
                    department,
                } => {
                    catalogue.datasets.push(ir::Dataset {
                        id: id.text.clone(),
                        name: name.value.clone(),
                        department: department.text.clone(),
                    });
                    department_refs.push((file, department.clone()));
                    Some(("dataset", id))
                }
                ast::ItemKind::Material(material) => match &material.name {
                    Some(name) => {
                        let mut form = ast::Form::Original;
                        let mut issued_by = None;
                        for clause in &material.clauses {
                            match clause {
                                ast::MaterialClause::Form { form: f, .. } => form = *f,
                                ast::MaterialClause::IssuedBy { department, .. } => {
                                    issued_by = Some(department.text.clone());
                                    department_refs.push((file, department.clone()));
                                }
                                other => errors.push(CheckError::BadClause {
                                    message: format!("`{}` does not belong in the catalogue", other.keyword()),
                                    span: other.span(),
                                    help: Some("the catalogue says what a material is (name, form, issuer); policies say when and how it is asked for".into()),
                                }),
                            }
                        }
                        catalogue.materials.push(ir::CatalogueMaterial {
                            id: material.id.text.clone(),
                            name: name.value.clone(),
                            form,
                            issued_by,
                        });
                        Some(("material", &material.id))
                    }
                    None => {
                        errors.push(CheckError::BadClause {
                            message: format!(
                                "material `{}` needs its name in the catalogue",
                                material.id.text
                            ),
                            span: item.span,
                            help: Some(format!("write `material {} \"名称\"`", material.id.text)),
                        });
                        None
                    }
                },
                ast::ItemKind::Calendar(decl) => {
                    if let Some(year) = calendar_year(decl, &mut errors) {
                        catalogue.calendar.years.push(year);
                    }
                    None
                }
                other => {
                    errors.push(CheckError::NotAllowedHere {
                        keyword: other.keyword().into(),
                        file_kind: "the catalogue",
                        span: item.span,
                        help: "the catalogue declares only `department`, `dataset`, `material` and `calendar`; put rules in a policy file that starts with `policy`".into(),
                    });
                    None
                }
            };
            if let Some((kind, id)) = declared {
                match seen.get(&(kind, id.text.clone())) {
                    Some(&(first_file, first_span)) => {
                        errors.push(CheckError::DuplicateCatalogueId {
                            kind,
                            id: id.text.clone(),
                            span: id.span,
                            first: error::Elsewhere {
                                file: first_file,
                                span: first_span,
                            },
                        })
                    }
                    None => {
                        seen.insert((kind, id.text.clone()), (file, id.span));
                    }
                }
            }
            per_file[file].extend(errors.iter().map(|e| e.to_diagnostic(file)));
        }
    }
    for (file, department) in department_refs {
        if catalogue.department(&department.text).is_none() {
            let suggestion = crate::diagnostic::did_you_mean(
                &department.text,
                catalogue.departments.iter().map(|d| d.id.as_str()),
            );
            let error = CheckError::UnknownCatalogueId {
                kind: "department",
                id: department.text.clone(),
                span: department.span,
                suggestion,
            };
            per_file[file].push(error.to_diagnostic(file));
        }
    }
    // One arrangement per year: a second one is an error, the first is kept.
    catalogue.calendar.years.sort_by_key(|y| y.year);
    let mut years_seen = std::collections::HashSet::new();
    for (file, p) in parsed.iter().enumerate() {
        if kinds[file] != FileKind::Catalogue {
            continue;
        }
        for item in &p.file.items {
            if let ast::ItemKind::Calendar(decl) = &item.kind {
                if !years_seen.insert(decl.year) {
                    let error = CheckError::BadClause {
                        message: format!("the calendar of {} is given twice", decl.year),
                        span: decl.year_span,
                        help: Some("keep one `calendar` item per year".into()),
                    };
                    per_file[file].push(error.to_diagnostic(file));
                }
            }
        }
    }
    catalogue.calendar.years.dedup_by_key(|y| y.year);
    // Keep the first of duplicated ids only, so lookups are unambiguous.
    let mut kept = std::collections::HashSet::new();
    catalogue
        .departments
        .retain(|d| kept.insert(("department", d.id.clone())));
    catalogue
        .datasets
        .retain(|d| kept.insert(("dataset", d.id.clone())));
    catalogue
        .materials
        .retain(|m| kept.insert(("material", m.id.clone())));
    (catalogue, found)
}

/// One year of the working-day calendar: every day within the year, a
/// range in order, a `workday` only on a Saturday or Sunday (a weekday is a
/// working day already), no day both off and worked.
fn calendar_year(
    decl: &ast::CalendarDecl,
    errors: &mut Vec<CheckError>,
) -> Option<ir::CalendarYear> {
    use crate::calendar::{days_from_date, weekday};
    if !(1..=9999).contains(&decl.year) {
        errors.push(CheckError::BadClause {
            message: format!("a calendar year is from 1 to 9999, found {}", decl.year),
            span: decl.year_span,
            help: None,
        });
        return None;
    }
    let mut year = ir::CalendarYear {
        year: decl.year,
        notice: decl.notice.value.clone(),
        holidays: Vec::new(),
        workdays: Vec::new(),
    };
    let before = errors.len();
    for entry in &decl.entries {
        let until = entry.until.unwrap_or(entry.from);
        for date in [entry.from, until] {
            if i64::from(date.value.year()) != decl.year {
                errors.push(CheckError::BadClause {
                    message: format!("{} is not in {}", date.value, decl.year),
                    span: date.span,
                    help: Some(format!(
                        "the `calendar {}` item lists days of {} only",
                        decl.year, decl.year
                    )),
                });
            }
        }
        let (first, last) = (
            days_from_date(entry.from.value),
            days_from_date(until.value),
        );
        if last < first {
            errors.push(CheckError::BadClause {
                message: format!(
                    "the range ends ({}) before it starts ({})",
                    until.value, entry.from.value
                ),
                span: entry.span,
                help: Some("write the earlier day first: `holiday 2025-10-01..2025-10-08`".into()),
            });
            continue;
        }
        for day in first..=last {
            if entry.holiday {
                year.holidays.push(day);
            } else if weekday(day) < 5 {
                errors.push(CheckError::BadClause {
                    message: format!("{} is a weekday, a working day already", crate::calendar::date_from_days(day).map(|d| d.to_string()).unwrap_or_default()),
                    span: entry.span,
                    help: Some("`workday` lists the Saturdays and Sundays worked instead of a holiday (调休)".into()),
                });
            } else {
                year.workdays.push(day);
            }
        }
    }
    year.holidays.sort_unstable();
    year.holidays.dedup();
    year.workdays.sort_unstable();
    year.workdays.dedup();
    if let Some(&both) = year
        .workdays
        .iter()
        .find(|d| year.holidays.binary_search(d).is_ok())
    {
        errors.push(CheckError::BadClause {
            message: format!(
                "{} is both a holiday and a workday",
                crate::calendar::date_from_days(both)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
            span: decl.year_span,
            help: None,
        });
    }
    (errors.len() == before).then_some(year)
}

/// Looks up a catalogue id of `kind`; reports an unknown one with a suggestion.
pub(crate) fn catalogue_ref(
    catalogue: &ir::Catalogue,
    catalogue_found: bool,
    kind: &'static str,
    id: &ast::Name,
    errors: &mut Vec<CheckError>,
) -> bool {
    let (exists, candidates): (bool, Vec<&str>) = match kind {
        "department" => (
            catalogue.department(&id.text).is_some(),
            catalogue
                .departments
                .iter()
                .map(|d| d.id.as_str())
                .collect(),
        ),
        "dataset" => (
            catalogue.dataset(&id.text).is_some(),
            catalogue.datasets.iter().map(|d| d.id.as_str()).collect(),
        ),
        _ => (
            catalogue.material(&id.text).is_some(),
            catalogue.materials.iter().map(|m| m.id.as_str()).collect(),
        ),
    };
    if exists || !catalogue_found {
        return exists;
    }
    let suggestion = crate::diagnostic::did_you_mean(&id.text, candidates);
    errors.push(CheckError::UnknownCatalogueId {
        kind,
        id: id.text.clone(),
        span: id.span,
        suggestion,
    });
    false
}
