//! The validated request as the host reads it: one little-endian record in wasm memory.
//!
//! ```text
//! u32 total_len, u32 tag (0 = ok, 1 = error)
//! error: u32 status, str code, str message            (str = u32 byte length + UTF-8)
//! compile ok: u32 handle, u32 input count, per input: opt-str name (the signature's names)
//! ok:    u32 kind (0 columns, 1 tensors), u32 format, u32 rows, opt-str params (len 0xFFFFFFFF = null),
//!        u32 entry count, then per entry:
//!        name, u32 dtype code, u32 rank, rank x u32 dims, u32 element count,
//!        u32 repr (0 raw little-endian values, 1 JSON array text, 2 byte strings, 3 text),
//!        raw:   u32 byte length, zero padding to a multiple of 8 from the record start, bytes
//!        json:  str
//!        bytes: u32 data length + data, (count+1) x u32 offsets, count x u8 null flags
//!        text:  a str column without escapes (else it comes as json): u32 data length + the
//!               values' UTF-8 back to back, (count+1) x u32 offsets in UTF-16 code units of
//!               the decoded data (byte offsets when it is ASCII), count x u8 null flags: the
//!               host decodes the data once and cuts it with `substring`
//! name:  an opt-str, or u32 0x80000000 | k: the name of the signature's input k, which the
//!        host has from the compile record (no text to copy or decode for known names)
//! ```

use crate::cells::ColData;
use crate::problems::Failure;
use crate::scan;
use crate::schema::{DType, Inputs};

/// One column or tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The index of the signature input this entry feeds, when `name` is left out (its name):
    /// the fast paths name entries this way, without copying a name per call.
    pub spec: Option<usize>,
    pub name: Option<String>,
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub data: ColData,
}

