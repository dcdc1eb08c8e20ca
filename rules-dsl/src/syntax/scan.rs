//! The lexical pre-pass: chunks, comments, and the mistakes a grammar reports badly.
//!
//! Input: a whole source file. Output: the chunks the parser parses one by one
//! (a chunk starts at a line whose first word, in column 0, is an item keyword),
//! the comments (which the grammar skips but the formatter keeps), and
//! precise errors for unclosed strings, full-width punctuation, unbalanced
//! brackets and nesting deep enough to exhaust a recursive parser.

use crate::diagnostic::Span;

use super::SyntaxError;

/// Brackets (and `if`s) may nest this deep; deeper input is refused before parsing.
pub const MAX_NESTING: usize = 64;

/// Words that start an item when they begin a line in column 0.
pub const ITEM_KEYWORDS: &[&str] = &[
    "policy",
    "calendar",
    "bundle",
    "department",
    "dataset",
    "material",
    "basis",
    "version",
    "effective",
    "facts",
    "param",
    "let",
    "rule",
    "exception",
    "eligible",
    "table",
    "step",
    "member",
    "entry",
    "link",
    "element",
    "use",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// From `#` to the end of the line (without the newline).
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub span: Span,
}

/// Cuts `text` into chunks. The text before the first item line (blank lines
/// and comments, or stray text) forms a chunk of its own.
pub fn chunks(text: &str) -> Vec<Chunk> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset != 0 && starts_item(line) {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut chunks = Vec::with_capacity(starts.len());
    for (index, &start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        chunks.push(Chunk {
            span: Span::new(start, end),
        });
    }
    chunks
}

fn starts_item(line: &str) -> bool {
    let word_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let word = &line[..word_end];
    let next = line[word_end..].chars().next();
    ITEM_KEYWORDS.contains(&word) && matches!(next, None | Some(' ' | '\t' | '\r' | '\n' | '#'))
}

/// The result of scanning one chunk.
#[derive(Debug, Default)]
pub struct Scan {
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
}

/// Scans `text[span]`; spans in the result are file offsets.
pub fn scan(text: &str, chunk: Span) -> Scan {
    let mut scan = Scan::default();
    let source = &text[chunk.range()];
    let mut brackets: Vec<(char, usize)> = Vec::new();
    // The `if`s still open at each bracket level (the chunk's top level
    // first). An `if` nests every `if` that follows it at the same level (the
    // grammar recurses into its branches) until a `,` ends the level's
    // current expression or the bracket around them closes.
    let mut open_ifs: Vec<usize> = vec![0];
    let mut ifs = 0usize;
    let mut too_deep_reported = false;
    let mut chars = source.char_indices().peekable();
    let mut previous_is_word = false;
    while let Some((index, ch)) = chars.next() {
        let at = chunk.start + index;
        match ch {
            '#' => {
                let mut end = source.len();
                for (next_index, next) in chars.by_ref() {
                    if next == '\n' {
                        end = next_index;
                        break;
                    }
                }
                let body = source[index..end].trim_end_matches('\r');
                scan.comments.push(Comment {
                    span: Span::new(at, chunk.start + index + body.len()),
                    text: body.to_string(),
                });
                previous_is_word = false;
                continue;
            }
            '"' => {
                let mut closed = false;
                while let Some((_, next)) = chars.next() {
                    match next {
                        '\\' if chars.peek().is_some_and(|(_, c)| *c != '\n') => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => break,
                        _ => {}
                    }
                }
                if !closed {
                    let line_end = source[index..]
                        .find('\n')
                        .map_or(source.len(), |n| index + n);
                    let line_end = chunk.start + line_end;
                    scan.errors.push(SyntaxError::UnterminatedString {
                        span: Span::new(at, line_end.max(at + 1)),
                    });
                }
                previous_is_word = false;
                continue;
            }
            '(' | '[' | '{' => {
                brackets.push((ch, at));
                open_ifs.push(0);
                if brackets.len() + ifs > MAX_NESTING && !too_deep_reported {
                    too_deep_reported = true;
                    scan.errors.push(SyntaxError::TooDeep {
                        limit: MAX_NESTING,
                        span: Span::new(at, at + 1),
                    });
                }
            }
            ')' | ']' | '}' => {
                let open = match ch {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                ifs -= open_ifs.pop().unwrap_or(0);
                match brackets.pop() {
                    Some((found, _)) if found == open => {}
                    Some((found, found_at)) => {
                        if !too_deep_reported {
                            scan.errors.push(SyntaxError::MismatchedClose {
                                close: ch,
                                open: found,
                                span: Span::new(at, at + 1),
                                open_span: Span::new(found_at, found_at + 1),
                            });
                        }
                        return scan;
                    }
                    None => {
                        scan.errors.push(SyntaxError::UnexpectedClose {
                            close: ch,
                            span: Span::new(at, at + 1),
                        });
                        return scan;
                    }
                }
            }
            ',' => {
                if let Some(level) = open_ifs.last_mut() {
                    ifs -= *level;
                    *level = 0;
                }
            }
            _ => {
                if let Some(ascii) = full_width_replacement(ch) {
                    scan.errors.push(SyntaxError::FullWidth {
                        found: ch,
                        ascii,
                        span: Span::new(at, at + ch.len_utf8()),
                    });
                } else if ch == 'i'
                    && !previous_is_word
                    && source[index..].starts_with("if")
                    && !source[index + 2..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                {
                    ifs += 1;
                    if let Some(level) = open_ifs.last_mut() {
                        *level += 1;
                    }
                    if brackets.len() + ifs > MAX_NESTING && !too_deep_reported {
                        too_deep_reported = true;
                        scan.errors.push(SyntaxError::TooDeep {
                            limit: MAX_NESTING,
                            span: Span::new(at, at + 2),
                        });
                    }
                }
            }
        }
        previous_is_word = ch.is_ascii_alphanumeric() || ch == '_' || ch == '.';
    }
    if !too_deep_reported {
        if let Some(&(open, at)) = brackets.last() {
            scan.errors.push(SyntaxError::Unclosed {
                open,
                span: Span::new(at, at + 1),
            });
        }
    }
    scan
}

/// Full-width punctuation that officers type by habit, and what to write instead.
fn full_width_replacement(ch: char) -> Option<&'static str> {
    Some(match ch {
        '“' | '”' => "\"",
        '：' => ":",
        '，' => ",",
        '（' => "(",
        '）' => ")",
        '【' => "[",
        '】' => "]",
        '｛' => "{",
        '｝' => "}",
        '＝' => "=",
        '＜' => "<",
        '＞' => ">",
        '！' => "!",
        '＋' => "+",
        '－' => "-",
        _ => return None,
    })
}
