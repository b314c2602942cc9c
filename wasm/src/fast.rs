//! A fast path for the hot shapes: numeric (and plain string/boolean) columns in
//! `dataframe_split`, and one unnamed numeric tensor in `inputs`/`instances`. It scans the
//! body once and writes the typed buffers directly, without building a JSON tree.
//!
//! It only ever *accepts*: the moment anything falls outside its narrow grammar (escapes,
//! `NaN` tokens, nulls in integer columns, fractions, out-of-range values, extra keys, shape
//! mismatches, limits) it gives up and the full path (`validate.rs`) decides, so refusals and
//! their messages always come from one place. Its grammar is a strict subset of RFC 8259 and
//! its conversions are the same lossless ones (correctly rounded floats, exact integers), which
//! `tests` below check differentially against the full path.

use crate::cells::ColData;
use crate::decimal::POW10_U64;
use crate::json::{non_digits8, read8, swar_value};
use crate::output::{Entry, Format, Kind, Validated};
use crate::params;
use crate::schema::{ColSpec, DType, Inputs, Scalar, TensorSpec, Ty};
use crate::validate::Compiled;

/// A number lexeme: where it is, and its decimal parts when they fit.
struct Lex {
    start: usize,
    end: usize,
    negative: bool,
    integer: bool,
    mantissa: u64,
    digits: u32,
    exp10: i32,
    overflow: bool,
}

/// Bytes [`Scan::quick_f64`] needs after the cursor, so that none of its reads is checked.
const QUICK_SLACK: usize = 40;

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    /// Longest string the full parser accepts; longer ones go to it.
    max_str: usize,
}

impl<'a> Scan<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        // Bodies written by JSON serialisers mostly have no whitespace between tokens.
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            return Some(());
        }
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters; returns the bytes between the quotes.
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        let end = crate::scan::plain_end(self.b, start);
        if self.b.get(end) != Some(&b'"') || end - start > self.max_str {
            return None;
        }
        self.i = end + 1;
        Some((start, end))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    #[inline(always)]
    fn number(&mut self) -> Option<Lex> {
        self.ws();
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let int_start = i;
        // Digits accumulate with wrapping arithmetic; the digit count says whether it held.
        let mut mantissa: u64 = 0;
        i = digit_run(b, i, &mut mantissa);
        let int_len = i - int_start;
        let leading_zero = b.get(int_start) == Some(&b'0');
        if int_len == 0 || (int_len > 1 && leading_zero) {
            return None;
        }
        let mut integer = true;
        let mut frac_len = 0usize;
        let mut frac_zeros = 0usize;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            let f = i;
            if mantissa == 0 {
                while b.get(i) == Some(&b'0') {
                    frac_zeros += 1;
                    i += 1;
                }
            }
            i = digit_run(b, i, &mut mantissa);
            frac_len = i - f;
            if frac_len == 0 {
                return None;
            }
        }
        let mut exp10: i64 = -(frac_len as i64);
        if matches!(b.get(i), Some(b'e') | Some(b'E')) {
            integer = false;
            i += 1;
            let mut eneg = false;
            if let Some(&c) = b.get(i) {
                if c == b'+' || c == b'-' {
                    eneg = c == b'-';
                    i += 1;
                }
            }
            let f = i;
            let mut e: i64 = 0;
            while let Some(&c) = b.get(i) {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if e < 100_000 {
                    e = e * 10 + d as i64;
                }
                i += 1;
            }
            if i == f {
                return None;
            }
            exp10 += if eneg { -e } else { e };
        }
        // A number must end at a delimiter, as in the full parser.
        match b.get(i) {
            None | Some(b',') | Some(b']') | Some(b'}') | Some(b' ') | Some(b'\n')
            | Some(b'\r') | Some(b'\t') => {}
            _ => return None,
        }
        // Significant digits: all digits minus the leading zeros ("0.00123" has 3).
        let zeros = if leading_zero { 1 + frac_zeros } else { 0 };
        let digits = (int_len + frac_len).saturating_sub(zeros);
        self.i = i;
        Some(Lex {
            start,
            end: i,
            negative,
            integer,
            mantissa,
            digits: digits.min(u32::MAX as usize) as u32,
            exp10: exp10.clamp(-100_000, 100_000) as i32,
            overflow: digits > 19,
        })
    }

    /// A quoted `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD` at the cursor (which is at the opening
    /// quote), read in place without scanning for the string's end first: when the common
    /// reading accepts the bytes they are all digits and separators, so the closing quote right
    /// after them is the string's end. `None` (cursor unmoved) for anything else.
    #[inline(always)]
    fn common_datetime(&mut self) -> Option<i64> {
        let b = self.b;
        let i = self.i + 1;
        for len in [19, 10] {
            if len <= self.max_str && b.get(i + len) == Some(&b'"') {
                if let Some(p) = crate::datetime::parse_common(&b[i..i + len]) {
                    self.i = i + len + 1;
                    return Some(p.ns);
                }
            }
        }
        None
    }

    /// The number at the cursor as a double in one pass, for the shape serialisers print:
    /// `-?(0|[1-9][0-9]{0,6})(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?` with at most 19 digits in all,
    /// followed by a delimiter, at least [`QUICK_SLACK`] bytes before the body's end. Eight
    /// digits per step, the significand and the exponent built as the bytes are read, then the
    /// shared converter: no lexeme to re-read and no grammar pass before the conversion.
    /// `None` (cursor unmoved) for anything else, which then goes through [`Scan::number`] and
    /// [`Scan::f64_of`]; where both read a number they give the same bits
    /// (`quick_readers_read_like_the_general_reader` checks it).
    #[inline(always)]
    fn quick_f64(&mut self) -> Option<f64> {
        let start = self.i;
        // A window of fixed length: every read below is inside it (the last fraction word
        // ends at 33 at most, the delimiter after an exponent is at 26 at most).
        let b = self.b.get(start..start + QUICK_SLACK)?;
        let negative = b[0] == b'-';
        let mut i = negative as usize;
        let v = read8(b, i);
        let z = v.wrapping_sub(0x3030_3030_3030_3030);
        // k is 8 when the word is all digits. Refused here: no digit, eight or more integer
        // digits (rare in a float column: the general reader takes them), or a leading zero
        // that JSON refuses.
        let k = (non_digits8(v).trailing_zeros() / 8) as usize;
        if k == 0 || k == 8 || (k > 1 && v as u8 == b'0') {
            return None;
        }
        let mut w = swar_value(z << (64 - 8 * k as u32));
        let digits = k;
        i += k;
        let mut q: i64 = 0;
        if b[i] == b'.' {
            i += 1;
            let f = i;
            (i, w, _) = bounded_digit_run(b, i, w, digits, 19)?;
            if i == f {
                return None;
            }
            q = -((i - f) as i64);
        }
        if b[i] | 0x20 == b'e' {
            i += 1;
            let eneg = b[i] == b'-';
            i += (eneg || b[i] == b'+') as usize;
            let f = i;
            let mut e: i64 = 0;
            while i < f + 3 {
                let d = b[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                e = e * 10 + d as i64;
                i += 1;
            }
            if i == f || b[i].wrapping_sub(b'0') <= 9 {
                return None;
            }
            q += if eneg { -e } else { e };
        }
        match b[i] {
            b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => return None,
        }
        let x = crate::decimal::to_f64(w, q)?;
        self.i = start + i;
        Some(if negative { -x } else { x })
    }

    /// The integer at the cursor in one pass, for integer columns: `-?(0|[1-9][0-9]{0,17})`
    /// followed by a delimiter, eight digits per step. `None` (cursor unmoved) for anything
    /// else, which then goes through [`Scan::number`] and [`i64_of`]; where both read a
    /// number they give the same value (`quick_readers_read_like_the_general_reader`).
    #[inline(always)]
    fn quick_i64(&mut self) -> Option<i64> {
        let start = self.i;
        // The window of [`Scan::quick_f64`]: the third word read ends at 25 at most.
        let b = self.b.get(start..start + QUICK_SLACK)?;
        let negative = b[0] == b'-';
        let mut i = negative as usize;
        let leading_zero = b[i] == b'0';
        // Up to 18 digits, as `i64_of` takes them.
        let (end, w, digits) = bounded_digit_run(b, i, 0, 0, 18)?;
        i = end;
        if digits == 0 || (digits > 1 && leading_zero) {
            return None;
        }
        match b[i] {
            b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => return None,
        }
        self.i = start + i;
        let v = w as i64;
        Some(if negative { -v } else { v })
    }

    #[inline(always)]
    fn f64_of(&self, n: &Lex) -> f64 {
        if !n.overflow {
            if let Some(v) = crate::decimal::to_f64(n.mantissa, n.exp10 as i64) {
                return if n.negative { -v } else { v };
            }
        }
        // Correctly rounded, as the full parser's fallback.
        std::str::from_utf8(&self.b[n.start..n.end])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }
}

