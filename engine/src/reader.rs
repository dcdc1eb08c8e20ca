//! A JSON pull reader for the encoder (RFC 8259, strict).
//!
//! The encoder walks a request in the order of its bytes and writes each fact
//! straight into linear memory, so it needs tokens, not a tree, and no
//! visitor machinery: driving serde_json's visitors cost about as much as the
//! rest of an evaluation. Strings without escapes are borrowed from the
//! input; the input is valid UTF-8 (checked once by the caller), so every
//! slice taken at an ASCII delimiter is a `str`.
//!
//! Errors carry the byte offset; the encoder turns it into a line and column.

use std::borrow::Cow;

/// Deeper nesting is refused, so skipping a value cannot exhaust the stack.
pub const MAX_DEPTH: u32 = 128;

/// What the next value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    /// How an error message names a value of this kind.
    pub fn found(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "a list",
            Kind::String => "text",
            Kind::Number => "a number",
            Kind::Bool => "true/false",
            Kind::Null => "null",
        }
    }
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: &'static str,
    pub offset: usize,
}

/// A number as written: its text (valid JSON number syntax) and whether it
/// is a plain integer (no fraction, no exponent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    pub text: &'a str,
    pub integer: bool,
}

#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

fn is_digit(byte: Option<&u8>) -> bool {
    byte.is_some_and(u8::is_ascii_digit)
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// The byte offset reached (just after the last token read).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The byte offset of the next token (after whitespace).
    pub fn offset(&mut self) -> usize {
        self.skip_whitespace();
        self.pos
    }

    fn fail<T>(&self, message: &'static str) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            message,
            offset: self.pos,
        })
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The kind of the next value, without consuming it.
    #[inline]
    pub fn peek(&mut self) -> Result<Kind, SyntaxError> {
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'n') => Ok(Kind::Null),
            Some(_) => self.fail("expected a value (an object, a list, text in double quotes, a number, true, false or null)"),
            None => self.fail("the request ends where a value was expected"),
        }
    }

    fn open(&mut self, byte: u8) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&byte) {
            return self.fail(if byte == b'{' {
                "expected `{`"
            } else {
                "expected `[`"
            });
        }
        if self.depth >= MAX_DEPTH {
            return self.fail("the request is nested more than 128 levels deep");
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// Consumes the `{` of an object; read its keys with [`next_key`](Self::next_key).
    pub fn begin_object(&mut self) -> Result<(), SyntaxError> {
        self.open(b'{')
    }

    /// Consumes the `[` of a list; step through it with [`next_item`](Self::next_item).
    pub fn begin_array(&mut self) -> Result<(), SyntaxError> {
        self.open(b'[')
    }

    /// The separator before the next member, or the end of the container.
    /// True when a member follows.
    #[inline]
    fn separator(&mut self, first: &mut bool, close: u8) -> Result<bool, SyntaxError> {
        self.skip_whitespace();
        let was_first = std::mem::replace(first, false);
        match self.bytes.get(self.pos) {
            Some(&b) if b == close => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !was_first => {
                self.pos += 1;
                self.skip_whitespace();
                if self.bytes.get(self.pos) == Some(&close) {
                    return self.fail(if close == b'}' {
                        "a comma before `}`: remove it, or add the next field"
                    } else {
                        "a comma before `]`: remove it, or add the next item"
                    });
                }
            }
            _ if was_first => {}
            None => {
                return self.fail(if close == b'}' {
                    "the request ends inside an object"
                } else {
                    "the request ends inside a list"
                });
            }
            Some(_) => {
                return self.fail(if close == b'}' {
                    "expected `,` or `}`"
                } else {
                    "expected `,` or `]`"
                });
            }
        }
        Ok(true)
    }

    /// The next key of the object being read, as bytes (keys are looked up,
    /// not kept: a `str` slice would check its ends), or `None` after its
    /// `}`. `first` starts true for each object.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'a, [u8]>>, SyntaxError> {
        if !self.separator(first, b'}')? {
            return Ok(None);
        }
        match self.bytes.get(self.pos) {
            Some(b'"') => {}
            None => return self.fail("the request ends inside an object"),
            Some(_) => return self.fail("expected a field name in double quotes"),
        }
        self.pos += 1;
        let start = self.pos;
        let run = self.plain_run(start);
        self.pos = start + run;
        let key = match self.bytes.get(self.pos) {
            Some(b'"') => {
                self.pos += 1;
                Cow::Borrowed(&self.bytes[start..start + run])
            }
            _ => {
                let mut owned = String::with_capacity(run + 16);
                owned.push_str(&self.text[start..start + run]);
                self.escaped_rest(&mut owned)?;
                Cow::Owned(owned.into_bytes())
            }
        };
        self.skip_whitespace();
        match self.bytes.get(self.pos) {
            Some(b':') => self.pos += 1,
            None => return self.fail("the request ends inside an object"),
            Some(_) => return self.fail("expected `:` after the field name"),
        }
        Ok(Some(key))
    }

    /// Steps to the next item of the list being read: true when there is
    /// one (read it next), false after the list's `]`. `first` starts true.
    #[inline]
    pub fn next_item(&mut self, first: &mut bool) -> Result<bool, SyntaxError> {
        self.separator(first, b']')
    }

    /// A string value, unescaped.
    #[inline(always)]
    pub fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.skip_whitespace();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.fail("expected text in double quotes");
        }
        self.pos += 1;
        let start = self.pos;
        let run = self.plain_run(start);
        self.pos = start + run;
        match self.bytes.get(self.pos) {
            Some(b'"') => {
                self.pos += 1;
                Ok(Cow::Borrowed(&self.text[start..start + run]))
            }
            _ => {
                let mut owned = String::with_capacity(run + 16);
                owned.push_str(&self.text[start..start + run]);
                self.escaped_rest(&mut owned)?;
                Ok(Cow::Owned(owned))
            }
        }
    }

    /// Bytes from `from` up to the next `"`, `\` or control character,
    /// eight at a time: the byte loop was a quarter of all encoding time.
    #[inline]
    fn plain_run(&self, from: usize) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let rest = &self.bytes[from..];
        let mut words = rest.chunks_exact(8);
        let mut offset = 0;
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            let v = u64::from_le_bytes(eight);
            let quote = v ^ (ONES * u64::from(b'"'));
            let backslash = v ^ (ONES * u64::from(b'\\'));
            // Each term flags its bytes exactly up to its lowest match (a
            // borrow only spreads upwards), so the lowest flag is the answer.
            let found = (quote.wrapping_sub(ONES) & !quote
                | backslash.wrapping_sub(ONES) & !backslash
                | v.wrapping_sub(ONES * 0x20) & !v)
                & HIGHS;
            if found != 0 {
                return offset + (found.trailing_zeros() / 8) as usize;
            }
            offset += 8;
        }
        offset
            + words
                .remainder()
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len() - offset)
    }

    /// The rest of a string with escapes, from an escape, a control
    /// character or the end of the input.
    fn escaped_rest(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        loop {
            match self.bytes.get(self.pos) {
                None => return self.fail("the request ends inside text"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let unescaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        None => return self.fail("the request ends inside text"),
                        Some(_) => {
                            return self.fail(
                                "an unknown escape: use one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                            );
                        }
                    };
                    self.pos += 1;
                    out.push(unescaped);
                }
                Some(_) if self.bytes[self.pos] < 0x20 => {
                    return self.fail(
                        "a control character inside text: write it as an escape such as \\n or \\t",
                    );
                }
                Some(_) => {
                    let run = self.plain_run(self.pos);
                    out.push_str(&self.text[self.pos..self.pos + run]);
                    self.pos += run;
                }
            }
        }
    }

    /// After `\u`: four hex digits, and a second escape for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        let code = match high {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos) != Some(&b'\\')
                    || self.bytes.get(self.pos + 1) != Some(&b'u')
                {
                    return self.fail("a `\\u` escape of a lone surrogate (half of a character)");
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return self.fail("a `\\u` escape of a lone surrogate (half of a character)");
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => {
                return self.fail("a `\\u` escape of a lone surrogate (half of a character)");
            }
            _ => high,
        };
        match char::from_u32(code) {
            Some(c) => Ok(c),
            None => self.fail("a `\\u` escape that is not a character"),
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self
                .bytes
                .get(self.pos)
                .and_then(|&b| char::from(b).to_digit(16));
            match digit {
                Some(d) => value = value * 16 + d,
                None => return self.fail("expected four hex digits after `\\u`"),
            }
            self.pos += 1;
        }
        Ok(value)
    }

    /// A number, checked against JSON's number syntax.
    #[inline]
    pub fn number(&mut self) -> Result<Number<'a>, SyntaxError> {
        self.skip_whitespace();
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if is_digit(self.bytes.get(self.pos)) {
                    return self.fail("a number cannot start with 0 (write 12, not 012)");
                }
            }
            Some(b'1'..=b'9') => {
                while is_digit(self.bytes.get(self.pos)) {
                    self.pos += 1;
                }
            }
            _ => return self.fail("expected a digit"),
        }
        let mut integer = true;
        if self.bytes.get(self.pos) == Some(&b'.') {
            integer = false;
            self.pos += 1;
            if !is_digit(self.bytes.get(self.pos)) {
                return self.fail("expected a digit after the decimal point");
            }
            while is_digit(self.bytes.get(self.pos)) {
                self.pos += 1;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !is_digit(self.bytes.get(self.pos)) {
                return self.fail("expected a digit in the exponent");
            }
            while is_digit(self.bytes.get(self.pos)) {
                self.pos += 1;
            }
        }
        Ok(Number {
            text: &self.text[start..self.pos],
            integer,
        })
    }

    /// `true`, `false` or `null` (`None`).
    #[inline]
    pub fn literal(&mut self) -> Result<Option<bool>, SyntaxError> {
        self.skip_whitespace();
        let rest = &self.bytes[self.pos..];
        let (value, length) = if rest.starts_with(b"true") {
            (Some(true), 4)
        } else if rest.starts_with(b"false") {
            (Some(false), 5)
        } else if rest.starts_with(b"null") {
            (None, 4)
        } else {
            return self.fail("expected a value (an object, a list, text in double quotes, a number, true, false or null)");
        };
        self.pos += length;
        Ok(value)
    }

    /// Reads past one value of any kind.
    pub fn skip(&mut self) -> Result<(), SyntaxError> {
        match self.peek()? {
            Kind::Object => {
                self.begin_object()?;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip()?;
                }
            }
            Kind::Array => {
                self.begin_array()?;
                let mut first = true;
                while self.next_item(&mut first)? {
                    self.skip()?;
                }
            }
            Kind::String => {
                self.string()?;
            }
            Kind::Number => {
                self.number()?;
            }
            Kind::Bool | Kind::Null => {
                self.literal()?;
            }
        }
        Ok(())
    }

    /// Only whitespace may follow the request.
    pub fn end(&mut self) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        if self.pos < self.bytes.len() {
            return self.fail("more text after the end of the request");
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = text
        .get(line_start..offset.min(text.len()))
        .map_or(0, |s| s.chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The whole text as a `Value`, through the reader.
    fn read(text: &str) -> Result<Value, SyntaxError> {
        let mut reader = Reader::new(text);
        let value = read_value(&mut reader)?;
        reader.end()?;
        Ok(value)
    }

    fn read_value(r: &mut Reader<'_>) -> Result<Value, SyntaxError> {
        Ok(match r.peek()? {
            Kind::Object => {
                r.begin_object()?;
                let mut map = serde_json::Map::new();
                let mut first = true;
                while let Some(key) = r.next_key(&mut first)? {
                    let value = read_value(r)?;
                    map.insert(
                        String::from_utf8(key.into_owned()).expect("keys are text"),
                        value,
                    );
                }
                Value::Object(map)
            }
            Kind::Array => {
                r.begin_array()?;
                let mut items = Vec::new();
                let mut first = true;
                while r.next_item(&mut first)? {
                    items.push(read_value(r)?);
                }
                Value::Array(items)
            }
            Kind::String => Value::String(r.string()?.into_owned()),
            Kind::Number => {
                let number = r.number()?;
                serde_json::from_str(number.text).unwrap_or(Value::Null)
            }
            Kind::Bool | Kind::Null => r.literal()?.map_or(Value::Null, Value::Bool),
        })
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e12f64..1.0e12).prop_map(Value::from),
            "[a-z杭州\"\\\\/\u{8}\u{c}\n\r\t\u{1}\u{1f}😀 ]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_.\"]{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever serde_json writes, compact or pretty, with non-ASCII
        /// escaped or not, reads back as the same value.
        #[test]
        fn reads_back_what_serde_json_writes(value in json_value(), pretty: bool, ascii: bool) {
            let mut text = if pretty {
                serde_json::to_string_pretty(&value).unwrap_or_default()
            } else {
                serde_json::to_string(&value).unwrap_or_default()
            };
            if ascii {
                text = text
                    .chars()
                    .map(|c| if c.is_ascii() { c.to_string() } else {
                        let mut units = [0u16; 2];
                        c.encode_utf16(&mut units).iter().map(|u| format!("\\u{u:04x}")).collect()
                    })
                    .collect();
            }
            // (Compared with serde_json's own reading: without its
            // `float_roundtrip` feature a float may not read back bit-exact.)
            let theirs: Value = serde_json::from_str(&text).unwrap_or_default();
            prop_assert_eq!(read(&text), Ok(theirs));
        }

        /// On any short text made of JSON's pieces, the reader accepts
        /// exactly what serde_json accepts, with the same value.
        #[test]
        fn accepts_exactly_what_serde_json_accepts(
            text in "([{}\\[\\],:\" ]|true|false|null|-|0|1|9|\\.|e|E|\\+|\\\\|u|d83d|de00|a|\u{1}|杭){0,24}"
        ) {
            let ours = read(&text).ok();
            let theirs: Option<Value> = serde_json::from_str(&text).ok();
            prop_assert_eq!(ours, theirs, "{}", text);
        }
    }

    /// The word-at-a-time scan stops where the byte loop stops, for every
    /// special byte at every position among plain ASCII and UTF-8.
    #[test]
    fn plain_runs_stop_at_the_first_special_byte() {
        for filler in ["a", "杭"] {
            for length in 0..20 {
                for position in 0..=length {
                    for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                        let mut bytes = filler.repeat(length).into_bytes();
                        let at = bytes.len().min(position * filler.len());
                        bytes.insert(at, special);
                        bytes.extend_from_slice(b"\"xyz");
                        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
                        let reader = Reader::new(&text);
                        assert_eq!(reader.plain_run(0), at, "{text:?}");
                    }
                }
                let plain = filler.repeat(length);
                assert_eq!(Reader::new(&plain).plain_run(0), plain.len());
            }
        }
    }

    #[test]
    fn errors_name_the_place_and_the_problem() {
        for (text, message, offset) in [
            ("", "the request ends where a value was expected", 0),
            (
                "{\"a\":1,}",
                "a comma before `}`: remove it, or add the next field",
                7,
            ),
            (
                "[1,]",
                "a comma before `]`: remove it, or add the next item",
                3,
            ),
            ("{\"a\" 1}", "expected `:` after the field name", 5),
            (
                "[01]",
                "a number cannot start with 0 (write 12, not 012)",
                2,
            ),
            (
                "\"\\ud800\"",
                "a `\\u` escape of a lone surrogate (half of a character)",
                7,
            ),
            (
                "\"a\u{1}\"",
                "a control character inside text: write it as an escape such as \\n or \\t",
                2,
            ),
            ("{} x", "more text after the end of the request", 3),
            (
                &"[".repeat(200),
                "the request is nested more than 128 levels deep",
                128,
            ),
        ] {
            let error = read(text).expect_err(text);
            assert_eq!((error.message, error.offset), (message, offset), "{text}");
        }
        assert_eq!(line_column("ab\n杭州x", 9), (2, 3));
    }
}
