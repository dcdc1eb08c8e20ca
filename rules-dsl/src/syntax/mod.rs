//! Parsing: source text → AST with spans, plus every syntax error found.
//!
//! Input: one file's text. Output: an [`ast::SourceFile`] holding every item
//! that parsed, the comments, and a [`SyntaxError`] for each problem. A
//! broken item does not stop the parse: the file is cut into chunks at item
//! keywords in column 0 (see `scan`) and each chunk is parsed on its own.

pub mod ast;
mod parse;
pub mod scan;

use thiserror::Error;

use crate::diagnostic::{Diagnostic, FileId, Related, Severity, Span};

pub use scan::{Comment, MAX_NESTING};

/// Expressions may nest this deep (counting every operator), so that the
/// checker and the formatter, which recurse, never exhaust the stack.
pub const MAX_EXPR_DEPTH: usize = 200;

/// The most terms in one `and` or `or` chain (`a and b and c` is one node
/// of three terms, so the depth bound does not limit it). Far above any
/// real condition, low enough that its code fits WebAssembly's limits.
pub const MAX_CHAIN_TERMS: usize = 10_000;

/// The most decimals a number may have (`decimal(6)`, `0.000001`, `12.3456%`):
/// values are whole units at that scale in 64 bits, which leaves more than
/// nine trillion for the whole part.
pub const MAX_DECIMALS: u8 = 6;

/// A parsed file: its items, comments and syntax errors.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: ast::SourceFile,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
}

