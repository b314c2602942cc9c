//! A per-call arena in front of the system allocator (dlmalloc in wasm).
//!
//! Everything a `validate` call allocates is dropped before it returns, except its result
//! record, which the host copies out before its next call into the core. So while a call runs,
//! allocations are bumped out of a fixed region, freeing them is a no-op, and the next call
//! starts the region over: a one-row body then costs no `malloc`/`free` pair per column, name
//! and buffer. Allocations that do not fit (large bodies) go to the system allocator as before,
//! and outside a call (`alloc` from the host, `compile`) the arena is not used at all, so what
//! outlives a call never lives in it.
//!
//! Single-threaded by construction (wasm32 without threads): the state is plain statics.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Size of the region: enough for a result record and the working buffers of small bodies.
const REGION_BYTES: usize = 64 * 1024;

#[repr(C, align(16))]
struct Region([u8; REGION_BYTES]);

static mut REGION: Region = Region([0; REGION_BYTES]);
/// Offset of the first free byte in the region.
static mut TOP: usize = 0;
/// Offset of the most recent allocation (so it can grow or shrink in place).
static mut LAST: usize = usize::MAX;
/// Whether allocations go to the region (only during a call that opened it). Atomic only so
/// that `close` is safe to call from anywhere (in wasm32 it is a plain load and store).
static OPEN: AtomicBool = AtomicBool::new(false);
/// Whether the open call has allocated anything outside the region.
static mut SPILLED: bool = false;

/// The allocator the crate uses in wasm: the region while a call has it open, else `System`.
pub struct CallArena;

#[inline(always)]
fn base() -> usize {
    // SAFETY: only the address is taken.
    unsafe { std::ptr::addr_of!(REGION) as usize }
}

#[inline(always)]
fn owns(ptr: *mut u8) -> bool {
    (ptr as usize).wrapping_sub(base()) < REGION_BYTES
}

/// Starts a call: the region is empty again (whatever the previous call left there, its result
/// record included, is dead by now) and takes this call's allocations.
///
/// # Safety
/// Nothing allocated in the region by an earlier call may still be in use.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub unsafe fn open() {
    TOP = 0;
    LAST = usize::MAX;
    SPILLED = false;
    OPEN.store(true, Relaxed);
}

/// Ends a call's use of the region: later allocations go to `System`. What the call left in
/// the region (its result record) stays readable until the next [`open`].
pub fn close() {
    OPEN.store(false, Relaxed);
}

/// Drops `value`, a result of the open call: when everything the call allocated is in the
/// region, it is simply left there (the next [`open`] reclaims it) rather than walked and
/// freed block by block.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn release<T>(value: T) {
    // SAFETY: single-threaded; a plain read.
    if OPEN.load(Relaxed) && unsafe { !SPILLED } {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

#[inline(always)]
unsafe fn bump(layout: Layout) -> *mut u8 {
    let start = (TOP + layout.align() - 1) & !(layout.align() - 1);
    match start.checked_add(layout.size()) {
        Some(end) if end <= REGION_BYTES && layout.align() <= 16 => {
            TOP = end;
            LAST = start;
            (base() + start) as *mut u8
        }
        _ => std::ptr::null_mut(),
    }
}

unsafe impl GlobalAlloc for CallArena {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if OPEN.load(Relaxed) {
            let p = bump(layout);
            if !p.is_null() {
                return p;
            }
            SPILLED = true;
        }
        System.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if OPEN.load(Relaxed) {
            let p = bump(layout);
            if !p.is_null() {
                std::ptr::write_bytes(p, 0, layout.size()); // the region holds earlier calls' bytes
                return p;
            }
            SPILLED = true;
        }
        System.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if owns(ptr) {
            // The most recent block gives its bytes back; any other waits for the next call.
            if ptr as usize - base() == LAST {
                TOP = LAST;
                LAST = usize::MAX;
            }
            return;
        }
        System.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !owns(ptr) {
            return System.realloc(ptr, layout, new_size);
        }
        let at = ptr as usize - base();
        if at == LAST && at + new_size <= REGION_BYTES {
            TOP = at + new_size; // the most recent block grows or shrinks in place
            return ptr;
        }
        if new_size <= layout.size() {
            return ptr; // shrinking elsewhere: keep the block
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let q = self.alloc(new_layout);
        if !q.is_null() {
            std::ptr::copy_nonoverlapping(ptr, q, layout.size());
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test owns the arena's statics (the crate's tests run on several threads).
    #[test]
    fn bumps_within_a_call_and_falls_back_outside_it() {
        let a = CallArena;
        unsafe {
            let l8 = Layout::from_size_align(24, 8).unwrap();
            open();
            let p = a.alloc(l8);
            assert!(owns(p) && p as usize % 8 == 0);
            std::ptr::write_bytes(p, 7, 24);
            let q = a.alloc(Layout::from_size_align(3, 1).unwrap());
            assert!(owns(q) && q != p);
            // The most recent block grows in place; an older one moves, its bytes with it.
            assert_eq!(a.realloc(q, Layout::from_size_align(3, 1).unwrap(), 40), q);
            let p2 = a.realloc(p, l8, 64);
            assert!(owns(p2) && p2 != p);
            assert_eq!(std::slice::from_raw_parts(p2, 24), &[7u8; 24][..]);
            // Zeroed blocks are zeroed even where an earlier block wrote.
            a.dealloc(p2, Layout::from_size_align(64, 8).unwrap());
            let z = a.alloc_zeroed(Layout::from_size_align(64, 16).unwrap());
            assert!(owns(z) && z as usize % 16 == 0);
            assert!(std::slice::from_raw_parts(z, 64).iter().all(|b| *b == 0));
            // Larger than what is left: the system allocator.
            let big = Layout::from_size_align(REGION_BYTES, 8).unwrap();
            assert!(!SPILLED);
            let b = a.alloc(big);
            assert!(!b.is_null() && !owns(b));
            assert!(SPILLED); // so a result of this call is dropped, not left to the next one
            a.dealloc(b, big);
            close();
            // Outside a call nothing comes from the region; a new call starts it over.
            let s = a.alloc(l8);
            assert!(!s.is_null() && !owns(s));
            a.dealloc(s, l8);
            open();
            assert_eq!(a.alloc(l8), base() as *mut u8);
            close();
        }
    }
}
