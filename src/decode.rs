//! Tensor values: the `modelmap-quants` kernels over bytes from JavaScript (synchronous) or over a
//! window of a mapping (a job on the libuv pool, several threads, progress and cancellation as
//! prefetch has them).
//!
//! Memory rules, as for views: a job reads the file through a `Window` it holds itself (never a
//! JavaScript view, which a caller could detach mid-job), and writes either into memory it owns
//! (handed to JavaScript as an ArrayBuffer when done) or into a SharedArrayBuffer, which cannot
//! be detached and which the job keeps alive with a reference until it ends. Writing into a
//! caller's ArrayBuffer from another thread could land in freed memory (a WebGPU range unmapped,
//! a buffer transferred with a new length), so the facade copies those on its own thread.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use modelmap_core::{ModelData, Progress, Window};
use modelmap_quants::{
    decode as decode_now, decode_parallel, Dtype, Error as DecodeError, Job, Out,
};
use napi::bindgen_prelude::*;
use napi::{sys, Env, Task};

use crate::args::invalid_arg;
use crate::errors::{from_core, js_error, Kind};
use crate::output::OutputMemory;

/// What the values are written as.
#[derive(Clone, Copy)]
pub enum OutKind {
    F32,
    F16,
    BF16,
}

impl OutKind {
    pub fn parse(env: &Env, name: &str) -> Result<OutKind> {
        match name {
            "F32" => Ok(OutKind::F32),
            "F16" => Ok(OutKind::F16),
            "BF16" => Ok(OutKind::BF16),
            other => Err(invalid_arg(
                env,
                &format!("unknown output dtype '{other}': expected 'F32', 'F16' or 'BF16'"),
            )),
        }
    }

    fn width(self) -> usize {
        match self {
            OutKind::F32 => 4,
            OutKind::F16 | OutKind::BF16 => 2,
        }
    }
}

pub fn parse_dtype(env: &Env, name: &str) -> Result<Dtype> {
    Dtype::from_name(name).ok_or_else(|| {
        js_error(
            env,
            Kind::Error,
            "ERR_MODELMAP_UNSUPPORTED",
            &format!("unknown tensor dtype '{name}'"),
        )
    })
}

pub fn decode_error(env: &Env, err: &DecodeError) -> napi::Error {
    let code = match err {
        DecodeError::Unsupported { .. } => "ERR_MODELMAP_UNSUPPORTED",
        DecodeError::Cancelled => "ABORT_ERR",
        DecodeError::Length { .. } | DecodeError::PartialBlock { .. } => "ERR_INVALID_ARG_VALUE",
    };
    js_error(env, Kind::Error, code, &err.to_string())
}

/// `len` output values of `kind` over the raw bytes at `ptr`.
///
/// # Safety
/// `ptr..ptr + len * kind.width()` must be writable, aligned for the element type, and not
/// borrowed elsewhere in Rust for `'a`.
unsafe fn out_at<'a>(ptr: *mut u8, len: usize, kind: OutKind) -> Out<'a> {
    // SAFETY: guaranteed by the caller.
    unsafe {
        match kind {
            OutKind::F32 => Out::F32(std::slice::from_raw_parts_mut(ptr.cast(), len)),
            OutKind::F16 => Out::F16(std::slice::from_raw_parts_mut(ptr.cast(), len)),
            OutKind::BF16 => Out::BF16(std::slice::from_raw_parts_mut(ptr.cast(), len)),
        }
    }
}

/// Output memory owned by a job until JavaScript gets it (as a Float32Array / Uint16Array).
pub struct Owned {
    memory: OutputMemory,
    kind: OutKind,
}

impl Owned {
    fn new(env: &Env, kind: OutKind, len: usize) -> Result<Owned> {
        let memory = OutputMemory::new(len, kind.width()).map_err(|e| {
            js_error(
                env,
                Kind::Error,
                "ERR_MODELMAP_OUT_OF_MEMORY",
                &format!(
                    "cannot allocate {} bytes for decoded values: {e}",
                    len * kind.width()
                ),
            )
        })?;
        Ok(Owned { memory, kind })
    }

