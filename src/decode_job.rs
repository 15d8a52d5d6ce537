//! The decode job: the `modelmap-quants` kernels over a window of a mapping, on the libuv pool,
//! on several threads, with progress and cancellation as prefetch has them. It reads the file
//! through a `Window` it holds itself and writes into memory it owns or into a
//! SharedArrayBuffer it keeps alive (the rules are in decode.rs).

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use modelmap_core::{ModelData, Progress, Window};
use modelmap_quants::{Dtype, Error as DecodeError};
use napi::bindgen_prelude::*;
use napi::{sys, Env, Task};

use crate::args::invalid_arg;
use crate::decode::{decode_error, out_at, run, run_job, JsValues, OutKind, Owned};
use crate::errors::from_core;

/// Where a decode job writes.
enum Target {
    Owned(Owned),
    /// A SharedArrayBuffer's memory, kept alive by the reference until the job ends.
    Shared {
        data: *mut u8,
        reference: sys::napi_ref,
    },
}

// SAFETY: the raw pointer is into a SharedArrayBuffer whose backing store the napi reference
// keeps alive for the whole job; SharedArrayBuffer memory may be written from any thread.
unsafe impl Send for Target {}

pub struct DecodeTask {
    model: Arc<ModelData>,
    offset: u64,
    length: u64,
    elements: usize,
    dtype: Dtype,
    kind: OutKind,
    little_endian: bool,
    threads: u32,
    progress: Arc<Progress>,
    target: Option<Target>,
    window: Option<Arc<Window>>,
    failure: Option<DecodeError>,
}

pub struct DecodeRequest {
    pub dtype: Dtype,
    pub offset: u64,
    pub length: u64,
    pub elements: usize,
    pub kind: OutKind,
    pub little_endian: bool,
    pub threads: u32,
}

impl DecodeTask {
    /// A job over `request.length` bytes at `request.offset` of `model`, writing into `target`
    /// (a typed array over a SharedArrayBuffer) or into new memory.
    pub fn new(
        env: &Env,
        model: Arc<ModelData>,
        request: DecodeRequest,
        progress: Arc<Progress>,
        target: Option<Unknown<'_>>,
    ) -> Result<DecodeTask> {
        modelmap_quants::expected_bytes(request.dtype, request.elements)
            .map_err(|e| decode_error(env, &e))?;
        // Mapped now, on this thread, so a closed handle or a truncated file is an error here.
        let window = model
            .window(request.offset, Some(request.length))
            .map_err(|e| from_core(env, &e))?;
        let target = match target {
            Some(value) => shared_target(env, value, request.elements * request.kind.width())?,
            None => Target::Owned(Owned::new(env, request.kind, request.elements)?),
        };
        Ok(DecodeTask {
            model,
            offset: request.offset,
            length: request.length,
            elements: request.elements,
            dtype: request.dtype,
            kind: request.kind,
            little_endian: request.little_endian,
            threads: request.threads,
            progress,
            target: Some(target),
            window: Some(window),
            failure: None,
        })
    }
}

/// The memory of a typed array over a SharedArrayBuffer, with a reference that keeps it alive.
/// Anything else is refused: an ArrayBuffer can be detached (and its memory freed) while the
/// job writes.
fn shared_target(env: &Env, value: Unknown<'_>, bytes: usize) -> Result<Target> {
    let raw = env.raw();
    let mut kind = 0;
    let mut length = 0usize;
    let mut data = ptr::null_mut::<c_void>();
    let mut buffer = ptr::null_mut();
    let mut offset = 0usize;
    // SAFETY: valid env and value; out-pointers are locals.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            raw,
            value.raw(),
            &mut kind,
            &mut length,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(invalid_arg(env, "the decode target must be a typed array"));
    }
    let mut plain = true;
    // SAFETY: `buffer` is the typed array's buffer, a live value of this env.
    let status = unsafe { sys::napi_is_arraybuffer(raw, buffer, &mut plain) };
    if status != sys::Status::napi_ok || plain {
        return Err(invalid_arg(env, "a decode job writes only into a SharedArrayBuffer's memory (an ArrayBuffer could be detached meanwhile)"));
    }
    // A Uint8Array's element count is its byte length.
    if kind != sys::TypedarrayType::uint8_array || length != bytes {
        return Err(invalid_arg(
            env,
            "the decode target must be a Uint8Array over exactly the output's bytes",
        ));
    }
    let mut reference = ptr::null_mut();
    // SAFETY: a strong reference to the typed array keeps it and its SharedArrayBuffer alive.
    let status = unsafe { sys::napi_create_reference(raw, value.raw(), 1, &mut reference) };
    if status != sys::Status::napi_ok {
        return Err(invalid_arg(env, "could not hold the decode target"));
    }
    Ok(Target::Shared {
        data: data.cast(),
        reference,
    })
}

impl Task for DecodeTask {
    type Output = ();
    type JsValue = JsValues;

    fn compute(&mut self) -> Result<()> {
        let Some(window) = self.window.as_ref() else {
            return Ok(());
        };
        // SAFETY: the window keeps its range mapped for as long as this task holds it.
        let src = unsafe { std::slice::from_raw_parts(window.as_ptr(), window.len()) };
        let (dtype, kind, elements, le, threads) = (
            self.dtype,
            self.kind,
            self.elements,
            self.little_endian,
            self.threads.max(1),
        );
        let progress = Arc::clone(&self.progress);
        let target = &mut self.target;
        let failure = &mut self.failure;
        run_job(
            || {
                let out = match target {
                    Some(Target::Shared { data, .. }) => {
                        // SAFETY: `data` points at `elements` values of `kind` inside a
                        // SharedArrayBuffer kept alive by the reference (length checked in new()).
                        unsafe { out_at(*data, elements, kind) }
                    }
                    Some(Target::Owned(owned)) => owned.out(),
                    None => return Ok(()),
                };
                run(dtype, src, out, le, threads, Some(&progress))
            },
            failure,
        )
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<Self::JsValue> {
        self.window = None;
        match self.target.take() {
            Some(Target::Owned(owned)) => Ok(JsValues(Some(owned))),
            other => {
                self.target = other;
                Ok(JsValues(None))
            }
        }
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        Err(match self.failure.take() {
            Some(e) => decode_error(&env, &e),
            None => err,
        })
    }

    fn finally(self, env: Env) -> Result<()> {
        if let Some(Target::Shared { reference, .. }) = self.target {
            // SAFETY: the reference made in `shared_target`, deleted once, on the JS thread.
            unsafe { sys::napi_delete_reference(env.raw(), reference) };
        }
        let _ = (self.model, self.offset, self.length);
        Ok(())
    }
}
