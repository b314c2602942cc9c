//! Scalar values into typed buffers: MLflow's parse-step casts (spec 4.4) under the
//! lossless-or-loud policy. Where MLflow casts without loss the value is written; where it
//! fails the violation is `BAD_REQUEST` (as MLflow's parse step); where it would silently
//! change the value the violation is a loud `INVALID_PARAMETER_VALUE`.

use crate::datetime::{self, DtError, NAT};
use crate::json::Value;
use crate::jsonout::{py_type, python_float_repr, show, write_str, write_value};
use crate::problems::{Code, Problems};
use crate::schema::DType;

/// How the request reached the cast: the rules differ per format (spec 8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// `dataframe_split` / `dataframe_records`: pandas `astype`; strings kept, binary decoded.
    Frame,
    /// `inputs` / `instances`: `numpy.array(v, dtype)`; strings stringified, binary not decoded.
    Numpy,
    /// `text/csv`: `pandas.read_csv` with the schema's dtypes.
    Csv,
}

/// Why one value cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// MLflow refuses it too (parse step): `BAD_REQUEST`.
    Bad(String),
    /// MLflow would change it silently: refused here, `INVALID_PARAMETER_VALUE`.
    Loud(String),
}

/// A typed buffer for one column or tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum ColData {
    Bool(Vec<u8>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    /// IEEE half-precision bits.
    F16(Vec<u16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Epoch nanoseconds, NaT = i64::MIN.
    Datetime(Vec<i64>),
    /// A JSON array text (str and object dtypes), read by the host with one `JSON.parse`.
    Json(String, usize),
    /// Byte strings: concatenated data, n+1 offsets, a null flag per value.
    Bytes {
        data: Vec<u8>,
        offsets: Vec<u32>,
        nulls: Vec<u8>,
    },
}

impl ColData {
    pub fn len(&self) -> usize {
        match self {
            ColData::Bool(v) | ColData::U8(v) => v.len(),
            ColData::I8(v) => v.len(),
            ColData::I16(v) => v.len(),
            ColData::I32(v) => v.len(),
            ColData::I64(v) | ColData::Datetime(v) => v.len(),
            ColData::U16(v) | ColData::F16(v) => v.len(),
            ColData::U32(v) => v.len(),
            ColData::U64(v) => v.len(),
            ColData::F32(v) => v.len(),
            ColData::F64(v) => v.len(),
            ColData::Json(_, n) => *n,
            ColData::Bytes { nulls, .. } => nulls.len(),
        }
    }
}

fn nested(v: &Value) -> Why {
    Why::Bad(format!(
        "expected a single value, got a {}",
        if matches!(v, Value::Array(_)) {
            "list"
        } else {
            "JSON object"
        }
    ))
}

/// Parses an integer the way Python's `int(str)` does (surrounding whitespace, sign, digits).
fn int_from_text(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) || digits.len() > 38 {
        return None;
    }
    let v: i128 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Parses a float the way Python's `float(str)` does.
pub fn float_from_text(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.contains('_') {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(|c| c == '+' || c == '-');
    if matches!(body, "nan" | "inf" | "infinity") {
        let neg = lower.starts_with('-');
        return Some(match body {
            "nan" => f64::NAN,
            _ if neg => f64::NEG_INFINITY,
            _ => f64::INFINITY,
        });
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

const FRACTION: &str = "it has a fractional part, which MLflow would silently truncate";

/// An integer value (range checked by the caller).
pub fn int_of(v: &Value) -> Result<i128, Why> {
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_i64() {
                return Ok(x as i128);
            }
            if n.is_integer {
                return match int_from_text(n.text) {
                    Some(x) => Ok(x),
                    None => Err(Why::Loud("it does not fit in a 128-bit integer".into())),
                };
            }
            let f = n.as_f64();
            if !f.is_finite() {
                return Err(Why::Bad(
                    "Cannot convert non-finite values (NA or inf) to integer".into(),
                ));
            }
            if f.fract() != 0.0 {
                return Err(Why::Loud(FRACTION.into()));
            }
            if f.abs() >= 1.7e38 {
                return Err(Why::Loud("it is far outside every integer range".into()));
            }
            Ok(f as i128)
        }
        Value::Bool(b) => Ok(*b as i128),
        Value::Null => Err(Why::Bad(
            "a missing value (null) cannot be stored in an integer column".into(),
        )),
        Value::String(s) => match int_from_text(s) {
            Some(x) => Ok(x),
            None => Err(Why::Bad(format!(
                "invalid literal for int() with base 10: {}",
                show(v)
            ))),
        },
        _ => Err(nested(v)),
    }
}

/// A float value (float64 semantics).
pub fn float_of(v: &Value) -> Result<f64, Why> {
    match v {
        Value::Number(n) => Ok(n.as_f64()),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Null => Ok(f64::NAN),
        Value::String(s) => match float_from_text(s) {
            Some(f) => Ok(f),
            None => Err(Why::Bad(format!(
                "could not convert string to float: {}",
                show(v)
            ))),
        },
        _ => Err(nested(v)),
    }
}

/// A boolean: only `true`/`false` and the numbers 0 and 1 are booleans without loss.
pub fn bool_of(v: &Value) -> Result<bool, Why> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => {
            let f = n.as_f64();
            if f == 0.0 {
                Ok(false)
            } else if f == 1.0 {
                Ok(true)
            } else {
                Err(Why::Loud(format!(
                    "only true, false, 0 and 1 are booleans; MLflow would silently read it by truthiness as {}",
                    if f.is_nan() || f != 0.0 { "True" } else { "False" }
                )))
            }
        }
        Value::Null => Err(Why::Loud(
            "null is not a boolean; MLflow would silently turn it into False".into(),
        )),
        Value::String(s) => Err(Why::Loud(format!(
            "a string is not a boolean; MLflow would silently read it by truthiness as {}",
            if s.is_empty() { "False" } else { "True" }
        ))),
        _ => Err(nested(v)),
    }
}