impl Entry {
    /// The entry's name: its own, or that of the signature input it feeds (`inputs`).
    pub fn name_in<'a>(&'a self, inputs: &'a Inputs) -> Option<&'a str> {
        match self.spec {
            Some(k) if k < spec_count(inputs) => spec_name(inputs, k),
            _ => self.name.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Columns = 0,
    Tensors = 1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Split = 0,
    Records = 1,
    Inputs = 2,
    Instances = 3,
    Csv = 4,
    Llm = 5,
    V2 = 6,
}

/// What the model receives.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub kind: Kind,
    pub format: Format,
    pub rows: usize,
    /// JSON object text, or None for "no parameters".
    pub params: Option<String>,
    pub entries: Vec<Entry>,
}

const NONE: u32 = 0xFFFF_FFFF;
/// Tag of a name given as the index of the signature's input of that name.
const SPEC_NAME: usize = 0x8000_0000;

/// The signature's input names, in order (none without a schema).
fn spec_names(inputs: &Inputs) -> impl Iterator<Item = Option<&str>> {
    (0..spec_count(inputs)).map(move |k| spec_name(inputs, k))
}

/// How many inputs the signature has.
#[inline(always)]
fn spec_count(inputs: &Inputs) -> usize {
    match inputs {
        Inputs::Columns(c) => c.len(),
        Inputs::Tensors(t) => t.len(),
        Inputs::None => 0,
    }
}

/// The name of the signature's input `k` (`k` below [`spec_count`]).
#[inline(always)]
fn spec_name(inputs: &Inputs, k: usize) -> Option<&str> {
    match inputs {
        Inputs::Columns(c) => c[k].name.as_deref(),
        Inputs::Tensors(t) => t[k].name.as_deref(),
        Inputs::None => None,
    }
}

/// Writes a record into a buffer of its computed size (an upper bound): plain stores, no
/// capacity checks or regrowth per field, no zero fill (padding is written as zeros). A wrong
/// size is a failed bounds check (a trap), never a write past the buffer.
struct W {
    buf: Vec<u8>,
    at: usize,
}

impl W {
    fn new(size: usize) -> W {
        W {
            buf: Vec::with_capacity(size),
            at: 0,
        }
    }
    /// The `n` bytes at the write position, in the buffer's capacity.
    #[inline(always)]
    fn room(&mut self, n: usize) -> *mut u8 {
        assert!(n <= self.buf.capacity() - self.at, "result record size");
        // SAFETY: in bounds of the allocation (checked above).
        unsafe { self.buf.as_mut_ptr().add(self.at) }
    }
    #[inline(always)]
    fn u32(&mut self, x: usize) {
        let p = self.room(4);
        // SAFETY: `room` checked the 4 bytes; unaligned store.
        unsafe { (p as *mut [u8; 4]).write_unaligned((x as u32).to_le_bytes()) };
        self.at += 4;
    }
    #[inline(always)]
    fn bytes(&mut self, b: &[u8]) {
        let p = self.room(b.len());
        // SAFETY: `room` checked the length; the source is another allocation.
        unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len()) };
        self.at += b.len();
    }
    /// Exactly `N` bytes (`b.len() == N`), stored as one value.
    #[inline(always)]
    fn fixed<const N: usize>(&mut self, b: &[u8]) {
        let value: [u8; N] = b.try_into().unwrap();
        let p = self.room(N);
        // SAFETY: `room` checked the `N` bytes.
        unsafe { (p as *mut [u8; N]).write_unaligned(value) };
        self.at += N;
    }
    /// Zero bytes up to the next multiple of 8 from the record's start.
    #[inline(always)]
    fn pad8(&mut self) {
        let n = self.at.wrapping_neg() & 7;
        let p = self.room(8);
        // SAFETY: `room` checked 8 bytes (`ok_size` counts 8 per raw buffer for padding; the
        // bytes after the padding are the values, written next).
        unsafe { (p as *mut [u8; 8]).write_unaligned([0; 8]) };
        self.at += n;
    }
    /// Overwrites the u32 at `at`, written before.
    #[inline(always)]
    fn set_u32(&mut self, at: usize, x: usize) {
        assert!(at + 4 <= self.at);
        // SAFETY: written (initialised) bytes of the buffer.
        unsafe {
            (self.buf.as_mut_ptr().add(at) as *mut [u8; 4])
                .write_unaligned((x as u32).to_le_bytes())
        };
    }
    #[inline(always)]
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.bytes(s.as_bytes());
    }
    #[inline(always)]
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.u32(NONE as usize),
        }
    }
    fn finish(mut self) -> Vec<u8> {
        let len = self.at;
        self.set_u32(0, len);
        // SAFETY: every byte below `at` was written (fields, values, zeroed padding).
        unsafe { self.buf.set_len(len) };
        self.buf
    }
}

/// Appends raw little-endian values: `u32 0` (repr), `u32` byte length, zero padding to a
/// multiple of 8 from the record's start (so the host can view them in place in its one copy
/// of the record), the bytes.
#[inline(always)]
fn raw<T: Copy>(w: &mut W, v: &[T], to_le: impl Fn(&T, &mut W)) {
    let size = std::mem::size_of_val(v);
    w.u32(0);
    w.u32(size);
    w.pad8();
    #[cfg(target_endian = "little")]
    {
        let _ = to_le;
        // Plain numbers are already in the host's layout: copy the bytes in one go.
        // SAFETY: the slice covers exactly the initialised elements, read as bytes.
        let bytes = unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, size) };
        // One value of 8, 4 or 1 bytes (a one-row column): a plain store, not a copy call.
        match size {
            8 => w.fixed::<8>(bytes),
            4 => w.fixed::<4>(bytes),
            1 => w.fixed::<1>(bytes),
            _ => w.bytes(bytes),
        }
    }
    #[cfg(not(target_endian = "little"))]
    for x in v {
        to_le(x, w);
    }
}

macro_rules! raw {
    ($w:expr, $v:expr) => {
        raw($w, $v, |x, w| w.bytes(&x.to_le_bytes()))
    };
}

/// Bytes per value of a raw buffer.
fn raw_width(d: &ColData) -> usize {
    match d {
        ColData::Bool(_) | ColData::U8(_) | ColData::I8(_) => 1,
        ColData::I16(_) | ColData::U16(_) | ColData::F16(_) => 2,
        ColData::I32(_) | ColData::U32(_) | ColData::F32(_) => 4,
        ColData::I64(_) | ColData::Datetime(_) | ColData::U64(_) | ColData::F64(_) => 8,
        ColData::Json(..) | ColData::Bytes { .. } => 0,
    }
}

