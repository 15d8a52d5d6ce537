//! Tensor values: the `modelmap-quants` kernels over bytes from JavaScript (synchronous), and what
//! the decode job (decode_job.rs: over a window of a mapping, on the libuv pool) shares with it:
//! output kinds, owned output memory handed to JavaScript, dtype names and errors.
//!
//! Memory rules, as for views: a job reads the file through a `Window` it holds itself (never a
//! JavaScript view, which a caller could detach mid-job), and writes either into memory it owns
//! (handed to JavaScript as an ArrayBuffer when done) or into a SharedArrayBuffer, which cannot
//! be detached and which the job keeps alive with a reference until it ends. Writing into a
//! caller's ArrayBuffer from another thread could land in freed memory (a WebGPU range unmapped,
//! a buffer transferred with a new length), so the facade copies those on its own thread.

use modelmap_core::Progress;
use modelmap_quants::{
    decode as decode_now, decode_parallel, Dtype, Error as DecodeError, Job, Out,
};
use napi::bindgen_prelude::*;
use napi::{sys, Env};

use crate::args::invalid_arg;
use crate::errors::{js_error, Kind};
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

    pub(crate) fn width(self) -> usize {
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
pub(crate) unsafe fn out_at<'a>(ptr: *mut u8, len: usize, kind: OutKind) -> Out<'a> {
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
    pub(crate) fn new(env: &Env, kind: OutKind, len: usize) -> Result<Owned> {
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

    pub(crate) fn out(&mut self) -> Out<'_> {
        match self.kind {
            OutKind::F32 => Out::F32(self.memory.values::<f32>()),
            OutKind::F16 => Out::F16(self.memory.values::<u16>()),
            OutKind::BF16 => Out::BF16(self.memory.values::<u16>()),
        }
    }
}

/// Decoded values for JavaScript: a typed array over `Owned` memory, or undefined.
pub struct JsValues(pub(crate) Option<Owned>);

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

pub(crate) fn run(
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

/// Runs a job's decoding work off the JavaScript thread, keeping a decoder error (typed later on
/// the JavaScript thread by `decode_error`) in `failure`, and turning a panic into an error
/// instead of unwinding into libuv.
pub(crate) fn run_job<T>(
    work: impl FnOnce() -> std::result::Result<T, DecodeError>,
    failure: &mut Option<DecodeError>,
) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            let message = e.to_string();
            *failure = Some(e);
            Err(napi::Error::new(Status::GenericFailure, message))
        }
        Err(_) => Err(napi::Error::new(
            Status::GenericFailure,
            "internal error in modelmap's decoder",
        )),
    }
}
