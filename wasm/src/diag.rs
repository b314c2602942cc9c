//! The parse-only diagnostics ABI: the parsers alone, without an envelope or a signature,
//! called by the TypeScript fuzz, memory and bench suites through the shipped module (so they
//! exercise exactly what serves requests). The server never calls these three exports; they
//! stay in the release module on purpose, so the suites test the artefact that is deployed.
//!
//! A result record is a boxed byte slice, little-endian:
//! `[ok u32][offset u32][a u32][b u32][message length u32][message UTF-8]`; free it with
//! `parse_check_free`.

use crate::csv::parse_csv;
use crate::json::{count_values, parse, Limits, Value};

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
    let bytes = crate::bytes(ptr, len);
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

/// Parses `len` bytes at `ptr` as CSV under the given limits (the diagnostics ABI above): the record's `a` is the number of rows, `b` the number of columns.
///
/// # Safety
/// `ptr..ptr+len` must be readable memory (any pointer when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn csv_parse_check(
    ptr: *const u8,
    len: usize,
    max_elements: u32,
    max_string_bytes: u32,
) -> *mut u8 {
    let bytes = crate::bytes(ptr, len);
    let limits = Limits {
        max_depth: 1,
        max_elements: max_elements as usize,
        max_string_bytes: max_string_bytes as usize,
    };
    match parse_csv(bytes, &limits) {
        Ok(csv) => check_record(true, 0, csv.rows(), csv.header.len(), ""),
        Err(e) => check_record(false, e.offset, 0, 0, &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