/// The text between two quotes of the body, which was checked to be UTF-8 as a whole.
#[inline(always)]
fn text_at(b: &[u8], a: usize, e: usize) -> &str {
    match b.get(a..e) {
        // SAFETY: `try_validate` checked the whole body is UTF-8, and `a`/`e` sit right after
        // and at an ASCII quote, so the slice starts and ends on character boundaries.
        Some(slice) => unsafe { std::str::from_utf8_unchecked(slice) },
        None => "",
    }
}

/// Eight ASCII digits at `i` as their value (SWAR), or `None` if any byte is not a digit.
#[cfg(test)]
fn eight_digits(b: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    let v = u64::from_le_bytes(chunk);
    if non_digits8(v) != 0 {
        return None;
    }
    Some(swar_value(v.wrapping_sub(0x3030_3030_3030_3030)))
}

/// [`digit_run`] for the quick readers: appends the run of digits at `b[i..]` to `w`, eight per step, and gives back the
/// position after it, the value and the digit count; `None` when the run would take the
/// count past `max` (so no read goes further than `max` digits allow).
#[inline(always)]
fn bounded_digit_run(
    b: &[u8],
    mut i: usize,
    mut w: u64,
    mut digits: usize,
    max: usize,
) -> Option<(usize, u64, usize)> {
    loop {
        let v = read8(b, i);
        let z = v.wrapping_sub(0x3030_3030_3030_3030);
        let n = (non_digits8(v).trailing_zeros() / 8) as usize;
        if digits + n > max {
            return None;
        }
        if n < 8 {
            if n > 0 {
                w = w
                    .wrapping_mul(POW10_U64[n])
                    .wrapping_add(swar_value(z << (64 - 8 * n as u32)));
            }
            return Some((i + n, w, digits + n));
        }
        w = w.wrapping_mul(100_000_000).wrapping_add(swar_value(z));
        digits += 8;
        i += 8;
    }
}

/// Reads the run of ASCII digits at `i` into `m` (`m * 10^k + digits`, wrapping: the caller
/// counts digits to know whether it held); returns where the run ends. Eight bytes at a
/// time: a partial run in a word is shifted up so that the missing leading digits read as
/// zeros, which costs one step instead of one unpredictable branch per digit.
#[inline(always)]
fn digit_run(b: &[u8], mut i: usize, m: &mut u64) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        let z = v.wrapping_sub(0x3030_3030_3030_3030);
        let mask = non_digits8(v);
        if mask == 0 {
            *m = m.wrapping_mul(100_000_000).wrapping_add(swar_value(z));
            i += 8;
            continue;
        }
        let k = (mask.trailing_zeros() / 8) as usize;
        if k > 0 {
            *m = m
                .wrapping_mul(POW10_U64[k])
                .wrapping_add(swar_value(z << (64 - 8 * k as u32)));
        }
        return i + k;
    }
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    i
}

fn i64_of(n: &Lex) -> Option<i64> {
    if !n.integer || n.overflow || n.digits > 18 {
        return None;
    }
    let v = n.mantissa as i64;
    Some(if n.negative { -v } else { v })
}

enum Builder {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    Bool(Vec<u8>),
    /// JSON array text; the flag says whether null may pass (not over `inputs`, where MLflow
    /// would hand the model the text "None").
    Str(String, bool),
    Datetime(Vec<i64>),
    Skip,
}

impl Builder {
    fn for_scalar(t: Scalar, rows: usize) -> Option<Builder> {
        Some(match t {
            Scalar::Double => Builder::F64(Vec::with_capacity(rows)),
            Scalar::Float => Builder::F32(Vec::with_capacity(rows)),
            Scalar::Long => Builder::I64(Vec::with_capacity(rows)),
            Scalar::Integer => Builder::I32(Vec::with_capacity(rows)),
            Scalar::Boolean => Builder::Bool(Vec::with_capacity(rows)),
            Scalar::String => Builder::Str(String::from("["), true),
            Scalar::Datetime => Builder::Datetime(Vec::with_capacity(rows)),
            _ => return None,
        })
    }

    /// [`Builder::cell`] as a call, for the paths that are not per-cell loops of a table.
    #[inline(never)]
    fn value(&mut self, s: &mut Scan, first: bool) -> Option<()> {
        self.cell(s, first)
    }

