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
//!
//! Numbers convert through [`crate::decimal::to_f64`], the converter the fast path shares.

use crate::decimal::POW10_U64;
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

/// Eight bytes at `i` as a little-endian word (the caller checked `i + 8 <= b.len()`).
#[inline(always)]
pub(crate) fn read8(b: &[u8], i: usize) -> u64 {
    debug_assert!(i + 8 <= b.len());
    // SAFETY: callers check `i + 8 <= b.len()`; the read is unaligned by design.
    unsafe { u64::from_le(std::ptr::read_unaligned(b.as_ptr().add(i) as *const u64)) }
}

/// The value of eight ASCII digits read little-endian (first digit most significant).
#[inline(always)]
fn value8(v: u64) -> u64 {
    swar_value(v.wrapping_sub(0x3030_3030_3030_3030))
}

/// The value of eight digit values 0..=9 in the bytes of `z`, the first (most significant) in
/// the lowest byte (SWAR: pairs, then quadruples, then the whole word).
#[inline(always)]
pub(crate) fn swar_value(z: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = z.wrapping_mul(10).wrapping_add(z >> 8);
    (v & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))
        >> 32
}

/// High bit set in each byte of `v` that is not an ASCII digit. Exact for the lowest such byte
/// (the only one the callers use): bytes below it are digits, so no carry or borrow reaches it.
#[inline(always)]
pub(crate) fn non_digits8(v: u64) -> u64 {
    (v.wrapping_add(0x4646_4646_4646_4646) | v.wrapping_sub(0x3030_3030_3030_3030))
        & 0x8080_8080_8080_8080
}

