//! Zero-copy windows: JavaScript buffers whose bytes are a core `Window` (a mapping of one range
//! of the file). The facade makes each view in JavaScript as `Buffer.from(window, offset,
//! length)`, so a view costs no napi call and no per-view bookkeeping.
//!
//! Each window owns an `Arc<Window>` that its finalizer drops, so the bytes stay mapped for as
//! long as anything can reach the window: a view, a typed array over `view.buffer`, a worker it
//! was posted to, or Node's own I/O holding one of them. Nothing here ever detaches a window:
//! the garbage collector alone ends it (DESIGN.md, "Views never dangle").
//!
//! # Which JavaScript buffer, and why (measured on Node 20.20 / 22.23 / 24.22, a 2-core VM)
//!
//! **SharedArrayBuffer, where the runtime can make one over external memory** (Node 22.23+,
//! 24.16+, 26; Bun; see shared_memory.rs). V8 accounts a backing store's length as external
//! memory and runs a full mark-compact each time that count jumps past its limit, and a full GC
//! costs the application's whole live heap: with ~330 MB of live objects one 2 GiB ArrayBuffer
//! window cost ~400 ms. Shared backing stores are accounted at length 0 (V8's
//! `BackingStore::PerIsolateAccountingLength`), so a window costs the GC nothing whatever its
//! size. Their finalizer runs when the last holder in *any* isolate is gone (a refcount across
//! threads), so a view posted to a worker, or a worker's view posted back, stays mapped until
//! every thread let go of it, and a worker's exit unmaps nothing another thread reaches. The
//! semantics that come with it: `view.buffer` is a SharedArrayBuffer, `structuredClone` and
//! `postMessage` share a view instead of copying it, and there is no `transfer()`.
//!
//! **External ArrayBuffer elsewhere** (Node 20, Deno), or when asked for. V8 counts it at its
//! length, so the facade keeps these windows small (backends/native.ts). What can go wrong with
//! them, and what is done about it:
//! - `transfer()` detaches the window under every sibling view, and what it returns can be
//!   posted to another thread: the facade shadows `transfer()` on each window with a typed error.
//!   (Node marks external buffers untransferable itself, so postMessage and structuredClone copy
//!   them on Node 20 and refuse them with DataCloneError on 22+.)
//! - Node runs an external buffer's finalizer when the environment that made it is torn down (a
//!   worker's exit), first detaching it, even if its backing store was moved to another isolate
//!   meanwhile (`ArrayBuffer.prototype.transfer.call(window)` gets round the shadow): the
//!   unmapping that followed handed the other thread SIGSEGV or another file's bytes. Node's
//!   buffer cleanup runs before any addon cleanup hook (its "Cleanable" queue, nodejs/node#54880),
//!   so no hook can get in first. Instead the finalizer asks whether the environment can still
//!   run JavaScript (it cannot while torn down) and, where `transfer()` exists, never unmaps a
//!   window whose finalizer runs at teardown (`release_plain`).
//!   Deno frees external backing stores only when V8 does, so the hazard does not arise there,
//!   and the probe must not run there (its finalizers run where no handle scope can be opened).

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use modelmap_core::Window;
use napi::{sys, Env, Result};

use crate::errors::{js_error, Kind};
use crate::shared_memory::create_external_sharedarraybuffer;

/// `buffer.constants.MAX_LENGTH` of the running Node (the facade sets it at load). Creating a
/// longer external buffer fails inside Node after running our finalizer, so check first.
static MAX_VIEW_LENGTH: AtomicU64 = AtomicU64::new(1 << 32);

pub fn set_max_view_length(max: u64) {
    MAX_VIEW_LENGTH.store(max, Ordering::Relaxed);
}

pub fn max_view_length() -> u64 {
    MAX_VIEW_LENGTH.load(Ordering::Relaxed)
}

