//! A strict, zero-copy JSON parser for request bodies.
//!
//! Accepts RFC 8259 plus the three bare tokens Python's `json` module writes for non-finite
//! floats (`NaN`, `Infinity`, `-Infinity`), which MLflow clients send. Everything else that is
//! not RFC 8259 is refused with a message and the byte offset where it was found: invalid
//! UTF-8, unescaped control characters, lone surrogate escapes, duplicate object keys, leading
//! zeros, trailing data after the top-level value.
//!
//! Strings without escapes and all numbers borrow from the input (no allocation); arrays and
//! objects are collected on a shared scratch stack and moved into exactly-sized `Vec`s when they
//! close. The parser is iterative, so nesting costs heap, not call stack; depth, element count
//! and string length are bounded by [`Limits`].

use std::borrow::Cow;
use std::fmt;

/// Bounds applied while parsing; exceeding one is a [`ParseError`], never a trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays/objects (a top-level `[]` is depth 1). Values above
    /// [`HARD_MAX_DEPTH`] are treated as [`HARD_MAX_DEPTH`] so dropping a tree cannot exhaust
    /// the wasm call stack.
    pub max_depth: usize,
    /// Most values in one document, counting containers and scalars alike (for CSV: cells).
    pub max_elements: usize,
    /// Longest single string (decoded UTF-8 bytes; for CSV: one cell).
    pub max_string_bytes: usize,
}

/// Absolute nesting bound, whatever [`Limits::max_depth`] says (recursive `Drop` of a
/// [`Value`] uses the call stack).
pub const HARD_MAX_DEPTH: usize = 1000;

impl Default for Limits {
    /// 64 levels, 10 million elements, 16 MiB per string.
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 10_000_000,
            max_string_bytes: 16 << 20,
        }
    }
}

/// Why a body was refused, and the byte offset into the body where that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// A sentence-case description without the offset, e.g. `Duplicate object key "a"`.
    pub message: String,
    /// Byte offset into the input (0-based).
    pub offset: usize,
}