/// Skips ASCII digits from `i`, eight at a time where it can.
#[inline(always)]
fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while i + 8 <= b.len() {
        let m = non_digits8(read8(b, i));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Reads digits from `i` into `w` (wrapping: the caller bounds the count): the new `w` and
/// the position after the digits. Whole words of eight digits go through [`value8`]; a
/// shorter run at the end of a word is shifted up behind '0' padding and does too.
#[inline(always)]
fn take_digits(b: &[u8], mut i: usize, mut w: u64) -> (u64, usize) {
    while i + 8 <= b.len() {
        let v = read8(b, i);
        let m = non_digits8(v);
        if m == 0 {
            w = w.wrapping_mul(100_000_000).wrapping_add(value8(v));
            i += 8;
            continue;
        }
        let k = (m.trailing_zeros() / 8) as usize; // digits before the first non-digit
        if k > 0 {
            let padded = (v << ((8 - k) * 8)) | (0x3030_3030_3030_3030 >> (k * 8));
            w = w.wrapping_mul(POW10_U64[k]).wrapping_add(value8(padded));
        }
        return (w, i + k);
    }
    if i < b.len() && b.len() >= 8 {
        // Fewer than eight bytes left: read the last word of the input and shift the consumed
        // bytes out; the zero bytes shifted in stop the run like any non-digit.
        let rest = b.len() - i;
        let v = read8(b, b.len() - 8) >> ((8 - rest) * 8);
        let k = (non_digits8(v).trailing_zeros() / 8) as usize;
        if k > 0 {
            let padded = (v << ((8 - k) * 8)) | (0x3030_3030_3030_3030 >> (k * 8));
            w = w.wrapping_mul(POW10_U64[k]).wrapping_add(value8(padded));
        }
        return (w, i + k);
    }
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        w = w.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    (w, i)
}

/// The significand (at most 19 significant digits) and decimal exponent of an unsigned,
/// validated number lexeme; `None` for `NaN`/`Infinity` or more than 19 significant digits.
#[inline]
fn decimal(b: &[u8]) -> Option<(u64, i64)> {
    if !b.first().map_or(false, u8::is_ascii_digit) {
        return None; // NaN, Infinity
    }
    let (mut w, mut i) = take_digits(b, 0, 0);
    let mut digits = i;
    let mut q: i64 = 0;
    if i < b.len() && b[i] == b'.' {
        let (w2, end) = take_digits(b, i + 1, w);
        w = w2;
        q = -((end - i - 1) as i64);
        digits += end - i - 1;
        i = end;
    }
    if digits > 19 {
        // Leading zeros (0.000…) are not significant; beyond that w has wrapped.
        let significant = b[..i]
            .iter()
            .filter(|&&c| c != b'.')
            .skip_while(|&&c| c == b'0')
            .count();
        if significant > 19 {
            return None;
        }
    }
    if i < b.len() {
        // An exponent: e/E, optional sign, digits (validated by the lexer).
        i += 1;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let mut e: i64 = 0;
        while i < b.len() {
            if e < 1_000_000_000 {
                e = e * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        q += if neg { -e } else { e };
    }
    Some((w, q))
}

impl<'a> Num<'a> {
    /// The value as the nearest f64 (correctly rounded, as Python's `float()` does).
    /// `NaN`/`Infinity`/`-Infinity` map to themselves; magnitudes beyond f64 give ±infinity,
    /// so callers that must be lossless compare `is_infinite()` with the lexeme.
    pub fn as_f64(&self) -> f64 {
        let b = self.text.as_bytes();
        let negative = b.first() == Some(&b'-');
        let v = match decimal(&b[negative as usize..]) {
            Some((w, q)) => match crate::decimal::to_f64(w, q) {
                Some(v) => v,
                None => return self.text.parse::<f64>().unwrap_or(f64::NAN),
            },
            // Non-finite tokens, or more than 19 significant digits (rare): the standard
            // library's parser handles both exactly.
            None => {
                return match self.text {
                    "NaN" => f64::NAN,
                    "Infinity" => f64::INFINITY,
                    "-Infinity" => f64::NEG_INFINITY,
                    t => t.parse::<f64>().unwrap_or(f64::NAN),
                }
            }
        };
        if negative {
            -v
        } else {
            v
        }
    }

    /// Whether the lexeme has an exponent (`e` or `E`), eight bytes per step: the V2 FP64
    /// range check asks it of every value, where a byte loop cost ~40 instructions a number.
    #[inline]
    pub fn has_exponent(&self) -> bool {
        let b = self.text.as_bytes();
        let mut i = 0;
        while i + 8 <= b.len() {
            // Bytes equal to 'e' after folding case ('E' | 0x20 == 'e'; no other byte folds
            // to it), found with the exact "some byte is zero" test.
            let t = (read8(b, i) | 0x2020_2020_2020_2020) ^ 0x6565_6565_6565_6565;
            if t.wrapping_sub(0x0101_0101_0101_0101) & !t & 0x8080_8080_8080_8080 != 0 {
                return true;
            }
            i += 8;
        }
        b[i..].iter().any(|&c| c | 0x20 == b'e')
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

/// `bytes` as text, or an error at the first byte that is not UTF-8 (JSON and CSV alike).
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    if crate::scan::is_ascii(bytes) {
        // SAFETY: ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        ParseError::new(format!("Invalid UTF-8 byte 0x{:02x}", bytes[at]), at)
    })
}

/// Parses one JSON document (any top-level value) from UTF-8 bytes.
///
/// Errors carry the byte offset of the problem. Surrounding whitespace (space, tab, LF, CR) is
/// allowed; a UTF-8 byte order mark is not (Python's `json.loads` refuses it as well).
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Value<'a>, ParseError> {
    let src = utf8(bytes)?;
    let mut p = Parser {
        src,
        b: bytes,
        max_depth: limits.max_depth.min(HARD_MAX_DEPTH),
        max_elements: limits.max_elements,
        max_string_bytes: limits.max_string_bytes,
        elements: 0,
        values: Vec::new(),
        keys: Vec::new(),
        key_offsets: Vec::new(),
        order: Vec::new(),
        frames: Vec::new(),
    };
    p.run()
}

/// An open array or object: where its items start on the scratch stacks.
struct Frame {
    is_object: bool,
    values_start: usize,
    keys_start: usize,
}

/// The first this many keys of an object are checked for duplicates as they come, by a linear
/// scan; larger objects are checked once more when they close, by sorting (O(n log n) whatever
/// the keys, unlike a hash table an attacker could fill with colliding keys).
const LINEAR_KEYS: usize = 16;

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    max_depth: usize,
    max_elements: usize,
    max_string_bytes: usize,
    elements: usize,
    /// Completed values of the open containers (and finally the document), innermost last.
    values: Vec<Value<'a>>,
    /// Keys of the open objects' members, innermost last.
    keys: Vec<Cow<'a, str>>,
    /// Byte offset of each key in `keys` (for duplicate-key messages).
    key_offsets: Vec<usize>,
    /// Scratch for the duplicate check of large objects.
    order: Vec<u32>,
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

/// The position (within `keys`) of the first key, in document order, that repeats an earlier
/// one; `order` is scratch space.
fn first_duplicate(keys: &[Cow<'_, str>], order: &mut Vec<u32>) -> Option<usize> {
    order.clear();
    order.extend(0..keys.len() as u32);
    order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| keys[w[0] as usize] == keys[w[1] as usize])
        .map(|w| w[1] as usize)
        .min()
}

/// Skips JSON whitespace (space, tab, LF, CR) from `pos`.
#[inline(always)]
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while pos < b.len() && matches!(b[pos], b' ' | b'\n' | b'\r' | b'\t') {
        pos += 1;
    }
    pos
}

/// Lexes the number at `start` (a `-` or a digit): its end and whether it is an integer
/// lexeme; `None` when it is malformed (the caller then asks [`Parser::number_error`] why).
#[inline(always)]
fn lex_number(b: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start;
    if b[i] == b'-' {
        i += 1;
        if b[i..].starts_with(b"Infinity") {
            return Some((i + 8, false));
        }
    }
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            if matches!(b.get(i), Some(b'0'..=b'9')) {
                return None;
            }
        }
        Some(b'1'..=b'9') => i = skip_digits(b, i + 1),
        _ => return None,
    }
    let mut is_integer = true;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let digits = i;
        i = skip_digits(b, i);
        if i == digits {
            return None;
        }
        is_integer = false;
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let digits = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits {
            return None;
        }
        is_integer = false;
    }
    Some((i, is_integer))
}

