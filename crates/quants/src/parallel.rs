//! Decoding on several threads, with progress and cancellation, under the same thread rules as
//! the core's prefetch: threads come from `Builder::spawn_scoped`, so where the OS refuses one
//! (a pids limit in a container) the threads already running share its work, and nothing
//! panics.

use std::sync::Mutex;

use crate::{check, decode_checked, Dtype, Error, Out, Result};

/// Elements per unit of work: 1 MiB of f32 output, a multiple of every block size. Small enough
/// that cancellation and progress come every millisecond or so, large enough that taking the
/// next unit costs nothing next to decoding it.
const UNIT: usize = 1 << 18;

/// What a running decode reports to and asks of its caller, from any of its threads.
pub struct Job<'a> {
    /// True once the caller wants the decode stopped (checked before every unit).
    pub cancelled: &'a (dyn Fn() -> bool + Sync),
    /// Called with the number of elements each finished unit decoded.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

enum Part<'a> {
    F32(&'a mut [f32]),
    F16(&'a mut [u16]),
    BF16(&'a mut [u16]),
}

/// Cuts `out` into units and pairs each with its bytes.
fn units<'a>(dtype: Dtype, src: &'a [u8], out: Out<'a>) -> Vec<(&'a [u8], Part<'a>)> {
    let per = dtype.block_bytes() * (UNIT / dtype.block_elements());
    let bytes = src.chunks(per);
    match out {
        Out::F32(o) => bytes
            .zip(o.chunks_mut(UNIT))
            .map(|(b, o)| (b, Part::F32(o)))
            .collect(),
        Out::F16(o) => bytes
            .zip(o.chunks_mut(UNIT))
            .map(|(b, o)| (b, Part::F16(o)))
            .collect(),
        Out::BF16(o) => bytes
            .zip(o.chunks_mut(UNIT))
            .map(|(b, o)| (b, Part::BF16(o)))
            .collect(),
    }
}

/// `decode` on up to `threads` threads (this one included).
pub fn decode_parallel(
    dtype: Dtype,
    src: &[u8],
    out: Out<'_>,
    little_endian: bool,
    threads: usize,
    job: &Job<'_>,
) -> Result<()> {
    check(dtype, src, out.len())?;
    let work = units(dtype, src, out);
    let threads = threads.clamp(1, work.len().max(1));
    let queue = Mutex::new(work.into_iter());
    let worker = || loop {
        if (job.cancelled)() {
            return;
        }
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
        let Some((bytes, part)) = next else { return };
        let elements = match part {
            Part::F32(o) => {
                let n = o.len();
                decode_checked(dtype, bytes, Out::F32(o), little_endian);
                n
            }
            Part::F16(o) => {
                let n = o.len();
                decode_checked(dtype, bytes, Out::F16(o), little_endian);
                n
            }
            Part::BF16(o) => {
                let n = o.len();
                decode_checked(dtype, bytes, Out::BF16(o), little_endian);
                n
            }
        };
        (job.progress)(elements as u64);
    };
    on_threads("modelmap-decode", threads, worker);
    if (job.cancelled)() {
        return Err(Error::Cancelled);
    }
    Ok(())
}

/// Runs `worker` on this thread and on up to `threads - 1` more, named `name`, and returns when
/// all are done. Threads are asked of the OS, not assumed: where it refuses one (a pids or
/// thread limit), the work runs on the threads it granted (this one at least).
pub(crate) fn on_threads<F: Fn() + Sync>(name: &str, threads: usize, worker: F) {
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new()
                .name(name.into())
                .spawn_scoped(scope, &worker)
                .is_err()
            {
                break;
            }
        }
        worker();
    });
}
