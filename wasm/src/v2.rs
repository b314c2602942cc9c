//! The Open Inference Protocol (KServe V2) inference request as one more envelope.
//!
//! A V2 body is a JSON header (`id`, `parameters`, `inputs`, `outputs`), optionally followed by
//! the binary tensor data extension's raw section (`Inference-Header-Content-Length` says where
//! the header ends; inputs with `parameters.binary_data_size` take their bytes from it in
//! order). Each input is checked against its own declaration (`datatype`, `shape`, the data's
//! element count and every value), then turned into what MLServer's codecs make of it for an
//! MLflow model: a DataFrame column per input for a column signature, a tensor per name for a
//! tensor signature. Those go through the same enforcement as every other envelope
//! (`frame::enforce`, `tensor::build`), so the lossless-or-loud rules are the same ones.

use crate::cells::{ColData, Path};
use crate::frame::{self, Frame, Label, NameIndex};
use crate::json::{self, Num, Value};
use crate::jsonout::{show, show_str, write_str};
use crate::output::{Entry, Format, Kind, Validated};
use crate::params;
use crate::problems::{Code, Failure, Problems};
use crate::schema::{ColSpec, DType, Inputs, Ty};
use crate::tensor;
use crate::validate::Compiled;
use std::borrow::Cow;

/// The V2 tensor datatypes (BF16 has no portable form and is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    Bool,
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F16,
    F32,
    F64,
    Bytes,
}

impl Datatype {
    /// The datatype named `s` (`FP32`), if V2 has it.
    pub fn from_name(s: &str) -> Option<Datatype> {
        Some(match s {
            "BOOL" => Datatype::Bool,
            "UINT8" => Datatype::U8,
            "UINT16" => Datatype::U16,
            "UINT32" => Datatype::U32,
            "UINT64" => Datatype::U64,
            "INT8" => Datatype::I8,
            "INT16" => Datatype::I16,
            "INT32" => Datatype::I32,
            "INT64" => Datatype::I64,
            "FP16" => Datatype::F16,
            "FP32" => Datatype::F32,
            "FP64" => Datatype::F64,
            "BYTES" => Datatype::Bytes,
            _ => return None,
        })
    }

    /// V2's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Datatype::Bool => "BOOL",
            Datatype::U8 => "UINT8",
            Datatype::U16 => "UINT16",
            Datatype::U32 => "UINT32",
            Datatype::U64 => "UINT64",
            Datatype::I8 => "INT8",
            Datatype::I16 => "INT16",
            Datatype::I32 => "INT32",
            Datatype::I64 => "INT64",
            Datatype::F16 => "FP16",
            Datatype::F32 => "FP32",
            Datatype::F64 => "FP64",
            Datatype::Bytes => "BYTES",
        }
    }

    /// Bytes per element in the binary extension (BYTES elements carry their own length).
    pub fn size(self) -> Option<usize> {
        Some(match self {
            Datatype::Bool | Datatype::U8 | Datatype::I8 => 1,
            Datatype::U16 | Datatype::I16 | Datatype::F16 => 2,
            Datatype::U32 | Datatype::I32 | Datatype::F32 => 4,
            Datatype::U64 | Datatype::I64 | Datatype::F64 => 8,
            Datatype::Bytes => return None,
        })
    }

    /// The numpy dtype of a tensor declared with this datatype (no signature to say otherwise).
    pub fn dtype(self) -> DType {
        match self {
            Datatype::Bool => DType::Bool,
            Datatype::U8 => DType::U8,
            Datatype::U16 => DType::U16,
            Datatype::U32 => DType::U32,
            Datatype::U64 => DType::U64,
            Datatype::I8 => DType::I8,
            Datatype::I16 => DType::I16,
            Datatype::I32 => DType::I32,
            Datatype::I64 => DType::I64,
            Datatype::F16 => DType::F16,
            Datatype::F32 => DType::F32,
            Datatype::F64 => DType::F64,
            Datatype::Bytes => DType::Str,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, Datatype::F16 | Datatype::F32 | Datatype::F64)
    }

    /// Whether values of this datatype may fill a buffer of `target`: the same kind of value
    /// (booleans, numbers, text). Integers may fill float buffers (exact or refused by the
    /// cast); floats never fill integer buffers (MLflow refuses that upcast too).
    pub fn fits(self, target: DType) -> bool {
        use DType as D;
        match self {
            Datatype::Bool => target == D::Bool,
            Datatype::Bytes => matches!(target, D::Str | D::Bytes | D::Datetime | D::Object),
            d if d.is_float() => matches!(target, D::F16 | D::F32 | D::F64),
            _ => matches!(
                target,
                D::I8
                    | D::I16
                    | D::I32
                    | D::I64
                    | D::U8
                    | D::U16
                    | D::U32
                    | D::U64
                    | D::F16
                    | D::F32
                    | D::F64
            ),
        }
    }

    /// The datatype MLServer declares for a buffer of `dtype` (for messages).
    pub fn of_dtype(dtype: DType) -> &'static str {
        match dtype {
            DType::Bool => "BOOL",
            DType::I8 => "INT8",
            DType::I16 => "INT16",
            DType::I32 => "INT32",
            DType::I64 => "INT64",
            DType::U8 => "UINT8",
            DType::U16 => "UINT16",
            DType::U32 => "UINT32",
            DType::U64 => "UINT64",
            DType::F16 => "FP16",
            DType::F32 => "FP32",
            DType::F64 => "FP64",
            _ => "BYTES",
        }
    }

    /// Why `v` is not a value of this datatype, if it is not.
    fn refuse(self, v: &Value) -> Option<&'static str> {
        match (self, v) {
            (Datatype::Bool, Value::Bool(_)) => None,
            (Datatype::Bool, _) => Some("not a boolean"),
            (Datatype::Bytes, Value::String(_)) => None,
            (Datatype::Bytes, _) => Some("not a string"),
            // A lexeme without an exponent and under 300 characters is below 10^300: finite
            // and in range as FP64, without converting it here (the casts convert it once).
            (Datatype::F64, Value::Number(n)) if n.text.len() < 300 && !n.has_exponent() => None,
            (d, Value::Number(n)) if d.is_float() => {
                let x = n.as_f64();
                let max = match d {
                    Datatype::F16 => 65504.0,
                    Datatype::F32 => f32::MAX as f64,
                    _ => f64::MAX,
                };
                // A finite lexeme that overflows the declared width (1e39 as FP32) would
                // arrive as infinity.
                let finite_lexeme = n.text.bytes().any(|b| b.is_ascii_digit());
                if finite_lexeme && !(x.abs() <= max) && d != Datatype::F64 {
                    Some("out of the datatype's range")
                } else if finite_lexeme && x.is_infinite() {
                    Some("out of the datatype's range")
                } else {
                    None
                }
            }
            (_, Value::Number(n)) if !n.is_integer => Some("not an integer"),
            (d, Value::Number(n)) => {
                let (lo, hi): (i128, i128) = match d {
                    Datatype::U8 => (0, u8::MAX as i128),
                    Datatype::U16 => (0, u16::MAX as i128),
                    Datatype::U32 => (0, u32::MAX as i128),
                    Datatype::U64 => (0, u64::MAX as i128),
                    Datatype::I8 => (i8::MIN as i128, i8::MAX as i128),
                    Datatype::I16 => (i16::MIN as i128, i16::MAX as i128),
                    Datatype::I32 => (i32::MIN as i128, i32::MAX as i128),
                    _ => (i64::MIN as i128, i64::MAX as i128),
                };
                match n.text.parse::<i128>() {
                    Ok(x) if x >= lo && x <= hi => None,
                    _ => Some("out of the datatype's range"),
                }
            }
            _ => Some("not a number"),
        }
    }
}

