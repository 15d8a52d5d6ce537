//! The `NativeModelData` class: a thin skin over the core `ModelData`. The public `ModelData`
//! (argument checks, types, dispose, heap fallback) lives in the TypeScript facade.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use modelmap_core::{Advice, MappingMode, ModelData, OpenOptions, PrefetchOptions};
use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::args::{byte_count, invalid_arg, optional_byte_count};
use crate::decode::{parse_dtype, OutKind};
use crate::decode_job::{DecodeRequest, DecodeTask};
use crate::errors::IntoJs;
use crate::jobs::{ModelTask, NativeJob, Work};
use crate::stats::StatsTask;
use crate::views::create_window;

#[napi(object)]
pub struct NativeOpenOptions {
    /// 'copy-on-write' (default) or 'readonly'.
    pub mapping: Option<String>,
    pub advice: Option<String>,
    pub populate: Option<bool>,
    pub lock: Option<bool>,
}

#[napi(object)]
pub struct NativeResidency {
    /// null where the OS cannot tell (Windows).
    pub resident_bytes: Option<f64>,
    pub total_bytes: f64,
}

/// Methods take `&self`: napi-rs refuses `&mut self` while a promise returned by this object is
/// pending (close() during a checksum must work). Every method catches panics (`catch_unwind`),
/// so none can unwind into Node.
#[napi]
pub struct NativeModelData {
    /// This handle's share of the model, until close(). Shared with every running job; windows
    /// hold their own mappings, not the model. close() gives this share up, so whatever the
    /// handle itself mapped (the whole file on Windows, or for a lock) goes at close() rather
    /// than whenever the GC gets to it: a loop opening and closing a 16 GiB file ran out of
    /// address space (ENOMEM) after about 8,000 opens when nothing made the GC run.
    slot: Mutex<Option<Arc<ModelData>>>,
    /// What stays true after close().
    byte_length: f64,
    path: Option<String>,
}

