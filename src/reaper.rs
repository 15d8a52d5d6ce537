//! Unmapping off the JavaScript thread. munmap of a mapping costs 2-8 µs here (more with pages
//! mapped: the kernel tears down page tables and tells every CPU to drop its TLB entries), which
//! is more than opening a file costs. When `close()` or a window's finalizer lets go of the last
//! share of a model, the share goes to one background thread that drops it there; the memory is
//! unreachable from JavaScript by then, so when exactly it is unmapped does not matter.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, OnceLock};

use modelmap_core::ModelData;

/// The unmapping thread's inbox, or None where no thread could be started (then drops are done
/// inline, as before).
static INBOX: OnceLock<Option<Sender<Arc<ModelData>>>> = OnceLock::new();

fn inbox() -> Option<&'static Sender<Arc<ModelData>>> {
    INBOX
        .get_or_init(|| {
            let (tx, rx) = channel::<Arc<ModelData>>();
            std::thread::Builder::new()
                .name("modelmap-unmap".into())
                .spawn(move || {
                    for model in rx {
                        drop(model);
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Gives up one share of `model`: the last one is dropped (and the file unmapped) on the
/// unmapping thread, any other just lowers the count here.
pub fn release(model: Arc<ModelData>) {
    if Arc::strong_count(&model) > 1 || !model.holds_mapping() {
        // Another share remains (a window, a job), or nothing was ever mapped: this drop unmaps
        // nothing. (If the other share goes meanwhile, this drop unmaps inline: only slower.)
        drop(model);
        return;
    }
    match inbox() {
        Some(tx) => {
            if let Err(unsent) = tx.send(model) {
                drop(unsent.0);
            }
        }
        None => drop(model),
    }
}