impl<'a> Parser<'a> {
    fn err<T>(&self, message: impl Into<String>, at: usize) -> Result<T, ParseError> {
        Err(ParseError::new(message, at))
    }

    /// The text of `start..end`, which begin and end at ASCII bytes of valid UTF-8 input.
    #[inline(always)]
    fn text(&self, start: usize, end: usize) -> &'a str {
        debug_assert!(self.src.is_char_boundary(start) && self.src.is_char_boundary(end));
        // SAFETY: the whole input was checked to be UTF-8 and both ends sit next to ASCII
        // delimiters, so they are character boundaries.
        unsafe { std::str::from_utf8_unchecked(self.b.get_unchecked(start..end)) }
    }

    fn run(&mut self) -> Result<Value<'a>, ParseError> {
        let b = self.b;
        let mut pos = skip_ws(b, 0);
        'value: loop {
            // A value starts at `pos`: push a scalar, or open a container and go round.
            self.elements += 1;
            if self.elements > self.max_elements {
                return self.err(
                    format!("JSON has more than {} elements", self.max_elements),
                    pos,
                );
            }
            match b.get(pos) {
                Some(b'-') | Some(b'0'..=b'9') => match lex_number(b, pos) {
                    Some((end, is_integer)) => {
                        let text = self.text(pos, end);
                        self.values.push(Value::Number(Num { text, is_integer }));
                        pos = end;
                    }
                    None => return Err(self.number_error(pos)),
                },
                Some(b'"') => {
                    let (s, end) = self.string(pos)?;
                    self.values.push(Value::String(s));
                    pos = end;
                }
                Some(&open) if open == b'[' || open == b'{' => {
                    let is_object = open == b'{';
                    if self.frames.len() >= self.max_depth {
                        return self.err(
                            format!("JSON is nested deeper than {} levels", self.max_depth),
                            pos,
                        );
                    }
                    pos = skip_ws(b, pos + 1);
                    let close = if is_object { b'}' } else { b']' };
                    if b.get(pos) == Some(&close) {
                        pos += 1;
                        self.values.push(if is_object {
                            Value::Object(Vec::new())
                        } else {
                            Value::Array(Vec::new())
                        });
                    } else {
                        self.frames.push(Frame {
                            is_object,
                            values_start: self.values.len(),
                            keys_start: self.keys.len(),
                        });
                        if is_object {
                            pos = self.member_key(pos)?;
                        }
                        continue 'value;
                    }
                }
                Some(b't') => pos = self.literal(pos, "true", Value::Bool(true))?,
                Some(b'f') => pos = self.literal(pos, "false", Value::Bool(false))?,
                Some(b'n') => pos = self.literal(pos, "null", Value::Null)?,
                Some(b'N') => {
                    let nan = Value::Number(Num {
                        text: "NaN",
                        is_integer: false,
                    });
                    pos = self.literal(pos, "NaN", nan)?;
                }
                Some(b'I') => {
                    let inf = Value::Number(Num {
                        text: "Infinity",
                        is_integer: false,
                    });
                    pos = self.literal(pos, "Infinity", inf)?;
                }
                Some(_) => {
                    let msg = if pos == 0 && self.src.starts_with('\u{feff}') {
                        "Unexpected UTF-8 byte order mark".to_string()
                    } else {
                        format!("Expected a JSON value, found {}", describe(self.src, pos))
                    };
                    return self.err(msg, pos);
                }
                None => return self.err("Unexpected end of input, expected a value", pos),
            }
            // A value is complete: a separator continues the open container, a closing
            // bracket completes it (and maybe its parents), the end completes the document.
            loop {
                pos = skip_ws(b, pos);
                let (is_object, values_start, keys_start) = match self.frames.last() {
                    Some(f) => (f.is_object, f.values_start, f.keys_start),
                    None => {
                        if pos != b.len() {
                            return self.err(
                                format!(
                                    "Unexpected data after the JSON value: {}",
                                    describe(self.src, pos)
                                ),
                                pos,
                            );
                        }
                        return Ok(self.values.pop().unwrap_or(Value::Null));
                    }
                };
                match b.get(pos) {
                    Some(b',') => {
                        pos = skip_ws(b, pos + 1);
                        if is_object {
                            pos = self.member_key(pos)?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !is_object => {
                        pos += 1;
                        self.frames.pop();
                        let items: Vec<Value<'a>> = self.values.split_off(values_start);
                        self.values.push(Value::Array(items));
                    }
                    Some(b'}') if is_object => {
                        if self.keys.len() - keys_start > LINEAR_KEYS {
                            let keys = &self.keys[keys_start..];
                            if let Some(k) = first_duplicate(keys, &mut self.order) {
                                let at = self.key_offsets[keys_start + k];
                                return self
                                    .err(format!("Duplicate object key \"{}\"", keys[k]), at);
                            }
                        }
                        self.key_offsets.truncate(keys_start);
                        pos += 1;
                        self.frames.pop();
                        let members: Vec<(Cow<'a, str>, Value<'a>)> = self
                            .keys
                            .drain(keys_start..)
                            .zip(self.values.drain(values_start..))
                            .collect();
                        self.values.push(Value::Object(members));
                    }
                    _ => {
                        let expected = if is_object {
                            "Expected ',' or '}' after an object member"
                        } else {
                            "Expected ',' or ']' after an array element"
                        };
                        return self.err(
                            format!("{}, found {}", expected, describe(self.src, pos)),
                            pos,
                        );
                    }
                }
            }
        }
    }

    /// Reads `"key" :` at `at` for the innermost (object) frame, refusing duplicates; returns
    /// the position of the member's value.
    fn member_key(&mut self, at: usize) -> Result<usize, ParseError> {
        if self.b.get(at) != Some(&b'"') {
            return self.err(
                format!(
                    "Expected a string key in an object, found {}",
                    describe(self.src, at)
                ),
                at,
            );
        }
        let (key, end) = self.string(at)?;
        let frame = match self.frames.last() {
            Some(f) => f,
            None => return self.err("Object key outside an object", at),
        };
        let earlier = &self.keys[frame.keys_start..];
        if earlier.len() < LINEAR_KEYS && earlier.iter().any(|k| *k == key) {
            return self.err(format!("Duplicate object key \"{}\"", key), at);
        }
        self.keys.push(key);
        self.key_offsets.push(at);
        let colon = skip_ws(self.b, end);
        if self.b.get(colon) != Some(&b':') {
            return self.err(
                format!(
                    "Expected ':' after an object key, found {}",
                    describe(self.src, colon)
                ),
                colon,
            );
        }
        Ok(skip_ws(self.b, colon + 1))
    }

    fn literal(
        &mut self,
        at: usize,
        word: &'static str,
        value: Value<'a>,
    ) -> Result<usize, ParseError> {
        if self.b[at..].starts_with(word.as_bytes()) {
            self.values.push(value);
            Ok(at + word.len())
        } else {
            self.err(
                format!("Expected a JSON value, found {}", describe(self.src, at)),
                at,
            )
        }
    }

    /// Explains why the number at `start` does not lex (the slow path of [`lex_number`]).
    #[cold]
    fn number_error(&self, start: usize) -> ParseError {
        let b = self.b;
        let mut i = start;
        if b[i] == b'-' {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') if matches!(b.get(i + 1), Some(b'0'..=b'9')) => {
                return ParseError::new("Invalid number: leading zeros are not allowed", start)
            }
            Some(b'0'..=b'9') => {}
            _ => {
                return ParseError::new(
                    format!(
                        "Invalid number: expected a digit, found {}",
                        describe(self.src, i)
                    ),
                    i,
                )
            }
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return ParseError::new(
                    format!(
                        "Invalid number: expected a digit after '.', found {}",
                        describe(self.src, i)
                    ),
                    i,
                );
            }
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        // Only the exponent is left to be wrong.
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        ParseError::new(
            format!(
                "Invalid number: expected a digit in the exponent, found {}",
                describe(self.src, i)
            ),
            i,
        )
    }

    /// Reads the string whose opening quote is at `open`: its text (borrowed unless it has
    /// escapes) and the position after its closing quote.
    #[inline(always)]
    fn string(&self, open: usize) -> Result<(Cow<'a, str>, usize), ParseError> {
        let b = self.b;
        let start = open + 1;
        let i = crate::scan::plain_end(b, start);
        if i < b.len() && b[i] == b'"' {
            if i - start > self.max_string_bytes {
                return self.too_long(open);
            }
            return Ok((Cow::Borrowed(self.text(start, i)), i + 1));
        }
        self.string_slow(open, i)
    }

    #[cold]
    fn string_slow(&self, open: usize, i: usize) -> Result<(Cow<'a, str>, usize), ParseError> {
        match self.b.get(i) {
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
    fn escaped_string(
        &self,
        open: usize,
        mut i: usize,
    ) -> Result<(Cow<'a, str>, usize), ParseError> {
        let b = self.b;
        let start = open + 1;
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(self.text(start, i));
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
            i = crate::scan::plain_end(b, i);
            out.push_str(self.text(run, i));
            if out.len() > self.max_string_bytes {
                return self.too_long(open);
            }
            match b.get(i) {
                Some(b'"') => return Ok((Cow::Owned(out), i + 1)),
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

    /// as_f64 against the standard library on shortest round-trip forms of random doubles and
    /// on random decimal strings (19+ digits, every exponent range, subnormals, halfway cases).
    #[test]
    fn as_f64_matches_the_standard_library_on_random_inputs() {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let check = |text: &str| {
            let want = text.parse::<f64>().unwrap();
            let got = Num {
                text,
                is_integer: false,
            }
            .as_f64();
            assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
        };
        for _ in 0..200_000 {
            let f = f64::from_bits(rng.next());
            if !f.is_finite() {
                continue;
            }
            check(&format!("{:?}", f));
            check(&format!("{:e}", f));
            check(&format!("{}", f.abs() * 10.0 % 1000.0));
        }
        for _ in 0..200_000 {
            let digits = 1 + rng.below(21);
            let mut t = String::new();
            if rng.below(2) == 0 {
                t.push('-');
            }
            for k in 0..digits {
                let d = if k == 0 {
                    1 + rng.below(9)
                } else {
                    rng.below(10)
                };
                t.push((b'0' + d as u8) as char);
            }
            if rng.below(2) == 0 && digits > 1 {
                let at = 1 + rng.below(digits - 1);
                t.insert(at + (t.starts_with('-') as usize), '.');
            }
            let e = rng.below(700) as i64 - 360;
            if rng.below(4) != 0 {
                t.push_str(&format!("e{}", e));
            }
            check(&t);
        }
        // The fast algorithm decides ordinary 17-digit numbers itself.
        assert_eq!(
            crate::decimal::to_f64(9_883_853_299_755_387, -15),
            Some(9.883853299755387)
        );
        assert_eq!(
            decimal(b"9.883853299755387e2"),
            Some((9_883_853_299_755_387, -13))
        );
        // Halfway and boundary cases.
        for t in [
            "9007199254740993",
            "9007199254740995",
            "4503599627370497.5",
            "2.2250738585072014e-308",
            "2.2250738585072009e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "7.2057594037927933e16",
            "1e-342",
            "1e-343",
            "1e308",
            "1e309",
            "0.000001e-330",
            "123456789012345678e-10",
            "18446744073709551615",
            "18446744073709551616e-3",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "0.1",
            "0.2",
            "0.7",
            "3.0e-5",
            "1448997445238699",
        ] {
            check(t);
        }
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
        let e = fail(&dup_body);
        assert_eq!(e.message, "Duplicate object key \"k317\"");
        assert_eq!(e.offset, body.len());
        // Several repeats: the first one in document order is reported.
        let many = format!("{}\"k5\": 1, \"k3\": 2, \"k5\": 3}}", body);
        let e = fail(&many);
        assert_eq!(e.message, "Duplicate object key \"k5\"");
        assert_eq!(e.offset, body.len());
        // A repeat of one of the first keys, found late, and repeats within nested objects.
        fail(&format!("{}\"k0\": 0}}", body));
        fail(&format!("[{}\"x\": {{\"a\": 1, \"a\": 2}}}}]", body));
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
    use crate::test_rng::Rng;

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

    #[test]
    fn has_exponent_agrees_with_a_byte_loop() {
        let mut seed = 3u64;
        let alphabet = b"0123456789.-+eEdfEe\x45\x65\xc5\xe5 ";
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let mut x = seed;
            let text: String = (0..len)
                .map(|k| {
                    x = x.rotate_left(7) ^ (k as u64 * 0x9e37_79b9);
                    alphabet[(x % alphabet.len() as u64) as usize] as char
                })
                .collect();
            let n = Num {
                text: &text,
                is_integer: false,
            };
            let want = text.bytes().any(|c| c | 0x20 == b'e');
            assert_eq!(n.has_exponent(), want, "{:?}", text);
        }
        for t in [
            "1.5",
            "3.5847717826254666",
            "1e5",
            "1.2345678901234567E-5",
            "Infinity",
            "NaN",
        ] {
            let n = Num {
                text: t,
                is_integer: false,
            };
            assert_eq!(n.has_exponent(), t.contains(['e', 'E']), "{}", t);
        }
    }
}
