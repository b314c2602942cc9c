//! mlflow-edge's WebAssembly core: MLflow signature enforcement in one pass over the request.
//!
//! Plain C ABI (no bindings generator). The host:
//! 1. `alloc`s buffers and copies the signature JSON / the request body into them;
//! 2. `compile`s a signature once (a handle comes back), then calls `validate` per request;
//! 3. reads the result record (layout in `output.rs`) at the returned pointer and copies what
//!    it needs out; it releases a `compile` record with `free_result`, while a `validate`
//!    record (in the per-call arena, `arena.rs`, when it fits) stays the core's until the next
//!    validation, so it must be copied out before then.
//!
//! Nothing here panics on input-derived data: every failure is a result record.

mod arena;
mod cells;
mod complex;
mod csv;
mod datetime;
mod decimal;
mod diag;
mod fast;
mod frame;
mod json;
mod jsonout;
mod narrow;
mod output;
mod param_rules;
mod params;
mod problems;
mod scan;
mod schema;
mod tensor;
#[cfg(test)]
mod test_rng;
mod v2;
mod validate;

use narrow::Float32Targets;
use problems::Failure;
use std::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};
use std::cell::{Cell, RefCell};
use validate::Compiled;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: arena::CallArena = arena::CallArena;

thread_local! {
    /// The record of the last `validate`/`validate_v2`, released when the next one starts.
    static LAST_RECORD: Cell<*mut u8> = Cell::new(std::ptr::null_mut());
}

/// Runs one validation with its working allocations in the per-call arena (`arena.rs`; in
/// wasm only) and returns its record. The record stays the core's: the host reads it before
/// its next call, and the next validation releases it (with everything else left in the
/// arena), so the host never frees it.
fn in_arena(call: impl FnOnce() -> Vec<u8>) -> *mut u8 {
    // SAFETY: the previous record came from `leak` and was read by the host by now.
    unsafe { free_result(LAST_RECORD.with(|r| r.replace(std::ptr::null_mut()))) };
    #[cfg(target_arch = "wasm32")]
    // SAFETY: nothing an earlier call left in the arena is in use any more (see above).
    unsafe {
        arena::open();
    }
    let record = leak(call());
    #[cfg(target_arch = "wasm32")]
    arena::close();
    LAST_RECORD.with(|r| r.set(record));
    record
}

/// Drops a call's result once it is encoded; in wasm, when everything the call allocated is in
/// the arena, it is left there for the next call to reclaim instead (no walk over its buffers).
fn done<T>(value: T) {
    #[cfg(target_arch = "wasm32")]
    arena::release(value);
    #[cfg(not(target_arch = "wasm32"))]
    drop(value);
}

/// The version of this ABI (the exports, their arguments and the result records), checked by
/// the host before it uses the module. Bump it with any change the host must follow.
/// 2: `compile` takes the float32 input names (`narrow.rs`); `validate_v2` exists.
/// 3: the compile record lists the signature's input names, and result records name an entry
/// by the index of its input where the signature has its name (`output.rs`).
/// 4: `validate`/`validate_v2` records are released by the core at its next validation, not
/// by the host with `free_result`.
/// 5: a str column without escapes comes as text (repr 3: UTF-8 back to back, offsets, null
/// flags), not as JSON text.
pub const ABI_VERSION: u32 = 5;

/// The ABI version this module speaks ([`ABI_VERSION`]).
#[no_mangle]
pub extern "C" fn abi_version() -> u32 {
    ABI_VERSION
}

/// Alignment of every block handed to the host, so f64/i64 buffers can be viewed in place.
const ALIGN: usize = 8;

/// Allocates `len` bytes in linear memory for the host to fill; returns 0 when out of memory.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    // What the host allocates outlives calls: never from the per-call arena (closed already,
    // unless a call trapped; then the host drops this instance anyway).
    arena::close();
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

thread_local! {
    static SIGNATURES: RefCell<Vec<Option<Compiled>>> = RefCell::new(Vec::new());
}

fn leak(bytes: Vec<u8>) -> *mut u8 {
    let boxed: Box<[u8]> = bytes.into_boxed_slice();
    Box::into_raw(boxed) as *mut u8
}

/// Releases a result record returned by `compile` (the core releases a `validate` record
/// itself, at the next validation).
///
/// # Safety
/// `ptr` must be a result pointer not yet freed.
#[no_mangle]
pub unsafe extern "C" fn free_result(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    let mut len = [0u8; 4];
    std::ptr::copy_nonoverlapping(ptr, len.as_mut_ptr(), 4);
    let len = u32::from_le_bytes(len) as usize;
    drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
}

/// The `len` bytes at `ptr` as a slice (empty for `len == 0`, whatever the pointer): how every
/// ABI entry reads its input.
///
/// # Safety
/// `ptr..ptr+len` must be readable memory that outlives the slice.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

fn text(b: &[u8], what: &str) -> Result<String, Failure> {
    String::from_utf8(b.to_vec())
        .map_err(|_| Failure::invalid(format!("The signature's {} are not UTF-8", what)))
}

