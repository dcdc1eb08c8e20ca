//! Spans, diagnostics and their rendering.
//!
//! Input: errors and warnings from every stage (`SyntaxError`, `CheckError`,
//! `Warning`), each turned into a [`Diagnostic`]. Output: text with the source
//! line and the span underlined (codespan-reporting, which measures columns by
//! Unicode width, so Chinese text lines up).

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, LabelStyle};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

/// Index of a file in a [`SourceSet`].
pub type FileId = usize;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A rendered-ready message about a source position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, documented in docs/diagnostics.md (`E0204`, `W0001`).
    pub code: &'static str,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// Text under the primary span; may be empty.
    pub label: String,
    /// Other places that explain the message ("first defined here").
    pub related: Vec<Related>,
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub label: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The source files of one run, so diagnostics can be rendered with snippets.
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    files: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl SourceSet {
    pub fn new() -> SourceSet {
        SourceSet::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(Source {
            name: name.into(),
            text: text.into(),
        });
        self.files.len() - 1
    }

    pub fn get(&self, file: FileId) -> Option<&Source> {
        self.files.get(file)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Source)> {
        self.files.iter().enumerate()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Renders diagnostics as text; `color` adds ANSI colours for a terminal.
    pub fn render(&self, diagnostics: &[Diagnostic], color: bool) -> String {
        let mut files = SimpleFiles::new();
        for source in &self.files {
            files.add(source.name.as_str(), source.text.as_str());
        }
        let mut buffer = if color {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        };
        let config = Config::default();
        for diagnostic in diagnostics {
            let report = self.to_report(diagnostic);
            if term::emit(&mut buffer, &config, &files, &report).is_err() {
                // A span outside its file is a bug in a stage; say so instead
                // of losing the message.
                buffer_line(&mut buffer, diagnostic);
            }
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }

    fn to_report(&self, diagnostic: &Diagnostic) -> Report<FileId> {
        let report = match diagnostic.severity {
            Severity::Error => Report::error(),
            Severity::Warning => Report::warning(),
        };
        let mut labels = vec![
            Label::new(
                LabelStyle::Primary,
                diagnostic.file,
                self.clamp(diagnostic.file, diagnostic.span),
            )
            .with_message(diagnostic.label.clone()),
        ];
        for related in &diagnostic.related {
            labels.push(
                Label::new(
                    LabelStyle::Secondary,
                    related.file,
                    self.clamp(related.file, related.span),
                )
                .with_message(related.label.clone()),
            );
        }
        let mut notes = Vec::new();
        if let Some(help) = &diagnostic.help {
            notes.push(format!("help: {help}"));
        }
        report
            .with_code(diagnostic.code)
            .with_message(diagnostic.message.clone())
            .with_labels(labels)
            .with_notes(notes)
    }

    /// Keeps a span inside its file and on character boundaries.
    fn clamp(&self, file: FileId, span: Span) -> Range<usize> {
        let Some(source) = self.files.get(file) else {
            return 0..0;
        };
        let text = &source.text;
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        start..end
    }
}

fn buffer_line(buffer: &mut termcolor::Buffer, diagnostic: &Diagnostic) {
    use std::io::Write;
    // Writing into an in-memory buffer cannot fail.
    let _ = writeln!(
        buffer,
        "{}[{}]: {}",
        severity_word(diagnostic.severity),
        diagnostic.code,
        diagnostic.message
    );
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub use contract::codec::did_you_mean;

/// Every diagnostic code with a one-line summary. docs/diagnostics.md explains
/// each one; a test keeps the two and the corpus in step.
pub const CODES: &[(&str, &str)] = &[
    ("E0100", "the file is not valid UTF-8"),
    ("E0101", "the file is empty"),
    (
        "E0102",
        "unexpected input: the parser expected something else here",
    ),
    ("E0103", "a string is not closed on its line"),
    ("E0104", "full-width punctuation outside a string"),
    ("E0105", "brackets nested too deeply"),
    (
        "E0106",
        "a bracket is not closed, or closed without being opened",
    ),
    ("E0107", "a date literal that is not a real date"),
    ("E0108", "a number with more than six decimals"),
    ("E0109", "a number too large"),
    ("E0110", "an unknown escape in a string"),
    ("E0111", "an expression nested too deeply"),
    ("E0112", "too many terms in one `and` or `or` chain"),
    (
        "E0200",
        "a file without a `policy` or `bundle` line, or with both",
    ),
    (
        "E0201",
        "a declaration that may appear only once appears twice",
    ),
    ("E0202", "an item that does not belong in this kind of file"),
    (
        "E0203",
        "an unknown catalogue id (department, dataset or material)",
    ),
    ("E0204", "an unknown name in an expression"),
    ("E0205", "a name defined twice"),
    ("E0206", "definitions that depend on each other in a cycle"),
    ("E0207", "a policy without `eligible when`"),
    ("E0208", "a policy or bundle without `department`"),
    (
        "E0209",
        "an unknown function, or the wrong number of arguments",
    ),
    ("E0210", "a catalogue id declared twice"),
    ("E0211", "a fact, record field or enum value declared twice"),
    ("E0212", "a reserved name used for a definition"),
    (
        "E0213",
        "a clause given twice, or a clause that does not fit the declaration",
    ),
    ("E0214", "no catalogue was found"),
    ("E0215", "two files declare the same policy or bundle id"),
    ("E0300", "a value of the wrong type"),
    ("E0301", "an operator that does not apply to these types"),
    ("E0302", "a division without a rounding mode"),
    (
        "E0303",
        "an unknown enum value, or two different enums compared",
    ),
    ("E0304", "a condition that is not true/false"),
    ("E0305", "an aggregate written in the wrong form"),
    ("E0306", "an unknown field of a list's records"),
    (
        "E0307",
        "a parameter looked up without its key, or with one it does not have",
    ),
    ("E0308", "text compared by order"),
    ("E0309", "money mixed with a plain number"),
    ("E0310", "`in` with something that is not a set"),
    ("E0311", "the branches of `if` have different types"),
    (
        "E0312",
        "a range on a fact that is not a number, has bounds of another type, or is empty",
    ),
    (
        "E0350",
        "parameter entries out of date order, or the same date twice",
    ),
    ("E0400", "two rows of a `unique` table can both match"),
    ("E0401", "a table row with the wrong number of cells"),
    ("E0402", "a table cell that does not fit its input"),
    ("E0403", "a `priority` table without a complete `order`"),
    (
        "E0404",
        "a `collect` operation that does not fit the output type",
    ),
    ("E0405", "an empty range in a table cell"),
    ("E0450", "steps that wait for each other in a cycle"),
    ("E0451", "an unknown step in `after`"),
    ("E0460", "`copies` must be at least 1"),
    ("E0461", "a material asked for twice"),
    ("E0470", "an exception that does not override a rule"),
    ("E0500", "an unknown member policy"),
    (
        "E0501",
        "a link from a member that does not produce the material",
    ),
    (
        "E0502",
        "a link to a member that does not ask for the material",
    ),
    (
        "E0503",
        "members that declare the same fact with different types",
    ),
    ("E0504", "a member listed twice"),
    ("E0505", "members linked in a cycle"),
    ("E0506", "a link between services that are not members"),
    ("W0001", "a fact that is never used"),
    ("W0002", "a rule that nothing refers to"),
    ("W0003", "a `let` or parameter that is never used"),
    ("W0004", "a rule without a citation"),
    ("W0005", "a table without `default`"),
    ("W0006", "a table row that can never be chosen"),
    ("W0007", "a policy without `basis`"),
];