/// The path as the OS should see it. A Buffer path keeps its exact bytes on POSIX (a file name
/// need not be UTF-8); on Windows, as in Node, it is read as UTF-8.
fn os_path(path: Either<String, Buffer>) -> PathBuf {
    match path {
        Either::A(text) => PathBuf::from(text),
        Either::B(bytes) => {
            #[cfg(unix)]
            {
                use std::os::unix::ffi::OsStrExt;
                PathBuf::from(std::ffi::OsStr::from_bytes(&bytes))
            }
            #[cfg(not(unix))]
            {
                PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }
}

fn parse_advice(env: &Env, name: &str) -> Result<Advice> {
    Advice::from_name(name).ok_or_else(|| {
        invalid_arg(
            env,
            &format!("unknown advice '{name}': expected 'normal', 'sequential', 'random', 'willneed' or 'dontneed'"),
        )
    })
}

#[napi]
impl NativeModelData {
    /// Opens `path` read-only and maps it privately.
    #[napi(factory, catch_unwind)]
    pub fn open(
        env: Env,
        path: Either<String, Buffer>,
        options: Option<NativeOpenOptions>,
    ) -> Result<Self> {
        let path = os_path(path);
        let mut open = OpenOptions::default();
        if let Some(options) = options {
            open.mode = match options.mapping.as_deref() {
                None | Some("copy-on-write") => MappingMode::CopyOnWrite,
                Some("readonly") => MappingMode::ReadOnly,
                Some(other) => {
                    return Err(invalid_arg(
                        &env,
                        &format!(
                            "unknown mapping '{other}': expected 'copy-on-write' or 'readonly'"
                        ),
                    ))
                }
            };
            if let Some(advice) = options.advice.as_deref() {
                open.advice = parse_advice(&env, advice)?;
            }
            open.populate = options.populate.unwrap_or(false);
            open.lock = options.lock.unwrap_or(false);
        }
        let model = ModelData::open_mmap(&path, &open).or_throw(&env)?;
        Ok(NativeModelData {
            byte_length: model.len() as f64,
            path: model.path().map(|p| p.to_string_lossy().into_owned()),
            slot: Mutex::new(Some(Arc::new(model))),
        })
    }

    #[napi(getter)]
    pub fn byte_length(&self) -> f64 {
        self.byte_length
    }

    #[napi(getter)]
    pub fn path(&self) -> Option<String> {
        self.path.clone()
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    #[napi(getter)]
    pub fn locked(&self) -> bool {
        self.share().is_some_and(|m| m.is_locked())
    }

    /// A buffer over `byteLength` bytes of the file at `byteOffset`, no copy: only that range
    /// is mapped, and it stays mapped while the buffer (or anything sharing its memory) lives. A
    /// SharedArrayBuffer if `shared` (see views.rs), else an ArrayBuffer. The facade makes views
    /// over it in JavaScript.
    #[napi(catch_unwind, ts_return_type = "ArrayBuffer | SharedArrayBuffer")]
    pub fn window(
        &self,
        env: Env,
        byte_offset: f64,
        byte_length: f64,
        shared: bool,
    ) -> Result<Unknown<'_>> {
        let offset = byte_count(&env, "byteOffset", byte_offset)?;
        let length = byte_count(&env, "byteLength", byte_length)?;
        let window = self
            .live(&env)?
            .window(offset, Some(length))
            .or_throw(&env)?;
        let window = create_window(&env, window, shared)?;
        // SAFETY: `window` is a live value of this env, returned to JS at once.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), window) })
    }

    #[napi(catch_unwind)]
    pub fn advise(
        &self,
        env: Env,
        advice: String,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<()> {
        let advice = parse_advice(&env, &advice)?;
        let offset = optional_byte_count(&env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(&env, "byteLength", byte_length)?;
        self.live(&env)?
            .advise(advice, offset, length)
            .or_throw(&env)
    }

    #[napi(catch_unwind)]
    pub fn residency(
        &self,
        env: Env,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<NativeResidency> {
        let offset = optional_byte_count(&env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(&env, "byteLength", byte_length)?;
        let r = self.live(&env)?.residency(offset, length).or_throw(&env)?;
        Ok(NativeResidency {
            resident_bytes: r.resident_bytes.map(|b| b as f64),
            total_bytes: r.total_bytes as f64,
        })
    }

    #[napi(catch_unwind)]
    pub fn lock(&self, env: Env) -> Result<()> {
        self.live(&env)?.lock().or_throw(&env)
    }

    #[napi(catch_unwind)]
    pub fn unlock(&self) {
        if let Some(model) = self.share() {
            model.unlock();
        }
    }

    #[napi(catch_unwind)]
    pub fn is_stale(&self, env: Env) -> Result<bool> {
        self.live(&env)?.is_stale().or_throw(&env)
    }

    /// Resolves to the lowercase hex SHA-256 of the range.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn checksum(
        &self,
        env: Env,
        job: &NativeJob,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<AsyncTask<ModelTask>> {
        let (model, offset, length) =
            self.checked(&env, byte_offset, byte_length, "checksum range")?;
        Ok(AsyncTask::new(ModelTask::new(
            model,
            offset,
            length,
            Arc::clone(&job.progress),
            Work::Checksum,
        )))
    }

    /// Resolves (to '') once the range is resident.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn prefetch(
        &self,
        env: Env,
        job: &NativeJob,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
        concurrency: Option<f64>,
    ) -> Result<AsyncTask<ModelTask>> {
        let (model, offset, length) =
            self.checked(&env, byte_offset, byte_length, "prefetch range")?;
        let mut options = PrefetchOptions::default();
        if let Some(threads) = concurrency {
            let threads = byte_count(&env, "concurrency", threads)?;
            if !(1..=256).contains(&threads) {
                return Err(invalid_arg(
                    &env,
                    "concurrency must be an integer from 1 to 256",
                ));
            }
            options.concurrency = threads as usize;
        }
        Ok(AsyncTask::new(ModelTask::new(
            model,
            offset,
            length,
            Arc::clone(&job.progress),
            Work::Prefetch(options),
        )))
    }

    /// Decodes `byteLength` bytes at `byteOffset` (tensor data of `dtype`) into `elements`
    /// values of `outDtype` on up to `threads` threads, off the JavaScript thread, through a
    /// window of its own. Resolves to a new Float32Array / Uint16Array, or to undefined when
    /// `target` (a Uint8Array over a SharedArrayBuffer's bytes) received the values.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<Float32Array | Uint16Array | undefined>"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn decode(
        &self,
        env: Env,
        job: &NativeJob,
        dtype: String,
        byte_offset: f64,
        byte_length: f64,
        elements: f64,
        out_dtype: String,
        little_endian: bool,
        threads: u32,
        target: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<DecodeTask>> {
        let request = DecodeRequest {
            dtype: parse_dtype(&env, &dtype)?,
            offset: byte_count(&env, "byteOffset", byte_offset)?,
            length: byte_count(&env, "byteLength", byte_length)?,
            elements: byte_count(&env, "elements", elements)? as usize,
            kind: OutKind::parse(&env, &out_dtype)?,
            little_endian,
            threads,
        };
        let task = DecodeTask::new(
            &env,
            self.live(&env)?,
            request,
            Arc::clone(&job.progress),
            target,
        )?;
        Ok(AsyncTask::new(task))
    }

    /// Summary statistics (count, NaN and infinities, min, max, mean, std of the finite values)
    /// of `elements` values of `dtype` in `byteLength` bytes at `byteOffset`, off the JavaScript
    /// thread, on up to `threads` threads.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeStats>")]
    #[allow(clippy::too_many_arguments)]
    pub fn stats(
        &self,
        env: Env,
        job: &NativeJob,
        dtype: String,
        byte_offset: f64,
        byte_length: f64,
        elements: f64,
        little_endian: bool,
        threads: u32,
    ) -> Result<AsyncTask<StatsTask>> {
        let dtype = parse_dtype(&env, &dtype)?;
        let offset = byte_count(&env, "byteOffset", byte_offset)?;
        let length = byte_count(&env, "byteLength", byte_length)?;
        let elements = byte_count(&env, "elements", elements)? as usize;
        let model = self.live(&env)?;
        let task = StatsTask::new(
            &env,
            &model,
            dtype,
            offset,
            length,
            elements,
            little_endian,
            threads,
            Arc::clone(&job.progress),
        )?;
        Ok(AsyncTask::new(task))
    }

    /// Ends the handle: later calls throw `ERR_MODELMAP_CLOSED`, the lock is dropped and the
    /// file descriptor closed. Views already handed out keep reading the file's bytes (each
    /// window owns its mapping, which goes when the window is collected); running jobs finish
    /// their chunk and stop.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let share = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(model) = share {
            model.close();
            crate::reaper::release_model(model);
        }
    }

    /// This handle's share of the model, or None once closed.
    fn share(&self) -> Option<Arc<ModelData>> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The model, or `ERR_MODELMAP_CLOSED` once the handle is closed.
    fn live(&self, env: &Env) -> Result<Arc<ModelData>> {
        self.share().ok_or_else(|| {
            crate::errors::from_core(
                env,
                &modelmap_core::Error::Closed {
                    path: self.path.as_ref().map(PathBuf::from),
                },
            )
        })
    }

    fn checked(
        &self,
        env: &Env,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
        what: &'static str,
    ) -> Result<(Arc<ModelData>, u64, Option<u64>)> {
        let offset = optional_byte_count(env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(env, "byteLength", byte_length)?;
        let model = self.live(env)?;
        model.range(what, offset, length).or_throw(env)?;
        Ok((model, offset, length))
    }
}
