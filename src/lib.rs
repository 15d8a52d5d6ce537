//! napi-rs binding: exposes the core `ModelData` to Node.js as `NativeModelData`, whose views are
//! Buffers pointing straight into the mapping. No logic beyond conversions lives here.

#![deny(clippy::all)]

mod args;
mod decode;
mod decode_job;
mod errors;
mod jobs;
mod model_data;
mod output;
mod reaper;
mod shared_memory;
mod stats;
mod views;

use napi::bindgen_prelude::Uint8ArraySlice;
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

/// Tells the binding whether ArrayBuffer windows' finalizers must check for an environment
/// teardown before they unmap (see views.rs): where `ArrayBuffer.prototype.transfer` can move
/// a window's memory to another thread, and not under Deno.
#[napi]
pub fn set_teardown_guard(on: bool) {
    views::set_teardown_guard(on);
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

/// Decodes `src` (tensor bytes of `dtype`, a ggml or safetensors type name) into `out` (a
/// Uint8Array over the output typed array's bytes), as f32, f16 or bf16 values, on up to
/// `threads` threads. Synchronous.
#[napi(catch_unwind)]
pub fn decode_into(
    env: Env,
    dtype: String,
    src: Uint8ArraySlice,
    mut out: Uint8ArraySlice,
    out_dtype: String,
    little_endian: bool,
    threads: u32,
) -> napi::Result<()> {
    let kind = decode::OutKind::parse(&env, &out_dtype)?;
    // SAFETY: the call is synchronous, so JavaScript cannot touch either buffer meanwhile;
    // decode_into refuses overlapping ones.
    let out = unsafe { out.as_mut() };
    decode::decode_into(&env, &dtype, &src, out, kind, little_endian, threads)
}

/// As `decode_into`, into new memory of `elements` values (a Float32Array or Uint16Array).
#[napi(catch_unwind, ts_return_type = "Float32Array | Uint16Array")]
pub fn decode_new(
    env: Env,
    dtype: String,
    src: Uint8ArraySlice,
    elements: f64,
    out_dtype: String,
    little_endian: bool,
    threads: u32,
) -> napi::Result<decode::JsValues> {
    let kind = decode::OutKind::parse(&env, &out_dtype)?;
    let elements = args::byte_count(&env, "elements", elements)? as usize;
    decode::decode_new(&env, &dtype, &src, elements, kind, little_endian, threads)
}

/// File mappings alive in this process (one per window, until it is collected).
#[napi]
pub fn live_mappings() -> u32 {
    modelmap_core::live_mappings() as u32
}