    fn out(&mut self) -> Out<'_> {
        match self.kind {
            OutKind::F32 => Out::F32(self.memory.values::<f32>()),
            OutKind::F16 => Out::F16(self.memory.values::<u16>()),
            OutKind::BF16 => Out::BF16(self.memory.values::<u16>()),
        }
    }
}

/// Decoded values for JavaScript: a typed array over `Owned` memory, or undefined.
pub struct JsValues(Option<Owned>);

impl TypeName for JsValues {
    fn type_name() -> &'static str {
        "Float32Array | Uint16Array | undefined"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for JsValues {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        match value.0 {
            Some(owned) => owned.memory.into_js(&Env::from_raw(env)),
            // SAFETY: forwarded as napi-rs calls it: a valid env.
            None => unsafe { <()>::to_napi_value(env, ()) },
        }
    }
}

/// Decodes `src` into the output bytes `out` (a Uint8Array over the caller's typed array), on
/// this thread and up to `threads - 1` more. Synchronous: JavaScript cannot touch either buffer
/// meanwhile.
pub fn decode_into(
    env: &Env,
    dtype: &str,
    src: &[u8],
    out: &mut [u8],
    kind: OutKind,
    little_endian: bool,
    threads: u32,
) -> Result<()> {
    let dtype = parse_dtype(env, dtype)?;
    let (a, b) = (src.as_ptr() as usize, out.as_ptr() as usize);
    if a < b + out.len() && b < a + src.len() {
        return Err(invalid_arg(
            env,
            "the output overlaps the bytes being decoded",
        ));
    }
    if !(out.as_ptr() as usize).is_multiple_of(kind.width())
        || !out.len().is_multiple_of(kind.width())
    {
        return Err(invalid_arg(
            env,
            "the output is not an aligned array of the output dtype",
        ));
    }
    // SAFETY: `out` is exclusively borrowed for this call and aligned (checked above).
    let target = unsafe { out_at(out.as_mut_ptr(), out.len() / kind.width(), kind) };
    run(dtype, src, target, little_endian, threads, None).map_err(|e| decode_error(env, &e))
}

/// Decodes `src` into new memory of `elements` values, handed to JavaScript as a typed array.
pub fn decode_new(
    env: &Env,
    dtype: &str,
    src: &[u8],
    elements: usize,
    kind: OutKind,
    little_endian: bool,
    threads: u32,
) -> Result<JsValues> {
    let dtype = parse_dtype(env, dtype)?;
    modelmap_quants::expected_bytes(dtype, elements).map_err(|e| decode_error(env, &e))?;
    let mut owned = Owned::new(env, kind, elements)?;
    run(dtype, src, owned.out(), little_endian, threads, None)
        .map_err(|e| decode_error(env, &e))?;
    Ok(JsValues(Some(owned)))
}

fn run(
    dtype: Dtype,
    src: &[u8],
    out: Out<'_>,
    little_endian: bool,
    threads: u32,
    progress: Option<&Progress>,
) -> std::result::Result<(), DecodeError> {
    if threads <= 1 && progress.is_none() {
        return decode_now(dtype, src, out, little_endian);
    }
    let width = match out {
        Out::F32(_) => 4,
        _ => 2,
    };
    let cancelled = || progress.is_some_and(|p| p.is_cancelled());
    let add = |elements: u64| {
        if let Some(p) = progress {
            p.add(elements * width);
        }
    };
    let job = Job {
        cancelled: &cancelled,
        progress: &add,
    };
    decode_parallel(dtype, src, out, little_endian, threads as usize, &job)
}

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
    let mut byte_length = 0usize;
    // SAFETY: as above. (A SharedArrayBuffer's typed-array info is its element count; ask the
    // Uint8Array the facade passes for its byte length through its own length.)
    let _ = unsafe {
        sys::napi_get_typedarray_info(
            raw,
            value.raw(),
            &mut kind,
            &mut byte_length,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    if kind != sys::TypedarrayType::uint8_array || byte_length != bytes {
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
        let run_it = std::panic::AssertUnwindSafe(|| {
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
        });
        match std::panic::catch_unwind(run_it) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let message = e.to_string();
                self.failure = Some(e);
                Err(napi::Error::new(Status::GenericFailure, message))
            }
            Err(_) => Err(napi::Error::new(
                Status::GenericFailure,
                "internal error in modelmap's decoder",
            )),
        }
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
