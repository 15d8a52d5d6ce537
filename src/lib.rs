//! napi-rs binding: exposes the core `ModelData` to Node.js as `NativeModelData`, whose views are
//! Buffers pointing straight into the mapping. No logic beyond conversions lives here.

#![deny(clippy::all)]

mod args;
mod errors;
mod jobs;
mod model_data;
mod reaper;
mod shared_memory;
mod views;

use napi::Env;
use napi_derive::napi;

pub use jobs::NativeJob;
pub use model_data::NativeModelData;

/// Tells the binding `buffer.constants.MAX_LENGTH`, the longest Buffer this Node can create.
#[napi]
pub fn set_max_view_length(max: f64) {
    if max.is_finite() && max >= 1.0 {
        views::set_max_view_length(max as u64);
    }
}

/// Tells the binding whether `ArrayBuffer.prototype.transfer` exists here (see views.rs).
#[napi]
pub fn set_transfer_available(available: bool) {
    views::set_transfer_available(available);
}

/// False in runtimes that forbid external buffers (Electron's V8 sandbox).
#[napi]
pub fn external_buffers_allowed(env: Env) -> bool {
    views::external_buffers_allowed(&env)
}

/// Whether views can be SharedArrayBuffers here (the runtime exports
/// `node_api_create_external_sharedarraybuffer`): they then cost the GC nothing and stay valid
/// in every thread they reach.
#[napi]
pub fn shared_windows_supported() -> bool {
    views::shared_windows_supported()
}

/// File mappings alive in this process (one per window, until it is collected).
#[napi]
pub fn live_mappings() -> u32 {
    modelmap_core::live_mappings() as u32
}
