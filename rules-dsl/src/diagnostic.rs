//! Spans, diagnostics and their rendering.
//!
//! Input: errors and warnings from every stage (`SyntaxError`, `CheckError`,
//! `Warning`), each turned into a [`Diagnostic`] that carries its message,
//! labels and help in Chinese and English. Output: text in one language with
//! the source line and the span underlined (codespan-reporting, which measures
//! columns by Unicode width, so Chinese text lines up).

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, LabelStyle};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

use crate::lang::{Lang, Words};

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

/// A rendered-ready message about a source position, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, documented in docs/diagnostics.md and
    /// docs/diagnostics.zh.md (`E0204`, `W0001`); the same in both languages.
    pub code: &'static str,
    pub message: Words,
    pub file: FileId,
    pub span: Span,
    /// Text under the primary span; may be empty.
    pub label: Words,
    /// Other places that explain the message ("first defined here").
    pub related: Vec<Related>,
    pub help: Option<Words>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub label: Words,
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

    /// Renders diagnostics as text in `lang`; `color` adds ANSI colours for
    /// a terminal. (The words `error` and `warning` before the code are
    /// codespan-reporting's own and stay English.)
    pub fn render(&self, diagnostics: &[Diagnostic], color: bool, lang: Lang) -> String {
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
            let report = self.to_report(diagnostic, lang);
            if term::emit(&mut buffer, &config, &files, &report).is_err() {
                // A span outside its file is a bug in a stage; say so instead
                // of losing the message.
                buffer_line(&mut buffer, diagnostic, lang);
            }
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }

    fn to_report(&self, diagnostic: &Diagnostic, lang: Lang) -> Report<FileId> {
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
            .with_message(diagnostic.label.get(lang)),
        ];
        for related in &diagnostic.related {
            labels.push(
                Label::new(
                    LabelStyle::Secondary,
                    related.file,
                    self.clamp(related.file, related.span),
                )
                .with_message(related.label.get(lang)),
            );
        }
        let mut notes = Vec::new();
        if let Some(help) = &diagnostic.help {
            notes.push(match lang {
                Lang::Zh => format!("提示：{}", help.zh),
                Lang::En => format!("help: {}", help.en),
            });
        }
        report
            .with_code(diagnostic.code)
            .with_message(diagnostic.message.get(lang))
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

fn buffer_line(buffer: &mut termcolor::Buffer, diagnostic: &Diagnostic, lang: Lang) {
    use std::io::Write;
    // Writing into an in-memory buffer cannot fail.
    let _ = writeln!(
        buffer,
        "{}[{}]: {}",
        severity_word(diagnostic.severity),
        diagnostic.code,
        diagnostic.message.get(lang)
    );
}

/// As codespan-reporting writes it before the code, so both lines look alike.
fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub use contract::codec::did_you_mean;