impl ParseError {
    /// Builds an error from a message and a byte offset.
    pub fn new(message: impl Into<String>, offset: usize) -> Self {
        ParseError {
            message: message.into(),
            offset,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// A number as written in the document: the validated lexeme, converted on demand.
///
/// `text` is an RFC 8259 number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) or one of
/// `NaN`, `Infinity`, `-Infinity`. `is_integer` is true when the lexeme has neither a fraction
/// nor an exponent (so `1` but not `1.0`, `1e3` or `NaN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num<'a> {
    /// The raw lexeme.
    pub text: &'a str,
    /// No fraction, no exponent, not a non-finite token.
    pub is_integer: bool,
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The parts of a finite lexeme: sign, all significant digits (integer then fraction), the
/// number of fraction digits, and the explicit exponent (saturated).
struct Parts<'a> {
    negative: bool,
    int_digits: &'a [u8],
    frac_digits: &'a [u8],
    exponent: i64,
}

fn split(text: &str) -> Parts<'_> {
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = negative as usize;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &b[int_start..i];
    let mut frac_digits: &[u8] = &[];
    if i < b.len() && b[i] == b'.' {
        let s = i + 1;
        i = s;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = &b[s..i];
    }
    let mut exponent: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        while i < b.len() {
            // Saturate: anything past 10^9 is far outside every representable range.
            if exponent < 1_000_000_000 {
                exponent = exponent * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        if neg {
            exponent = -exponent;
        }
    }
    Parts {
        negative,
        int_digits,
        frac_digits,
        exponent,
    }
}

impl<'a> Num<'a> {
    /// The value as the nearest f64 (correctly rounded, as Python's `float()` does).
    /// `NaN`/`Infinity`/`-Infinity` map to themselves; magnitudes beyond f64 give ±infinity,
    /// so callers that must be lossless compare `is_infinite()` with the lexeme.
    pub fn as_f64(&self) -> f64 {
        match self.text {
            "NaN" => return f64::NAN,
            "Infinity" => return f64::INFINITY,
            "-Infinity" => return f64::NEG_INFINITY,
            _ => {}
        }
        // Clinger's fast path: an exact mantissa below 2^53 times an exact power of ten is
        // one IEEE operation, hence correctly rounded.
        let p = split(self.text);
        if p.int_digits.len() + p.frac_digits.len() <= 15 {
            let mut m: u64 = 0;
            for &d in p.int_digits.iter().chain(p.frac_digits.iter()) {
                m = m * 10 + (d - b'0') as u64;
            }
            let e = p.exponent - p.frac_digits.len() as i64;
            let mf = m as f64;
            let v = if m == 0 {
                Some(0.0)
            } else if (0..=22).contains(&e) {
                Some(mf * POW10[e as usize])
            } else if (-22..0).contains(&e) {
                Some(mf / POW10[(-e) as usize])
            } else {
                None
            };
            if let Some(v) = v {
                return if p.negative { -v } else { v };
            }
        }
        self.text.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// The value as an i64 when it is exactly an integer in range, else `None`.
    ///
    /// Exact means by the decimal value, not the lexeme: `3`, `-0`, `3.0`, `3e2` and `30e-1`
    /// give `Some`; `3.5`, `1e19`, `9223372036854775808`, `NaN` and `Infinity` give `None`.
    /// Check [`Num::is_integer`] as well where only integer lexemes may pass.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer {
            // Hot path (integer columns): accumulate negatively so i64::MIN is reachable.
            let b = self.text.as_bytes();
            let negative = b[0] == b'-';
            let mut v: i64 = 0;
            for &d in &b[negative as usize..] {
                v = v.checked_mul(10)?.checked_sub((d - b'0') as i64)?;
            }
            return if negative { Some(v) } else { v.checked_neg() };
        }
        if !self.text.as_bytes().iter().any(|b| b.is_ascii_digit()) {
            return None; // NaN, Infinity, -Infinity
        }
        let p = split(self.text);
        let digits = p.int_digits.iter().chain(p.frac_digits.iter());
        // Significant digits without leading zeros, then trailing zeros folded into the exponent.
        let all: Vec<u8> = digits.copied().skip_while(|&d| d == b'0').collect();
        let mut sig: &[u8] = &all;
        let mut exp = p.exponent - p.frac_digits.len() as i64;
        while let Some((&b'0', rest)) = sig.split_last() {
            sig = rest;
            exp += 1;
        }
        if sig.is_empty() {
            return Some(0);
        }
        if exp < 0 || sig.len() as i64 + exp > 19 {
            return None;
        }
        // Accumulate negatively so i64::MIN is reachable.
        let mut v: i64 = 0;
        for &d in sig {
            v = v.checked_mul(10)?.checked_sub((d - b'0') as i64)?;
        }
        for _ in 0..exp {
            v = v.checked_mul(10)?;
        }
        if p.negative {
            Some(v)
        } else {
            v.checked_neg()
        }
    }
}

/// A parsed JSON value borrowing from the input where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Any number, including `NaN`, `Infinity`, `-Infinity`.
    Number(Num<'a>),
    /// A string: borrowed when it had no escapes.
    String(Cow<'a, str>),
    /// An array in document order.
    Array(Vec<Value<'a>>),
    /// An object's members in document order; keys are unique.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The JSON type name for messages: `null`, `boolean`, `number`, `string`, `array`, `object`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The member `key` of an object (`None` for other values or a missing key).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string's text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses one JSON document (any top-level value) from UTF-8 bytes.
///
/// Errors carry the byte offset of the problem. Surrounding whitespace (space, tab, LF, CR) is
/// allowed; a UTF-8 byte order mark is not (Python's `json.loads` refuses it as well).
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Value<'a>, ParseError> {
    let src = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(ParseError::new(
                format!("Invalid UTF-8 byte 0x{:02x}", bytes[at]),
                at,
            ));
        }
    };
    let mut p = Parser {
        src,
        b: bytes,
        pos: 0,
        max_depth: limits.max_depth.min(HARD_MAX_DEPTH),
        max_elements: limits.max_elements,
        max_string_bytes: limits.max_string_bytes,
        elements: 0,
        values: Vec::new(),
        keys: Vec::new(),
        frames: Vec::new(),
    };
    p.run()
}

/// An open array or object: where its items start on the scratch stacks.
struct Frame {
    is_object: bool,
    values_start: usize,
    keys_start: usize,
    /// Open-addressing index of the keys (1-based positions, 0 = empty) once an object grows
    /// past [`LINEAR_KEYS`] members; empty before.
    key_index: Vec<u32>,
}

/// Objects up to this many members are checked for duplicate keys by a linear scan.
const LINEAR_KEYS: usize = 16;

/// Bytes that end the fast scan of a string: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
    max_elements: usize,
    max_string_bytes: usize,
    elements: usize,
    values: Vec<Value<'a>>,
    keys: Vec<Cow<'a, str>>,
    frames: Vec<Frame>,
}

/// Describes the character at `pos` for a message: `'x'`, `U+000A` or `end of input`.
fn describe(src: &str, pos: usize) -> String {
    match src.get(pos..).and_then(|s| s.chars().next()) {
        None => "end of input".to_string(),
        Some(c) if (c as u32) < 0x20 || c == '\u{7f}' => format!("U+{:04X}", c as u32),
        Some(c) => format!("'{}'", c),
    }
}

