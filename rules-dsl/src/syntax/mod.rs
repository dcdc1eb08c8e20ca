//! Parsing: source text → AST with spans, plus every syntax error found.
//!
//! Input: one file's text. Output: an [`ast::SourceFile`] holding every item
//! that parsed, the comments, and a [`SyntaxError`] for each problem. A
//! broken item does not stop the parse: the file is cut into chunks at item
//! keywords in column 0 (see `scan`) and each chunk is parsed on its own.

pub mod ast;
mod parse;
pub mod scan;

use std::fmt;

use crate::diagnostic::{Diagnostic, FileId, Related, Severity, Span};
use crate::lang::{Lang, Words};
use crate::words;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    InvalidUtf8 {
        offset: usize,
    },
    EmptyFile,
    Unexpected {
        /// What the grammar expects here (`` `:` ``, "an expression").
        expected: Words,
        /// What stands here (`` `age_on` ``, "the end of the line").
        found: Words,
        span: Span,
        /// What the officer probably meant, for common slips (`=`, `&&`).
        help: Option<Words>,
    },
    UnterminatedString {
        span: Span,
    },
    FullWidth {
        found: char,
        ascii: &'static str,
        span: Span,
    },
    TooDeep {
        limit: usize,
        span: Span,
    },
    Unclosed {
        open: char,
        span: Span,
    },
    UnexpectedClose {
        close: char,
        span: Span,
    },
    MismatchedClose {
        close: char,
        open: char,
        span: Span,
        open_span: Span,
    },
    InvalidDate {
        text: String,
        span: Span,
    },
    MoneyPrecision {
        text: String,
        span: Span,
    },
    NumberTooLarge {
        text: String,
        span: Span,
    },
    InvalidEscape {
        text: String,
        span: Span,
    },
    ExprTooDeep {
        limit: usize,
        span: Span,
    },
    ChainTooLong {
        limit: usize,
        span: Span,
    },
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

    /// The message, in both languages.
    pub fn message(&self) -> Words {
        match self {
            SyntaxError::InvalidUtf8 { .. } => {
                words!("文件不是 UTF-8 编码", "the file is not valid UTF-8")
            }
            SyntaxError::EmptyFile => words!("文件为空", "the file is empty"),
            SyntaxError::Unexpected {
                expected, found, ..
            } => words!(
                "应为{expected}，实际为{found}",
                "expected {expected}, found {found}",
                expected = expected,
                found = found
            ),
            SyntaxError::UnterminatedString { .. } => {
                words!("字符串没有闭合", "this string is not closed")
            }
            SyntaxError::FullWidth { found, .. } => words!(
                "字符串外使用了全角的`{found}`",
                "full-width `{found}` outside a string"
            ),
            SyntaxError::TooDeep { limit, .. } => words!(
                "括号嵌套超过{limit}层",
                "brackets nested more than {limit} levels deep"
            ),
            SyntaxError::Unclosed { open, .. } => {
                words!("`{open}`没有闭合", "`{open}` is never closed")
            }
            SyntaxError::UnexpectedClose { close, .. } => {
                words!("`{close}`没有对应的开括号", "`{close}` closes nothing")
            }
            SyntaxError::MismatchedClose { close, open, .. } => words!(
                "`{close}`与它所闭合的`{open}`不匹配",
                "`{close}` does not match the `{open}` it closes"
            ),
            SyntaxError::InvalidDate { text, .. } => words!(
                "`{text}`不是日历上存在的日期",
                "`{text}` is not a date in the calendar"
            ),
            SyntaxError::MoneyPrecision { text, .. } => words!(
                "数字最多六位小数：`{text}`",
                "a number has at most six decimals: `{text}`"
            ),
            SyntaxError::NumberTooLarge { text, .. } => {
                words!("数字`{text}`过大", "the number `{text}` is too large")
            }
            SyntaxError::InvalidEscape { text, .. } => words!(
                "字符串中有未知的转义`{text}`",
                "unknown escape `{text}` in a string"
            ),
            SyntaxError::ExprTooDeep { limit, .. } => words!(
                "一个表达式中连续或嵌套的运算超过{limit}个",
                "more than {limit} operations chained or nested in one expression"
            ),
            SyntaxError::ChainTooLong { limit, .. } => words!(
                "一个表达式中用`and`或`or`连接的项超过{limit}个",
                "more than {limit} terms joined by `and` or `or` in one expression"
            ),
        }
    }

    fn label(&self) -> Words {
        match self {
            SyntaxError::InvalidUtf8 { offset } => words!(
                "第{offset}字节不属于任何 UTF-8 字符",
                "byte {offset} is not part of any UTF-8 character"
            ),
            SyntaxError::EmptyFile => Words::default(),
            SyntaxError::Unexpected { expected, .. } => words!(
                "此处应为{expected}",
                "expected {expected}",
                expected = expected
            ),
            SyntaxError::UnterminatedString { .. } => {
                words!("字符串从这里开始", "the string starts here")
            }
            SyntaxError::FullWidth { ascii, .. } => {
                words!("此处应写`{ascii}`", "write `{ascii}` here")
            }
            SyntaxError::TooDeep { .. } => words!("在这里达到上限", "the limit is reached here"),
            SyntaxError::Unclosed { .. } => words!("在这里打开", "opened here"),
            SyntaxError::UnexpectedClose { .. } => {
                words!("这里没有未闭合的括号", "nothing is open here")
            }
            SyntaxError::MismatchedClose { open, .. } => {
                let expected = closing(*open);
                words!("此处应为`{expected}`", "expected `{expected}`")
            }
            SyntaxError::InvalidDate { .. } => words!("没有这一天", "no such day"),
            SyntaxError::MoneyPrecision { .. } => words!("小数位数过多", "too many decimals"),
            SyntaxError::NumberTooLarge { .. } => {
                words!("超出 64 位整数的范围", "does not fit in 64 bits")
            }
            SyntaxError::InvalidEscape { .. } => words!("未知的转义", "unknown escape"),
            SyntaxError::ExprTooDeep { .. } | SyntaxError::ChainTooLong { .. } => {
                words!("在这里超过上限", "the limit is crossed here")
            }
        }
    }

    fn help(&self) -> Option<Words> {
        Some(match self {
            SyntaxError::InvalidUtf8 { .. } => words!(
                "请将文件另存为 UTF-8 编码（多数编辑器：“另存为” → 编码选 UTF-8）",
                "save the file as UTF-8 (in most editors: “Save with encoding” → UTF-8)"
            ),
            SyntaxError::EmptyFile => words!(
                "事项规则文件以`policy ID \"标题\"`开头，一件事以`bundle ID \"标题\"`开头；目录文件声明`department`、`dataset`和`material`条目",
                "a policy file starts with `policy ID \"title\"`, a bundle with `bundle ID \"title\"`; the catalogue declares `department`, `dataset` and `material` entries"
            ),
            SyntaxError::Unexpected { help, .. } => return help.clone(),
            SyntaxError::UnterminatedString { .. } => words!(
                "在同一行末尾补上`\"`",
                "add the closing `\"` on the same line"
            ),
            SyntaxError::FullWidth { .. } => words!(
                "引号以外请使用英文（半角）标点，把输入法切换到半角",
                "outside quotes the language uses ASCII punctuation; switch the input method to half-width (半角)"
            ),
            SyntaxError::TooDeep { limit, .. } => words!(
                "把表达式拆成几个`let`定义；括号和`if`最多嵌套{limit}层",
                "split the expression into `let` definitions; at most {limit} levels of brackets and `if`s are allowed"
            ),
            SyntaxError::Unclosed { open, .. } => {
                let close = closing(*open);
                words!(
                    "在括号应结束的位置补上`{close}`",
                    "add `{close}` where the bracket should end"
                )
            }
            SyntaxError::UnexpectedClose { .. } => words!(
                "删除它，或补上对应的开括号",
                "remove it, or add the opening bracket"
            ),
            SyntaxError::MismatchedClose { .. } => words!(
                "括号按打开的相反顺序闭合",
                "brackets close in the reverse order they open"
            ),
            SyntaxError::InvalidDate { .. } => words!(
                "日期写作`YYYY-MM-DD`，例如`2026-02-28`",
                "dates are written `YYYY-MM-DD`, for example `2026-02-28`"
            ),
            SyntaxError::MoneyPrecision { .. } => words!(
                "数值最多精确到六位小数（`decimal(6)`）；更细的计算结果请取整：`a / b round half_up`",
                "values are exact to six decimals at most (`decimal(6)`); round a finer result: `a / b round half_up`"
            ),
            SyntaxError::NumberTooLarge { .. } => words!(
                "数字须在 -9223372036854775808 到 9223372036854775807 之间（金额以分计）",
                "numbers must lie between -9223372036854775808 and 9223372036854775807 (money: in fen)"
            ),
            SyntaxError::InvalidEscape { .. } => words!(
                "可用的转义有`\\\"`、`\\\\`、`\\n`、`\\t`和`\\u{{XXXX}}`",
                "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{{XXXX}}`"
            ),
            SyntaxError::ExprTooDeep { limit, .. } => words!(
                "把表达式拆成几个`let`定义；连续或嵌套的运算最多{limit}个",
                "split the expression into `let` definitions; at most {limit} operations may be chained or nested"
            ),
            SyntaxError::ChainTooLong { limit, .. } => words!(
                "把这串条件拆成几个`let`定义或规则，再把它们连接起来；一串最多连接{limit}项",
                "split the chain into `let` definitions or rules and join those; at most {limit} terms may be joined in one"
            ),
        })
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let related = match self {
            SyntaxError::MismatchedClose {
                open, open_span, ..
            } => vec![Related {
                file,
                span: *open_span,
                label: words!("`{open}`在这里打开", "`{open}` opened here"),
            }],
            _ => Vec::new(),
        };
        Diagnostic {
            severity: Severity::Error,
            code: self.code(),
            message: self.message(),
            file,
            span: self.span(),
            label: self.label(),
            related,
            help: self.help(),
        }
    }
}

/// The bracket that closes `open`.
fn closing(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// In the default language (Chinese); a diagnostic carries both.
impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message().get(Lang::default()))
    }
}

impl std::error::Error for SyntaxError {}

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