/// One input as the header declares it.
struct Declared<'v, 'a> {
    name: &'v str,
    datatype: Datatype,
    shape: Vec<usize>,
    data: Option<&'v Value<'a>>,
    binary: Option<&'v [u8]>,
}

const REQUEST_KEYS: [&str; 4] = ["id", "parameters", "inputs", "outputs"];
const INPUT_KEYS: [&str; 5] = ["name", "shape", "datatype", "parameters", "data"];
/// Request parameters that steer decoding or the answer, not the model's params.
const RESERVED_PARAMS: [&str; 3] = ["content_type", "headers", "binary_data_output"];
const CONTENT_TYPES: [&str; 7] = ["np", "pd", "str", "base64", "datetime", "pd_json", "dict"];

fn members<'v, 'a>(
    v: &'v Value<'a>,
    what: &str,
) -> Result<&'v [(Cow<'a, str>, Value<'a>)], Failure> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(Failure::bad(format!(
            "{} must be a JSON object, got {} {}.",
            what,
            article(other.type_name()),
            other.type_name()
        ))),
    }
}

fn article(t: &str) -> &'static str {
    if t.starts_with(['a', 'o']) {
        "an"
    } else {
        "a"
    }
}

fn unknown_key(members: &[(Cow<str>, Value)], allowed: &[&str], what: &str) -> Result<(), Failure> {
    if let Some((k, _)) = members.iter().find(|(k, _)| !allowed.contains(&k.as_ref())) {
        return Err(Failure::bad(format!(
            "Unknown field {} in {}; expected {}.",
            show_str(k),
            what,
            allowed.join(", ")
        )));
    }
    Ok(())
}

fn shape_text(shape: &[usize]) -> String {
    let d: Vec<String> = shape.iter().map(|x| x.to_string()).collect();
    format!("[{}]", d.join(", "))
}

/// The leaves of `data` (any nesting) in row-major order, at most `limit` of them.
fn flatten<'v, 'a>(v: &'v Value<'a>, out: &mut Vec<&'v Value<'a>>, limit: usize) -> bool {
    match v {
        Value::Array(items) => items.iter().all(|x| flatten(x, out, limit)),
        leaf => {
            out.push(leaf);
            out.len() <= limit
        }
    }
}

/// A boolean or integer parameter of an input or output.
fn flag(p: &[(Cow<str>, Value)], key: &str, who: &str) -> Result<Option<bool>, Failure> {
    match p.iter().find(|(k, _)| k == key).map(|(_, v)| v) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Failure::bad(format!(
            "Parameter \"{}\" of {} must be true or false, got {}.",
            key,
            who,
            show(other)
        ))),
    }
}

fn declare<'v, 'a>(
    v: &'v Value<'a>,
    index: usize,
    binary: &mut &'v [u8],
    max: usize,
) -> Result<Declared<'v, 'a>, Failure> {
    let who = format!("input {}", index);
    let m = members(v, &format!("The {} of the inference request", who))?;
    unknown_key(m, &INPUT_KEYS, &format!("{} of the inference request", who))?;
    let name = match v.get("name") {
        Some(Value::String(s)) => s.as_ref(),
        _ => return Err(Failure::bad(format!("The {} has no \"name\" string.", who))),
    };
    let who = format!("input {}", show_str(name));
    let datatype = match v.get("datatype") {
        Some(Value::String(s)) => Datatype::from_name(s).ok_or_else(|| {
            Failure::bad(format!(
                "The {} has datatype {}, which is not one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES.",
                who,
                show_str(s)
            ))
        })?,
        _ => return Err(Failure::bad(format!("The {} has no \"datatype\" string.", who))),
    };
    let shape = match v.get("shape") {
        Some(Value::Array(dims)) => {
            let mut shape = Vec::with_capacity(dims.len());
            for d in dims {
                match d {
                    Value::Number(n) if n.is_integer => match n.text.parse::<usize>() {
                        Ok(x) => shape.push(x),
                        Err(_) => {
                            return Err(Failure::bad(format!(
                                "The shape of {} must be a list of non-negative integers, got {}.",
                                who,
                                show(v.get("shape").unwrap_or(d))
                            )))
                        }
                    },
                    _ => {
                        return Err(Failure::bad(format!(
                            "The shape of {} must be a list of non-negative integers, got {}.",
                            who,
                            show(v.get("shape").unwrap_or(d))
                        )))
                    }
                }
            }
            shape
        }
        _ => return Err(Failure::bad(format!("The {} has no \"shape\" list.", who))),
    };
    let mut count: usize = 1;
    for d in &shape {
        count = match count.checked_mul(*d) {
            Some(c) if c <= max => c,
            _ => {
                return Err(Failure::bad(format!(
                    "The shape {} of {} has more than {} elements.",
                    shape_text(&shape),
                    who,
                    max
                )))
            }
        };
    }
    let params: &[(Cow<str>, Value)] = match v.get("parameters") {
        None | Some(Value::Null) => &[],
        Some(p) => members(p, &format!("The parameters of {}", who))?,
    };
    if let Some((_, ct)) = params.iter().find(|(k, _)| k == "content_type") {
        match ct {
            Value::String(s) if CONTENT_TYPES.contains(&s.as_ref()) => {}
            other => {
                return Err(Failure::bad(format!(
                    "The content_type of {} is {}; expected one of {}.",
                    who,
                    show(other),
                    CONTENT_TYPES.join(", ")
                )))
            }
        }
    }
    let size = match params.iter().find(|(k, _)| k == "binary_data_size") {
        None => None,
        Some((_, Value::Number(n))) if n.is_integer && n.text.parse::<usize>().is_ok() => {
            n.text.parse::<usize>().ok()
        }
        Some((_, other)) => {
            return Err(Failure::bad(format!(
                "The binary_data_size of {} must be a non-negative integer, got {}.",
                who,
                show(other)
            )))
        }
    };
    let data = v.get("data");
    let (data, bytes) = match (size, data) {
        (Some(_), Some(_)) => {
            return Err(Failure::bad(format!(
                "The {} has both \"data\" and a binary_data_size; send one of them.",
                who
            )))
        }
        (None, None) => {
            return Err(Failure::bad(format!(
                "The {} has no \"data\" (and no binary_data_size).",
                who
            )))
        }
        (None, Some(d)) => (Some(d), None),
        (Some(n), None) => {
            if n > binary.len() {
                return Err(Failure::bad(format!(
                    "The {} has a binary_data_size of {} bytes, but only {} bytes of binary data are left after the JSON header.",
                    who,
                    n,
                    binary.len()
                )));
            }
            let (mine, rest) = binary.split_at(n);
            *binary = rest;
            if let Some(per) = datatype.size() {
                if n != count * per {
                    return Err(Failure::bad(format!(
                        "The {} of shape {} and datatype {} needs {} bytes of binary data, but its binary_data_size is {}.",
                        who,
                        shape_text(&shape),
                        datatype.name(),
                        count * per,
                        n
                    )));
                }
            }
            (None, Some(mine))
        }
    };
    Ok(Declared {
        name,
        datatype,
        shape,
        data,
        binary: bytes,
    })
}

fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        0x1f if frac == 0.0 => sign * f64::INFINITY,
        0x1f => f64::NAN,
        _ => sign * (1.0 + frac / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// The lexeme of a float the way Python's json writes non-finite values.
fn float_lexeme(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Shortest round-trip digits in exponent form: a valid JSON number lexeme.
        let _ = write!(out, "{:e}", x);
    }
}

/// Raw little-endian values as number lexemes (one text, with the range of each).
fn lexemes(d: Datatype, raw: &[u8]) -> (String, Vec<(usize, usize)>) {
    use std::fmt::Write;
    let per = d.size().unwrap_or(1);
    let mut text = String::with_capacity(raw.len() * 3);
    let mut ranges = Vec::with_capacity(raw.len() / per);
    for c in raw.chunks_exact(per) {
        let start = text.len();
        let _ = match d {
            Datatype::U8 => write!(text, "{}", c[0]),
            Datatype::I8 => write!(text, "{}", c[0] as i8),
            Datatype::U16 => write!(text, "{}", u16::from_le_bytes([c[0], c[1]])),
            Datatype::I16 => write!(text, "{}", i16::from_le_bytes([c[0], c[1]])),
            Datatype::U32 => write!(text, "{}", u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            Datatype::I32 => write!(text, "{}", i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            Datatype::U64 => write!(
                text,
                "{}",
                u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
            ),
            Datatype::I64 => write!(
                text,
                "{}",
                i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
            ),
            Datatype::F16 => {
                float_lexeme(&mut text, half_to_f64(u16::from_le_bytes([c[0], c[1]])));
                Ok(())
            }
            Datatype::F32 => {
                float_lexeme(
                    &mut text,
                    f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                );
                Ok(())
            }
            Datatype::F64 => {
                float_lexeme(
                    &mut text,
                    f64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
                );
                Ok(())
            }
            Datatype::Bool | Datatype::Bytes => Ok(()),
        };
        ranges.push((start, text.len()));
    }
    (text, ranges)
}

/// The values of one binary input: numbers borrow their lexemes from `text`.
fn binary_values<'t>(
    d: Datatype,
    raw: &[u8],
    text: &'t str,
    ranges: &[(usize, usize)],
    count: usize,
    who: &str,
) -> Result<Vec<Value<'t>>, Failure> {
    match d {
        Datatype::Bool => raw
            .iter()
            .enumerate()
            .map(|(i, b)| match b {
                0 => Ok(Value::Bool(false)),
                1 => Ok(Value::Bool(true)),
                other => Err(Failure::bad(format!(
                    "The binary data of {} holds byte {} at element {}; BOOL elements are 0 or 1.",
                    who, other, i
                ))),
            })
            .collect(),
        Datatype::Bytes => {
            // Each element: a 4-byte little-endian length, then that many bytes.
            let mut out = Vec::with_capacity(count.min(raw.len() / 4));
            let mut rest = raw;
            while !rest.is_empty() {
                if rest.len() < 4 || out.len() >= count {
                    return Err(Failure::bad(format!(
                        "The binary data of {} is not {} length-prefixed BYTES elements.",
                        who, count
                    )));
                }
                let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if n > rest.len() - 4 {
                    return Err(Failure::bad(format!(
                        "The binary data of {}: element {} claims {} bytes, but only {} remain.",
                        who,
                        out.len(),
                        n,
                        rest.len() - 4
                    )));
                }
                let s = std::str::from_utf8(&rest[4..4 + n]).map_err(|_| {
                    Failure::bad(format!(
                        "The binary data of {}: element {} is not UTF-8 text (send binary columns as base64 text).",
                        who,
                        out.len()
                    ))
                })?;
                out.push(Value::String(Cow::Owned(s.to_string())));
                rest = &rest[4 + n..];
            }
            if out.len() != count {
                return Err(Failure::bad(format!(
                    "The binary data of {} holds {} BYTES elements; its shape needs {}.",
                    who,
                    out.len(),
                    count
                )));
            }
            Ok(out)
        }
        _ => Ok(ranges
            .iter()
            .map(|&(s, e)| {
                let t = &text[s..e];
                Value::Number(Num {
                    text: t,
                    is_integer: !d.is_float(),
                })
            })
            .collect()),
    }
}

/// The column spec the `i`-th V2 input, `name`, meets: by name when the signature names its
/// columns (`by_name`, from [`frame::spec_index`]), else by position, as `frame::plan` matches
/// them.
fn column_spec<'s>(
    specs: &'s [ColSpec],
    by_name: Option<&NameIndex>,
    i: usize,
    name: &str,
) -> Option<&'s ColSpec> {
    match by_name {
        Some(index) => index.find(name).map(|k| &specs[k]),
        None => specs.get(i),
    }
}