fn hash_key(key: &str) -> u64 {
    // FNV-1a: keys are short; quality is ample for a probe table.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// True when `key` already occurs among `existing`; otherwise records it (as the next
/// position) in `index` for large objects.
fn is_duplicate(existing: &[Cow<'_, str>], index: &mut Vec<u32>, key: &str) -> bool {
    let n = existing.len();
    if n < LINEAR_KEYS {
        return existing.iter().any(|k| k.as_ref() == key);
    }
    if index.len() < n * 2 {
        let size = (n * 4).next_power_of_two();
        index.clear();
        index.resize(size, 0);
        let mask = size - 1;
        for (i, k) in existing.iter().enumerate() {
            let mut slot = hash_key(k) as usize & mask;
            while index[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            index[slot] = i as u32 + 1;
        }
    }
    let mask = index.len() - 1;
    let mut slot = hash_key(key) as usize & mask;
    loop {
        match index[slot] {
            0 => {
                index[slot] = n as u32 + 1;
                return false;
            }
            i if existing[i as usize - 1].as_ref() == key => return true,
            _ => slot = (slot + 1) & mask,
        }
    }
}

impl<'a> Parser<'a> {
    fn err<T>(&self, message: impl Into<String>, at: usize) -> Result<T, ParseError> {
        Err(ParseError::new(message, at))
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while self.pos < self.b.len() {
            match self.b[self.pos] {
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                _ => return,
            }
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn run(&mut self) -> Result<Value<'a>, ParseError> {
        'value: loop {
            self.skip_ws();
            self.elements += 1;
            if self.elements > self.max_elements {
                return self.err(
                    format!("JSON has more than {} elements", self.max_elements),
                    self.pos,
                );
            }
            let start = self.pos;
            let mut value = match self.peek() {
                Some(b'{') | Some(b'[') => {
                    let is_object = self.b[start] == b'{';
                    if self.frames.len() >= self.max_depth {
                        return self.err(
                            format!("JSON is nested deeper than {} levels", self.max_depth),
                            start,
                        );
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        if is_object {
                            Value::Object(Vec::new())
                        } else {
                            Value::Array(Vec::new())
                        }
                    } else {
                        self.frames.push(Frame {
                            is_object,
                            values_start: self.values.len(),
                            keys_start: self.keys.len(),
                            key_index: Vec::new(),
                        });
                        if is_object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b't') => self.literal("true", Value::Bool(true))?,
                Some(b'f') => self.literal("false", Value::Bool(false))?,
                Some(b'n') => self.literal("null", Value::Null)?,
                Some(b'N') => self.literal(
                    "NaN",
                    Value::Number(Num {
                        text: "NaN",
                        is_integer: false,
                    }),
                )?,
                Some(b'I') => self.literal(
                    "Infinity",
                    Value::Number(Num {
                        text: "Infinity",
                        is_integer: false,
                    }),
                )?,
                Some(b'-') | Some(b'0'..=b'9') => Value::Number(self.number()?),
                Some(_) => {
                    let msg = if start == 0 && self.src.starts_with('\u{feff}') {
                        "Unexpected UTF-8 byte order mark".to_string()
                    } else {
                        format!("Expected a JSON value, found {}", describe(self.src, start))
                    };
                    return self.err(msg, start);
                }
                None => return self.err("Unexpected end of input, expected a value", start),
            };
            // A value is complete: attach it to the open container, closing containers
            // for as long as their closing bracket follows.
            loop {
                let (is_object, values_start, keys_start) = match self.frames.last() {
                    None => {
                        self.skip_ws();
                        if self.pos != self.b.len() {
                            return self.err(
                                format!(
                                    "Unexpected data after the JSON value: {}",
                                    describe(self.src, self.pos)
                                ),
                                self.pos,
                            );
                        }
                        return Ok(value);
                    }
                    Some(f) => (f.is_object, f.values_start, f.keys_start),
                };
                self.values.push(value);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if is_object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !is_object => {
                        self.pos += 1;
                        self.frames.pop();
                        value = Value::Array(self.values.drain(values_start..).collect());
                    }
                    Some(b'}') if is_object => {
                        self.pos += 1;
                        self.frames.pop();
                        let members: Vec<(Cow<'a, str>, Value<'a>)> = self
                            .keys
                            .drain(keys_start..)
                            .zip(self.values.drain(values_start..))
                            .collect();
                        value = Value::Object(members);
                    }
                    _ => {
                        let expected = if is_object {
                            "Expected ',' or '}' after an object member"
                        } else {
                            "Expected ',' or ']' after an array element"
                        };
                        return self.err(
                            format!("{}, found {}", expected, describe(self.src, self.pos)),
                            self.pos,
                        );
                    }
                }
            }
        }
    }

    /// Reads `"key" :` of the innermost (object) frame, refusing duplicates.
    fn member_key(&mut self) -> Result<(), ParseError> {
        self.skip_ws();
        let at = self.pos;
        if self.peek() != Some(b'"') {
            return self.err(
                format!(
                    "Expected a string key in an object, found {}",
                    describe(self.src, at)
                ),
                at,
            );
        }
        let key = self.string()?;
        let frame = self.frames.last_mut().expect("member_key inside an object");
        if is_duplicate(&self.keys[frame.keys_start..], &mut frame.key_index, &key) {
            return self.err(format!("Duplicate object key \"{}\"", key), at);
        }
        self.keys.push(key);
        self.skip_ws();
        if self.peek() != Some(b':') {
            return self.err(
                format!(
                    "Expected ':' after an object key, found {}",
                    describe(self.src, self.pos)
                ),
                self.pos,
            );
        }
        self.pos += 1;
        Ok(())
    }

    fn literal(&mut self, word: &'static str, value: Value<'a>) -> Result<Value<'a>, ParseError> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            self.err(
                format!(
                    "Expected a JSON value, found {}",
                    describe(self.src, self.pos)
                ),
                self.pos,
            )
        }
    }

    fn number(&mut self) -> Result<Num<'a>, ParseError> {
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b[i] == b'-' {
            i += 1;
            if b[i..].starts_with(b"Infinity") {
                self.pos = i + 8;
                return Ok(Num {
                    text: &self.src[start..self.pos],
                    is_integer: false,
                });
            }
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(b.get(i), Some(b'0'..=b'9')) {
                    return self.err("Invalid number: leading zeros are not allowed", start);
                }
            }
            Some(b'1'..=b'9') => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            _ => {
                return self.err(
                    format!(
                        "Invalid number: expected a digit, found {}",
                        describe(self.src, i)
                    ),
                    i,
                )
            }
        }
        let mut is_integer = true;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let digits = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits {
                return self.err(
                    format!(
                        "Invalid number: expected a digit after '.', found {}",
                        describe(self.src, i)
                    ),
                    i,
                );
            }
            is_integer = false;
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            let digits = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits {
                return self.err(
                    format!(
                        "Invalid number: expected a digit in the exponent, found {}",
                        describe(self.src, i)
                    ),
                    i,
                );
            }
            is_integer = false;
        }
        self.pos = i;
        Ok(Num {
            text: &self.src[start..i],
            is_integer,
        })
    }

    /// Reads a string starting at the opening quote; borrows unless it contains escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let open = self.pos;
        let start = open + 1;
        let b = self.b;
        let mut i = start;
        while i < b.len() && !STRING_STOP[b[i] as usize] {
            i += 1;
        }
        match b.get(i) {
            Some(b'"') => {
                if i - start > self.max_string_bytes {
                    return self.too_long(open);
                }
                self.pos = i + 1;
                Ok(Cow::Borrowed(&self.src[start..i]))
            }
            Some(b'\\') => self.escaped_string(open, i),
            Some(_) => self.control_char(i),
            None => self.err("Unterminated string", open),
        }
    }

    fn too_long<T>(&self, open: usize) -> Result<T, ParseError> {
        self.err(
            format!("JSON string longer than {} bytes", self.max_string_bytes),
            open,
        )
    }

    fn control_char<T>(&self, at: usize) -> Result<T, ParseError> {
        self.err(
            format!(
                "Unescaped control character U+{:04X} in a string",
                self.b[at]
            ),
            at,
        )
    }

    /// Continues a string at its first backslash `i`, decoding into an owned buffer.
    fn escaped_string(&mut self, open: usize, mut i: usize) -> Result<Cow<'a, str>, ParseError> {
        let b = self.b;
        let start = open + 1;
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.src[start..i]);
        loop {
            // Here b[i] is a backslash.
            let esc = match b.get(i + 1) {
                Some(&c) => c,
                None => return self.err("Unterminated string", open),
            };
            i += 2;
            match esc {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let at = i - 2;
                    let hi = self.hex4(i)?;
                    i += 4;
                    let code = if (0xD800..0xDC00).contains(&hi) {
                        let lo = if b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u') {
                            Some(self.hex4(i + 2)?)
                        } else {
                            None
                        };
                        match lo {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                i += 6;
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            }
                            _ => {
                                return self.err(
                                    format!("Lone surrogate escape \"\\u{:04x}\" in a string", hi),
                                    at,
                                )
                            }
                        }
                    } else if (0xDC00..0xE000).contains(&hi) {
                        return self.err(
                            format!("Lone surrogate escape \"\\u{:04x}\" in a string", hi),
                            at,
                        );
                    } else {
                        hi
                    };
                    // Every non-surrogate scalar below 0x110000 is a char.
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                _ => {
                    return self.err(
                        format!(
                            "Invalid escape {} in a string",
                            describe_escape(self.src, i - 1)
                        ),
                        i - 2,
                    )
                }
            }
            let run = i;
            while i < b.len() && !STRING_STOP[b[i] as usize] {
                i += 1;
            }
            out.push_str(&self.src[run..i]);
            if out.len() > self.max_string_bytes {
                return self.too_long(open);
            }
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {}
                Some(_) => return self.control_char(i),
                None => return self.err("Unterminated string", open),
            }
        }
    }

    fn hex4(&self, i: usize) -> Result<u32, ParseError> {
        let mut v: u32 = 0;
        for k in 0..4 {
            let d = match self.b.get(i + k) {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => {
                    return self.err(
                        format!(
                            "Invalid \\u escape: expected 4 hex digits, found {}",
                            describe(self.src, i + k)
                        ),
                        i + k,
                    )
                }
            };
            v = v * 16 + d as u32;
        }
        Ok(v)
    }
}