/// Parses one file. Never panics; every problem is in `errors`.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    if text.trim().is_empty() {
        parsed.errors.push(SyntaxError::EmptyFile);
        return parsed;
    }
    let chunks = scan::chunks(text);
    let threads = if text.len() >= PARALLEL_PARSE_BYTES {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
    } else {
        1
    };
    if threads <= 1 {
        parse_chunks(text, &chunks, &mut parsed);
    } else {
        // Chunks are independent, so a large file is parsed by a few threads,
        // each taking a contiguous run of chunks; the results keep file order.
        let per_thread = chunks.len().div_ceil(threads);
        let parts: Vec<Parsed> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .chunks(per_thread.max(1))
                .map(|run| {
                    scope.spawn(move || {
                        let mut part = Parsed::default();
                        parse_chunks(text, run, &mut part);
                        part
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for part in parts {
            parsed.file.items.extend(part.file.items);
            parsed.comments.extend(part.comments);
            parsed.errors.extend(part.errors);
        }
    }
    if parsed.file.items.is_empty() && parsed.errors.is_empty() {
        parsed.errors.push(SyntaxError::EmptyFile);
    }
    parsed
}

/// Files at least this large are parsed by several threads (a chunk's parse
/// needs nothing from another chunk). Smaller files are not worth a thread:
/// 16 KiB parse in ~3 ms, a thread starts in ~50 µs.
pub const PARALLEL_PARSE_BYTES: usize = 16 * 1024;

fn parse_chunks(text: &str, chunks: &[scan::Chunk], parsed: &mut Parsed) {
    for chunk in chunks {
        let scanned = scan::scan(text, chunk.span);
        parsed.comments.extend(scanned.comments);
        if !scanned.errors.is_empty() {
            parsed.errors.extend(scanned.errors);
            continue;
        }
        parse::parse_chunk(text, chunk.span, &mut parsed.file.items, &mut parsed.errors);
    }
}

/// Everything that can be wrong with a file before names and types are looked at.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SyntaxError {
    #[error("the file is not valid UTF-8")]
    InvalidUtf8 { offset: usize },
    #[error("the file is empty")]
    EmptyFile,
    #[error("expected {expected}, found {found}")]
    Unexpected {
        expected: String,
        found: String,
        span: Span,
        /// What the officer probably meant, for common slips (`=`, `&&`).
        help: Option<String>,
    },
    #[error("this string is not closed")]
    UnterminatedString { span: Span },
    #[error("full-width `{found}` outside a string")]
    FullWidth {
        found: char,
        ascii: &'static str,
        span: Span,
    },
    #[error("brackets nested more than {limit} levels deep")]
    TooDeep { limit: usize, span: Span },
    #[error("`{open}` is never closed")]
    Unclosed { open: char, span: Span },
    #[error("`{close}` closes nothing")]
    UnexpectedClose { close: char, span: Span },
    #[error("`{close}` does not match the `{open}` it closes")]
    MismatchedClose {
        close: char,
        open: char,
        span: Span,
        open_span: Span,
    },
    #[error("`{text}` is not a date in the calendar")]
    InvalidDate { text: String, span: Span },
    #[error("a number has at most six decimals: `{text}`")]
    MoneyPrecision { text: String, span: Span },
    #[error("the number `{text}` is too large")]
    NumberTooLarge { text: String, span: Span },
    #[error("unknown escape `{text}` in a string")]
    InvalidEscape { text: String, span: Span },
    #[error("more than {limit} operations chained or nested in one expression")]
    ExprTooDeep { limit: usize, span: Span },
    #[error("more than {limit} terms joined by `and` or `or` in one expression")]
    ChainTooLong { limit: usize, span: Span },
}

impl SyntaxError {
    pub fn code(&self) -> &'static str {
        match self {
            SyntaxError::InvalidUtf8 { .. } => "E0100",
            SyntaxError::EmptyFile => "E0101",
            SyntaxError::Unexpected { .. } => "E0102",
            SyntaxError::UnterminatedString { .. } => "E0103",
            SyntaxError::FullWidth { .. } => "E0104",
            SyntaxError::TooDeep { .. } => "E0105",
            SyntaxError::Unclosed { .. }
            | SyntaxError::UnexpectedClose { .. }
            | SyntaxError::MismatchedClose { .. } => "E0106",
            SyntaxError::InvalidDate { .. } => "E0107",
            SyntaxError::MoneyPrecision { .. } => "E0108",
            SyntaxError::NumberTooLarge { .. } => "E0109",
            SyntaxError::InvalidEscape { .. } => "E0110",
            SyntaxError::ExprTooDeep { .. } => "E0111",
            SyntaxError::ChainTooLong { .. } => "E0112",
        }
    }

    pub fn span(&self) -> Span {
        match self {
            SyntaxError::InvalidUtf8 { offset } => Span::new(*offset, *offset),
            SyntaxError::EmptyFile => Span::new(0, 0),
            SyntaxError::Unexpected { span, .. }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::FullWidth { span, .. }
            | SyntaxError::TooDeep { span, .. }
            | SyntaxError::Unclosed { span, .. }
            | SyntaxError::UnexpectedClose { span, .. }
            | SyntaxError::MismatchedClose { span, .. }
            | SyntaxError::InvalidDate { span, .. }
            | SyntaxError::MoneyPrecision { span, .. }
            | SyntaxError::NumberTooLarge { span, .. }
            | SyntaxError::InvalidEscape { span, .. }
            | SyntaxError::ExprTooDeep { span, .. }
            | SyntaxError::ChainTooLong { span, .. } => *span,
        }
    }

    fn label(&self) -> String {
        match self {
            SyntaxError::InvalidUtf8 { offset } => {
                format!("byte {offset} is not part of any UTF-8 character")
            }
            SyntaxError::EmptyFile => String::new(),
            SyntaxError::Unexpected { expected, .. } => format!("expected {expected}"),
            SyntaxError::UnterminatedString { .. } => "the string starts here".into(),
            SyntaxError::FullWidth { ascii, .. } => format!("write `{ascii}` here"),
            SyntaxError::TooDeep { .. } => "the limit is reached here".into(),
            SyntaxError::Unclosed { .. } => "opened here".into(),
            SyntaxError::UnexpectedClose { .. } => "nothing is open here".into(),
            SyntaxError::MismatchedClose { open, .. } => {
                let expected = match open {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                format!("expected `{expected}`")
            }
            SyntaxError::InvalidDate { .. } => "no such day".into(),
            SyntaxError::MoneyPrecision { .. } => "too many decimals".into(),
            SyntaxError::NumberTooLarge { .. } => "does not fit in 64 bits".into(),
            SyntaxError::InvalidEscape { .. } => "unknown escape".into(),
            SyntaxError::ExprTooDeep { .. } | SyntaxError::ChainTooLong { .. } => {
                "the limit is crossed here".into()
            }
        }
    }

    fn help(&self) -> Option<String> {
        Some(match self {
            SyntaxError::InvalidUtf8 { .. } => {
                "save the file as UTF-8 (in most editors: “Save with encoding” → UTF-8)".into()
            }
            SyntaxError::EmptyFile => {
                "a policy file starts with `policy ID \"title\"`, a bundle with `bundle ID \"title\"`; the catalogue declares `department`, `dataset` and `material` entries"
                    .into()
            }
            SyntaxError::Unexpected { help, .. } => return help.clone(),
            SyntaxError::UnterminatedString { .. } => "add the closing `\"` on the same line".into(),
            SyntaxError::FullWidth { .. } => {
                "outside quotes the language uses ASCII punctuation; switch the input method to half-width (半角)"
                    .into()
            }
            SyntaxError::TooDeep { limit, .. } => {
                format!("split the expression into `let` definitions; at most {limit} levels of brackets and `if`s are allowed")
            }
            SyntaxError::Unclosed { open, .. } => {
                let close = match open {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                format!("add `{close}` where the bracket should end")
            }
            SyntaxError::UnexpectedClose { .. } => "remove it, or add the opening bracket".into(),
            SyntaxError::MismatchedClose { .. } => "brackets close in the reverse order they open".into(),
            SyntaxError::InvalidDate { .. } => "dates are written `YYYY-MM-DD`, for example `2026-02-28`".into(),
            SyntaxError::MoneyPrecision { .. } => {
                "values are exact to six decimals at most (`decimal(6)`); round a finer result: `a / b round half_up`"
                    .into()
            }
            SyntaxError::NumberTooLarge { .. } => {
                "numbers must lie between -9223372036854775808 and 9223372036854775807 (money: in fen)".into()
            }
            SyntaxError::InvalidEscape { .. } => {
                "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{XXXX}`".into()
            }
            SyntaxError::ExprTooDeep { limit, .. } => {
                format!("split the expression into `let` definitions; at most {limit} operations may be chained or nested")
            }
            SyntaxError::ChainTooLong { limit, .. } => {
                format!("split the chain into `let` definitions or rules and join those; at most {limit} terms may be joined in one")
            }
        })
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let related = match self {
            SyntaxError::MismatchedClose {
                open, open_span, ..
            } => vec![Related {
                file,
                span: *open_span,
                label: format!("`{open}` opened here"),
            }],
            _ => Vec::new(),
        };
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            message: self.to_string(),
            file,
            span: self.span(),
            label: self.label(),
            related,
            help: self.help(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file large enough to be parsed by several threads gives exactly
    /// what one thread gives: the same items, comments and errors, in order.
    #[test]
    fn parallel_parse_equals_sequential_parse() {
        let mut text =
            String::from("policy p.x \"标题\"\n  department d.x\n\nfacts {\n  x: int\n}\n\n");
        let mut index = 0;
        while text.len() < 2 * PARALLEL_PARSE_BYTES {
            text.push_str(&format!(
                "# 第{index}条\nrule r{index} \"规则{index}\":\n  x > {index} and x != 7\n\n"
            ));
            if index % 97 == 0 {
                text.push_str("rule broken \"坏\": (x +\n\n");
            }
            index += 1;
        }
        let parallel = parse(&text);
        let mut sequential = Parsed::default();
        parse_chunks(&text, &scan::chunks(&text), &mut sequential);
        assert!(parallel.file.items.len() > 500);
        assert!(!parallel.errors.is_empty());
        assert_eq!(parallel.file, sequential.file);
        assert_eq!(parallel.comments, sequential.comments);
        assert_eq!(parallel.errors, sequential.errors);
    }
}