/// A binary input's buffer as it is, when `target` is its own dtype and every value passes
/// unchanged (floats finite, booleans 0 or 1); `None` sends it through the casts instead.
fn exact(d: Datatype, target: DType, raw: &[u8]) -> Option<ColData> {
    macro_rules! le {
        ($t:ty, $n:expr) => {
            raw.chunks_exact($n)
                .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n])))
                .collect::<Vec<$t>>()
        };
    }
    Some(match (d, target) {
        (Datatype::Bool, DType::Bool) if raw.iter().all(|b| *b <= 1) => ColData::Bool(raw.to_vec()),
        (Datatype::U8, DType::U8) => ColData::U8(raw.to_vec()),
        (Datatype::I8, DType::I8) => ColData::I8(raw.iter().map(|b| *b as i8).collect()),
        (Datatype::U16, DType::U16) => ColData::U16(le!(u16, 2)),
        (Datatype::I16, DType::I16) => ColData::I16(le!(i16, 2)),
        (Datatype::U32, DType::U32) => ColData::U32(le!(u32, 4)),
        (Datatype::I32, DType::I32) => ColData::I32(le!(i32, 4)),
        (Datatype::U64, DType::U64) => ColData::U64(le!(u64, 8)),
        (Datatype::I64, DType::I64) => ColData::I64(le!(i64, 8)),
        (Datatype::F16, DType::F16) => {
            let v = le!(u16, 2);
            if v.iter().any(|h| h & 0x7c00 == 0x7c00) {
                return None;
            }
            ColData::F16(v)
        }
        (Datatype::F32, DType::F32) => {
            let v = le!(f32, 4);
            if !v.iter().all(|x| x.is_finite()) {
                return None;
            }
            ColData::F32(v)
        }
        (Datatype::F64, DType::F64) => {
            let v = le!(f64, 8);
            if !v.iter().all(|x| x.is_finite()) {
                return None;
            }
            ColData::F64(v)
        }
        _ => return None,
    })
}

/// What the host needs to answer: the id to echo and the outputs asked for.
fn answer_info(doc: &Value, out: &mut String) -> Result<(), Failure> {
    out.push_str("{\"id\":");
    match doc.get("id") {
        None | Some(Value::Null) => out.push_str("null"),
        Some(Value::String(s)) => write_str(out, s),
        Some(other) => {
            return Err(Failure::bad(format!(
                "The inference request's \"id\" must be a string, got {}.",
                show(other)
            )))
        }
    }
    let params: &[(Cow<str>, Value)] = match doc.get("parameters") {
        None | Some(Value::Null) => &[],
        Some(p) => members(p, "The parameters of the inference request")?,
    };
    let all_binary = flag(params, "binary_data_output", "the inference request")?;
    out.push_str(",\"binary_data_output\":");
    out.push_str(if all_binary == Some(true) {
        "true"
    } else {
        "false"
    });
    out.push_str(",\"outputs\":");
    match doc.get("outputs") {
        None | Some(Value::Null) => out.push_str("null"),
        Some(Value::Array(items)) => {
            out.push('[');
            for (i, o) in items.iter().enumerate() {
                let who = format!("requested output {}", i);
                let m = members(o, &format!("The {}", who))?;
                unknown_key(m, &["name", "parameters"], &format!("the {}", who))?;
                let name = match o.get("name") {
                    Some(Value::String(s)) => s,
                    _ => return Err(Failure::bad(format!("The {} has no \"name\" string.", who))),
                };
                let p: &[(Cow<str>, Value)] = match o.get("parameters") {
                    None | Some(Value::Null) => &[],
                    Some(p) => members(p, &format!("The parameters of the {}", who))?,
                };
                let binary = flag(p, "binary_data", &format!("output {}", show_str(name)))?;
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"name\":");
                write_str(out, name);
                out.push_str(",\"binary_data\":");
                out.push_str(match binary {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "null",
                });
                out.push('}');
            }
            out.push(']');
        }
        Some(other) => {
            return Err(Failure::bad(format!(
                "The inference request's \"outputs\" must be a list, got {}.",
                show(other)
            )))
        }
    }
    out.push('}');
    Ok(())
}

