//! The two languages of every message: Chinese for the officers (the
//! default) and English.
//!
//! A message is built once, in both languages, where it arises ([`Words`],
//! usually through [`words!`](crate::words)); the language is chosen only
//! when it is shown (`SourceSet::render`, the CLI, the service). Code stays
//! as written in both: keywords, names and ids in backticks.

use std::fmt;
use std::str::FromStr;

/// The language a message is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// 中文: the officers' language, the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh` or `en`, as `--lang` and `YICI_LANG` take it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// `zh` or `en`, in any case; anything else is an error naming it.
    fn from_str(text: &str) -> Result<Lang, UnknownLang> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(text.to_string())),
        }
    }
}

/// A language other than `zh` or `en` was asked for. The message is in both
/// languages, since which one was meant is exactly what is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl UnknownLang {
    pub fn words(&self) -> Words {
        let text = &self.0;
        crate::words!(
            "不支持的语言 `{text}`：请使用 `zh`（中文）或 `en`（英文）",
            "unknown language `{text}`: use `zh` (Chinese) or `en` (English)"
        )
    }
}

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = self.words();
        write!(f, "{} / {}", words.zh, words.en)
    }
}

impl std::error::Error for UnknownLang {}

/// One text in both languages.
///
/// It has no `Display` on purpose: whoever shows it says which language
/// (`get`), so no message slips out in a language nobody chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Words {
    pub zh: String,
    pub en: String,
}

impl Words {
    /// Both texts; the Chinese gets a space between a Chinese character and
    /// code or a number beside it ([`spaced`]).
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Words {
        Words {
            zh: spaced(&zh.into()),
            en: en.into(),
        }
    }

    /// Text that reads the same in both languages: code, a name, a number.
    pub fn same(text: impl Into<String>) -> Words {
        let text = text.into();
        Words {
            zh: text.clone(),
            en: text,
        }
    }

    /// Builds both texts with one function of the language, for text put
    /// together from parts (a list joined with `、` or `, `).
    pub fn by(mut text: impl FnMut(Lang) -> String) -> Words {
        Words::new(text(Lang::Zh), text(Lang::En))
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// True when there is no text in either language.
    pub fn is_empty(&self) -> bool {
        self.zh.is_empty() && self.en.is_empty()
    }
}

/// Chinese text as Chinese technical writing sets it: a space between a
/// Chinese character and code in backticks, a Latin word, a number or a
/// bracket (``应为 `:`，实际为 `age_on` `` and `第 3 行`). Nothing changes
/// inside backticks, and nothing beside full-width punctuation, which has
/// its own room. Adding a space where there is one already does nothing.
pub fn spaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    let mut previous: Option<char> = None;
    for c in text.chars() {
        let opens_code = c == '`' && !in_code;
        let closes_code = c == '`' && in_code;
        if let Some(p) = previous {
            let before = is_han(p) && (opens_code || (!in_code && is_latin(c)));
            let after = is_han(c) && !in_code && (is_latin(p) || p == '`');
            if before || after {
                out.push(' ');
            }
        }
        if opens_code || closes_code {
            in_code = !in_code;
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// Letters, digits and the brackets and operators of code (`枚举 { a, b }
/// 中的值`); not the punctuation that sits tight (`,` `.` `:` quotes).
fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric() || "{}[]()<>=+*/%&|_$#@~^".contains(c)
}

/// A Chinese character (the CJK ideographs), not Chinese punctuation.
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// A value shown in one language inside [`words!`](crate::words): a
/// [`Words`] shows its text in that language, anything else shows itself.
#[derive(Debug)]
pub struct Shown<'a, T: ?Sized>(pub &'a T, pub Lang);

/// What [`Shown`] can show: [`Words`] by language, and plain values
/// (names, numbers, code) as they are.
pub trait InLang {
    fn write_in(&self, lang: Lang, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl InLang for Words {
    fn write_in(&self, lang: Lang, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get(lang))
    }
}

impl<T: InLang + ?Sized> InLang for &T {
    fn write_in(&self, lang: Lang, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).write_in(lang, f)
    }
}

/// Plain values show themselves in either language.
macro_rules! in_lang_as_itself {
    ($($ty:ty),*) => {$(
        impl InLang for $ty {
            fn write_in(&self, _: Lang, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}

in_lang_as_itself!(str, String, char, usize, u32, u64, i32, i64, i128);

impl<T: InLang + ?Sized> fmt::Display for Shown<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_in(self.1, f)
    }
}

/// A message in both languages: `words!("中文 {x}", "English {x}")`.
/// The Chinese is [`spaced`].
///
/// Plain values are captured from the surrounding code as in `format!`.
/// Values that are themselves [`Words`] (a type's name, a phrase) are passed
/// by name after the two texts and shown in each text's language:
/// `words!("应为{expected}", "expected {expected}", expected = type_name)`.
/// Every named value must appear in both texts.
#[macro_export]
macro_rules! words {
    ($zh:literal, $en:literal $(,)?) => {
        $crate::lang::Words::new(::std::format!($zh), ::std::format!($en))
    };
    ($zh:literal, $en:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        $(let $name = &$value;)+
        $crate::lang::Words::new(
            ::std::format!(
                $zh,
                $($name = $crate::lang::Shown($name, $crate::lang::Lang::Zh)),+
            ),
            ::std::format!(
                $en,
                $($name = $crate::lang::Shown($name, $crate::lang::Lang::En)),+
            ),
        )
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_is_read_in_any_case_and_an_unknown_one_is_named() {
        assert_eq!("zh".parse(), Ok(Lang::Zh));
        assert_eq!("EN".parse(), Ok(Lang::En));
        assert_eq!(" En ".parse(), Ok(Lang::En));
        assert_eq!(Lang::default(), Lang::Zh);
        let error = "fr".parse::<Lang>().expect_err("fr is not offered");
        assert!(error.words().zh.contains("`fr`"));
        assert!(error.words().en.contains("`fr`"));
    }

    #[test]
    fn words_show_each_part_in_its_language() {
        let kind = Words::new("金额", "money");
        let count = 2;
        let message = crate::words!(
            "应为{kind}，共 {count} 处",
            "expected {kind}, {count} places",
            kind = kind
        );
        assert_eq!(message.zh, "应为金额，共 2 处");
        let code = "age_on";
        let spaced = crate::words!("应为`:`，实际为`{code}`，第3行", "");
        assert_eq!(spaced.zh, "应为 `:`，实际为 `age_on`，第 3 行");
        assert_eq!(message.en, "expected money, 2 places");
        assert_eq!(message.get(Lang::En), "expected money, 2 places");
    }
}