/// The record's size, exactly for everything but the raw values' padding (8 bytes counted,
/// at most 7 used, each): the record is written into one allocation, never regrown.
fn ok_size(v: &Validated, extra: Option<&str>) -> usize {
    let mut n = 28 + v.params.as_ref().map_or(0, |p| p.len()) + extra.map_or(0, |x| 4 + x.len());
    for e in &v.entries {
        n += 24 + e.name.as_ref().map_or(0, |x| x.len()) + 4 * e.shape.len();
        n += match &e.data {
            // A str column may come as text: its UTF-8 (shorter than the JSON), offsets, flags.
            ColData::Json(text, n) if e.dtype == DType::Str => text.len() + 4 + 5 * n,
            ColData::Json(text, _) => text.len(),
            ColData::Bytes {
                data,
                offsets,
                nulls,
            } => 4 + data.len() + 4 * offsets.len() + nulls.len(),
            d => 8 + d.len() * raw_width(d), // padding: `W::pad8` stores 8 bytes
        };
    }
    n
}

/// Encodes a success, every name as text.
#[cfg(test)]
pub fn encode_ok(v: &Validated) -> Vec<u8> {
    encode_ok_with(v, &Inputs::None, None)
}

/// Encodes a success against the signature's `inputs` (names it has are written as its index),
/// followed by one more str (`extra`: the V2 answer's instructions).
pub fn encode_ok_with(v: &Validated, inputs: &Inputs, extra: Option<&str>) -> Vec<u8> {
    let mut w = W::new(ok_size(v, extra));
    w.u32(0);
    w.u32(0);
    w.u32(v.kind as usize);
    w.u32(v.format as usize);
    w.u32(v.rows);
    w.opt_str(v.params.as_deref());
    w.u32(v.entries.len());
    // Entries come in the signature's order (some optional ones missing): one forward walk
    // over its names finds each. A name found nowhere ahead is written as text, and so is
    // every later one (the walk is over): never more than one pass over the names.
    let count = spec_count(inputs);
    let mut next = 0;
    for e in &v.entries {
        if let Some(k) = e.spec.filter(|k| *k < count) {
            // Named by index already (a fast path): no lookup. Indices only grow in an entry
            // list, so the walk for later text names goes on past this one.
            w.u32(SPEC_NAME | k);
            next = next.max(k + 1);
        } else {
            let name = e.name.as_deref();
            let mut known = None;
            if let Some(name) = name {
                while next < count {
                    let k = next;
                    next += 1;
                    if spec_name(inputs, k) == Some(name) {
                        known = Some(k);
                        break;
                    }
                }
            }
            match known {
                Some(k) => w.u32(SPEC_NAME | k),
                None => w.opt_str(name),
            }
        }
        w.u32(e.dtype.code() as usize);
        w.u32(e.shape.len());
        for d in &e.shape {
            w.u32(*d);
        }
        w.u32(e.data.len());
        match &e.data {
            ColData::Bool(x) | ColData::U8(x) => raw!(&mut w, x),
            ColData::I8(x) => raw!(&mut w, x),
            ColData::I16(x) => raw!(&mut w, x),
            ColData::U16(x) | ColData::F16(x) => raw!(&mut w, x),
            ColData::I32(x) => raw!(&mut w, x),
            ColData::U32(x) => raw!(&mut w, x),
            ColData::F32(x) => raw!(&mut w, x),
            ColData::I64(x) | ColData::Datetime(x) => raw!(&mut w, x),
            ColData::U64(x) => raw!(&mut w, x),
            ColData::F64(x) => raw!(&mut w, x),
            ColData::Json(text, n) => {
                if e.dtype != DType::Str || !text_block(&mut w, text, *n) {
                    w.u32(1);
                    w.str(text);
                }
            }
            ColData::Bytes {
                data,
                offsets,
                nulls,
            } => {
                w.u32(2);
                w.u32(data.len());
                w.bytes(data);
                for o in offsets {
                    w.u32(*o as usize);
                }
                w.bytes(nulls);
            }
        }
    }
    if let Some(x) = extra {
        w.str(x);
    }
    w.finish()
}

