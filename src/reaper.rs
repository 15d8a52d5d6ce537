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
