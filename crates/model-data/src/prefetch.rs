//! Parallel populate of a range: the answer to mmap's slow cold load, where faulting 4 KiB at a
//! time leaves the disk idle between faults. Several threads each populate large chunks, so the
//! disk sees many large requests in flight.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::model_data::ModelData;
use crate::options::PrefetchOptions;
use crate::platform;
use crate::populate::populate_chunk;
use crate::progress::Progress;

pub(crate) fn prefetch(
    model: &ModelData,
    range: Range<usize>,
    options: &PrefetchOptions,
    progress: &Progress,
) -> Result<()> {
    let Some(path) = model.path().filter(|_| model.is_mmap()) else {
        // Heap bytes are resident already.
        progress.add(range.len() as u64);
        return Ok(());
    };
    if range.is_empty() {
        return Ok(());
    }
    let chunk = options.chunk_bytes.max(platform::page_size());
    let chunks = range.len().div_ceil(chunk);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Error>> = Mutex::new(None);

    let worker = || loop {
        if stop.load(Ordering::Acquire) || progress.is_cancelled() {
            return;
        }
        let index = next.fetch_add(1, Ordering::AcqRel);
        if index >= chunks {
            return;
        }
        let start = range.start + index * chunk;
        let end = (start + chunk).min(range.end);
        let result = model.with_chunk(start..end, |bytes, file| match file {
            Some(file) => populate_chunk(bytes, file, start as u64, path),
            None => Ok(()),
        });
        match result {
            Ok(()) => progress.add((end - start) as u64),
            Err(e) => {
                stop.store(true, Ordering::Release);
                failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(e);
                return;
            }
        }
    };

    let threads = options.concurrency.clamp(1, chunks);
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // Builder, not `scope.spawn`: where the OS refuses a thread (a pids limit in a
            // container) spawn_scoped returns an error, and the threads already running (at least
            // this one) share the remaining chunks. `scope.spawn` would panic across napi.
            if std::thread::Builder::new()
                .name("modelmap-prefetch".into())
                .spawn_scoped(scope, worker)
                .is_err()
            {
                break;
            }
        }
        worker();
    });

    if let Some(err) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(err);
    }
    progress.check()
}