/// Why a text is not a datetime64[ns] value. A time zone is refused loudly over `inputs` and
/// `instances` (numpy converts such texts to UTC, dropping the zone); over frames and CSV pandas
/// 2 refuses the cast itself, which MLflow answers BAD_REQUEST.
fn dt_why(e: DtError, v: &Value, path: Path) -> Why {
    match e {
        DtError::Invalid => Why::Bad(format!("{} is not a date-time pandas can parse", show(v))),
        DtError::TzAware if path != Path::Numpy => Why::Bad(
            "it carries a time zone, and pandas cannot cast a timezone-aware value to datetime64[ns] (only timezone-naive datetimes)".into(),
        ),
        DtError::TzAware => Why::Loud(
            "it carries a time zone; only timezone-naive datetimes are supported (numpy, and MLflow with pandas 1.x, silently drop the zone)".into(),
        ),
        DtError::OutOfRange => Why::Bad("Out of bounds nanosecond timestamp".into()),
    }
}

/// A datetime64[ns] value (NaT for null/NaN); integers are epoch nanoseconds, as in MLflow.
pub fn datetime_of(v: &Value, path: Path) -> Result<i64, Why> {
    match v {
        Value::Null => Ok(NAT),
        Value::String(s) => match datetime::parse(s) {
            Ok(p) => Ok(p.ns),
            Err(e) => Err(dt_why(e, v, path)),
        },
        Value::Number(n) => {
            if let Some(x) = n.as_i64() {
                if x == NAT {
                    return Err(Why::Bad("Out of bounds nanosecond timestamp".into()));
                }
                return Ok(x);
            }
            let f = n.as_f64();
            if f.is_nan() {
                return Ok(NAT);
            }
            if f.is_finite() && f.fract() != 0.0 {
                return Err(Why::Loud(FRACTION.into()));
            }
            Err(Why::Bad("Out of bounds nanosecond timestamp".into()))
        }
        Value::Bool(_) => Err(Why::Bad("a boolean is not a date-time".into())),
        _ => Err(nested(v)),
    }
}