/// Writes a str column's JSON text (`["a",null]`, as `jsonout` writes it) as repr 3: the
/// strings' UTF-8 back to back, their offsets in UTF-16 code units and null flags, so the host
/// decodes the column with one `TextDecoder` call and cuts it, instead of parsing JSON. Returns false, having
/// written nothing, when a string has an escape (or the text is not that shape): the column
/// then goes as JSON text.
fn text_block(w: &mut W, text: &str, n: usize) -> bool {
    let b = text.as_bytes();
    let start = w.at;
    w.u32(3);
    w.u32(0); // the data length, set below
    let data = w.at;
    let mut offsets: Vec<u32> = Vec::with_capacity(n + 1);
    let mut nulls: Vec<u8> = Vec::with_capacity(n);
    // Offsets in UTF-16 code units (what `substring` takes): bytes, when the text is ASCII.
    let ascii = scan::is_ascii(b);
    let mut units = 0usize;
    let mut i = 1;
    let mut ok = b.first() == Some(&b'[');
    for k in 0..n {
        if !ok {
            break;
        }
        if k > 0 {
            ok = b.get(i) == Some(&b',');
            i += 1;
        }
        offsets.push(units as u32);
        match b.get(i) {
            Some(b'"') => {
                // The first quote, backslash or control byte: a closing quote, or an escape.
                let end = scan::plain_end(b, i + 1);
                ok &= b.get(end) == Some(&b'"');
                if ok {
                    let value = &b[i + 1..end];
                    w.bytes(value);
                    units += if ascii { value.len() } else { utf16_len(value) };
                }
                nulls.push(0);
                i = end + 1;
            }
            Some(b'n') if b[i..].starts_with(b"null") => {
                nulls.push(1);
                i += 4;
            }
            _ => ok = false,
        }
    }
    if !(ok && i + 1 == b.len() && b[i] == b']') {
        w.at = start;
        return false;
    }
    offsets.push(units as u32);
    let len = w.at - data;
    w.set_u32(data - 4, len);
    for o in offsets {
        w.u32(o as usize);
    }
    w.bytes(&nulls);
    true
}

/// UTF-16 code units of UTF-8 text: one per lead byte, two for a four-byte sequence.
fn utf16_len(b: &[u8]) -> usize {
    b.iter()
        .map(|&c| (c & 0xc0 != 0x80) as usize + (c >= 0xf0) as usize)
        .sum()
}

/// Encodes a refusal with its HTTP status.
pub fn encode_err(f: &Failure, status: u32) -> Vec<u8> {
    let mut w = W::new(20 + f.code.as_str().len() + f.message.len());
    w.u32(0);
    w.u32(1);
    w.u32(status as usize);
    w.str(f.code.as_str());
    w.str(&f.message);
    w.finish()
}