    /// Reads one cell into the column. Inlined into the row loops of `dataframe_split` and
    /// `dataframe_records`, where a call per cell cost about a tenth of the reading.
    #[inline(always)]
    fn cell(&mut self, s: &mut Scan, first: bool) -> Option<()> {
        match self {
            Builder::F64(v) => {
                if let Some(x) = s.quick_f64() {
                    v.push(x);
                } else if s.peek() == Some(b'n') {
                    s.lit(b"null")?;
                    v.push(f64::NAN);
                } else {
                    let n = s.number()?;
                    v.push(s.f64_of(&n));
                }
            }
            Builder::F32(v) => {
                let f = match s.quick_f64() {
                    Some(f) => f,
                    None => {
                        let n = s.number()?;
                        s.f64_of(&n)
                    }
                };
                let x = f as f32;
                if x.is_infinite() {
                    return None;
                }
                v.push(x);
            }
            Builder::I64(v) => v.push(match s.quick_i64() {
                Some(x) => x,
                None => i64_of(&s.number()?)?,
            }),
            Builder::I32(v) => {
                let x = match s.quick_i64() {
                    Some(x) => x,
                    None => i64_of(&s.number()?)?,
                };
                if x < i32::MIN as i64 || x > i32::MAX as i64 {
                    return None;
                }
                v.push(x as i32);
            }
            Builder::Bool(v) => match s.peek()? {
                b't' => {
                    s.lit(b"true")?;
                    v.push(1);
                }
                b'f' => {
                    s.lit(b"false")?;
                    v.push(0);
                }
                _ => return None,
            },
            Builder::Str(out, null_ok) => {
                let sep = if first { "" } else { "," };
                if s.peek() == Some(b'n') {
                    if !*null_ok {
                        return None;
                    }
                    s.lit(b"null")?;
                    out.push_str(sep);
                    out.push_str("null");
                } else {
                    // `string` keeps to the length limit. The body is valid UTF-8 and the text
                    // has no escapes: copy it quoted, after one reservation.
                    let (a, e) = s.string()?;
                    let text = text_at(s.b, a, e);
                    out.reserve(text.len() + 3);
                    out.push_str(sep);
                    out.push_str("\"");
                    out.push_str(text);
                    out.push_str("\"");
                }
            }
            Builder::Datetime(v) => match s.peek()? {
                b'"' => {
                    if let Some(ns) = s.common_datetime() {
                        v.push(ns);
                        return Some(());
                    }
                    let (a, e) = s.string()?;
                    let text = text_at(s.b, a, e);
                    v.push(crate::datetime::parse(text).ok()?.ns);
                }
                b'n' => {
                    s.lit(b"null")?;
                    v.push(crate::datetime::NAT);
                }
                _ => {
                    let x = i64_of(&s.number()?)?;
                    if x == crate::datetime::NAT {
                        return None;
                    }
                    v.push(x);
                }
            },
            Builder::Skip => match s.peek()? {
                b'"' => {
                    s.string()?;
                }
                b't' => s.lit(b"true")?,
                b'f' => s.lit(b"false")?,
                b'n' => s.lit(b"null")?,
                _ => {
                    s.number()?;
                }
            },
        }
        Some(())
    }

    /// A key missing from a record: NaN, null or NaT where pandas would put one; anything
    /// else is the full path's to refuse.
    fn missing(&mut self, first: bool) -> Option<()> {
        match self {
            Builder::F64(v) => v.push(f64::NAN),
            Builder::Datetime(v) => v.push(crate::datetime::NAT),
            Builder::Str(out, true) => {
                if !first {
                    out.push(',');
                }
                out.push_str("null");
            }
            _ => return None,
        }
        Some(())
    }

    fn finish(self, rows: usize) -> Option<(ColData, DType)> {
        Some(match self {
            Builder::F64(v) => (ColData::F64(v), DType::F64),
            Builder::F32(v) => (ColData::F32(v), DType::F32),
            Builder::I64(v) => (ColData::I64(v), DType::I64),
            Builder::I32(v) => (ColData::I32(v), DType::I32),
            Builder::Bool(v) => (ColData::Bool(v), DType::Bool),
            Builder::Datetime(v) => (ColData::Datetime(v), DType::Datetime),
            Builder::Str(mut s, _) => {
                s.push(']');
                (ColData::Json(s, rows), DType::Str)
            }
            Builder::Skip => return None,
        })
    }
}

/// Tries the fast path; `None` means "let the full path decide".
pub fn try_validate(sig: &Compiled, body: &[u8]) -> Option<Validated> {
    if !crate::scan::is_utf8(body) {
        return None;
    }
    // Limits: the fast path gives up well before any of them, leaving the refusal (and its
    // exact accounting) to the full parser.
    if sig.limits.max_depth < 4 || sig.limits.max_elements < 64 {
        return None;
    }
    let mut s = Scan {
        b: body,
        i: 0,
        max_str: sig.limits.max_string_bytes,
    };
    s.eat(b'{')?;
    let (a, e) = s.string()?;
    let key = &body[a..e];
    s.eat(b':')?;
    let (format, kind, rows, entries) = match (&sig.inputs, key) {
        (Inputs::Columns(specs), b"dataframe_split") => {
            let (rows, entries) = split(sig, specs, &mut s)?;
            (Format::Split, Kind::Columns, rows, entries)
        }
        (Inputs::Columns(specs), b"dataframe_records") => {
            let (rows, entries) = records(sig, specs, &mut s)?;
            (Format::Records, Kind::Columns, rows, entries)
        }
        (Inputs::Columns(specs), b"inputs") => {
            let (rows, entries) = columnar(sig, specs, &mut s)?;
            (Format::Inputs, Kind::Columns, rows, entries)
        }
        (Inputs::Tensors(specs), b"inputs") | (Inputs::Tensors(specs), b"instances")
            if specs.len() == 1 && specs[0].name.is_none() =>
        {
            let e = tensor(sig, &specs[0], &mut s)?;
            let rows = e.shape.first().copied().unwrap_or(0);
            (
                if key == b"inputs" {
                    Format::Inputs
                } else {
                    Format::Instances
                },
                Kind::Tensors,
                rows,
                vec![e],
            )
        }
        _ => return None,
    };
    s.eat(b'}')?;
    s.ws();
    if s.i != body.len() {
        return None;
    }
    let params = params::enforce(sig.params.as_deref(), None).ok()?;
    Some(Validated {
        kind,
        format,
        rows,
        params,
        entries,
    })
}

fn split(sig: &Compiled, specs: &[ColSpec], s: &mut Scan) -> Option<(usize, Vec<Entry>)> {
    if specs
        .iter()
        .any(|c| c.name.is_none() || !matches!(c.ty, Ty::Scalar(_)))
    {
        return None;
    }
    s.eat(b'{')?;
    // Keys in any order (pandas writes columns/index/data or index/columns/data), except
    // that data must come after columns.
    let mut targets: Option<Vec<Option<usize>>> = None;
    let mut index_len: Option<usize> = None;
    let mut data: Option<(usize, Vec<Builder>)> = None;
    loop {
        let (a, e) = s.string()?;
        s.eat(b':')?;
        match &s.b[a..e] {
            b"columns" if targets.is_none() => targets = Some(columns(specs, s)?),
            b"index" if index_len.is_none() => index_len = Some(scalars(s)?),
            b"data" if data.is_none() => data = Some(rows(sig, specs, targets.as_deref()?, s)?),
            _ => return None,
        }
        if s.eat(b',').is_none() {
            break;
        }
    }
    s.eat(b'}')?;
    let targets = targets?;
    let (rows, builders) = data?;
    if index_len.map_or(false, |n| n != rows) {
        return None;
    }
    // Entries in schema order, named as the request names them (= the spec names): built in
    // place from the builder feeding each spec, without moving entries through a second list.
    let mut builders = builders;
    let mut fed_by = vec![usize::MAX; specs.len()];
    for (j, t) in targets.iter().enumerate() {
        if let Some(k) = t {
            fed_by[*k] = j;
        }
    }
    let mut entries = Vec::with_capacity(specs.len());
    for (k, j) in fed_by.into_iter().enumerate() {
        if let Some(b) = builders.get_mut(j) {
            let (data, dtype) = std::mem::replace(b, Builder::Skip).finish(rows)?;
            entries.push(Entry {
                spec: Some(k),
                name: None,
                dtype,
                shape: vec![rows],
                data,
            });
        }
    }
    Some((rows, entries))
}