/// Whether windows can be SharedArrayBuffers in this runtime.
pub fn shared_windows_supported() -> bool {
    create_external_sharedarraybuffer().is_some()
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

/// A JavaScript buffer over `window`, without copying: a SharedArrayBuffer if `shared`, else an
/// ArrayBuffer.
pub fn create_window(env: &Env, window: Arc<Window>, shared: bool) -> Result<sys::napi_value> {
    let raw = env.raw();
    let len = window.len();
    if len == 0 {
        // Nothing to point at: an ordinary empty ArrayBuffer.
        let mut data = ptr::null_mut();
        let mut empty = ptr::null_mut();
        // SAFETY: valid env and out-pointers.
        let status = unsafe { sys::napi_create_arraybuffer(raw, 0, &mut data, &mut empty) };
        return if status == sys::Status::napi_ok {
            Ok(empty)
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
    if shared {
        shared_window(env, window)
    } else {
        plain_window(env, window)
    }
}

/// Finalizer of a shared window, on any thread, once no isolate holds it.
unsafe extern "C" fn release_shared(_data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<Arc<Window>> leaked in `shared_window`; called exactly once.
    let window = unsafe { Box::from_raw(hint.cast::<Arc<Window>>()) };
    crate::reaper::release_window(*window);
}

fn shared_window(env: &Env, window: Arc<Window>) -> Result<sys::napi_value> {
    let Some(create) = create_external_sharedarraybuffer() else {
        return Err(js_error(
            env,
            Kind::Error,
            "ERR_MODELMAP_UNSUPPORTED",
            "this runtime cannot make a SharedArrayBuffer over external memory (node_api_create_external_sharedarraybuffer)",
        ));
    };
    let data = window.as_ptr();
    let len = window.len();
    let hint = Box::into_raw(Box::new(window));
    let mut result = ptr::null_mut();
    // SAFETY: `data..data+len` stays mapped while the Arc in `hint` lives, and `release_shared`
    // frees the hint once the last holder in any isolate let go of the buffer.
    let status = unsafe {
        create(
            env.raw(),
            data.cast(),
            len,
            Some(release_shared),
            hint.cast(),
            &mut result,
        )
    };
    if status != sys::Status::napi_ok {
        // Whether the finalizer already ran on failure is not documented: leaking one Arc is
        // the safe choice over a possible double free. Lengths are checked first.
        return Err(status_error(
            env,
            status,
            "node_api_create_external_sharedarraybuffer",
        ));
    }
    Ok(result)
}

/// Whether an ArrayBuffer window's finalizer must ask the env if it is being torn down before
/// it unmaps. Node runs these finalizers synchronously at an environment's teardown, also for a
/// backing store that `ArrayBuffer.prototype.transfer` moved to another isolate, where it lives
/// on; the probe tells the two apart. It is off where no move is possible (Node 20 without the
/// flag) and under Deno, which calls the finalizer only once V8 freed the backing store (nothing
/// anywhere can read it then) and from a place where no Node-API call may run (the probe's
/// handle scope aborts there). The facade sets it at load.
static TEARDOWN_GUARD: AtomicBool = AtomicBool::new(true);

pub fn set_teardown_guard(on: bool) {
    TEARDOWN_GUARD.store(on, Ordering::Relaxed);
}

/// Whether the env can run JavaScript now: false while Node tears the environment down (it
/// clears `can_call_into_js` before its cleanup), and napi calls that may run JavaScript then
/// return `napi_pending_exception` without doing anything. ToNumber of `undefined` runs no
/// JavaScript in any case, so the probe has no effect of its own.
fn can_run_javascript(env: sys::napi_env) -> bool {
    // SAFETY: called on the env's own thread (a finalizer), inside a handle scope of our own.
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return false;
        }
        let mut undefined = ptr::null_mut();
        let mut number = ptr::null_mut();
        let ok = sys::napi_get_undefined(env, &mut undefined) == sys::Status::napi_ok
            && sys::napi_coerce_to_number(env, undefined, &mut number) == sys::Status::napi_ok;
        sys::napi_close_handle_scope(env, scope);
        ok
    }
}

/// Finalizer of an ArrayBuffer window, on the JavaScript thread that made it: after V8 freed the
/// backing store (then nothing anywhere holds the bytes), or, in Node, synchronously while that
/// thread's environment is torn down — also when the backing store was moved to another isolate
/// by `transfer()` and lives on there. In that second case, where a move was possible, the
/// window stays mapped for good: a bounded leak at a worker's exit, never a dangling view.
unsafe extern "C" fn release_plain(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<Arc<Window>> leaked in `plain_window`; Node calls this exactly
    // once.
    let window = unsafe { Box::from_raw(hint.cast::<Arc<Window>>()) };
    if TEARDOWN_GUARD.load(Ordering::Relaxed) && !can_run_javascript(env) {
        std::mem::forget(window);
    } else {
        crate::reaper::release_window(*window);
    }
}

fn plain_window(env: &Env, window: Arc<Window>) -> Result<sys::napi_value> {
    let raw = env.raw();
    let data = window.as_ptr();
    let len = window.len();
    let hint = Box::into_raw(Box::new(window));
    let mut arraybuffer = ptr::null_mut();
    // SAFETY: `data..data+len` stays mapped while the Arc in `hint` lives, and `release_plain`
    // frees the hint when V8 lets go of the backing store (or at teardown).
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            raw,
            data.cast(),
            len,
            Some(release_plain),
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