/// Encodes a compiled-signature handle and the signature's input names.
pub fn encode_handle(handle: u32, inputs: &Inputs) -> Vec<u8> {
    let size = 16
        + spec_names(inputs)
            .map(|n| 4 + n.map_or(0, str::len))
            .sum::<usize>();
    let mut w = W::new(size);
    w.u32(0);
    w.u32(0);
    w.u32(handle as usize);
    w.u32(spec_names(inputs).count());
    for n in spec_names(inputs) {
        w.opt_str(n);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Limits;
    use crate::schema::parse_inputs;

    fn column(name: &str) -> Entry {
        Entry {
            spec: None,
            name: Some(name.to_string()),
            dtype: DType::F64,
            shape: vec![1],
            data: ColData::F64(vec![1.5]),
        }
    }

    /// The name field of each entry, from the start of the record.
    fn names(record: &[u8]) -> Vec<Result<u32, String>> {
        let word = |at: usize| u32::from_le_bytes(record[at..at + 4].try_into().unwrap());
        let mut at = 24; // header, null params
        let mut out = Vec::new();
        for _ in 0..word(at) {
            at += 4;
            let w = word(at);
            if w >= SPEC_NAME as u32 {
                out.push(Ok(w - SPEC_NAME as u32));
            } else {
                out.push(Err(String::from_utf8(
                    record[at + 4..at + 4 + w as usize].to_vec(),
                )
                .unwrap()));
                at += w as usize;
            }
            at += 4 + 4 + 4 + 4 + 4 + 4 + 4; // dtype, rank, dim, count, repr, byte length
            at = (at + 7) & !7;
            at += 8 - 4; // one float64 (the loop adds the next 4)
        }
        out
    }

    #[test]
    fn names_the_signature_has_are_written_as_their_index() {
        let specs = r#"[{"type": "double", "name": "a"}, {"type": "double", "name": "b", "required": false},
            {"type": "double", "name": "c"}]"#;
        let inputs = parse_inputs(Some(specs), &Limits::default()).unwrap();
        let v = |entries: Vec<Entry>| Validated {
            kind: Kind::Columns,
            format: Format::Split,
            rows: 1,
            params: None,
            entries,
        };
        // In order, an optional one missing.
        let r = encode_ok_with(&v(vec![column("a"), column("c")]), &inputs, None);
        assert_eq!(names(&r), vec![Ok(0), Ok(2)]);
        // Out of order or unknown: text from there on (one pass over the names).
        let r = encode_ok_with(
            &v(vec![column("c"), column("zz"), column("a")]),
            &inputs,
            None,
        );
        assert_eq!(names(&r), vec![Ok(2), Err("zz".into()), Err("a".into())]);
        // Without a schema every name is text; the record length is the total.
        let r = encode_ok_with(&v(vec![column("a")]), &Inputs::None, None);
        assert_eq!(names(&r), vec![Err("a".into())]);
        assert_eq!(
            u32::from_le_bytes(r[0..4].try_into().unwrap()) as usize,
            r.len()
        );
        // The compile record lists the names.
        let h = encode_handle(7, &inputs);
        assert_eq!(&h[8..16], &[7, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&h[16..21], &[1, 0, 0, 0, b'a']);
    }

    /// The values part of the only entry of a record written without names or params.
    fn values_of(record: &[u8]) -> &[u8] {
        // header 24, count, name (opt-str of 1 byte), dtype, rank, dim, count
        &record[28 + 5 + 16..]
    }

    fn str_column(text: &str, n: usize) -> Vec<u8> {
        let v = Validated {
            kind: Kind::Columns,
            format: Format::Split,
            rows: n,
            params: None,
            entries: vec![Entry {
                spec: None,
                name: Some("s".into()),
                dtype: DType::Str,
                shape: vec![n],
                data: ColData::Json(text.into(), n),
            }],
        };
        let r = encode_ok(&v);
        assert_eq!(
            u32::from_le_bytes(r[0..4].try_into().unwrap()) as usize,
            r.len()
        );
        r
    }

    #[test]
    fn str_columns_without_escapes_are_written_as_text() {
        let r = str_column(r#"["ab",null,"","é😀"]"#, 4);
        let mut want = vec![
            3, 0, 0, 0, 8, 0, 0, 0, b'a', b'b', 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80,
        ];
        // Offsets in UTF-16 code units: é is one, the emoji two.
        for o in [0u32, 2, 2, 2, 5] {
            want.extend_from_slice(&o.to_le_bytes());
        }
        want.extend_from_slice(&[0, 1, 0, 0]);
        assert_eq!(values_of(&r), &want[..]);
        let r = str_column("[]", 0);
        assert_eq!(values_of(&r), &[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // An escape, or another shape: the JSON text as it is.
        for (text, n) in [(r#"["a\"b",null]"#, 2), (r#"[1,"a"]"#, 2), (r#"["a"]"#, 2)] {
            let r = str_column(text, n);
            let mut want = vec![1, 0, 0, 0, text.len() as u8, 0, 0, 0];
            want.extend_from_slice(text.as_bytes());
            assert_eq!(values_of(&r), &want[..], "{}", text);
        }
    }
}