fn describe_escape(src: &str, at: usize) -> String {
    match src.get(at..).and_then(|s| s.chars().next()) {
        Some(c) if (c as u32) >= 0x20 && c != '\u{7f}' => format!("\"\\{}\"", c),
        _ => format!("\"\\\" followed by {}", describe(src, at)),
    }
}

/// Counts the values in a tree (containers and scalars), as the element limit does.
pub fn count_values(value: &Value<'_>) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(count_values).sum::<usize>(),
        Value::Object(members) => 1 + members.iter().map(|(_, v)| count_values(v)).sum::<usize>(),
        _ => 1,
    }
}

// Parse-only diagnostics ABI, used by the TypeScript fuzz, memory and bench suites to drive the
// parsers through the shipped module. A result record is a boxed byte slice:
// [ok u32][offset u32][a u32][b u32][message length u32][message UTF-8], little-endian;
// free it with `parse_check_free`.

/// Boxes a parse-check result record (see the diagnostics ABI above).
pub(crate) fn check_record(ok: bool, offset: usize, a: usize, b: usize, message: &str) -> *mut u8 {
    let mut rec = Vec::with_capacity(20 + message.len());
    for word in [ok as usize, offset, a, b, message.len()] {
        rec.extend_from_slice(&(word as u32).to_le_bytes());
    }
    rec.extend_from_slice(message.as_bytes());
    Box::into_raw(rec.into_boxed_slice()) as *mut u8
}