/// Compiles a signature. `flags` bit 0: inputs given, bit 1: params given (else null),
/// bit 2: every float64 entry is cast to float32 for the model (a one-input graph whose input
/// is `tensor(float)`), bit 3: `f32` holds a JSON list of the names cast so (a multi-input
/// graph's float inputs). Limits of 0 mean the default.
///
/// # Safety
/// The pointers must address `len` readable bytes (from `alloc`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn compile(
    in_ptr: *const u8,
    in_len: usize,
    params_ptr: *const u8,
    params_len: usize,
    flags: u32,
    max_depth: u32,
    max_elements: u32,
    max_string_bytes: u32,
    max_errors: u32,
    f32_ptr: *const u8,
    f32_len: usize,
) -> *mut u8 {
    arena::close(); // a compiled signature outlives the call (see `alloc`)
    let defaults = json::Limits::default();
    let limits = json::Limits {
        max_depth: if max_depth == 0 {
            defaults.max_depth
        } else {
            max_depth as usize
        },
        max_elements: if max_elements == 0 {
            defaults.max_elements
        } else {
            max_elements as usize
        },
        max_string_bytes: if max_string_bytes == 0 {
            defaults.max_string_bytes
        } else {
            max_string_bytes as usize
        },
    };
    let schema_limits = json::Limits::default();
    let result = (|| -> Result<Compiled, Failure> {
        let inputs = if flags & 1 != 0 {
            Some(text(bytes(in_ptr, in_len), "inputs")?)
        } else {
            None
        };
        let params = if flags & 2 != 0 {
            Some(text(bytes(params_ptr, params_len), "params")?)
        } else {
            None
        };
        let float32_names = if flags & 8 != 0 {
            float32_names(bytes(f32_ptr, f32_len), &schema_limits)?
        } else {
            Vec::new()
        };
        Ok(Compiled {
            float32: Float32Targets::new(flags & 4 != 0, float32_names),
            inputs: schema::parse_inputs(inputs.as_deref(), &schema_limits)?,
            params: schema::parse_params(params.as_deref(), &schema_limits)?,
            limits,
            max_errors: if max_errors == 0 {
                20
            } else {
                max_errors as usize
            },
        })
    })();
    match result {
        Ok(c) => leak(SIGNATURES.with(|s| {
            let mut s = s.borrow_mut();
            let handle = match s.iter().position(|x| x.is_none()) {
                Some(i) => i,
                None => {
                    s.push(None);
                    s.len() - 1
                }
            };
            let record = output::encode_handle(handle as u32, &c.inputs);
            s[handle] = Some(c);
            record
        })),
        Err(f) => leak(output::encode_err(&f, 400)),
    }
}

/// The names of the graph's float32 inputs, from a JSON list of strings.
fn float32_names(b: &[u8], limits: &json::Limits) -> Result<Vec<String>, Failure> {
    let bad = || Failure::invalid("The float32 input names are not a JSON list of strings");
    match json::parse(b, limits).map_err(|_| bad())? {
        json::Value::Array(items) => items
            .iter()
            .map(|x| x.as_str().map(|s| s.to_string()).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

/// Frees a compiled signature.
#[no_mangle]
pub extern "C" fn free_signature(handle: u32) {
    SIGNATURES.with(|s| {
        if let Some(slot) = s.borrow_mut().get_mut(handle as usize) {
            *slot = None;
        }
    });
}

/// Validates a request body. `format` 0 = JSON, 1 = CSV.
///
/// # Safety
/// `body_ptr` must address `body_len` readable bytes (from `alloc`).
#[no_mangle]
pub unsafe extern "C" fn validate(
    handle: u32,
    body_ptr: *const u8,
    body_len: usize,
    format: u32,
) -> *mut u8 {
    in_arena(|| validate_body(handle, bytes(body_ptr, body_len), format))
}

fn validate_body(handle: u32, body: &[u8], format: u32) -> Vec<u8> {
    with_signature(handle, |sig| {
        let v = if format == 1 {
            validate::validate_csv(sig, body)
        } else {
            validate::validate_json(sig, body)
        };
        match v
            .and_then(|v| narrow::check(&v, &sig.inputs, &sig.float32, sig.max_errors).map(|_| v))
        {
            Ok(v) => {
                let record = output::encode_ok_with(&v, &sig.inputs, None);
                done(v);
                record
            }
            Err(f) => output::encode_err(&f, 400),
        }
    })
}

/// The record `call` writes for the compiled signature `handle`, or the refusal of a handle
/// that was freed or never existed.
fn with_signature(handle: u32, call: impl FnOnce(&Compiled) -> Vec<u8>) -> Vec<u8> {
    SIGNATURES.with(
        |s| match s.borrow().get(handle as usize).and_then(|x| x.as_ref()) {
            Some(sig) => call(sig),
            None => output::encode_err(
                &Failure::invalid("The compiled signature was freed or never existed"),
                400,
            ),
        },
    )
}

/// Validates an Open Inference Protocol (V2) inference request: `body[..header_len]` is the
/// JSON header, the rest the binary tensor data (`header_len` 0xFFFFFFFF: all JSON). The ok
/// record is `validate`'s, followed by one str: the answer's instructions (see `v2.rs`).
///
/// # Safety
/// `body_ptr` must address `body_len` readable bytes (from `alloc`).
#[no_mangle]
pub unsafe extern "C" fn validate_v2(
    handle: u32,
    body_ptr: *const u8,
    body_len: usize,
    header_len: u32,
) -> *mut u8 {
    in_arena(|| validate_v2_body(handle, bytes(body_ptr, body_len), header_len))
}

fn validate_v2_body(handle: u32, body: &[u8], header_len: u32) -> Vec<u8> {
    let header = if header_len == u32::MAX {
        body.len()
    } else {
        header_len as usize
    };
    with_signature(handle, |sig| {
        let out = v2::validate_v2(sig, body, header).and_then(|(v, info)| {
            narrow::check(&v, &sig.inputs, &sig.float32, sig.max_errors).map(|_| (v, info))
        });
        match out {
            Ok((v, info)) => {
                let record = output::encode_ok_with(&v, &sig.inputs, Some(&info));
                done(v);
                record
            }
            Err(f) => output::encode_err(&f, 400),
        }
    })
}