/// `dataframe_records`: a list of row objects; keys may be missing (NaN/null) or in any order.
fn records(sig: &Compiled, specs: &[ColSpec], s: &mut Scan) -> Option<(usize, Vec<Entry>)> {
    if specs
        .iter()
        .any(|c| c.name.is_none() || !matches!(c.ty, Ty::Scalar(_)))
    {
        return None;
    }
    let names: Vec<&[u8]> = specs
        .iter()
        .map(|c| c.name.as_deref().unwrap_or("").as_bytes())
        .collect();
    let lookup = Lookup::new(specs);
    let estimate = s.b.len() / (specs.len() * 6 + 2);
    let mut builders: Vec<Builder> = Vec::with_capacity(specs.len());
    for c in specs {
        match &c.ty {
            Ty::Scalar(t) => builders.push(Builder::for_scalar(*t, estimate)?),
            _ => return None,
        }
    }
    let mut seen_any = vec![false; specs.len()];
    let mut filled = vec![false; specs.len()];
    let mut rows = 0usize;
    let mut total = 0usize;
    s.eat(b'[')?;
    if s.peek() != Some(b']') {
        loop {
            s.eat(b'{')?;
            for f in filled.iter_mut() {
                *f = false;
            }
            let mut guess = 0usize;
            if s.peek() != Some(b'}') {
                loop {
                    let (a, e) = s.string()?;
                    let key = &s.b[a..e];
                    // Keys usually come in the same order in every record: try the next first.
                    let k = if names.get(guess) == Some(&key) {
                        guess
                    } else {
                        lookup.find(key)? // unknown keys: the full path
                    };
                    if filled[k] {
                        return None; // a duplicate key: the full parser refuses it
                    }
                    filled[k] = true;
                    seen_any[k] = true;
                    guess = k + 1;
                    s.eat(b':')?;
                    builders[k].cell(s, rows == 0)?;
                    total += 1;
                    if s.eat(b',').is_none() {
                        break;
                    }
                }
            }
            s.eat(b'}')?;
            for (k, b) in builders.iter_mut().enumerate() {
                if !filled[k] {
                    b.missing(rows == 0)?;
                }
            }
            rows += 1;
            total += 1;
            if total.saturating_add(32) > sig.limits.max_elements {
                return None;
            }
            if s.eat(b',').is_none() {
                break;
            }
        }
    }
    s.eat(b']')?;
    let mut entries = Vec::with_capacity(specs.len());
    for (k, ((c, b), seen)) in specs.iter().zip(builders).zip(seen_any).enumerate() {
        if !seen {
            if c.required {
                return None;
            }
            continue; // an optional column no record has is not added
        }
        let (data, dtype) = b.finish(rows)?;
        entries.push(Entry {
            spec: Some(k),
            name: None,
            dtype,
            shape: vec![rows],
            data,
        });
    }
    Some((rows, entries))
}

/// Names sorted with their positions, for O(log n) lookups (no cost quadratic in a request's
/// number of names).
fn sorted_names<'n, I: Iterator<Item = &'n [u8]>>(names: I) -> Vec<(&'n [u8], usize)> {
    let mut v: Vec<(&[u8], usize)> = names.enumerate().map(|(i, n)| (n, i)).collect();
    v.sort_unstable();
    v
}

/// Up to this many names, lookups scan linearly (no allocation, fastest for one-row bodies);
/// beyond it they go through a sorted list, so the cost stays O(n log n).
const SMALL: usize = 16;

/// Looks a column signature's names up: a linear scan for a few (no allocation), a sorted
/// list beyond.
struct Lookup<'s> {
    specs: &'s [ColSpec],
    sorted: Option<Vec<(&'s [u8], usize)>>,
}

impl<'s> Lookup<'s> {
    fn new(specs: &'s [ColSpec]) -> Self {
        let sorted = if specs.len() > SMALL {
            Some(sorted_names(
                specs
                    .iter()
                    .map(|c| c.name.as_deref().unwrap_or("").as_bytes()),
            ))
        } else {
            None
        };
        Lookup { specs, sorted }
    }

    /// The position of the spec named `name`.
    #[inline(always)]
    fn find(&self, name: &[u8]) -> Option<usize> {
        match &self.sorted {
            Some(v) => find_sorted(v, name),
            None => self
                .specs
                .iter()
                .position(|c| c.name.as_deref().map(|n| n.as_bytes()) == Some(name)),
        }
    }
}

/// Whether any name occurs twice: pairwise for a few, sorted beyond.
fn has_duplicate(names: &[&[u8]]) -> bool {
    if names.len() <= SMALL {
        return names
            .iter()
            .enumerate()
            .any(|(i, a)| names[..i].iter().any(|b| b == a));
    }
    let sorted = sorted_names(names.iter().copied());
    sorted.windows(2).any(|w| w[0].0 == w[1].0)
}

/// The position of `name` in a list from [`sorted_names`].
fn find_sorted(sorted: &[(&[u8], usize)], name: &[u8]) -> Option<usize> {
    let at = sorted.partition_point(|(n, _)| *n < name);
    match sorted.get(at) {
        Some((n, i)) if *n == name => Some(*i),
        _ => None,
    }
}

/// The `columns` list: which spec each request column feeds (`None` for extras).
fn columns(specs: &[ColSpec], s: &mut Scan) -> Option<Vec<Option<usize>>> {
    s.eat(b'[')?;
    let by_spec = Lookup::new(specs);
    let mut targets: Vec<Option<usize>> = Vec::with_capacity(specs.len());
    let mut seen = vec![false; specs.len()];
    // Names no spec has: a repeat among the others is caught by `seen` as it happens.
    let mut extras: Vec<&[u8]> = Vec::new();
    if s.peek() != Some(b']') {
        loop {
            let (a, e) = s.string()?;
            let name = &s.b[a..e];
            let t = by_spec.find(name);
            match t {
                Some(k) if seen[k] => return None, // duplicate column names: the full path refuses them
                Some(k) => seen[k] = true,
                None => extras.push(name),
            }
            targets.push(t);
            if s.eat(b',').is_none() {
                break;
            }
        }
    }
    s.eat(b']')?;
    if has_duplicate(&extras) {
        return None;
    }
    if specs
        .iter()
        .zip(seen.iter())
        .any(|(c, seen)| c.required && !seen)
    {
        return None;
    }
    Some(targets)
}

/// A list of scalars (the `index`), skipped; returns its length.
fn scalars(s: &mut Scan) -> Option<usize> {
    s.eat(b'[')?;
    let mut n = 0usize;
    if s.peek() != Some(b']') {
        let mut skip = Builder::Skip;
        loop {
            skip.value(s, false)?;
            n += 1;
            if s.eat(b',').is_none() {
                break;
            }
        }
    }
    s.eat(b']')?;
    Some(n)
}

