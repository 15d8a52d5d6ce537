//! napi-rs binding: exposes the core `ModelData` to Node.js as `NativeModelData`, whose views are
//! Buffers pointing straight into the mapping. No logic beyond conversions lives here.

#![deny(clippy::all)]

mod args;
mod errors;
mod jobs;
mod model_data;
mod reaper;
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

/// False in runtimes that forbid external buffers (Electron's V8 sandbox).
#[napi]
pub fn external_buffers_allowed(env: Env) -> bool {
    views::external_buffers_allowed(&env)
}

/// File mappings alive in this process (one per open, until its last view is collected).
#[napi]
pub fn live_mappings() -> u32 {
    modelmap_core::live_mappings() as u32
}
