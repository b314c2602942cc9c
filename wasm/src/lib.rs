//! mlflow-edge's WebAssembly core.
//!
//! Provisional module root: the enforcement area owns this file and replaces it with the
//! exported signature/validation ABI. It only declares the parsers and the allocator exports.

pub mod csv;
pub mod json;

use std::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};

/// Alignment of every block handed to the host, so f64/i64 buffers can be viewed in place.
const ALIGN: usize = 8;

/// Allocates `len` bytes in linear memory for the host to fill; returns 0 when out of memory.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    if len == 0 {
        return ALIGN as *mut u8;
    }
    match Layout::from_size_align(len, ALIGN) {
        Ok(layout) => unsafe { raw_alloc(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Frees a block returned by [`alloc`] (same `len`).
///
/// # Safety
/// `ptr` must come from `alloc(len)` and not be freed twice.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    if len == 0 || ptr.is_null() {
        return;
    }
    if let Ok(layout) = Layout::from_size_align(len, ALIGN) {
        raw_dealloc(ptr, layout);
    }
}