/// Frees a record returned by `json_parse_check` or `csv_parse_check`.
///
/// # Safety
/// `record` must come from one of those functions and be freed once.
#[no_mangle]
pub unsafe extern "C" fn parse_check_free(record: *mut u8) {
    if record.is_null() {
        return;
    }
    let mut len = [0u8; 4];
    std::ptr::copy_nonoverlapping(record.add(16), len.as_mut_ptr(), 4);
    let total = 20 + u32::from_le_bytes(len) as usize;
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
        record, total,
    )));
}

/// Parses `len` bytes at `ptr` as JSON under the given limits. The record's `a` is the number
/// of values, `b` the top-level type (0 null, 1 boolean, 2 number, 3 string, 4 array, 5 object).
///
/// # Safety
/// `ptr..ptr+len` must be readable memory (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn json_parse_check(
    ptr: *const u8,
    len: usize,
    max_depth: u32,
    max_elements: u32,
    max_string_bytes: u32,
) -> *mut u8 {
    let bytes = if len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(ptr, len)
    };
    let limits = Limits {
        max_depth: max_depth as usize,
        max_elements: max_elements as usize,
        max_string_bytes: max_string_bytes as usize,
    };
    match parse(bytes, &limits) {
        Ok(v) => {
            let kind = match v {
                Value::Null => 0,
                Value::Bool(_) => 1,
                Value::Number(_) => 2,
                Value::String(_) => 3,
                Value::Array(_) => 4,
                Value::Object(_) => 5,
            };
            check_record(true, 0, count_values(&v), kind, "")
        }
        Err(e) => check_record(false, e.offset, 0, 0, &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Value<'_> {
        parse(s.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{}: {}", s, e))
    }

    fn fail(s: &str) -> ParseError {
        match parse(s.as_bytes(), &Limits::default()) {
            Ok(v) => panic!("{:?} parsed as {:?}", s, v),
            Err(e) => e,
        }
    }

    fn num(s: &str) -> Num<'_> {
        match ok(s) {
            Value::Number(n) => n,
            v => panic!("not a number: {:?}", v),
        }
    }

    fn s(text: &str) -> Value<'_> {
        Value::String(Cow::Borrowed(text))
    }

    #[test]
    fn parses_scalars() {
        assert_eq!(ok("null"), Value::Null);
        assert_eq!(ok(" true "), Value::Bool(true));
        assert_eq!(ok("false"), Value::Bool(false));
        assert_eq!(ok("\"hi\""), s("hi"));
        assert_eq!(
            ok("-12"),
            Value::Number(Num {
                text: "-12",
                is_integer: true
            })
        );
    }

    #[test]
    fn parses_nested_containers_in_document_order() {
        let v = ok(r#"{"b": [1, {"c": null}], "a": {}, "d": []}"#);
        let members = match &v {
            Value::Object(m) => m,
            _ => panic!(),
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "d"]);
        assert_eq!(v.get("a"), Some(&Value::Object(vec![])));
        assert_eq!(v.get("d"), Some(&Value::Array(vec![])));
        match v.get("b") {
            Some(Value::Array(items)) => {
                assert_eq!(items.len(), 2);
                assert_eq!(items[1].get("c"), Some(&Value::Null));
            }
            other => panic!("{:?}", other),
        }
        assert_eq!(v.get("zz"), None);
    }

    #[test]
    fn strings_without_escapes_borrow_from_the_input() {
        match ok(r#"["plain", "esc\n"]"#) {
            Value::Array(items) => {
                assert!(matches!(&items[0], Value::String(Cow::Borrowed("plain"))));
                assert!(matches!(&items[1], Value::String(Cow::Owned(t)) if t == "esc\n"));
            }
            v => panic!("{:?}", v),
        }
    }

    #[test]
    fn decodes_every_escape() {
        assert_eq!(
            ok(r#""a\"b\\c\/d\be\ff\ng\rh\ti""#).as_str(),
            Some("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti")
        );
        assert_eq!(ok(r#""\u00e9\u4e2D""#).as_str(), Some("é中"));
        assert_eq!(ok(r#""\ud83d\ude00!""#).as_str(), Some("😀!"));
        assert_eq!(ok("\"caf\u{e9} \u{1f600}\"").as_str(), Some("café 😀"));
    }

    #[test]
    fn accepts_python_non_finite_tokens() {
        assert!(num("NaN").as_f64().is_nan());
        assert_eq!(num("Infinity").as_f64(), f64::INFINITY);
        assert_eq!(num("-Infinity").as_f64(), f64::NEG_INFINITY);
        assert!(!num("NaN").is_integer);
        assert_eq!(num("NaN").as_i64(), None);
        assert_eq!(num("-Infinity").as_i64(), None);
        fail("-NaN");
        fail("nan");
        fail("Inf");
        fail("+1");
    }

    #[test]
    fn converts_numbers_to_correctly_rounded_f64() {
        for t in [
            "0",
            "-0",
            "1",
            "0.1",
            "0.3",
            "-2.5",
            "1e10",
            "1E-7",
            "123456789012345678901234567890",
            "2.2250738585072011e-308",
            "4.9e-324",
            "1.7976931348623157e308",
            "0.30000000000000004",
            "9007199254740993",
            "1.00000000000000011102230246251565404236316680908203125",
            "3.14159265358979323846",
            "5e-1",
            "1e22",
            "1e23",
            "123.456e-7",
        ] {
            assert_eq!(
                num(t).as_f64().to_bits(),
                t.parse::<f64>().unwrap().to_bits(),
                "{}",
                t
            );
        }
        assert_eq!(num("1e400").as_f64(), f64::INFINITY);
        assert_eq!(num("-1e400").as_f64(), f64::NEG_INFINITY);
        assert_eq!(num("1e-400").as_f64(), 0.0);
        assert!(num("-0").as_f64().is_sign_negative());
    }

    #[test]
    fn converts_numbers_to_exact_i64_or_none() {
        assert_eq!(num("0").as_i64(), Some(0));
        assert_eq!(num("-0").as_i64(), Some(0));
        assert_eq!(num("42").as_i64(), Some(42));
        assert_eq!(num("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(num("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(num("9223372036854775808").as_i64(), None);
        assert_eq!(num("-9223372036854775809").as_i64(), None);
        assert_eq!(num("3.0").as_i64(), Some(3));
        assert_eq!(num("3e2").as_i64(), Some(300));
        assert_eq!(num("30e-1").as_i64(), Some(3));
        assert_eq!(num("0.0e999999999999").as_i64(), Some(0));
        assert_eq!(num("3.5").as_i64(), None);
        assert_eq!(num("1e19").as_i64(), None);
        assert_eq!(num("1e-5").as_i64(), None);
        assert_eq!(num("1e99999999999999999999").as_i64(), None);
        assert!(num("3").is_integer);
        assert!(!num("3.0").is_integer);
        assert!(!num("3e0").is_integer);
    }

    #[test]
    fn rejects_malformed_numbers_with_offsets() {
        assert_eq!(fail("[01]").offset, 1);
        assert!(fail("[01]").message.contains("leading zeros"));
        assert_eq!(fail("1.").offset, 2);
        assert_eq!(fail("1.e5").offset, 2);
        assert_eq!(fail("1e").offset, 2);
        assert_eq!(fail("1e+").offset, 3);
        assert_eq!(fail("-").offset, 1);
        assert_eq!(fail("-a").offset, 1);
        assert_eq!(fail(".5").offset, 0);
        fail("0x10");
        fail("1_000");
    }

    #[test]
    fn rejects_invalid_utf8_at_its_offset() {
        let e = parse(b"[\"ab\xff\"]", &Limits::default()).unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("Invalid UTF-8"), "{}", e);
        let e = parse(b"\"\xe2\x82\"", &Limits::default()).unwrap_err();
        assert_eq!(e.offset, 1);
        let e = parse(b"\"\xed\xa0\x80\"", &Limits::default()).unwrap_err(); // encoded surrogate
        assert_eq!(e.offset, 1);
    }

    #[test]
    fn rejects_lone_surrogate_escapes() {
        for t in [
            r#""\ud800""#,
            r#""\ud800x""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud800\n""#,
        ] {
            let e = fail(t);
            assert!(e.message.contains("Lone surrogate"), "{}: {}", t, e);
            assert_eq!(e.offset, 1, "{}", t);
        }
    }

    #[test]
    fn rejects_bad_escapes_and_control_characters() {
        let e = fail("\"a\nb\"");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("U+000A"), "{}", e);
        let e = fail("\"a\\q\"");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("\"\\q\""), "{}", e);
        assert_eq!(fail(r#""\u12G4""#).offset, 5);
        assert_eq!(fail(r#""\u12""#).offset, 5);
        assert_eq!(fail("\"x\\n\ty\"").offset, 4);
        fail("\"abc");
        fail("\"abc\\");
        fail("\"abc\\\"");
        fail("'a'");
    }

    #[test]
    fn rejects_duplicate_keys_in_small_and_large_objects() {
        let e = fail(r#"{"a": 1, "b": 2, "a": 3}"#);
        assert_eq!(e.message, "Duplicate object key \"a\"");
        assert_eq!(e.offset, 17);
        // Escaped and plain spellings of one key are the same key.
        fail(r#"{"a": 1, "\u0061": 2}"#);
        // Large objects go through the hash index.
        let mut body = String::from("{");
        for i in 0..500 {
            body.push_str(&format!("\"k{}\": {},", i, i));
        }
        let ok_body = format!("{}\"last\": 0}}", body);
        match ok(&ok_body) {
            Value::Object(m) => assert_eq!(m.len(), 501),
            v => panic!("{:?}", v),
        }
        let dup_body = format!("{}\"k317\": 0}}", body);
        assert_eq!(fail(&dup_body).message, "Duplicate object key \"k317\"");
        // Equal keys in different objects are fine.
        ok(r#"[{"a": 1}, {"a": 2, "b": {"a": 3}}]"#);
    }

    #[test]
    fn rejects_trailing_garbage_and_truncation() {
        let e = fail("{} x");
        assert_eq!(e.offset, 3);
        assert!(
            e.message
                .starts_with("Unexpected data after the JSON value"),
            "{}",
            e
        );
        fail("1 2");
        fail("[1] ]");
        fail("");
        fail("   ");
        fail("[");
        fail("[1,");
        fail("[1 2]");
        fail("[1,]");
        fail("{\"a\"}");
        fail("{\"a\":}");
        fail("{\"a\":1,}");
        fail("{,}");
        fail("{1:2}");
        fail("tru");
        fail("nul");
        fail("truex");
        assert_eq!(ok(" \t\r\n[ 1 , 2 ]\n"), ok("[1,2]"));
    }

    #[test]
    fn rejects_a_byte_order_mark() {
        let e = fail("\u{feff}{}");
        assert_eq!(e.message, "Unexpected UTF-8 byte order mark");
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn enforces_the_depth_limit() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse(b"[[[1]]]", &limits).is_ok());
        assert!(parse(b"[{\"a\":[]}]", &limits).is_ok());
        let e = parse(b"[[[[1]]]]", &limits).unwrap_err();
        assert_eq!(e.message, "JSON is nested deeper than 3 levels");
        assert_eq!(e.offset, 3);
        // A huge configured depth is still capped, and deep input never recurses.
        let deep = "[".repeat(200_000);
        let e = parse(
            deep.as_bytes(),
            &Limits {
                max_depth: usize::MAX,
                ..Limits::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.offset, HARD_MAX_DEPTH);
        let nested = format!(
            "{}{}",
            "[".repeat(HARD_MAX_DEPTH),
            "]".repeat(HARD_MAX_DEPTH)
        );
        assert!(parse(
            nested.as_bytes(),
            &Limits {
                max_depth: HARD_MAX_DEPTH,
                ..Limits::default()
            }
        )
        .is_ok());
    }

    #[test]
    fn enforces_the_element_limit() {
        let limits = Limits {
            max_elements: 4,
            ..Limits::default()
        };
        assert!(parse(b"[1,2,3]", &limits).is_ok());
        let e = parse(b"[1,2,3,4]", &limits).unwrap_err();
        assert_eq!(e.message, "JSON has more than 4 elements");
        assert_eq!(e.offset, 7);
        assert!(parse(b"{\"a\":[1,2]}", &limits).is_ok());
        assert!(parse(b"{\"a\":[1,2,[]]}", &limits).is_err());
    }

    #[test]
    fn enforces_the_string_limit_on_decoded_bytes() {
        let limits = Limits {
            max_string_bytes: 4,
            ..Limits::default()
        };
        assert!(parse(b"\"abcd\"", &limits).is_ok());
        assert!(parse(br#""\u0061\u0062cd""#, &limits).is_ok());
        let e = parse(b"[\"abcde\"]", &limits).unwrap_err();
        assert_eq!(e.message, "JSON string longer than 4 bytes");
        assert_eq!(e.offset, 1);
        assert!(parse(br#""ab\ncd""#, &limits).is_err());
        assert!(parse(b"{\"abcde\": 1}", &limits).is_err());
    }

    #[test]
    fn displays_errors_with_their_offset() {
        let e = ParseError::new("Unterminated string", 7);
        assert_eq!(e.to_string(), "Unterminated string at byte 7");
        let e = fail("[1, x]");
        assert_eq!(e.to_string(), "Expected a JSON value, found 'x' at byte 4");
        let e = fail("[1\u{1}]");
        assert!(e.message.contains("U+0001"), "{}", e);
    }

    #[test]
    fn type_names_describe_values() {
        let v = ok(r#"[null, true, 1, "s", [], {}]"#);
        let names: Vec<&str> = match &v {
            Value::Array(items) => items.iter().map(Value::type_name).collect(),
            _ => panic!(),
        };
        assert_eq!(
            names,
            ["null", "boolean", "number", "string", "array", "object"]
        );
    }

    /// A tiny deterministic PRNG (xorshift64*) so fuzz runs are reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Mutated documents never panic; whatever parses re-parses identically after a
    /// round-trip through a minimal serializer.
    #[test]
    fn survives_seeded_random_mutations() {
        let seeds: [&[u8]; 5] = [
            br#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2.5], [NaN, -Infinity]]}}"#,
            br#"{"inputs": {"x": [[1, 2], [3, 4]]}, "params": {"k": "v\u00e9\n"}}"#,
            br#"[{"a": 1e5, "b": "x"}, {"a": -0.0, "b": null}, true, false]"#,
            br#"{"instances": [[[0, 1], [2, 3]]], "a\"b": "\ud83d\ude00"}"#,
            b"[\"caf\xc3\xa9\", 12345678901234567890, 0.1e-2]",
        ];
        let tokens: [&[u8]; 14] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"\"",
            b"\\",
            b"\\u",
            b"NaN",
            b"-",
            b"\xff",
            b"\xed\xa0\x80",
            b"\\ud800",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let limits = Limits {
            max_depth: 8,
            max_elements: 64,
            max_string_bytes: 32,
        };
        for _ in 0..20_000 {
            let mut doc = seeds[rng.below(seeds.len())].to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(doc.len() + 1);
                match rng.below(4) {
                    0 if at < doc.len() => {
                        doc.remove(at);
                    }
                    1 if at < doc.len() => doc[at] = rng.next() as u8,
                    2 => {
                        let t = tokens[rng.below(tokens.len())];
                        doc.splice(at..at, t.iter().copied());
                    }
                    _ => {
                        let end = (at + rng.below(8)).min(doc.len());
                        let copy = doc[at..end].to_vec();
                        doc.splice(at..at, copy);
                    }
                }
            }
            if let Ok(v) = parse(&doc, &limits) {
                let text = serialize(&v);
                let again = parse(text.as_bytes(), &Limits::default()).expect("re-parses");
                assert_eq!(serialize(&again), text);
            }
        }
    }

    fn serialize(v: &Value<'_>) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.text.to_string(),
            Value::String(s) => quote(s),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().map(serialize).collect();
                format!("[{}]", parts.join(","))
            }
            Value::Object(members) => {
                let parts: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("{}:{}", quote(k), serialize(v)))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
        }
    }

    fn quote(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn read_record(rec: *mut u8) -> (bool, u32, u32, u32, String) {
        let word = |i: usize| unsafe {
            let mut w = [0u8; 4];
            std::ptr::copy_nonoverlapping(rec.add(i * 4), w.as_mut_ptr(), 4);
            u32::from_le_bytes(w)
        };
        let len = word(4) as usize;
        let msg = unsafe { std::slice::from_raw_parts(rec.add(20), len) };
        let out = (
            word(0) == 1,
            word(1),
            word(2),
            word(3),
            String::from_utf8(msg.to_vec()).unwrap(),
        );
        unsafe { parse_check_free(rec) };
        out
    }

    #[test]
    fn the_parse_check_entry_reports_counts_and_errors() {
        let body = br#"{"a": [1, 2, {"b": null}]}"#;
        let rec = unsafe { json_parse_check(body.as_ptr(), body.len(), 8, 100, 100) };
        assert_eq!(read_record(rec), (true, 0, 6, 5, String::new()));
        let body = b"[1, 2,]";
        let rec = unsafe { json_parse_check(body.as_ptr(), body.len(), 8, 100, 100) };
        let (ok, offset, _, _, msg) = read_record(rec);
        assert!(!ok);
        assert_eq!(offset, 6);
        assert_eq!(msg, "Expected a JSON value, found ']'");
        let rec = unsafe { json_parse_check(std::ptr::null(), 0, 8, 100, 100) };
        assert!(!read_record(rec).0);
    }
}
