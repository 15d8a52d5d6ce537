//! Zero-copy windows: external ArrayBuffers whose bytes are the mapping itself. The facade makes
//! each view in JavaScript as `Buffer.from(window, offset, length)`, so a view costs no napi call
//! and no per-view bookkeeping.
//!
//! Each window owns an `Arc<ModelData>` that its finalizer drops, so the bytes stay mapped for as
//! long as anything can reach the window: a view, a typed array over `view.buffer`, an
//! ArrayBuffer that took the backing store by `transfer()`, or Node's own I/O holding one of
//! them. Nothing here ever detaches a window: the garbage collector alone ends it (DESIGN.md,
//! "Views never dangle").

use std::ffi::c_void;
use std::ops::Range;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use modelmap_core::ModelData;
use napi::{sys, Env, Result};

use crate::errors::{js_error, IntoJs, Kind};

/// `buffer.constants.MAX_LENGTH` of the running Node (the facade sets it at load). Creating a
/// longer external buffer fails inside Node after running our finalizer, so check first.
static MAX_VIEW_LENGTH: AtomicU64 = AtomicU64::new(1 << 32);

pub fn set_max_view_length(max: u64) {
    MAX_VIEW_LENGTH.store(max, Ordering::Relaxed);
}

pub fn max_view_length() -> u64 {
    MAX_VIEW_LENGTH.load(Ordering::Relaxed)
}

fn status_error(env: &Env, status: sys::napi_status, what: &str) -> napi::Error {
    if status == sys::Status::napi_no_external_buffers_allowed {
        return js_error(
            env,
            Kind::Error,
            "ERR_MODELMAP_EXTERNAL_BUFFERS_FORBIDDEN",
            "this runtime forbids external buffers (V8 sandbox, e.g. Electron); use the heap backend",
        );
    }
    js_error(
        env,
        Kind::Error,
        "ERR_MODELMAP_NAPI",
        &format!("{what} failed with napi status {status}"),
    )
}

/// Finalizer of a window: gives up the `Arc` that kept the bytes mapped (the last one is dropped
/// on the unmapping thread, see reaper.rs). Cannot panic (dropping the last Arc unmaps, and
/// memmap2 ignores munmap errors).
unsafe extern "C" fn release_window(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<Arc<ModelData>> leaked in `create_window`; Node calls this exactly
    // once, after V8 freed the backing store (whichever ArrayBuffer held it last).
    let share = unsafe { Box::from_raw(hint.cast::<Arc<ModelData>>()) };
    crate::reaper::release(*share);
}

/// An ArrayBuffer over `range` of `model`, without copying.
pub fn create_window(
    env: &Env,
    model: &Arc<ModelData>,
    range: Range<usize>,
) -> Result<sys::napi_value> {
    let raw = env.raw();
    let len = range.len();
    let mut arraybuffer = ptr::null_mut();
    if len == 0 {
        // Nothing to point at: an ordinary empty ArrayBuffer.
        let mut data = ptr::null_mut();
        // SAFETY: valid env and out-pointers.
        let status = unsafe { sys::napi_create_arraybuffer(raw, 0, &mut data, &mut arraybuffer) };
        return if status == sys::Status::napi_ok {
            Ok(arraybuffer)
        } else {
            Err(status_error(env, status, "napi_create_arraybuffer"))
        };
    }
    if len as u64 > max_view_length() {
        return Err(js_error(
            env,
            Kind::Range,
            "ERR_OUT_OF_RANGE",
            &format!(
                "a view of {len} bytes is longer than this runtime's buffer.constants.MAX_LENGTH ({}); take windowed views of at most that size",
                max_view_length()
            ),
        ));
    }
    let base = model.as_ptr().or_throw(env)?;
    // SAFETY: `range` was checked against `model.len()`, so the pointer stays in bounds.
    let data = unsafe { base.add(range.start) };
    let hint = Box::into_raw(Box::new(Arc::clone(model)));
    // SAFETY: `data..data+len` stays mapped while the Arc in `hint` lives, and `release_window`
    // frees the hint when V8 lets go of the backing store.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            raw,
            data.cast(),
            len,
            Some(release_window),
            hint.cast(),
            &mut arraybuffer,
        )
    };
    if status != sys::Status::napi_ok {
        // Whether Node already ran the finalizer on failure differs by cause and version;
        // leaking one Arc is the safe choice over a possible double free. The facade probes
        // for the sandbox case at load and checks lengths first, so this path is unexpected.
        return Err(status_error(
            env,
            status,
            "napi_create_external_arraybuffer",
        ));
    }
    Ok(arraybuffer)
}

/// Whether this runtime lets native code hand out external buffers (Electron's V8 sandbox does
/// not, and napi-rs would silently copy). Probed once by the facade.
pub fn external_buffers_allowed(env: &Env) -> bool {
    static PROBE: [u8; 1] = [0];
    unsafe extern "C" fn no_op(_env: sys::napi_env, _data: *mut c_void, _hint: *mut c_void) {}
    let mut buffer = ptr::null_mut();
    // SAFETY: a static byte that outlives any buffer; the finalizer does nothing. The buffer is
    // never written by us; a write by JS would hit a static, so it is not returned to JS.
    let status = unsafe {
        sys::napi_create_external_buffer(
            env.raw(),
            1,
            PROBE.as_ptr() as *mut c_void,
            Some(no_op),
            ptr::null_mut(),
            &mut buffer,
        )
    };
    status != sys::Status::napi_no_external_buffers_allowed
}