/// Python's `str()` of a JSON scalar, as numpy's `str` cast produces it.
pub fn python_str(v: &Value) -> Result<String, Why> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
        Value::Number(n) if n.is_integer => Ok(if n.text == "-0" { "0".to_string() } else { n.text.to_string() }),
        Value::Number(n) => Ok(python_float_repr(n.as_f64())),
        Value::Null => Err(Why::Loud(
            "null would reach the model as the text \"None\" (inputs and instances requests stringify every value of a string column)".into(),
        )),
        _ => Err(nested(v)),
    }
}

fn b64_val(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => (c - b'A') as u32,
        b'a'..=b'z' => (c - b'a') as u32 + 26,
        b'0'..=b'9' => (c - b'0') as u32 + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Standard base64 as Python's `base64.decodebytes` reads it (line breaks ignored).
pub fn base64_decode(s: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut n = 0usize;
    let mut pad = 0usize;
    for c in s.bytes() {
        if c == b'\n' || c == b'\r' || c == b' ' || c == b'\t' {
            continue;
        }
        if c == b'=' {
            pad += 1;
            n += 1;
            continue;
        }
        if pad > 0 {
            return Err("Invalid base64-encoded string: data after padding".into());
        }
        let d = b64_val(c).ok_or_else(|| {
            "Invalid base64-encoded string: a character outside the base64 alphabet".to_string()
        })?;
        acc = (acc << 6) | d;
        bits += 6;
        n += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if n % 4 != 0 || pad > 2 {
        return Err("Incorrect padding".into());
    }
    Ok(())
}

fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 255 {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let mut r = m >> shift;
        let rem = m & ((1u32 << shift) - 1);
        if rem > half || (rem == half && (r & 1) == 1) {
            r += 1;
        }
        return sign | r as u16;
    }
    let mut r = ((e as u32) << 10) | (man >> 13);
    let rem = man & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && (r & 1) == 1) {
        r += 1;
    }
    sign | r as u16
}

/// Where a value sits, for messages: `in column "a" at row 3`.
pub trait Locate {
    fn at(&self, i: usize) -> String;
}

/// Records one violation for the value at position `i`.
pub fn report(
    problems: &mut Problems,
    v: &Value,
    loc: &dyn Locate,
    i: usize,
    target: &str,
    why: Why,
) {
    let (code, reason) = match why {
        Why::Bad(r) => (Code::BadRequest, r),
        Why::Loud(r) => (Code::InvalidParameterValue, r),
    };
    problems.push(
        code,
        format!(
            "Cannot convert {} {} to {}: {}",
            show(v),
            loc.at(i),
            target,
            reason
        ),
    );
}

macro_rules! ints {
    ($cells:expr, $ty:ty, $dtype:expr, $loc:expr, $target:expr, $problems:expr) => {{
        let (lo, hi) = $dtype.int_range().unwrap_or((0, 0));
        let mut out: Vec<$ty> = Vec::with_capacity($cells.len());
        for (i, v) in $cells.iter().enumerate() {
            // Hot path: an integer lexeme in range.
            if let Value::Number(n) = v {
                if n.is_integer {
                    if let Some(x) = n.as_i64() {
                        let x = x as i128;
                        if x >= lo && x <= hi {
                            out.push(x as $ty);
                            continue;
                        }
                    }
                }
            }
            match int_of(v) {
                Ok(x) if x >= lo && x <= hi => out.push(x as $ty),
                Ok(_) => {
                    report($problems, v, $loc, i, $target, Why::Loud(format!(
                        "it is outside the range of {} ({} to {}), where MLflow would silently wrap it around",
                        $dtype.name(), lo, hi
                    )));
                    out.push(0 as $ty);
                }
                Err(w) => {
                    report($problems, v, $loc, i, $target, w);
                    out.push(0 as $ty);
                }
            }
            if $problems.full() {
                break;
            }
        }
        out
    }};
}