/// A diagnostic code with its one-line summary in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// Every diagnostic code with a one-line summary. docs/diagnostics.md (in
/// English) and docs/diagnostics.zh.md (in Chinese) explain each one; a test
/// keeps the three and the corpus in step.
pub const CODES: &[Code] = &[
    Code {
        code: "E0100",
        zh: "文件不是 UTF-8 编码",
        en: "the file is not valid UTF-8",
    },
    Code {
        code: "E0101",
        zh: "文件为空",
        en: "the file is empty",
    },
    Code {
        code: "E0102",
        zh: "无法识别的内容：此处应为其他写法",
        en: "unexpected input: the parser expected something else here",
    },
    Code {
        code: "E0103",
        zh: "字符串未在本行内闭合",
        en: "a string is not closed on its line",
    },
    Code {
        code: "E0104",
        zh: "字符串外使用了全角标点",
        en: "full-width punctuation outside a string",
    },
    Code {
        code: "E0105",
        zh: "括号嵌套过深",
        en: "brackets nested too deeply",
    },
    Code {
        code: "E0106",
        zh: "括号未闭合，或闭合了未打开的括号",
        en: "a bracket is not closed, or closed without being opened",
    },
    Code {
        code: "E0107",
        zh: "日期字面量不是真实存在的日期",
        en: "a date literal that is not a real date",
    },
    Code {
        code: "E0108",
        zh: "数字的小数超过六位",
        en: "a number with more than six decimals",
    },
    Code {
        code: "E0109",
        zh: "数字过大",
        en: "a number too large",
    },
    Code {
        code: "E0110",
        zh: "字符串中有未知的转义",
        en: "an unknown escape in a string",
    },
    Code {
        code: "E0111",
        zh: "表达式嵌套过深",
        en: "an expression nested too deeply",
    },
    Code {
        code: "E0112",
        zh: "一个 `and` 或 `or` 连接的项过多",
        en: "too many terms in one `and` or `or` chain",
    },
    Code {
        code: "E0200",
        zh: "文件没有 `policy` 或 `bundle` 行，或两者都有",
        en: "a file without a `policy` or `bundle` line, or with both",
    },
    Code {
        code: "E0201",
        zh: "只能出现一次的声明出现了两次",
        en: "a declaration that may appear only once appears twice",
    },
    Code {
        code: "E0202",
        zh: "声明不属于这类文件",
        en: "an item that does not belong in this kind of file",
    },
    Code {
        code: "E0203",
        zh: "目录中没有的编号（部门、共享数据或材料）",
        en: "an unknown catalogue id (department, dataset or material)",
    },
    Code {
        code: "E0204",
        zh: "表达式中有未定义的名称",
        en: "an unknown name in an expression",
    },
    Code {
        code: "E0205",
        zh: "名称重复定义",
        en: "a name defined twice",
    },
    Code {
        code: "E0206",
        zh: "定义之间循环依赖",
        en: "definitions that depend on each other in a cycle",
    },
    Code {
        code: "E0207",
        zh: "事项规则缺少 `eligible when`",
        en: "a policy without `eligible when`",
    },
    Code {
        code: "E0208",
        zh: "事项规则或一件事缺少 `department`",
        en: "a policy or bundle without `department`",
    },
    Code {
        code: "E0209",
        zh: "未知的函数，或参数个数不对",
        en: "an unknown function, or the wrong number of arguments",
    },
    Code {
        code: "E0210",
        zh: "目录中的编号重复声明",
        en: "a catalogue id declared twice",
    },
    Code {
        code: "E0211",
        zh: "事实、记录字段或枚举值重复声明",
        en: "a fact, record field or enum value declared twice",
    },
    Code {
        code: "E0212",
        zh: "用保留名称作定义名",
        en: "a reserved name used for a definition",
    },
    Code {
        code: "E0213",
        zh: "子句重复，或子句与声明不符",
        en: "a clause given twice, or a clause that does not fit the declaration",
    },
    Code {
        code: "E0214",
        zh: "找不到目录",
        en: "no catalogue was found",
    },
    Code {
        code: "E0215",
        zh: "两个文件声明了同一事项规则或一件事的编号",
        en: "two files declare the same policy or bundle id",
    },
    Code {
        code: "E0300",
        zh: "值的类型不对",
        en: "a value of the wrong type",
    },
    Code {
        code: "E0301",
        zh: "运算符不适用于这些类型",
        en: "an operator that does not apply to these types",
    },
    Code {
        code: "E0302",
        zh: "除法未指定取整方式",
        en: "a division without a rounding mode",
    },
    Code {
        code: "E0303",
        zh: "未知的枚举值，或比较了两种不同的枚举",
        en: "an unknown enum value, or two different enums compared",
    },
    Code {
        code: "E0304",
        zh: "条件不是真/假值",
        en: "a condition that is not true/false",
    },
    Code {
        code: "E0305",
        zh: "聚合的写法不对",
        en: "an aggregate written in the wrong form",
    },
    Code {
        code: "E0306",
        zh: "列表记录中没有该字段",
        en: "an unknown field of a list's records",
    },
    Code {
        code: "E0307",
        zh: "参数查询缺少键，或使用了参数没有的键",
        en: "a parameter looked up without its key, or with one it does not have",
    },
    Code {
        code: "E0308",
        zh: "文本按大小比较",
        en: "text compared by order",
    },
    Code {
        code: "E0309",
        zh: "金额与普通数字混用",
        en: "money mixed with a plain number",
    },
    Code {
        code: "E0310",
        zh: "`in` 的右边不是集合",
        en: "`in` with something that is not a set",
    },
    Code {
        code: "E0311",
        zh: "`if` 的两个分支类型不同",
        en: "the branches of `if` have different types",
    },
    Code {
        code: "E0312",
        zh: "事实的取值范围有误：不是数字、界值类型不符或范围为空",
        en: "a range on a fact that is not a number, has bounds of another type, or is empty",
    },
    Code {
        code: "E0350",
        zh: "参数条目未按日期排序，或同一日期出现两次",
        en: "parameter entries out of date order, or the same date twice",
    },
    Code {
        code: "E0400",
        zh: "`unique` 决策表的两行可能同时命中",
        en: "two rows of a `unique` table can both match",
    },
    Code {
        code: "E0401",
        zh: "决策表某行的单元格个数不对",
        en: "a table row with the wrong number of cells",
    },
    Code {
        code: "E0402",
        zh: "决策表单元格与输入不符",
        en: "a table cell that does not fit its input",
    },
    Code {
        code: "E0403",
        zh: "`priority` 决策表的 `order` 不完整",
        en: "a `priority` table without a complete `order`",
    },
    Code {
        code: "E0404",
        zh: "`collect` 运算与输出类型不符",
        en: "a `collect` operation that does not fit the output type",
    },
    Code {
        code: "E0405",
        zh: "决策表单元格中的区间为空",
        en: "an empty range in a table cell",
    },
    Code {
        code: "E0450",
        zh: "办理环节相互等待，形成循环",
        en: "steps that wait for each other in a cycle",
    },
    Code {
        code: "E0451",
        zh: "`after` 中有未知的环节",
        en: "an unknown step in `after`",
    },
    Code {
        code: "E0460",
        zh: "`copies` 至少为 1",
        en: "`copies` must be at least 1",
    },
    Code {
        code: "E0461",
        zh: "同一材料被要求两次",
        en: "a material asked for twice",
    },
    Code {
        code: "E0470",
        zh: "例外未覆盖任何规则",
        en: "an exception that does not override a rule",
    },
    Code {
        code: "E0500",
        zh: "未知的成员事项",
        en: "an unknown member policy",
    },
    Code {
        code: "E0501",
        zh: "衔接的来源成员不产生该材料",
        en: "a link from a member that does not produce the material",
    },
    Code {
        code: "E0502",
        zh: "衔接的目标成员不需要该材料",
        en: "a link to a member that does not ask for the material",
    },
    Code {
        code: "E0503",
        zh: "成员以不同类型声明了同一事实",
        en: "members that declare the same fact with different types",
    },
    Code {
        code: "E0504",
        zh: "成员重复列出",
        en: "a member listed twice",
    },
    Code {
        code: "E0505",
        zh: "成员之间的衔接形成循环",
        en: "members linked in a cycle",
    },
    Code {
        code: "E0506",
        zh: "衔接了不是成员的事项",
        en: "a link between services that are not members",
    },
    Code {
        code: "W0001",
        zh: "事实从未使用",
        en: "a fact that is never used",
    },
    Code {
        code: "W0002",
        zh: "规则未被引用",
        en: "a rule that nothing refers to",
    },
    Code {
        code: "W0003",
        zh: "`let` 或参数从未使用",
        en: "a `let` or parameter that is never used",
    },
    Code {
        code: "W0004",
        zh: "规则没有引用条款",
        en: "a rule without a citation",
    },
    Code {
        code: "W0005",
        zh: "决策表没有 `default`",
        en: "a table without `default`",
    },
    Code {
        code: "W0006",
        zh: "决策表中有永远不会被选中的行",
        en: "a table row that can never be chosen",
    },
    Code {
        code: "W0007",
        zh: "事项规则没有 `basis`",
        en: "a policy without `basis`",
    },
];
