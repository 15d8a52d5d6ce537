//! Zero-copy views: Node Buffers whose bytes are the mapping itself.
//!
//! Each view owns an `Arc<ModelData>` (released by its finalizer), so the bytes stay mapped for as
//! long as JavaScript can reach the view, even after the `ModelData` object is collected. Each
//! view's ArrayBuffer is also remembered through a weak reference, so `close()` can detach every
//! view still alive: detached views read as length 0 instead of pointing at released memory.

use std::cell::Cell;
use std::ffi::c_void;
use std::ops::Range;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use modelmap_core::ModelData;
use napi::{sys, Env, Result};

use crate::errors::{js_error, Kind};

/// `buffer.constants.MAX_LENGTH` of the running Node (the facade sets it at load). Creating a
/// longer external buffer fails inside Node after running our finalizer, so check first.
static MAX_VIEW_LENGTH: AtomicU64 = AtomicU64::new(1 << 32);

pub fn set_max_view_length(max: u64) {
    MAX_VIEW_LENGTH.store(max, Ordering::Relaxed);
}

pub fn max_view_length() -> u64 {
    MAX_VIEW_LENGTH.load(Ordering::Relaxed)
}

/// The weak references to every view's ArrayBuffer handed out by one handle.
#[derive(Default)]
pub struct ViewRefs {
    refs: Vec<sys::napi_ref>,
    /// Views released since the last prune, counted by their finalizers (which run on the JS
    /// thread, hence `Rc`), so dead references are dropped as soon as they are a large share.
    released: Rc<Cell<usize>>,
}

/// What each view's finalizer owns.
struct ViewHint {
    /// Keeps the bytes mapped while the view exists.
    _model: Arc<ModelData>,
    released: Rc<Cell<usize>>,
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

unsafe extern "C" fn release_view(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<ViewHint> leaked in `create`; Node calls this exactly once, on
    // the JS thread that created the view.
    let hint = unsafe { Box::from_raw(hint.cast::<ViewHint>()) };
    hint.released.set(hint.released.get() + 1);
}

impl ViewRefs {
    /// A Buffer over `range` of `model`, without copying.
    pub fn create(
        &mut self,
        env: &Env,
        model: &Arc<ModelData>,
        range: Range<usize>,
    ) -> Result<sys::napi_value> {
        let raw = env.raw();
        let len = range.len();
        let mut buffer = ptr::null_mut();
        if len == 0 {
            // Nothing to point at; an ordinary empty Buffer behaves the same as a detached view.
            let mut data = ptr::null_mut();
            // SAFETY: valid env and out-pointers.
            let status = unsafe { sys::napi_create_buffer(raw, 0, &mut data, &mut buffer) };
            return if status == sys::Status::napi_ok {
                Ok(buffer)
            } else {
                Err(status_error(env, status, "napi_create_buffer"))
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
        // SAFETY: `range` was checked against `model.len()`, so the pointer stays in bounds.
        let data = unsafe { model.as_ptr().add(range.start) };
        let hint = Box::into_raw(Box::new(ViewHint {
            _model: Arc::clone(model),
            released: Rc::clone(&self.released),
        }));
        // SAFETY: `data..data+len` stays mapped while the Arc in `hint` lives, and `release_view`
        // frees the hint when V8 lets go of the buffer.
        let status = unsafe {
            sys::napi_create_external_buffer(
                raw,
                len,
                data.cast(),
                Some(release_view),
                hint.cast(),
                &mut buffer,
            )
        };
        if status != sys::Status::napi_ok {
            // Whether Node already ran the finalizer on failure differs by cause and version;
            // leaking one Arc is the safe choice over a possible double free. The facade probes
            // for the sandbox case at load, so this path is for the unexpected.
            return Err(status_error(env, status, "napi_create_external_buffer"));
        }
        self.remember(env, buffer)?;
        Ok(buffer)
    }

    fn remember(&mut self, env: &Env, buffer: sys::napi_value) -> Result<()> {
        let raw = env.raw();
        let mut arraybuffer = ptr::null_mut();
        let mut kind = 0;
        let mut length = 0;
        let mut data = ptr::null_mut();
        let mut offset = 0;
        // SAFETY: `buffer` is the Uint8Array just created; all out-pointers are valid.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                raw,
                buffer,
                &mut kind,
                &mut length,
                &mut data,
                &mut arraybuffer,
                &mut offset,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(status_error(env, status, "napi_get_typedarray_info"));
        }
        let mut reference = ptr::null_mut();
        // SAFETY: a weak (count 0) reference to a live object of this env.
        let status = unsafe { sys::napi_create_reference(raw, arraybuffer, 0, &mut reference) };
        if status != sys::Status::napi_ok {
            return Err(status_error(env, status, "napi_create_reference"));
        }
        self.refs.push(reference);
        let released = self.released.get();
        if released >= 64 && released * 2 >= self.refs.len() {
            self.released.set(0);
            self.prune(env);
        }
        Ok(())
    }

    /// The ArrayBuffer behind a reference, or None once it was collected.
    fn resolve(env: &Env, reference: sys::napi_ref) -> Option<sys::napi_value> {
        let mut value = ptr::null_mut();
        // SAFETY: `reference` is a live reference of this env.
        let status = unsafe { sys::napi_get_reference_value(env.raw(), reference, &mut value) };
        (status == sys::Status::napi_ok && !value.is_null()).then_some(value)
    }

    fn delete(env: &Env, reference: sys::napi_ref) {
        // SAFETY: each reference is deleted exactly once (it is removed from `refs` with it).
        unsafe { sys::napi_delete_reference(env.raw(), reference) };
    }

    /// Forgets references whose ArrayBuffer was garbage-collected.
    fn prune(&mut self, env: &Env) {
        self.refs.retain(|&reference| {
            let alive = Self::resolve(env, reference).is_some();
            if !alive {
                Self::delete(env, reference);
            }
            alive
        });
    }

    /// Detaches every live view (they read as length 0 from now on) and forgets them all.
    pub fn detach_all(&mut self, env: &Env) {
        for reference in self.refs.drain(..) {
            if let Some(arraybuffer) = Self::resolve(env, reference) {
                // SAFETY: `arraybuffer` is a live external ArrayBuffer of this env. Detaching
                // twice, or one already detached by the user, is harmless.
                unsafe { sys::napi_detach_arraybuffer(env.raw(), arraybuffer) };
            }
            Self::delete(env, reference);
        }
    }

    /// Forgets every reference without touching the views (the handle is being collected;
    /// views keep the mapping alive through their own Arc).
    pub fn forget_all(&mut self, env: &Env) {
        for reference in self.refs.drain(..) {
            Self::delete(env, reference);
        }
    }

    pub fn tracked(&self) -> usize {
        self.refs.len()
    }
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