/// Converts scalar values into a buffer of `dtype`. Returns the data and the dtype actually
/// written (a `str` column keeping non-string JSON values becomes `object`).
pub fn convert(
    cells: &[&Value],
    dtype: DType,
    path: Path,
    loc: &dyn Locate,
    target: &str,
    problems: &mut Problems,
) -> (ColData, DType) {
    let n = cells.len();
    match dtype {
        DType::I8 => (
            ColData::I8(ints!(cells, i8, dtype, loc, target, problems)),
            dtype,
        ),
        DType::I16 => (
            ColData::I16(ints!(cells, i16, dtype, loc, target, problems)),
            dtype,
        ),
        DType::I32 => (
            ColData::I32(ints!(cells, i32, dtype, loc, target, problems)),
            dtype,
        ),
        DType::I64 => (
            ColData::I64(ints!(cells, i64, dtype, loc, target, problems)),
            dtype,
        ),
        DType::U8 => (
            ColData::U8(ints!(cells, u8, dtype, loc, target, problems)),
            dtype,
        ),
        DType::U16 => (
            ColData::U16(ints!(cells, u16, dtype, loc, target, problems)),
            dtype,
        ),
        DType::U32 => (
            ColData::U32(ints!(cells, u32, dtype, loc, target, problems)),
            dtype,
        ),
        DType::U64 => (
            ColData::U64(ints!(cells, u64, dtype, loc, target, problems)),
            dtype,
        ),
        DType::F64 => {
            let mut out = Vec::with_capacity(n);
            for (i, v) in cells.iter().enumerate() {
                if let Value::Number(num) = v {
                    out.push(num.as_f64());
                    continue;
                }
                match float_of(v) {
                    Ok(f) => out.push(f),
                    Err(w) => {
                        report(problems, v, loc, i, target, w);
                        out.push(f64::NAN);
                        if problems.full() {
                            break;
                        }
                    }
                }
            }
            (ColData::F64(out), dtype)
        }
        DType::F32 | DType::F16 => {
            let mut out32 = Vec::with_capacity(if dtype == DType::F32 { n } else { 0 });
            let mut out16 = Vec::with_capacity(if dtype == DType::F16 { n } else { 0 });
            for (i, v) in cells.iter().enumerate() {
                let f = match v {
                    Value::Number(num) => num.as_f64(),
                    _ => match float_of(v) {
                        Ok(f) => f,
                        Err(w) => {
                            report(problems, v, loc, i, target, w);
                            if problems.full() {
                                break;
                            }
                            f64::NAN
                        }
                    },
                };
                let x = f as f32;
                let overflow = if dtype == DType::F32 {
                    out32.push(x);
                    x.is_infinite() && f.is_finite()
                } else {
                    let h = f32_to_f16(x);
                    out16.push(h);
                    (h & 0x7fff) == 0x7c00 && f.is_finite()
                };
                if overflow {
                    report(problems, v, loc, i, target, Why::Loud(format!(
                        "it is beyond the range of {}, where MLflow would silently turn it into infinity",
                        dtype.name()
                    )));
                    if problems.full() {
                        break;
                    }
                }
            }
            if dtype == DType::F32 {
                (ColData::F32(out32), dtype)
            } else {
                (ColData::F16(out16), dtype)
            }
        }
        DType::Bool => {
            let mut out = Vec::with_capacity(n);
            for (i, v) in cells.iter().enumerate() {
                match bool_of(v) {
                    Ok(b) => out.push(b as u8),
                    Err(w) => {
                        report(problems, v, loc, i, target, w);
                        out.push(0);
                        if problems.full() {
                            break;
                        }
                    }
                }
            }
            (ColData::Bool(out), dtype)
        }
        DType::Datetime => {
            let mut out = Vec::with_capacity(n);
            for (i, v) in cells.iter().enumerate() {
                match datetime_of(v, path) {
                    Ok(x) => out.push(x),
                    Err(w) => {
                        report(problems, v, loc, i, target, w);
                        out.push(NAT);
                        if problems.full() {
                            break;
                        }
                    }
                }
            }
            (ColData::Datetime(out), dtype)
        }
        DType::Str => {
            let mut out = String::with_capacity(n * 8 + 2);
            out.push('[');
            let mut all_str = true;
            for (i, v) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if path == Path::Numpy {
                    match python_str(v) {
                        Ok(s) => write_str(&mut out, &s),
                        Err(w) => {
                            report(problems, v, loc, i, target, w);
                            out.push_str("null");
                            if problems.full() {
                                break;
                            }
                        }
                    }
                } else {
                    // pandas keeps the values of a string column as they came (spec 4.4).
                    if !matches!(v, Value::String(_) | Value::Null) {
                        all_str = false;
                    }
                    write_value(&mut out, v);
                }
            }
            out.push(']');
            (
                ColData::Json(out, n),
                if all_str { DType::Str } else { DType::Object },
            )
        }
        DType::Bytes => {
            let mut data = Vec::new();
            let mut offsets = Vec::with_capacity(n + 1);
            let mut nulls = Vec::with_capacity(n);
            offsets.push(0u32);
            for (i, v) in cells.iter().enumerate() {
                let r = match (path, v) {
                    (Path::Frame, Value::String(s)) => base64_decode(s, &mut data).map_err(Why::Bad),
                    (Path::Frame, _) => Err(Why::Bad(format!(
                        "a binary column takes base64 text, got a {} value",
                        py_type(v)
                    ))),
                    (Path::Numpy, _) => Err(Why::Loud(
                        "binary values are only base64-decoded in dataframe_split and dataframe_records requests; over inputs and instances MLflow would hand the model the ASCII bytes of the text".into(),
                    )),
                    (Path::Csv, _) => Err(Why::Loud(
                        "binary columns are not base64-decoded in CSV requests; MLflow would hand the model the text instead of bytes".into(),
                    )),
                };
                if let Err(w) = r {
                    report(problems, v, loc, i, target, w);
                    if problems.full() {
                        break;
                    }
                }
                offsets.push(data.len() as u32);
                nulls.push(0);
            }
            (
                ColData::Bytes {
                    data,
                    offsets,
                    nulls,
                },
                dtype,
            )
        }
        DType::Object => {
            let mut out = String::with_capacity(n * 8 + 2);
            out.push('[');
            for (i, v) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(&mut out, v);
            }
            out.push(']');
            (ColData::Json(out, n), dtype)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};

    struct L;
    impl Locate for L {
        fn at(&self, i: usize) -> String {
            format!("in column \"a\" at row {}", i)
        }
    }

    fn run(
        body: &str,
        dtype: DType,
        path: Path,
    ) -> (ColData, DType, Option<crate::problems::Failure>) {
        let v = parse(body.as_bytes(), &Limits::default()).unwrap();
        let cells: Vec<&Value> = match &v {
            Value::Array(items) => items.iter().collect(),
            _ => panic!(),
        };
        let mut p = Problems::new(20);
        let (d, t) = convert(&cells, dtype, path, &L, dtype.name(), &mut p);
        (d, t, p.into_failure())
    }

    #[test]
    fn integers_are_exact_or_refused() {
        let (d, _, f) = run("[1, 2.0, true, \"12\"]", DType::I64, Path::Frame);
        assert_eq!(d, ColData::I64(vec![1, 2, 1, 12]));
        assert!(f.is_none());
        let (_, _, f) = run("[1.5]", DType::I64, Path::Frame);
        let f = f.unwrap();
        assert_eq!(f.code, Code::InvalidParameterValue);
        assert!(
            f.message
                .contains("Cannot convert 1.5 in column \"a\" at row 0 to int64"),
            "{}",
            f.message
        );
        let (_, _, f) = run("[300]", DType::U8, Path::Numpy);
        assert_eq!(f.unwrap().code, Code::InvalidParameterValue);
        let (_, _, f) = run("[null]", DType::I64, Path::Frame);
        assert_eq!(f.unwrap().code, Code::BadRequest);
        let (_, _, f) = run("[\"x\"]", DType::I64, Path::Numpy);
        assert_eq!(f.unwrap().code, Code::BadRequest);
        let (_, _, f) = run("[2147483648]", DType::I32, Path::Frame);
        assert_eq!(f.unwrap().code, Code::InvalidParameterValue);
    }

    #[test]
    fn every_violation_is_reported() {
        let (_, _, f) = run("[1.5, 2, 2.5, \"x\"]", DType::I64, Path::Frame);
        let f = f.unwrap();
        assert_eq!(f.code, Code::BadRequest);
        assert!(
            f.message.starts_with("The request has 3 problems"),
            "{}",
            f.message
        );
    }

    #[test]
    fn floats_and_float32() {
        let (d, _, f) = run("[1, \"1.5\", null, NaN, true]", DType::F64, Path::Frame);
        assert!(f.is_none());
        match d {
            ColData::F64(v) => {
                assert_eq!(v[0], 1.0);
                assert_eq!(v[1], 1.5);
                assert!(v[2].is_nan() && v[3].is_nan());
                assert_eq!(v[4], 1.0);
            }
            _ => panic!(),
        }
        let (_, _, f) = run("[1e300]", DType::F32, Path::Frame);
        assert_eq!(f.unwrap().code, Code::InvalidParameterValue);
        let (d, _, _) = run("[1.1]", DType::F32, Path::Frame);
        assert_eq!(d, ColData::F32(vec![1.1f32]));
        let (d, _, _) = run("[1.0, 65504, 0.5]", DType::F16, Path::Frame);
        assert_eq!(d, ColData::F16(vec![0x3c00, 0x7bff, 0x3800]));
        let (_, _, f) = run("[70000]", DType::F16, Path::Frame);
        assert!(f.is_some());
    }

    #[test]
    fn booleans_are_strict() {
        let (d, _, f) = run("[true, false, 0, 1]", DType::Bool, Path::Frame);
        assert!(f.is_none());
        assert_eq!(d, ColData::Bool(vec![1, 0, 0, 1]));
        for bad in ["[null]", "[\"false\"]", "[1.5]", "[2]"] {
            let (_, _, f) = run(bad, DType::Bool, Path::Frame);
            assert_eq!(f.unwrap().code, Code::InvalidParameterValue, "{}", bad);
        }
    }

    #[test]
    fn strings_per_path() {
        let (d, t, _) = run("[\"a\", null]", DType::Str, Path::Frame);
        assert_eq!(t, DType::Str);
        assert_eq!(d, ColData::Json("[\"a\",null]".into(), 2));
        let (_, t, _) = run("[1]", DType::Str, Path::Frame);
        assert_eq!(t, DType::Object);
        let (d, _, _) = run("[true, 1.5, 1, 1e16]", DType::Str, Path::Numpy);
        assert_eq!(
            d,
            ColData::Json("[\"True\",\"1.5\",\"1\",\"1e+16\"]".into(), 4)
        );
        let (_, _, f) = run("[null]", DType::Str, Path::Numpy);
        assert_eq!(f.unwrap().code, Code::InvalidParameterValue);
    }

    #[test]
    fn binary_is_decoded_only_for_frames() {
        let (d, _, f) = run("[\"AQI=\"]", DType::Bytes, Path::Frame);
        assert!(f.is_none());
        assert_eq!(
            d,
            ColData::Bytes {
                data: vec![1, 2],
                offsets: vec![0, 2],
                nulls: vec![0]
            }
        );
        let (_, _, f) = run("[\"AQI\"]", DType::Bytes, Path::Frame);
        assert_eq!(f.unwrap().code, Code::BadRequest);
        let (_, _, f) = run("[\"AQI=\"]", DType::Bytes, Path::Numpy);
        assert_eq!(f.unwrap().code, Code::InvalidParameterValue);
    }

    #[test]
    fn datetimes() {
        let (d, _, f) = run(
            "[1, \"1970-01-01T00:00:01\", null]",
            DType::Datetime,
            Path::Frame,
        );
        assert!(f.is_none());
        assert_eq!(d, ColData::Datetime(vec![1, 1_000_000_000, NAT]));
        let (_, _, f) = run("[\"nope\"]", DType::Datetime, Path::Frame);
        assert_eq!(f.unwrap().code, Code::BadRequest);
    }

    #[test]
    fn float_text_like_python() {
        assert_eq!(float_from_text(" 1.5 "), Some(1.5));
        assert!(float_from_text("nan").unwrap().is_nan());
        assert_eq!(float_from_text("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(float_from_text("abc"), None);
        assert_eq!(float_from_text(""), None);
    }
}
