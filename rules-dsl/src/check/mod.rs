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
use crate::words;

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
                        | ast::ItemKind::Element(_)
                        | ast::ItemKind::Param(_)
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
    // Data elements name the datasets that provide them.
    let mut dataset_refs: Vec<(FileId, ast::Name)> = Vec::new();
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
                        let id = &id.text;
                        errors.push(CheckError::BadClause {
                            message: words!(
                                "部门`{id}`需要写明名称",
                                "department `{id}` needs its name"
                            ),
                            span: item.span,
                            help: Some(words!(
                                "写作`department {id} \"名称\"`",
                                "write `department {id} \"名称\"`"
                            )),
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
                                other => {
                                    let keyword = other.keyword();
                                    errors.push(CheckError::BadClause {
                                        message: words!(
                                            "`{keyword}`不能写在目录中",
                                            "`{keyword}` does not belong in the catalogue"
                                        ),
                                        span: other.span(),
                                        help: Some(words!(
                                            "目录说明材料是什么（名称、形式、出具部门）；事项规则说明何时、如何要求提交",
                                            "the catalogue says what a material is (name, form, issuer); policies say when and how it is asked for"
                                        )),
                                    })
                                }
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
                        let id = &material.id.text;
                        errors.push(CheckError::BadClause {
                            message: words!(
                                "材料`{id}`在目录中需要写明名称",
                                "material `{id}` needs its name in the catalogue"
                            ),
                            span: item.span,
                            help: Some(words!(
                                "写作`material {id} \"名称\"`",
                                "write `material {id} \"名称\"`"
                            )),
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
                ast::ItemKind::Element(decl) => {
                    // Checked here once for its own mistakes; each policy that
                    // uses it declares it again in its own scope.
                    let mut scope = expr::Scope::new(false);
                    policy::declare_fact(&mut scope, decl, &mut Vec::new());
                    errors.append(&mut scope.errors);
                    if let Some(ast::FactSource::Shared(dataset)) = &decl.source {
                        dataset_refs.push((file, dataset.clone()));
                    }
                    catalogue.elements.push(decl.clone());
                    Some(("data element", &decl.name))
                }
                ast::ItemKind::Param(decl) => {
                    let mut scope = expr::Scope::new(false);
                    let _ = policy::check_param(&mut scope, decl);
                    errors.append(&mut scope.errors);
                    catalogue.params.push(decl.clone());
                    Some(("parameter", &decl.name))
                }
                other => {
                    errors.push(CheckError::NotAllowedHere {
                        keyword: other.keyword().into(),
                        file_kind: "the catalogue",
                        span: item.span,
                        help: words!(
                            "目录只声明`department`、`dataset`、`material`、`calendar`、`element`和`param`；规则请写在以`policy`开头的事项规则文件中",
                            "the catalogue declares only `department`, `dataset`, `material`, `calendar`, `element` and `param`; put rules in a policy file that starts with `policy`"
                        ),
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
    for (file, dataset) in dataset_refs {
        if catalogue.dataset(&dataset.text).is_none() {
            let suggestion = crate::diagnostic::did_you_mean(
                &dataset.text,
                catalogue.datasets.iter().map(|d| d.id.as_str()),
            );
            let error = CheckError::UnknownCatalogueId {
                kind: "dataset",
                id: dataset.text.clone(),
                span: dataset.span,
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
                    let year = decl.year;
                    let error = CheckError::BadClause {
                        message: words!(
                            "{year}年的日历写了两次",
                            "the calendar of {year} is given twice"
                        ),
                        span: decl.year_span,
                        help: Some(words!(
                            "每年只保留一个`calendar`",
                            "keep one `calendar` item per year"
                        )),
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
        let found = decl.year;
        errors.push(CheckError::BadClause {
            message: words!(
                "日历年份须在 1 到 9999 之间，实际为{found}",
                "a calendar year is from 1 to 9999, found {found}"
            ),
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
                let (day, year) = (date.value, decl.year);
                errors.push(CheckError::BadClause {
                    message: words!("{day}不在{year}年内", "{day} is not in {year}"),
                    span: date.span,
                    help: Some(words!(
                        "`calendar {year}`只列出{year}年的日期",
                        "the `calendar {year}` item lists days of {year} only"
                    )),
                });
            }
        }
        let (first, last) = (
            days_from_date(entry.from.value),
            days_from_date(until.value),
        );
        if last < first {
            let (end, start) = (until.value, entry.from.value);
            errors.push(CheckError::BadClause {
                message: words!(
                    "区间的结束日（{end}）早于开始日（{start}）",
                    "the range ends ({end}) before it starts ({start})"
                ),
                span: entry.span,
                help: Some(words!(
                    "先写较早的日期：`holiday 2025-10-01..2025-10-08`",
                    "write the earlier day first: `holiday 2025-10-01..2025-10-08`"
                )),
            });
            continue;
        }
        for day in first..=last {
            if entry.holiday {
                year.holidays.push(day);
            } else if weekday(day) < 5 {
                let date = crate::calendar::date_from_days(day)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                errors.push(CheckError::BadClause {
                    message: words!(
                        "{date}是周一至周五，本来就是工作日",
                        "{date} is a weekday, a working day already"
                    ),
                    span: entry.span,
                    help: Some(words!(
                        "`workday`只列出因调休而上班的周六、周日",
                        "`workday` lists the Saturdays and Sundays worked instead of a holiday (调休)"
                    )),
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
        let date = crate::calendar::date_from_days(both)
            .map(|d| d.to_string())
            .unwrap_or_default();
        errors.push(CheckError::BadClause {
            message: words!(
                "{date}既是假日又是调休工作日",
                "{date} is both a holiday and a workday"
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
