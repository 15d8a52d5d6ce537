//! Unmapping off the JavaScript thread. munmap of a mapping costs 2-8 µs here (more with pages
//! mapped: the kernel tears down page tables and tells every CPU to drop its TLB entries), which
//! is more than opening a file costs. When a window's finalizer (or `close()`) lets go of the
//! last share of a mapping, the share goes to one background thread that drops it there; the
//! memory is unreachable from JavaScript by then, so when exactly it is unmapped does not matter.
//!
//! Finalizers of shared windows run on whatever thread V8 frees them on: everything here is
//! callable from any thread and never panics.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, OnceLock};

use memmap2::MmapMut;
use modelmap_core::{ModelData, Window};

type Garbage = Box<dyn Send>;

/// The unmapping thread's inbox, or None where no thread could be started (then drops are done
/// inline, as before).
static INBOX: OnceLock<Option<Sender<Garbage>>> = OnceLock::new();

fn inbox() -> Option<&'static Sender<Garbage>> {
    INBOX
        .get_or_init(|| {
            let (tx, rx) = channel::<Garbage>();
            std::thread::Builder::new()
                .name("modelmap-unmap".into())
                .spawn(move || {
                    for garbage in rx {
                        drop(garbage);
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

fn drop_later(garbage: Garbage) {
    match inbox() {
        Some(tx) => {
            if let Err(unsent) = tx.send(garbage) {
                drop(unsent.0);
            }
        }
        None => drop(garbage),
    }
}

/// Gives up one share of a window: the last share of a window that owns its mapping is dropped
/// (and unmapped) on the unmapping thread, any other just lowers the count here.
pub fn release_window(window: Arc<Window>) {
    if Arc::strong_count(&window) > 1 || !window.owns_mapping() {
        drop(window);
    } else {
        drop_later(Box::new(window));
    }
}

/// Gives up one share of a model (the handle's, at close()): the last one is dropped on the
/// unmapping thread when dropping it unmaps the whole-file mapping.
pub fn release_model(model: Arc<ModelData>) {
    if Arc::strong_count(&model) > 1 || !model.holds_mapping() {
        // Another share remains (a job), or nothing whole was ever mapped: this drop unmaps
        // nothing. (If the other share goes meanwhile, this drop unmaps inline: only slower.)
        drop(model);
    } else {
        drop_later(Box::new(model));
    }
}

/// Drops decoded values' memory (an anonymous mapping whose typed array V8 collected) on the
/// unmapping thread, its pages first given back in 64 MiB steps. One munmap of 1 GiB of touched
/// pages holds the process's memory-map lock for writing while it frees them all, and every page
/// fault and mmap of other threads waits: a decode running meanwhile showed 65-98 ms event-loop
/// gaps against 5 ms. MADV_DONTNEED frees pages under the lock taken for reading, so the others
/// go on; the munmap that follows has nothing left to free.
pub fn release_output(map: MmapMut) {
    #[cfg(unix)]
    drop_later(Box::new(ReleasedOutput(map)));
    // Elsewhere (Windows) the mapping is dropped as it is: the stall was measured on Linux only.
    #[cfg(not(unix))]
    drop_later(Box::new(map));
}

#[cfg(unix)]
struct ReleasedOutput(MmapMut);

#[cfg(unix)]
impl Drop for ReleasedOutput {
    fn drop(&mut self) {
        const STEP: usize = 64 << 20;
        let len = self.0.len();
        let mut at = 0;
        while at < len {
            let n = STEP.min(len - at);
            // SAFETY: nothing can read this memory any more (its typed array is collected and
            // the mapping is private to this value); DONTNEED on a private anonymous mapping
            // only drops pages that would read as zero again. A refusal changes nothing: the
            // munmap that follows frees them anyway.
            let _ = unsafe {
                self.0
                    .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, n)
            };
            at += n;
        }
    }
}