/// The `data` rows, written column by column.
fn rows(
    sig: &Compiled,
    specs: &[ColSpec],
    targets: &[Option<usize>],
    s: &mut Scan,
) -> Option<(usize, Vec<Builder>)> {
    s.eat(b'[')?;
    let ncols = targets.len();
    let estimate = s.b.len() / (ncols.max(1) * 4 + 2);
    let mut builders: Vec<Builder> = Vec::with_capacity(ncols);
    for t in targets {
        builders.push(match t {
            Some(k) => match &specs[*k].ty {
                Ty::Scalar(sc) => Builder::for_scalar(*sc, estimate)?,
                _ => return None,
            },
            None => Builder::Skip,
        });
    }
    let max_elements = sig.limits.max_elements;
    let mut rows = 0usize;
    if s.peek() != Some(b']') {
        loop {
            s.eat(b'[')?;
            for (j, b) in builders.iter_mut().enumerate() {
                if j > 0 {
                    s.eat(b',')?;
                }
                b.cell(s, rows == 0)?;
            }
            s.eat(b']')?;
            rows += 1;
            if rows.saturating_mul(ncols + 1).saturating_add(ncols + 32) > max_elements {
                return None;
            }
            if s.eat(b',').is_none() {
                break;
            }
        }
    }
    s.eat(b']')?;
    Some((rows, builders))
}

/// `{"inputs": {"name": [values], ...}}` for named scalar columns (numpy casting rules).
fn columnar(sig: &Compiled, specs: &[ColSpec], s: &mut Scan) -> Option<(usize, Vec<Entry>)> {
    if specs
        .iter()
        .any(|c| c.name.is_none() || !matches!(c.ty, Ty::Scalar(_)))
    {
        return None;
    }
    s.eat(b'{')?;
    let spec_names = Lookup::new(specs);
    let mut by_spec: Vec<Option<Entry>> = (0..specs.len()).map(|_| None).collect();
    let mut names: Vec<&[u8]> = Vec::new();
    let mut rows: Option<usize> = None;
    let mut total = 0usize;
    loop {
        let (a, e) = s.string()?;
        let name = &s.b[a..e];
        names.push(name);
        s.eat(b':')?;
        let k = spec_names.find(name);
        if k.map_or(false, |k| by_spec[k].is_some()) {
            return None; // a repeated column: the full parser refuses it
        }
        let mut b = match k {
            Some(k) => match &specs[k].ty {
                Ty::Scalar(Scalar::String) => Builder::Str(String::from("["), false),
                Ty::Scalar(t) => Builder::for_scalar(*t, 16)?,
                _ => return None,
            },
            None => Builder::Skip,
        };
        s.eat(b'[')?;
        let mut n = 0usize;
        if s.peek() != Some(b']') {
            loop {
                b.value(s, n == 0)?;
                n += 1;
                if s.eat(b',').is_none() {
                    break;
                }
            }
        }
        s.eat(b']')?;
        total = total.saturating_add(n + 1);
        if total.saturating_add(32) > sig.limits.max_elements || rows.map_or(false, |r| r != n) {
            return None;
        }
        rows = Some(n);
        if let Some(k) = k {
            let (data, dtype) = b.finish(n)?;
            by_spec[k] = Some(Entry {
                spec: Some(k),
                name: None,
                dtype,
                shape: vec![n],
                data,
            });
        }
        if s.eat(b',').is_none() {
            break;
        }
    }
    s.eat(b'}')?;
    if has_duplicate(&names) {
        return None; // a repeated key: the full parser refuses it
    }
    if specs
        .iter()
        .zip(by_spec.iter())
        .any(|(c, e)| c.required && e.is_none())
    {
        return None;
    }
    Some((rows?, by_spec.into_iter().flatten().collect()))
}

fn tensor(sig: &Compiled, spec: &TensorSpec, s: &mut Scan) -> Option<Entry> {
    let rank = spec.shape.len();
    if rank == 0 || rank + 2 > sig.limits.max_depth {
        return None;
    }
    let mut shape: Vec<Option<usize>> = vec![None; rank];
    let mut b = match spec.dtype {
        DType::F64 => Builder::F64(Vec::new()),
        DType::F32 => Builder::F32(Vec::new()),
        DType::I64 => Builder::I64(Vec::new()),
        DType::I32 => Builder::I32(Vec::new()),
        DType::U8 => Builder::Bool(Vec::new()), // reused as a u8 buffer, range-checked below
        _ => return None,
    };
    let mut count = 0usize;
    nested(
        s,
        0,
        &mut shape,
        &mut b,
        spec.dtype,
        &mut count,
        sig.limits.max_elements,
    )?;
    let shape: Vec<usize> = shape.into_iter().collect::<Option<Vec<usize>>>()?;
    if !spec
        .shape
        .iter()
        .zip(shape.iter())
        .all(|(w, d)| *w == -1 || *w == *d as i64)
    {
        return None;
    }
    let (data, dtype) = match b {
        Builder::Bool(v) => (ColData::U8(v), DType::U8),
        other => other.finish(0)?,
    };
    Some(Entry {
        spec: None,
        name: None,
        dtype,
        shape,
        data,
    })
}

/// A uint8 tensor cell. The usual form, one to three digits (no leading zero) right before
/// `,` or `]`, is read directly; anything else goes through the general lexer, with the same
/// outcome either way.
#[inline(always)]
fn u8_cell(s: &mut Scan) -> Option<u8> {
    s.ws();
    let b = s.b;
    let i = s.i;
    let d0 = b.get(i).map_or(10, |c| c.wrapping_sub(b'0'));
    if d0 <= 9 {
        let mut v = d0 as u32;
        let mut j = i + 1;
        if d0 != 0 {
            while j < i + 3 {
                match b.get(j) {
                    Some(c) if c.wrapping_sub(b'0') <= 9 => {
                        v = v * 10 + c.wrapping_sub(b'0') as u32;
                        j += 1;
                    }
                    _ => break,
                }
            }
        }
        if matches!(b.get(j), Some(b',') | Some(b']')) && v <= 255 {
            s.i = j;
            return Some(v as u8);
        }
    }
    let x = i64_of(&s.number()?)?;
    if !(0..=255).contains(&x) {
        return None;
    }
    Some(x as u8)
}

