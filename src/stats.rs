//! Summary statistics of a tensor's values (a model health check), as a job on the libuv pool
//! over a window the job holds itself, like a decode job.

use std::sync::Arc;

use modelmap_core::{ModelData, Progress, Window};
use modelmap_quants::{stats_parallel, Dtype, Error as DecodeError, Job, Stats};
use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;

use crate::decode::{decode_error, run_job};
use crate::errors::from_core;

/// Over the finite values; NaN and infinities counted apart.
#[napi(object)]
pub struct NativeStats {
    pub count: f64,
    pub finite: f64,
    pub nan: f64,
    pub pos_inf: f64,
    pub neg_inf: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub std: f64,
}

impl From<Stats> for NativeStats {
    fn from(s: Stats) -> Self {
        NativeStats {
            count: s.count as f64,
            finite: s.finite() as f64,
            nan: s.nan as f64,
            pos_inf: s.pos_inf as f64,
            neg_inf: s.neg_inf as f64,
            min: f64::from(s.min),
            max: f64::from(s.max),
            mean: s.mean(),
            std: s.std(),
        }
    }
}

pub struct StatsTask {
    dtype: Dtype,
    elements: usize,
    little_endian: bool,
    threads: u32,
    progress: Arc<Progress>,
    window: Arc<Window>,
    result: Option<Stats>,
    failure: Option<DecodeError>,
}

impl StatsTask {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        env: &Env,
        model: &ModelData,
        dtype: Dtype,
        offset: u64,
        length: u64,
        elements: usize,
        little_endian: bool,
        threads: u32,
        progress: Arc<Progress>,
    ) -> Result<StatsTask> {
        modelmap_quants::expected_bytes(dtype, elements).map_err(|e| decode_error(env, &e))?;
        let window = model
            .window(offset, Some(length))
            .map_err(|e| from_core(env, &e))?;
        Ok(StatsTask {
            dtype,
            elements,
            little_endian,
            threads,
            progress,
            window,
            result: None,
            failure: None,
        })
    }
}

impl Task for StatsTask {
    type Output = ();
    type JsValue = NativeStats;

    fn compute(&mut self) -> Result<()> {
        // SAFETY: the window keeps its range mapped while this task holds it.
        let src = unsafe { std::slice::from_raw_parts(self.window.as_ptr(), self.window.len()) };
        let progress = Arc::clone(&self.progress);
        let cancelled = || progress.is_cancelled();
        let add = |n: u64| progress.add(n * 4);
        let job = Job {
            cancelled: &cancelled,
            progress: &add,
        };
        let (dtype, elements, le, threads) = (
            self.dtype,
            self.elements,
            self.little_endian,
            self.threads.max(1) as usize,
        );
        let stats = run_job(
            || stats_parallel(dtype, src, elements, le, threads, &job),
            &mut self.failure,
        )?;
        self.result = Some(stats);
        Ok(())
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<NativeStats> {
        Ok(self.result.take().unwrap_or_default().into())
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<NativeStats> {
        Err(match self.failure.take() {
            Some(e) => decode_error(&env, &e),
            None => err,
        })
    }
}