/// A V2 inference request (`body[..header_len]` JSON, the rest binary tensor data) against a
/// compiled signature: the validated input plus the answer's instructions as JSON text
/// (`{"id", "binary_data_output", "outputs": [{"name", "binary_data"}] | null}`).
pub fn validate_v2(
    sig: &Compiled,
    body: &[u8],
    header_len: usize,
) -> Result<(Validated, String), Failure> {
    if header_len > body.len() {
        return Err(Failure::bad(format!(
            "Inference-Header-Content-Length is {}, but the body has only {} bytes.",
            header_len,
            body.len()
        )));
    }
    let doc = json::parse(&body[..header_len], &sig.limits).map_err(|e| {
        Failure::bad(format!(
            "The inference request header is not valid JSON: {}",
            e
        ))
    })?;
    let top = members(&doc, "The inference request")?;
    unknown_key(top, &REQUEST_KEYS, "the inference request")?;
    let mut info = String::new();
    answer_info(&doc, &mut info)?;

    let max = sig.limits.max_elements;
    let items = match doc.get("inputs") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            return Err(Failure::bad(
                "The inference request has no \"inputs\" (a non-empty list).",
            ))
        }
    };
    let mut binary = &body[header_len..];
    let mut declared = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        declared.push(declare(v, i, &mut binary, max)?);
    }
    // Sorted, not scanned: no cost quadratic in the number of inputs.
    let by_input = NameIndex::new(declared.iter().map(|d: &Declared| d.name));
    if let Some(j) = by_input.first_duplicate() {
        return Err(Failure::bad(format!(
            "The input {} appears twice in the inference request.",
            show_str(declared[j].name)
        )));
    }
    if !binary.is_empty() {
        return Err(Failure::bad(format!(
            "{} bytes of binary data after the JSON header are not claimed by any input's binary_data_size.",
            binary.len()
        )));
    }

    // Binary data of exactly the tensor's (or the column's) dtype is the buffer itself: the
    // cast is the identity.
    let mut targets: Vec<Option<DType>> = vec![None; declared.len()];
    match &sig.inputs {
        Inputs::Tensors(specs) => {
            if specs.first().map(|s| s.name.is_some()).unwrap_or(false) {
                for spec in specs {
                    if let Some(at) = by_input.find(spec.name.as_deref().unwrap_or("")) {
                        targets[at] = Some(spec.dtype);
                    }
                }
            } else if declared.len() == 1 {
                targets[0] = specs.first().map(|s| s.dtype);
            }
        }
        Inputs::None => {
            for (t, d) in targets.iter_mut().zip(declared.iter()) {
                *t = Some(d.datatype.dtype());
            }
        }
        Inputs::Columns(specs) => {
            // A column input (shape [N] or [N, 1]) goes to the spec of its name, or of its
            // position when the signature is unnamed, as `frame::plan` matches them below.
            let by_spec = frame::spec_index(specs);
            for (i, d) in declared.iter().enumerate() {
                if !matches!(d.shape.as_slice(), [_] | [_, 1]) {
                    continue;
                }
                let spec = column_spec(specs, by_spec.as_ref(), i, d.name);
                if let Some(Ty::Scalar(s)) = spec.map(|s| &s.ty) {
                    targets[i] = Some(s.dtype());
                }
            }
        }
    }
    let mut direct: Vec<Option<ColData>> = declared
        .iter()
        .zip(targets.iter())
        .map(|(d, t)| match (d.binary, t) {
            (Some(raw), Some(t)) => exact(d.datatype, *t, raw),
            _ => None,
        })
        .collect();
    // Other binary numbers become lexemes, so that they meet the same casts as JSON values
    // (no cost where the buffer was taken as it is).
    let texts: Vec<(String, Vec<(usize, usize)>)> = declared
        .iter()
        .zip(direct.iter())
        .map(|(d, x)| match d.binary {
            Some(raw)
                if x.is_none() && d.datatype.size().is_some() && d.datatype != Datatype::Bool =>
            {
                lexemes(d.datatype, raw)
            }
            _ => (String::new(), Vec::new()),
        })
        .collect();
    let mut owned: Vec<Vec<Value>> = Vec::with_capacity(declared.len());
    for ((d, (text, ranges)), x) in declared.iter().zip(texts.iter()).zip(direct.iter()) {
        let count: usize = d.shape.iter().product();
        owned.push(match d.binary {
            Some(_) if x.is_some() => Vec::new(),
            Some(raw) => binary_values(
                d.datatype,
                raw,
                text,
                ranges,
                count,
                &format!("input {}", show_str(d.name)),
            )?,
            None => Vec::new(),
        });
    }
    let mut problems = Problems::new(sig.max_errors);
    let mut leaves: Vec<Vec<&Value>> = Vec::with_capacity(declared.len());
    for (d, values) in declared.iter().zip(owned.iter()) {
        let count: usize = d.shape.iter().product();
        let who = show_str(d.name);
        let mut flat: Vec<&Value> = Vec::with_capacity(count);
        match d.data {
            Some(Value::Array(_)) => {
                let data = d.data.unwrap_or(&Value::Null);
                if !flatten(data, &mut flat, count) || flat.len() != count {
                    let mut all = Vec::new();
                    flatten(data, &mut all, usize::MAX);
                    return Err(Failure::bad(format!(
                        "The input {} has shape {} ({} elements) but {} data values.",
                        who,
                        shape_text(&d.shape),
                        count,
                        all.len()
                    )));
                }
            }
            Some(other) => {
                return Err(Failure::bad(format!(
                    "The \"data\" of input {} must be a list, got {}.",
                    who,
                    show(other)
                )))
            }
            None => flat.extend(values.iter()),
        }
        for (i, v) in flat.iter().enumerate() {
            if let Some(why) = d.datatype.refuse(v) {
                problems.push(
                    Code::BadRequest,
                    format!(
                        "Input {} is declared {}, but its value {} at index {} is {}.",
                        who,
                        d.datatype.name(),
                        show(v),
                        i,
                        why
                    ),
                );
                if problems.full() {
                    break;
                }
            }
        }
        leaves.push(flat);
    }
    if let Some(f) = problems.into_failure() {
        return Err(f);
    }

    let mut problems = Problems::new(sig.max_errors);
    let wrong_type = |d: &Declared, takes: &str, target: DType, what: &str| {
        format!(
            "Input {} has datatype {}, but the model's {} takes {} ({}).",
            show_str(d.name),
            d.datatype.name(),
            what,
            takes,
            Datatype::of_dtype(target)
        )
    };
    let (kind, rows, entries) = match &sig.inputs {
        Inputs::Columns(specs) => {
            // One DataFrame column per input, as MLServer's PandasCodec decodes the request.
            let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
            let mut rows: Option<usize> = None;
            let mut labels = Vec::with_capacity(declared.len());
            let by_spec = frame::spec_index(specs);
            for (i, d) in declared.iter().enumerate() {
                let n = match d.shape.as_slice() {
                    [n] | [n, 1] => *n,
                    _ => {
                        return Err(Failure::bad(format!(
                            "The input {} has shape {}; a column of this model's table takes shape [N] or [N, 1].",
                            show_str(d.name),
                            shape_text(&d.shape)
                        )))
                    }
                };
                if *rows.get_or_insert(n) != n {
                    return Err(Failure::bad(format!(
                        "The input {} has {} rows, but earlier inputs have {}: the columns of a table must have the same length.",
                        show_str(d.name),
                        n,
                        rows.unwrap_or(0)
                    )));
                }
                if let Some(spec) = column_spec(specs, by_spec.as_ref(), i, d.name) {
                    match &spec.ty {
                        Ty::Scalar(s) if !d.datatype.fits(s.dtype()) => problems.push(
                            Code::BadRequest,
                            wrong_type(d, s.name(), s.dtype(), &format!("column {}", show_str(d.name))),
                        ),
                        Ty::Scalar(_) => {}
                        other => problems.push(
                            Code::BadRequest,
                            format!(
                                "Column {} is of type {}, which the V2 inference route does not take; send it to /invocations.",
                                show_str(d.name),
                                other.describe()
                            ),
                        ),
                    }
                }
                labels.push(if named {
                    Label::Name(d.name)
                } else {
                    Label::Pos(i)
                });
            }
            if let Some(f) = problems.into_failure() {
                return Err(f);
            }
            problems = Problems::new(sig.max_errors);
            let rows = rows.unwrap_or(0);
            let fr = Frame::new(labels, leaves, rows);
            let mut ready: Vec<Option<(ColData, DType)>> = direct
                .iter_mut()
                .zip(targets.iter())
                .map(|(x, t)| x.take().zip(*t))
                .collect();
            let entries = frame::enforce_with(specs, &fr, Path::Frame, &mut problems, &mut ready);
            (Kind::Columns, rows, entries)
        }
        Inputs::Tensors(specs) => {
            let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
            let mut entries: Vec<Entry> = Vec::with_capacity(specs.len());
            let mut missing = Vec::new();
            for (k, spec) in specs.iter().enumerate() {
                let at = if named {
                    by_input.find(spec.name.as_deref().unwrap_or(""))
                } else if declared.len() == 1 {
                    Some(0)
                } else {
                    return Err(Failure::bad(format!(
                        "This model takes one unnamed tensor (\"input-{}\"); the request has {} inputs.",
                        k,
                        declared.len()
                    )));
                };
                let at = match at {
                    Some(at) => at,
                    None => {
                        missing.push(format!("'{}'", spec.name.as_deref().unwrap_or("")));
                        continue;
                    }
                };
                let d = &declared[at];
                if !d.datatype.fits(spec.dtype) {
                    problems.push(
                        Code::BadRequest,
                        wrong_type(
                            d,
                            spec.dtype.name(),
                            spec.dtype,
                            &format!("tensor {}", show_str(d.name)),
                        ),
                    );
                    continue;
                }
                let e = match direct[at].take() {
                    Some(data) => Entry {
                        spec: None,
                        name: spec.name.clone(),
                        dtype: spec.dtype,
                        shape: d.shape.clone(),
                        data,
                    },
                    None => tensor::build(
                        spec.name.as_deref(),
                        spec.dtype,
                        d.shape.clone(),
                        &leaves[at],
                        Path::Numpy,
                        &mut problems,
                    ),
                };
                tensor::check_shape(spec, &e.shape, &mut problems);
                entries.push(e);
            }
            if !missing.is_empty() {
                problems.push(
                    Code::InvalidParameterValue,
                    format!("Model is missing inputs [{}].", missing.join(", ")),
                );
            }
            let rows = entries
                .first()
                .and_then(|e| e.shape.first().copied())
                .unwrap_or(0);
            (Kind::Tensors, rows, entries)
        }
        Inputs::None => {
            let entries: Vec<Entry> = declared
                .iter()
                .zip(leaves.iter())
                .zip(direct.iter_mut())
                .map(|((d, l), x)| match x.take() {
                    Some(data) => Entry {
                        spec: None,
                        name: Some(d.name.to_string()),
                        dtype: d.datatype.dtype(),
                        shape: d.shape.clone(),
                        data,
                    },
                    None => tensor::build(
                        Some(d.name),
                        d.datatype.dtype(),
                        d.shape.clone(),
                        l,
                        Path::Numpy,
                        &mut problems,
                    ),
                })
                .collect();
            let rows = entries
                .first()
                .and_then(|e| e.shape.first().copied())
                .unwrap_or(0);
            (Kind::Tensors, rows, entries)
        }
    };
    if let Some(f) = problems.into_failure() {
        return Err(f);
    }
    // Request parameters other than the protocol's own are the model's params (as MLServer
    // passes them to MLflow's predict).
    let given = match doc.get("parameters") {
        Some(Value::Object(m)) => {
            let rest: Vec<(Cow<str>, Value)> = m
                .iter()
                .filter(|(k, _)| !RESERVED_PARAMS.contains(&k.as_ref()))
                .cloned()
                .collect();
            if rest.is_empty() {
                None
            } else {
                Some(Value::Object(rest))
            }
        }
        _ => None,
    };
    let params = params::enforce(sig.params.as_deref(), given.as_ref())?;
    Ok((
        Validated {
            kind,
            format: Format::V2,
            rows,
            params,
            entries,
        },
        info,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::ColData;
    use crate::schema;

    fn sig(inputs: &str) -> Compiled {
        let limits = json::Limits::default();
        Compiled {
            inputs: schema::parse_inputs(Some(inputs), &limits).unwrap(),
            params: None,
            limits,
            max_errors: 20,
            float32: Default::default(),
        }
    }

    fn run(s: &Compiled, body: &str) -> Result<(Validated, String), Failure> {
        validate_v2(s, body.as_bytes(), body.len())
    }

    const COLS: &str = r#"[{"type": "double", "name": "a"}, {"type": "long", "name": "b"}]"#;

    #[test]
    fn columns_become_a_frame() {
        let s = sig(COLS);
        let (v, info) = run(
            &s,
            r#"{"id": "7", "inputs": [
            {"name": "b", "shape": [2, 1], "datatype": "INT64", "data": [[1], [2]]},
            {"name": "a", "shape": [2], "datatype": "FP64", "data": [0.5, 1.5]}]}"#,
        )
        .unwrap();
        assert_eq!(v.kind, Kind::Columns);
        assert_eq!(v.rows, 2);
        assert_eq!(v.entries[0].data, ColData::F64(vec![0.5, 1.5]));
        assert_eq!(v.entries[1].data, ColData::I64(vec![1, 2]));
        assert_eq!(
            info,
            r#"{"id":"7","binary_data_output":false,"outputs":null}"#
        );
    }

    #[test]
    fn refusals_name_the_input() {
        let s = sig(COLS);
        let e = run(
            &s,
            r#"{"inputs": [{"name": "a", "shape": [3], "datatype": "FP64", "data": [1, 2]},
            {"name": "b", "shape": [3], "datatype": "INT64", "data": [1, 2, 3]}]}"#,
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("shape [3] (3 elements) but 2 data values"),
            "{}",
            e.message
        );
        let e = run(
            &s,
            r#"{"inputs": [{"name": "a", "shape": [1], "datatype": "BYTES", "data": ["x"]},
            {"name": "b", "shape": [1], "datatype": "INT64", "data": [1]}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("datatype BYTES"), "{}", e.message);
        let e = run(
            &s,
            r#"{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1]}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("'b'"), "{}", e.message);
        let e = run(
            &s,
            r#"{"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1]},
            {"name": "b", "shape": [1], "datatype": "INT64", "data": [1.5]}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("not an integer"), "{}", e.message);
        let e = run(&s, r#"{"inputz": []}"#).unwrap_err();
        assert!(e.message.contains("Unknown field"), "{}", e.message);
    }

    #[test]
    fn lossy_values_meet_the_same_rule() {
        // 2**31 into an int32 column: the same refusal as dataframe_split.
        let s = sig(r#"[{"type": "integer", "name": "i"}]"#);
        let e = run(&s, r#"{"inputs": [{"name": "i", "shape": [1], "datatype": "INT64", "data": [2147483648]}]}"#)
            .unwrap_err();
        let split = crate::validate::validate_full(
            &s,
            br#"{"dataframe_split": {"columns": ["i"], "data": [[2147483648]]}}"#,
        )
        .unwrap_err();
        assert_eq!(e, split);
    }

    #[test]
    fn tensors_and_binary_data() {
        let s = sig(r#"[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2]}}]"#);
        let (v, _) = run(&s, r#"{"inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "UINT8", "data": [[1, 2], [3, 255]]}]}"#).unwrap();
        assert_eq!(v.kind, Kind::Tensors);
        assert_eq!(v.entries[0].shape, vec![2, 2]);
        assert_eq!(v.entries[0].data, ColData::U8(vec![1, 2, 3, 255]));
        let header = r#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "UINT8", "parameters": {"binary_data_size": 2}}]}"#;
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(&[7, 9]);
        let (v, _) = validate_v2(&s, &body, header.len()).unwrap();
        assert_eq!(v.entries[0].data, ColData::U8(vec![7, 9]));
        body.push(0);
        assert!(validate_v2(&s, &body, header.len()).is_err());
        let e = run(&s, r#"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "UINT8", "data": [1, 2, 3]}]}"#).unwrap_err();
        assert!(
            e.message.contains("does not match expected shape"),
            "{}",
            e.message
        );
    }

    #[test]
    fn binary_floats_and_strings() {
        let s = sig(r#"[{"type": "double", "name": "a"}, {"type": "string", "name": "s"}]"#);
        let header = r#"{"inputs": [{"name": "a", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}, {"name": "s", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": 11}}], "outputs": [{"name": "y", "parameters": {"binary_data": true}}]}"#;
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(&0.1f32.to_le_bytes());
        body.extend_from_slice(&(-2.5f32).to_le_bytes());
        body.extend_from_slice(&[2, 0, 0, 0, b'h', b'i', 1, 0, 0, 0, b'!']);
        let (v, info) = validate_v2(&s, &body, header.len()).unwrap();
        assert_eq!(v.entries[0].data, ColData::F64(vec![0.1f32 as f64, -2.5]));
        assert_eq!(
            info,
            r#"{"id":null,"binary_data_output":false,"outputs":[{"name":"y","binary_data":true}]}"#
        );
    }

    /// Binary column buffers of the column's own dtype are taken as they are; whatever path a
    /// binary input takes, the answer is the one for the same values sent as V2 JSON.
    #[test]
    fn binary_columns_equal_their_json_form() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let named = sig(
            r#"[{"type": "double", "name": "a"}, {"type": "long", "name": "b"}, {"type": "float", "name": "c"}, {"type": "integer", "name": "d"}, {"type": "boolean", "name": "e"}, {"type": "string", "name": "s"}]"#,
        );
        let unnamed = sig(
            r#"[{"type": "double"}, {"type": "long"}, {"type": "float"}, {"type": "integer"}, {"type": "boolean"}, {"type": "string"}]"#,
        );
        let (mut direct_hits, mut ok) = (0, 0);
        for round in 0..3000 {
            let n = (next() % 5) as usize;
            let mut order: Vec<usize> = (0..6).collect();
            let is_named = round % 2 == 0;
            if is_named && next() % 2 == 0 {
                order.reverse();
            }
            let mut json_inputs = Vec::new();
            let mut header_inputs = Vec::new();
            let mut raw: Vec<u8> = Vec::new();
            for &k in &order {
                let name = ["a", "b", "c", "d", "e", "s"][k];
                let shape = if next() % 2 == 0 {
                    format!("[{}]", n)
                } else {
                    format!("[{}, 1]", n)
                };
                if k == 5 {
                    let data: Vec<String> = (0..n).map(|i| format!("\"t{}\"", i)).collect();
                    let input = format!(
                        r#"{{"name": "{}", "shape": {}, "datatype": "BYTES", "data": [{}]}}"#,
                        name,
                        shape,
                        data.join(", ")
                    );
                    json_inputs.push(input.clone());
                    header_inputs.push(input);
                    continue;
                }
                // The column's own datatype (taken as it is) or another that fits (cast).
                let own = next() % 3 != 0;
                let datatype = match (k, own) {
                    (0, true) => Datatype::F64,
                    (0, false) => Datatype::F32,
                    (1, true) => Datatype::I64,
                    (1, false) => Datatype::I32,
                    (2, true) => Datatype::F32,
                    (2, false) => Datatype::F16,
                    (3, true) => Datatype::I32,
                    (3, false) => Datatype::I16,
                    _ => Datatype::Bool,
                };
                let start = raw.len();
                for _ in 0..n {
                    let r = next();
                    let rare = next() % 16 == 0;
                    match datatype {
                        Datatype::F64 => {
                            let v = if rare {
                                [f64::NAN, f64::INFINITY, -0.0, 1e308][(r % 4) as usize]
                            } else {
                                f64::from_bits(r >> 2) * if r & 1 == 0 { 1.0 } else { -1.0 }
                            };
                            raw.extend_from_slice(&v.to_le_bytes());
                        }
                        Datatype::F32 => {
                            let v = if rare {
                                [f32::NAN, f32::NEG_INFINITY, -0.0, 3.4e38][(r % 4) as usize]
                            } else {
                                f32::from_bits((r >> 34) as u32)
                                    * if r & 1 == 0 { 1.0 } else { -1.0 }
                            };
                            raw.extend_from_slice(&v.to_le_bytes());
                        }
                        Datatype::F16 => {
                            raw.extend_from_slice(&((r as u16) & 0x7bff).to_le_bytes())
                        }
                        Datatype::I64 => raw.extend_from_slice(&(r as i64).to_le_bytes()),
                        Datatype::I32 => raw.extend_from_slice(&(r as i32).to_le_bytes()),
                        Datatype::I16 => raw.extend_from_slice(&(r as i16).to_le_bytes()),
                        _ => raw.push((r % 2) as u8),
                    }
                }
                let mine = &raw[start..];
                let (text, ranges) = lexemes(datatype, mine);
                let values: Vec<String> = if datatype == Datatype::Bool {
                    mine.iter().map(|b| (*b == 1).to_string()).collect()
                } else {
                    ranges
                        .iter()
                        .map(|&(a, e)| text[a..e].to_string())
                        .collect()
                };
                json_inputs.push(format!(
                    r#"{{"name": "{}", "shape": {}, "datatype": "{}", "data": [{}]}}"#,
                    name,
                    shape,
                    datatype.name(),
                    values.join(", ")
                ));
                header_inputs.push(format!(
                    r#"{{"name": "{}", "shape": {}, "datatype": "{}", "parameters": {{"binary_data_size": {}}}}}"#,
                    name,
                    shape,
                    datatype.name(),
                    mine.len()
                ));
                if own && n > 0 && is_named {
                    direct_hits += 1;
                }
            }
            let s = if is_named { &named } else { &unnamed };
            let json = format!(r#"{{"inputs": [{}]}}"#, json_inputs.join(", "));
            let header = format!(r#"{{"inputs": [{}]}}"#, header_inputs.join(", "));
            let mut body = header.as_bytes().to_vec();
            body.extend_from_slice(&raw);
            let from_json = run(s, &json);
            let from_binary = validate_v2(s, &body, header.len());
            match (from_json, from_binary) {
                (Ok((j, _)), Ok((b, _))) => {
                    ok += 1;
                    assert_eq!(
                        crate::output::encode_ok(&j),
                        crate::output::encode_ok(&b),
                        "{}",
                        json
                    );
                }
                (Err(j), Err(b)) => assert_eq!(j.message, b.message, "{}", json),
                (j, b) => panic!("{}: json {:?} binary {:?}", json, j.is_ok(), b.is_ok()),
            }
        }
        assert!(direct_hits > 1000 && ok > 500, "{} {}", direct_hits, ok);
    }

    /// FP64 values are refused exactly when their lexeme is finite and overflows, whether or
    /// not the refusal converts them.
    #[test]
    fn fp64_range_needs_no_conversion_for_plain_lexemes() {
        let big = "9".repeat(400);
        let near = format!("{}.5", "9".repeat(298));
        for (text, refused) in [
            ("1.5", false),
            ("-0.0", false),
            ("1e308", false),
            ("1e309", true),
            ("-1E999", true),
            ("NaN", false),
            ("-Infinity", false),
            (big.as_str(), true),
            (near.as_str(), false),
        ] {
            let v = Value::Number(Num {
                text,
                is_integer: !text.contains(['.', 'e', 'E']),
            });
            assert_eq!(Datatype::F64.refuse(&v).is_some(), refused, "{}", text);
        }
    }

    #[test]
    fn fp32_overflow_is_loud() {
        let s = sig(r#"[{"type": "double", "name": "a"}]"#);
        let e = run(
            &s,
            r#"{"inputs": [{"name": "a", "shape": [1], "datatype": "FP32", "data": [1e39]}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("range"), "{}", e.message);
    }

    #[test]
    fn named_tensors_unnamed_columns_and_no_signature() {
        let s = sig(
            r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "x"}, {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "k"}]"#,
        );
        let (v, _) = run(
            &s,
            r#"{"inputs": [{"name": "k", "shape": [1], "datatype": "INT32", "data": [3]},
            {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [0.5, 2]}]}"#,
        )
        .unwrap();
        assert_eq!(v.entries[0].name.as_deref(), Some("x"));
        assert_eq!(v.entries[0].data, ColData::F32(vec![0.5, 2.0]));
        assert_eq!(v.entries[1].data, ColData::I64(vec![3]));
        let e = run(
            &s,
            r#"{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [0.5, 2]}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.message, "Model is missing inputs ['k'].");

        let s = sig(r#"[{"type": "long"}, {"type": "string"}]"#);
        let (v, _) = run(
            &s,
            r#"{"inputs": [{"name": "input-0", "shape": [2], "datatype": "INT64", "data": [1, 2]},
            {"name": "input-1", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}"#,
        )
        .unwrap();
        assert_eq!(v.entries[0].data, ColData::I64(vec![1, 2]));
        assert_eq!(v.entries[1].dtype, DType::Str);

        let s = Compiled {
            inputs: Inputs::None,
            params: None,
            limits: json::Limits::default(),
            max_errors: 20,
            float32: Default::default(),
        };
        let (v, _) = run(&s, r#"{"inputs": [{"name": "t", "shape": [2, 2], "datatype": "INT16", "data": [[1, 2], [3, -4]]}]}"#).unwrap();
        assert_eq!(v.kind, Kind::Tensors);
        assert_eq!(v.entries[0].data, ColData::I16(vec![1, 2, 3, -4]));
        assert_eq!(v.rows, 2);
    }

    #[test]
    fn request_parameters_are_the_models_params() {
        let limits = json::Limits::default();
        let s = Compiled {
            inputs: schema::parse_inputs(Some(r#"[{"type": "double", "name": "a"}]"#), &limits)
                .unwrap(),
            params: schema::parse_params(
                Some(r#"[{"name": "k", "type": "long", "default": 1, "shape": null}]"#),
                &limits,
            )
            .unwrap(),
            limits,
            max_errors: 20,
            float32: Default::default(),
        };
        let body = |p: &str| {
            format!(
                r#"{{"parameters": {}, "inputs": [{{"name": "a", "shape": [1], "datatype": "FP64", "data": [1]}}]}}"#,
                p
            )
        };
        let (v, _) = run(
            &s,
            &body(r#"{"k": 5, "content_type": "pd", "binary_data_output": false}"#),
        )
        .unwrap();
        assert_eq!(v.params.as_deref(), Some(r#"{"k":5}"#));
        let (v, _) = run(&s, &body("{}")).unwrap();
        assert_eq!(v.params.as_deref(), Some(r#"{"k":1}"#));
        assert!(run(&s, &body(r#"{"k": "x"}"#)).is_err());
    }

    #[test]
    fn binary_edge_cases() {
        let s = sig(r#"[{"type": "boolean", "name": "b"}]"#);
        let header = r#"{"inputs": [{"name": "b", "shape": [3], "datatype": "BOOL", "parameters": {"binary_data_size": 3}}]}"#;
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(&[1, 0, 1]);
        let (v, _) = validate_v2(&s, &body, header.len()).unwrap();
        assert_eq!(v.entries[0].data, ColData::Bool(vec![1, 0, 1]));
        let last = body.len() - 1;
        body[last] = 2;
        let e = validate_v2(&s, &body, header.len()).unwrap_err();
        assert!(
            e.message.contains("BOOL elements are 0 or 1"),
            "{}",
            e.message
        );
        // A BYTES element claiming more bytes than remain.
        let s = sig(r#"[{"type": "string", "name": "s"}]"#);
        let header = r#"{"inputs": [{"name": "s", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 6}}]}"#;
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(&[9, 0, 0, 0, b'h', b'i']);
        let e = validate_v2(&s, &body, header.len()).unwrap_err();
        assert!(e.message.contains("claims 9 bytes"), "{}", e.message);
        // A header length beyond the body.
        assert!(validate_v2(&s, header.as_bytes(), header.len() + 1).is_err());
        // Shapes whose product overflows are refused before anything is allocated.
        let e = run(&s, r#"{"inputs": [{"name": "s", "shape": [4294967296, 4294967296, 4294967296], "datatype": "BYTES", "data": []}]}"#).unwrap_err();
        assert!(e.message.contains("more than"), "{}", e.message);
    }

    #[test]
    fn binary_of_the_tensors_own_dtype_equals_its_json_form() {
        let s =
            sig(r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]"#);
        let vals = [0.1f32, -2.5, 3.4e38, 1e-45, 0.0, 7.0];
        let json = format!(
            r#"{{"inputs": [{{"name": "input-0", "shape": [2, 3], "datatype": "FP32", "data": [{}]}}]}}"#,
            vals.iter()
                .map(|v| format!("{:e}", *v as f64))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let (from_json, _) = run(&s, &json).unwrap();
        let header = r#"{"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}}]}"#;
        let mut body = header.as_bytes().to_vec();
        for v in vals {
            body.extend_from_slice(&v.to_le_bytes());
        }
        let (from_binary, _) = validate_v2(&s, &body, header.len()).unwrap();
        assert_eq!(from_binary.entries, from_json.entries);
        assert_eq!(from_binary.entries[0].data, ColData::F32(vals.to_vec()));
        // A NaN takes the casts' path, which has the same answer for it.
        let at = header.len() + 4;
        body[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        let (v, _) = validate_v2(&s, &body, header.len()).unwrap();
        match &v.entries[0].data {
            ColData::F32(x) => assert!(x[1].is_nan() && x[0] == 0.1),
            other => panic!("{:?}", other),
        }
        // The shape is still checked against the spec.
        let header = r#"{"inputs": [{"name": "input-0", "shape": [3, 2], "datatype": "FP32", "parameters": {"binary_data_size": 24}}]}"#;
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(&[0u8; 24]);
        let e = validate_v2(&s, &body, header.len()).unwrap_err();
        assert!(
            e.message.contains("does not match expected shape"),
            "{}",
            e.message
        );
    }
}
