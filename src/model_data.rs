//! The `NativeModelData` class: a thin skin over the core `ModelData`. The public `ModelData`
//! (argument checks, types, dispose, heap fallback) lives in the TypeScript facade.

use std::cell::RefCell;
use std::sync::Arc;

use modelmap_core::{Advice, MappingMode, ModelData, OpenOptions, PrefetchOptions};
use napi::bindgen_prelude::*;
use napi::{sys, Env};
use napi_derive::napi;

use crate::args::{byte_count, invalid_arg, optional_byte_count};
use crate::errors::IntoJs;
use crate::jobs::{ModelTask, NativeJob, Work};
use crate::views::ViewRefs;

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

#[napi(custom_finalize)]
pub struct NativeModelData {
    model: Arc<ModelData>,
    /// RefCell: methods take `&self`, because napi-rs refuses `&mut self` while a promise
    /// returned by this object is pending (close() during a checksum must work).
    views: RefCell<ViewRefs>,
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
    /// Opens and maps `path` read-only.
    #[napi(factory)]
    pub fn open(env: Env, path: String, options: Option<NativeOpenOptions>) -> Result<Self> {
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
            model: Arc::new(model),
            views: RefCell::new(ViewRefs::default()),
        })
    }

    #[napi(getter)]
    pub fn byte_length(&self) -> f64 {
        self.model.len() as f64
    }

    #[napi(getter)]
    pub fn path(&self) -> Option<String> {
        self.model.path().map(|p| p.to_string_lossy().into_owned())
    }

    #[napi(getter)]
    pub fn is_mmap(&self) -> bool {
        self.model.is_mmap()
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.model.is_closed()
    }

    #[napi(getter)]
    pub fn locked(&self) -> bool {
        self.model.is_locked()
    }

    /// Live views this handle still tracks (for leak tests).
    #[napi(getter)]
    pub fn tracked_views(&self) -> u32 {
        self.views.borrow().tracked() as u32
    }

    /// A Buffer over the mapping, no copy.
    #[napi(ts_return_type = "Buffer")]
    pub fn view(
        &mut self,
        env: Env,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<Unknown<'_>> {
        let offset = optional_byte_count(&env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(&env, "byteLength", byte_length)?;
        self.ensure_open(&env)?;
        let range = self.model.range("view", offset, length).or_throw(&env)?;
        let buffer: sys::napi_value = self.views.borrow_mut().create(&env, &self.model, range)?;
        // SAFETY: `buffer` is a live value of this env, returned to JS at once.
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), buffer) })
    }

    #[napi]
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
        self.model.advise(advice, offset, length).or_throw(&env)
    }

    #[napi]
    pub fn residency(
        &self,
        env: Env,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<NativeResidency> {
        let offset = optional_byte_count(&env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(&env, "byteLength", byte_length)?;
        let r = self.model.residency(offset, length).or_throw(&env)?;
        Ok(NativeResidency {
            resident_bytes: r.resident_bytes.map(|b| b as f64),
            total_bytes: r.total_bytes as f64,
        })
    }

    #[napi]
    pub fn lock(&self, env: Env) -> Result<()> {
        self.model.lock().or_throw(&env)
    }

    #[napi]
    pub fn unlock(&self) {
        self.model.unlock();
    }

    #[napi]
    pub fn is_stale(&self, env: Env) -> Result<bool> {
        self.model.is_stale().or_throw(&env)
    }

    /// Resolves to the lowercase hex SHA-256 of the range.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn checksum(
        &self,
        env: Env,
        job: &NativeJob,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
    ) -> Result<AsyncTask<ModelTask>> {
        let (offset, length) = self.checked(&env, byte_offset, byte_length, "checksum range")?;
        Ok(AsyncTask::new(ModelTask::new(
            Arc::clone(&self.model),
            offset,
            length,
            Arc::clone(&job.progress),
            Work::Checksum,
        )))
    }

    /// Resolves (to '') once the range is resident.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn prefetch(
        &self,
        env: Env,
        job: &NativeJob,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
        concurrency: Option<f64>,
    ) -> Result<AsyncTask<ModelTask>> {
        let (offset, length) = self.checked(&env, byte_offset, byte_length, "prefetch range")?;
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
            Arc::clone(&self.model),
            offset,
            length,
            Arc::clone(&job.progress),
            Work::Prefetch(options),
        )))
    }

    /// Detaches every view handed out and lets go of the file (if no other handle has it).
    #[napi]
    pub fn close(&self, env: Env) {
        self.views.borrow_mut().detach_all(&env);
        self.model.close();
    }

    /// `ERR_MODELMAP_CLOSED` once the handle is closed.
    fn ensure_open(&self, env: &Env) -> Result<()> {
        if self.model.is_closed() {
            return Err(crate::errors::from_core(
                env,
                &modelmap_core::Error::Closed {
                    path: self.model.path().map(|p| p.to_path_buf()),
                },
            ));
        }
        Ok(())
    }

    fn checked(
        &self,
        env: &Env,
        byte_offset: Option<f64>,
        byte_length: Option<f64>,
        what: &'static str,
    ) -> Result<(u64, Option<u64>)> {
        let offset = optional_byte_count(env, "byteOffset", byte_offset)?.unwrap_or(0);
        let length = optional_byte_count(env, "byteLength", byte_length)?;
        self.ensure_open(env)?;
        self.model.range(what, offset, length).or_throw(env)?;
        Ok((offset, length))
    }
}

impl ObjectFinalize for NativeModelData {
    fn finalize(self, env: Env) -> Result<()> {
        // Views still alive keep their own Arc of the model; only the weak refs go.
        self.views.borrow_mut().forget_all(&env);
        Ok(())
    }
}