fn nested(
    s: &mut Scan,
    depth: usize,
    shape: &mut [Option<usize>],
    b: &mut Builder,
    dtype: DType,
    count: &mut usize,
    max: usize,
) -> Option<()> {
    if depth == shape.len() {
        *count += 1;
        if count.saturating_add(32) > max {
            return None;
        }
        if dtype == DType::U8 {
            let x = u8_cell(s)?;
            if let Builder::Bool(v) = b {
                v.push(x);
            }
            return Some(());
        }
        return b.value(s, false);
    }
    s.eat(b'[')?;
    // Arrays count as values too (with a margin for the envelope).
    *count += 1;
    if count.saturating_add(32) > max {
        return None;
    }
    let mut n = 0usize;
    if depth + 1 == shape.len() && dtype == DType::U8 {
        // The innermost uint8 lists (often one pixel channel each) in one loop, as the
        // recursion would read them.
        if let Builder::Bool(v) = b {
            if s.peek() != Some(b']') {
                loop {
                    *count += 1;
                    if count.saturating_add(32) > max {
                        return None;
                    }
                    v.push(u8_cell(s)?);
                    n += 1;
                    if s.eat(b',').is_none() {
                        break;
                    }
                }
            }
        }
    } else if s.peek() != Some(b']') {
        loop {
            nested(s, depth + 1, shape, b, dtype, count, max)?;
            n += 1;
            if s.eat(b',').is_none() {
                break;
            }
        }
    }
    s.eat(b']')?;
    match shape[depth] {
        None => shape[depth] = Some(n),
        Some(m) if m == n => {}
        Some(_) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Limits;
    use crate::output::encode_ok_with;

    /// The record the module returns for `v` (names the signature has written as its index).
    fn rec(sig: &Compiled, v: &Validated) -> Vec<u8> {
        encode_ok_with(v, &sig.inputs, None)
    }
    use crate::schema::parse_inputs;
    use crate::validate::validate_full;

    fn compiled(inputs: &str) -> Compiled {
        Compiled {
            inputs: parse_inputs(Some(inputs), &Limits::default()).unwrap(),
            params: None,
            limits: Limits::default(),
            max_errors: 20,
            float32: Default::default(),
        }
    }

    use crate::test_rng::Rng;

    /// A scanner at the start of `b` with no string-length limit.
    fn scan(b: &[u8]) -> Scan<'_> {
        Scan {
            b,
            i: 0,
            max_str: usize::MAX,
        }
    }

    const CELLS: [&str; 24] = [
        "1",
        "-2",
        "0",
        "3.5",
        "-0.25",
        "1e3",
        "2E-2",
        "1.0",
        "123456789012345678",
        "9007199254740993",
        "1.7976931348623157e308",
        "1e39",
        "0.1",
        "-0",
        "true",
        "false",
        "null",
        "\"x\"",
        "\"h\\u00e9\"",
        "\"\"",
        "NaN",
        "2147483648",
        "300",
        "4.9e-324",
    ];

    /// Whenever the fast path accepts, the full path accepts with byte-identical output.
    #[test]
    fn fast_path_agrees_with_full_path() {
        let sig = compiled(
            r#"[{"type":"double","name":"a"},{"type":"long","name":"b"},{"type":"float","name":"c"},{"type":"integer","name":"d"},{"type":"boolean","name":"e"},{"type":"string","name":"f"},{"type":"datetime","name":"g"}]"#,
        );
        let tsigs = [
            compiled(r#"[{"type":"tensor","tensor-spec":{"dtype":"uint8","shape":[-1,2,1]}}]"#),
            compiled(r#"[{"type":"tensor","tensor-spec":{"dtype":"float32","shape":[-1,2]}}]"#),
            compiled(r#"[{"type":"tensor","tensor-spec":{"dtype":"int64","shape":[-1]}}]"#),
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut fast_hits = 0;
        let mut columnar_hits = 0;
        let mut records_hits = 0;
        let optional = compiled(
            r#"[{"type":"double","name":"a","required":false},{"type":"long","name":"b","required":false},{"type":"float","name":"c","required":false},{"type":"integer","name":"d","required":false},{"type":"boolean","name":"e","required":false},{"type":"string","name":"f","required":false},{"type":"datetime","name":"g","required":false}]"#,
        );
        for _ in 0..4000 {
            let rows = (rng.next() % 4) as usize;
            let cols = ["a", "b", "c", "d", "e", "f", "g", "x"];
            let ncols = 7 + (rng.next() % 2) as usize;
            let index = match rng.next() % 4 {
                0 => format!(
                    "\"index\": [{}], ",
                    (0..rows)
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                1 => "\"index\": [0], ".to_string(),
                _ => String::new(),
            };
            let mut body = format!("{{\"dataframe_split\": {{{}\"columns\": [", index);
            let names: Vec<&str> = (0..ncols)
                .map(|j| cols[(j + (rng.next() % 3 == 0) as usize) % cols.len()])
                .collect();
            body.push_str(
                &names
                    .iter()
                    .map(|n| format!("\"{}\"", n))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            body.push_str("], \"data\": [");
            for r in 0..rows {
                if r > 0 {
                    body.push_str(", ");
                }
                let cells: Vec<&str> = (0..ncols)
                    .map(|j| match names[j] {
                        "e" if rng.next() % 4 != 0 => rng.pick(&["true", "false"]),
                        "f" if rng.next() % 4 != 0 => {
                            rng.pick(&["\"s\"", "null", "\"\u{e9}t\u{e9}\""])
                        }
                        "b" | "d" if rng.next() % 2 == 0 => {
                            rng.pick(&["1", "-7", "0", "2147483647"])
                        }
                        _ => rng.pick(&CELLS),
                    })
                    .collect();
                body.push_str(&format!("[{}]", cells.join(", ")));
            }
            body.push_str("]}}");
            let fast = try_validate(&sig, body.as_bytes());
            let full = validate_full(&sig, body.as_bytes());
            if let Some(v) = fast {
                fast_hits += 1;
                let full = full.unwrap_or_else(|f| {
                    panic!(
                        "full path refused what the fast path took: {} -> {}",
                        body, f.message
                    )
                });
                assert_eq!(rec(&sig, &v), rec(&sig, &full), "{}", body);
            }
            // The same rows as dataframe_records, keys sometimes missing or reordered.
            let mut rb = String::from("{\"dataframe_records\": [");
            for r in 0..rows {
                if r > 0 {
                    rb.push_str(", ");
                }
                let mut members: Vec<String> = Vec::new();
                for name in ["a", "b", "c", "d", "e", "f", "g"] {
                    if rng.next() % 5 == 0 {
                        continue;
                    }
                    let cell = match name {
                        "e" if rng.next() % 4 != 0 => rng.pick(&["true", "false"]),
                        "f" if rng.next() % 4 != 0 => rng.pick(&["\"s\"", "null"]),
                        "g" if rng.next() % 2 == 0 => rng.pick(&["\"2024-01-02\"", "null"]),
                        "b" | "d" if rng.next() % 2 == 0 => rng.pick(&["1", "-7"]),
                        _ => rng.pick(&CELLS),
                    };
                    members.push(format!("\"{}\": {}", name, cell));
                }
                if rng.next() % 3 == 0 {
                    members.reverse();
                }
                rb.push_str(&format!("{{{}}}", members.join(", ")));
            }
            rb.push_str("]}");
            for sg in [&sig, &optional] {
                if let Some(v) = try_validate(sg, rb.as_bytes()) {
                    records_hits += 1;
                    let full = validate_full(sg, rb.as_bytes())
                        .unwrap_or_else(|f| panic!("{} -> {}", rb, f.message));
                    assert_eq!(rec(&sig, &v), rec(&sig, &full), "{}", rb);
                }
            }
            // The same columns as `inputs` (column-wise), with numpy's casting rules.
            let mut ib = String::from("{\"inputs\": {");
            let ncols_in = 1 + (rng.next() % 7) as usize;
            for j in 0..ncols_in {
                if j > 0 {
                    ib.push_str(", ");
                }
                let name = cols[(j + (rng.next() % 4 == 0) as usize) % cols.len()];
                let cells: Vec<&str> = (0..rows.max(1))
                    .map(|_| match name {
                        "e" if rng.next() % 4 != 0 => rng.pick(&["true", "false"]),
                        "f" if rng.next() % 4 != 0 => rng.pick(&["\"s\"", "null", "\"x y\""]),
                        "g" if rng.next() % 2 == 0 => rng.pick(&["\"2024-01-02\"", "null"]),
                        _ => rng.pick(&CELLS),
                    })
                    .collect();
                ib.push_str(&format!("\"{}\": [{}]", name, cells.join(", ")));
            }
            ib.push_str("}}");
            if let Some(v) = try_validate(&optional, ib.as_bytes()) {
                columnar_hits += 1;
                let full = validate_full(&optional, ib.as_bytes())
                    .unwrap_or_else(|f| panic!("{} -> {}", ib, f.message));
                assert_eq!(rec(&sig, &v), rec(&sig, &full), "{}", ib);
            }
            // Tensors.
            let t = &tsigs[(rng.next() % 3) as usize];
            let mut tb = String::from("{\"inputs\": [");
            for r in 0..(rng.next() % 3) {
                if r > 0 {
                    tb.push(',');
                }
                let inner: Vec<String> =
                    (0..2).map(|_| format!("[{}]", rng.pick(&CELLS))).collect();
                tb.push_str(&format!("[{}]", inner.join(",")));
            }
            tb.push_str("]}");
            for body in [tb.clone(), tb.replace("[[", "[").replace("]]", "]")] {
                if let Some(v) = try_validate(t, body.as_bytes()) {
                    fast_hits += 1;
                    let full = validate_full(t, body.as_bytes())
                        .unwrap_or_else(|f| panic!("{} -> {}", body, f.message));
                    assert_eq!(rec(&sig, &v), rec(&sig, &full), "{}", body);
                }
            }
        }
        assert!(fast_hits > 300, "fast path taken only {} times", fast_hits);
        assert!(
            columnar_hits > 100,
            "columnar fast path taken only {} times",
            columnar_hits
        );
        assert!(
            records_hits > 100,
            "records fast path taken only {} times",
            records_hits
        );
    }

    #[test]
    fn strings_are_scanned_to_the_closing_quote() {
        for (text, want) in [
            ("\"abcdefghijklmnop\",", Some((1, 17))),
            ("\"abc\"", Some((1, 4))),
            ("\"abcdefgh\\\"\"", None),
            ("\"abcdefghij\u{1}k\"", None),
            ("\"h\u{e9}llo w\u{f6}rld \u{65e5}\u{672c}\"", Some((1, 21))),
            ("\"abcdefghijklmnop", None),
        ] {
            let mut s = scan(text.as_bytes());
            assert_eq!(s.string(), want, "{:?}", text);
        }
    }

    /// The word-at-a-time scan ends where a byte-at-a-time one would.
    #[test]
    fn strings_end_where_a_bytewise_scan_ends() {
        let mut rng = Rng(3);
        let alphabet: &[u8] = b"ab\"\\\x01\x1f \xc3\xa9~\x7f";
        for _ in 0..200_000 {
            let len = (rng.next() % 30) as usize;
            let mut text = vec![b'"'];
            text.extend((0..len).map(|_| {
                if rng.next() % 8 == 0 {
                    alphabet[(rng.next() % alphabet.len() as u64) as usize]
                } else {
                    b'a' + (rng.next() % 26) as u8
                }
            }));
            let mut want = None;
            for (k, &c) in text.iter().enumerate().skip(1) {
                if c == b'"' {
                    want = Some((1, k));
                    break;
                }
                if c == b'\\' || c < 0x20 {
                    break;
                }
            }
            let mut s = scan(&text);
            assert_eq!(s.string(), want, "{:?}", text);
        }
    }

    /// The linear (few names) and sorted (many names) lookups agree.
    #[test]
    fn lookups_agree_below_and_above_the_small_bound() {
        for n in [3usize, SMALL, SMALL + 1, 200] {
            let schema: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"type":"double","name":"c{}"}}"#, (i * 7919) % 1000))
                .collect();
            let sig = compiled(&format!("[{}]", schema.join(",")));
            let specs = match &sig.inputs {
                crate::schema::Inputs::Columns(c) => c,
                _ => unreachable!(),
            };
            let lookup = Lookup::new(specs);
            for (i, c) in specs.iter().enumerate() {
                assert_eq!(lookup.find(c.name.as_deref().unwrap().as_bytes()), Some(i));
            }
            assert_eq!(lookup.find(b"absent"), None);
            let mut names: Vec<&[u8]> = specs
                .iter()
                .map(|c| c.name.as_deref().unwrap().as_bytes())
                .collect();
            assert!(!has_duplicate(&names), "{}", n);
            names.push(names[n / 2]);
            assert!(has_duplicate(&names), "{}", n);
        }
    }

    #[test]
    fn eight_digits_at_once() {
        assert_eq!(eight_digits(b"12345678", 0), Some(12_345_678));
        assert_eq!(eight_digits(b"x00000009", 1), Some(9));
        assert_eq!(eight_digits(b"99999999", 0), Some(99_999_999));
        assert_eq!(eight_digits(b"1234567", 0), None);
        assert_eq!(eight_digits(b"1234.678", 0), None);
        assert_eq!(eight_digits(b"1234567:", 0), None);
        assert_eq!(eight_digits(b"/2345678", 0), None);
        let mut rng = Rng(7);
        for _ in 0..10_000 {
            let x = rng.next() % 100_000_000;
            assert_eq!(eight_digits(format!("{:08}", x).as_bytes(), 0), Some(x));
        }
    }

    #[test]
    fn digit_runs_read_like_one_digit_at_a_time() {
        let mut rng = Rng(11);
        for _ in 0..200_000 {
            let len = (rng.next() % 40) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.next() % 6 == 0 {
                        b"./eE,]-:\x80\xff "[(rng.next() % 11) as usize]
                    } else {
                        b'0' + (rng.next() % 10) as u8
                    }
                })
                .collect();
            let start = (rng.next() % (len as u64 + 1)) as usize;
            let seed = rng.next() % 1000;
            let (mut want_m, mut want_i) = (seed, start);
            while want_i < len && text[want_i].is_ascii_digit() {
                want_m = want_m
                    .wrapping_mul(10)
                    .wrapping_add((text[want_i] - b'0') as u64);
                want_i += 1;
            }
            let mut m = seed;
            let i = digit_run(&text, start, &mut m);
            assert_eq!((i, m), (want_i, want_m), "{:?} at {}", text, start);
        }
    }

    /// The direct uint8 reading agrees with the general lexer plus a range check.
    #[test]
    fn uint8_cells_read_like_the_general_lexer() {
        let mut rng = Rng(5);
        let alphabet = b"0123456789,] -.eE+";
        for _ in 0..200_000 {
            let len = 1 + (rng.next() % 6) as usize;
            let mut text: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.next() % 3 == 0 {
                        alphabet[(rng.next() % alphabet.len() as u64) as usize]
                    } else {
                        b'0' + (rng.next() % 10) as u8
                    }
                })
                .collect();
            if rng.next() % 2 == 0 {
                text.push(b',');
            }
            let mut a = scan(&text);
            let mut g = scan(&text);
            let got = u8_cell(&mut a);
            let want = g
                .number()
                .and_then(|n| i64_of(&n))
                .filter(|x| (0..=255).contains(x))
                .map(|x| x as u8);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
            if got.is_some() {
                assert_eq!(a.i, g.i, "{:?}", String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn exact_floats_are_correctly_rounded() {
        let mut rng = Rng(42);
        let mut hits = 0;
        for _ in 0..200_000 {
            let m = rng.next() % 10_000_000_000_000_000_000;
            let e = (rng.next() % 39) as i32 - 19;
            let text = format!("{}e{}", m, e);
            let want: f64 = text.parse().unwrap();
            // None sends the number to the full parser; Some must be exact.
            if let Some(got) = crate::decimal::to_f64(m, e as i64) {
                assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
                hits += 1;
            }
        }
        assert!(hits > 150_000, "exact path taken {} times", hits);
        // 16-digit mantissas up to 2^53 take Clinger's path.
        for _ in 0..200_000 {
            let m =
                1_000_000_000_000_000 + rng.next() % (9_007_199_254_740_992 - 999_999_999_999_999);
            let e = (rng.next() % 45) as i32 - 22;
            let text = format!("{}e{}", m, e);
            let want: f64 = text.parse().unwrap();
            let got = crate::decimal::to_f64(m, e as i64).expect("a mantissa up to 2^53 is exact");
            assert_eq!(got.to_bits(), want.to_bits(), "{}", text);
        }
        // 17 significant digits with a fraction, as JavaScript prints random doubles.
        for _ in 0..200_000 {
            let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 10.0;
            let text = format!("{}", x);
            let mut s = scan(text.as_bytes());
            let n = s.number().unwrap();
            assert_eq!(s.f64_of(&n).to_bits(), x.to_bits(), "{}", text);
        }
    }

    /// Wherever the one-pass double reader takes a number, the general reading
    /// (`number` + `f64_of`) takes the same bytes and gives the same bits; what it declines
    /// (cursor unmoved) is left to the general reading, which refuses what JSON refuses.
    #[test]
    fn quick_readers_read_like_the_general_reader() {
        let mut rng = Rng(7);
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "01",
            "-01",
            "00",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "1e-",
            "1E5",
            "1e+5",
            "1e-5",
            "1e400",
            "-1e400",
            "1e-400",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "2.2250738585072014e-308",
            "2.2250738585072011e-308",
            "4.9e-324",
            "5e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327e-324",
            "1e-323",
            "9007199254740993",
            "9007199254740992.5",
            "0.1",
            "0.30000000000000004",
            "1234567.8901234567",
            "1234567.89012345678",
            "0.0000000000000000001",
            "0.00000000000000000001",
            "9.999999999999999999",
            "1.8446744073709551615",
            "1.8446744073709551616",
            "1e999",
            "1e1000",
            "1e0001",
            "1.5e007",
            "1x",
            "1.5.5",
            "1e5e5",
            "NaN",
            "Infinity",
            "-Infinity",
            "null",
            "1234567",
            "12345678",
            "123456789",
            "0.5E-3",
            "7.0e-10",
            "1.0E+22",
            "1e22",
            "1e23",
            "8.98846567431158e307",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        for _ in 0..40_000 {
            let x = f64::from_bits(rng.next());
            if x.is_finite() {
                texts.push(format!("{}", x));
                texts.push(format!("{:e}", x));
            }
            let y = (rng.next() >> 11) as f64 / (1u64 << 53) as f64
                * 10f64.powi((rng.next() % 9) as i32 - 4);
            texts.push(format!("{}", y));
            texts.push(format!("{}", rng.next() as i64 >> (rng.next() % 64)));
            // Digit strings of every shape: 1..=22 digits, a point anywhere, an exponent.
            let n = 1 + (rng.next() % 22) as usize;
            let mut t = String::new();
            if rng.next() % 3 == 0 {
                t.push('-');
            }
            for d in 0..n {
                t.push((b'0' + (rng.next() % 10) as u8) as char);
                if d + 1 < n && rng.next() % 6 == 0 && !t.contains('.') {
                    t.push('.');
                }
            }
            match rng.next() % 4 {
                0 => t.push_str(&format!("e{}", (rng.next() % 700) as i64 - 350)),
                1 => t.push_str(&format!("E+{}", rng.next() % 30)),
                _ => {}
            }
            texts.push(t);
        }
        let (mut taken, mut taken_int) = (0, 0);
        for (k, t) in texts.iter().enumerate() {
            let delim = [",", "]", "}", " ", "\n", "x", ""][k % 7];
            for pad in [0usize, 40] {
                let text = format!("{}{}{}", t, delim, " ".repeat(pad));
                let b = text.as_bytes();
                let mut q = scan(b);
                let mut g = scan(b);
                let general = g.number().map(|n| g.f64_of(&n));
                match q.quick_f64() {
                    Some(x) => {
                        taken += 1;
                        let want = general.unwrap_or_else(|| panic!("general refused {:?}", text));
                        assert_eq!(x.to_bits(), want.to_bits(), "{:?}", text);
                        assert_eq!(q.i, g.i, "{:?}", text);
                    }
                    None => assert_eq!(q.i, 0, "{:?}", text),
                }
                let mut q = scan(b);
                let mut g = scan(b);
                let general = g.number().and_then(|n| i64_of(&n));
                match q.quick_i64() {
                    Some(x) => {
                        taken_int += 1;
                        assert_eq!(Some(x), general, "{:?}", text);
                        assert_eq!(q.i, g.i, "{:?}", text);
                    }
                    None => assert_eq!(q.i, 0, "{:?}", text),
                }
            }
        }
        assert!(taken > 60_000, "the one-pass reader took {} numbers", taken);
        assert!(
            taken_int > 5_000,
            "the one-pass integer reader took {}",
            taken_int
        );
    }

    #[test]
    fn fast_path_takes_the_common_bodies() {
        let sig = compiled(r#"[{"type":"double","name":"x"},{"type":"long","name":"y"}]"#);
        assert!(try_validate(
            &sig,
            br#"{"dataframe_split": {"columns": ["y", "x"], "data": [[1, 2.5], [3, 4]]}}"#
        )
        .is_some());
        assert!(try_validate(
            &sig,
            br#"{"dataframe_split": {"columns": ["y", "x"], "data": [[1.5, 2.5]]}}"#
        )
        .is_none());
        assert!(try_validate(
            &sig,
            br#"{"dataframe_split": {"columns": ["x"], "data": [[1]]}}"#
        )
        .is_none());
        for (body, fast) in [
            (&br#"{"dataframe_split": {"index": [7], "columns": ["y", "x"], "data": [[1, 2.5]]}}"#[..], true),
            (br#"{"dataframe_split": {"columns": ["y", "x"], "index": ["r"], "data": [[1, 2.5]]}}"#, true),
            (br#"{"dataframe_split": {"columns": ["y", "x"], "data": [[1, 2.5]], "index": [1, 2]}}"#, false),
            (br#"{"dataframe_split": {"data": [[1, 2.5]], "columns": ["y", "x"]}}"#, false),
        ] {
            assert_eq!(try_validate(&sig, body).is_some(), fast, "{}", String::from_utf8_lossy(body));
        }
        let t = compiled(r#"[{"type":"tensor","tensor-spec":{"dtype":"uint8","shape":[-1,2]}}]"#);
        assert!(try_validate(&t, br#"{"inputs": [[0, 255], [1, 2]]}"#).is_some());
        assert!(try_validate(&t, br#"{"inputs": [[0, 256]]}"#).is_none());
        assert!(try_validate(&t, br#"{"inputs": [[0, 1, 2]]}"#).is_none());
    }
}
