//! Long operations (prefetch, checksum) on the libuv thread pool. Each holds an `Arc` of the
//! model, so the bytes stay mapped while it runs; progress and cancellation go through a
//! `NativeJob` the facade polls and cancels (AbortSignal), so no JS callback crosses threads.

use std::sync::Arc;

use modelmap_core::{Error as CoreError, ModelData, PrefetchOptions, Progress};
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use crate::errors::from_core;

/// Progress and cancellation for one prefetch or checksum.
#[napi]
pub struct NativeJob {
    pub(crate) progress: Arc<Progress>,
}

#[napi]
impl NativeJob {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeJob {
            progress: Arc::new(Progress::new()),
        }
    }

    /// Stops the job at its next chunk boundary; its promise rejects with `ABORT_ERR`.
    #[napi]
    pub fn cancel(&self) {
        self.progress.cancel();
    }

    #[napi(getter)]
    pub fn bytes_done(&self) -> f64 {
        self.progress.done() as f64
    }
}

pub enum Work {
    Checksum,
    Prefetch(PrefetchOptions),
}

pub struct ModelTask {
    pub model: Arc<ModelData>,
    pub offset: u64,
    pub length: Option<u64>,
    pub progress: Arc<Progress>,
    pub work: Work,
    failure: Option<CoreError>,
}

impl ModelTask {
    pub fn new(
        model: Arc<ModelData>,
        offset: u64,
        length: Option<u64>,
        progress: Arc<Progress>,
        work: Work,
    ) -> Self {
        ModelTask {
            model,
            offset,
            length,
            progress,
            work,
            failure: None,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

impl Task for ModelTask {
    /// The hex digest for a checksum, empty for a prefetch.
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        // This runs on a libuv pool thread, where an unwinding panic would abort Node: turn one
        // into a rejection instead. The model stays usable (its state is atomics and locks that
        // recover from poisoning).
        let run = std::panic::AssertUnwindSafe(|| match &self.work {
            Work::Checksum => self
                .model
                .checksum_sha256(self.offset, self.length, &self.progress)
                .map(|digest| hex(&digest)),
            Work::Prefetch(options) => self
                .model
                .prefetch(self.offset, self.length, options, &self.progress)
                .map(|()| String::new()),
        });
        let result = std::panic::catch_unwind(run).map_err(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Error::new(
                Status::GenericFailure,
                format!("internal error in modelmap: {what}"),
            )
        })?;
        result.map_err(|e| {
            let message = e.to_string();
            self.failure = Some(e);
            Error::new(Status::GenericFailure, message)
        })
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<String> {
        Err(match self.failure.take() {
            Some(core) => from_core(&env, &core),
            None => err,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(super::hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
